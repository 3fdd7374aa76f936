// Booking page enhancements; the page works without them.
(() => {
  // Show times in the guest's own zone: if the URL names none, use the browser's.
  const url = new URL(window.location.href);
  const select = document.getElementById("tz");
  const detected = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (select && !url.searchParams.has("tz") && detected && detected !== select.value
      && [...select.options].some((o) => o.value === detected)) {
    url.searchParams.set("tz", detected);
    window.location.replace(url.toString());
    return;
  }
  // Changing the zone reloads the times at once.
  document.querySelectorAll("select[data-auto-submit]").forEach((el) => {
    el.addEventListener("change", () => el.form.requestSubmit());
  });
  // Embedded: tell the page around the frame our height (static/js/embed.js listens). The
  // message goes only to the Allowed origins: postMessage drops it for any other parent.
  const origins = (document.body.dataset.embedOrigins || "").split(" ").filter(Boolean);
  if (origins.length && window.parent !== window) {
    const tell = () => {
      const height = Math.ceil(document.body.getBoundingClientRect().height);
      origins.forEach((origin) => window.parent.postMessage({ timetics: "height", height }, origin));
    };
    new ResizeObserver(tell).observe(document.body);
    tell();
  }
})();
