// Timetics booking page on your site: sizes each <iframe data-timetics-embed> to its content.
// Loaded from the Timetics server by the snippet on the meeting type page. A height is taken
// only from that frame's own window and only from the Timetics origin its src names.
(() => {
  const frames = () => document.querySelectorAll("iframe[data-timetics-embed]");
  window.addEventListener("message", (event) => {
    const data = event.data;
    if (!data || data.timetics !== "height" || !Number.isFinite(data.height)) return;
    frames().forEach((frame) => {
      if (event.source === frame.contentWindow
          && event.origin === new URL(frame.src, window.location.href).origin) {
        frame.style.height = `${Math.min(Math.ceil(data.height), 10000)}px`;
      }
    });
  });
})();
