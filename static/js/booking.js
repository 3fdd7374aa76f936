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
})();
