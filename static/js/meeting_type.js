// Meeting type form: the Zoom options only while the location is Zoom; the form works without.
(() => {
  const location = document.getElementById("location");
  const options = document.getElementById("zoom-options");
  if (!location || !options) return;
  const sync = () => { options.hidden = location.value !== "zoom"; };
  location.addEventListener("change", sync);
  sync();
})();
