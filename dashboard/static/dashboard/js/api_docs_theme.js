// The API docs page (templates/api/docs.html) in the app's theme: Swagger UI has a dark mode of
// its own, the `dark-mode` class on <html>, set here when the header's choice (the key
// theme_init.js reads) is dark, or it is System and the system is set dark, and followed as the
// system's setting changes. A classic script in <head>, so it applies before the first paint.
(() => {
  const system = window.matchMedia("(prefers-color-scheme: dark)");
  let chosen = null;
  try {
    chosen = localStorage.getItem("trafficlens.theme");
  } catch {
    chosen = null; // storage refused: the system's setting
  }
  const apply = () => {
    const dark = chosen === "dark" || (chosen !== "light" && system.matches);
    document.documentElement.classList.toggle("dark-mode", dark);
  };
  apply();
  system.addEventListener("change", apply);
})();
