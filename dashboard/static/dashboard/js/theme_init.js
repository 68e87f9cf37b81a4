// The colour theme the browser chose, applied before the first paint so that a dark page never
// flashes light. A classic script in <head> (a module would run after the paint); js/theme.js
// wires the header's control and follows the system's setting.
try {
  const choice = localStorage.getItem("trafficlens.theme");
  if (choice === "light" || choice === "dark") document.documentElement.dataset.theme = choice;
} catch {
  // Storage refused (private mode): the page follows the system's setting.
}
