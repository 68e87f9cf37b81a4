// The header's colour theme control: System, Light or Dark, kept per browser (localStorage; read
// again before the next page's first paint by theme_init.js). When the theme drawn changes (a
// choice here, in another tab, or the system's own setting under System) every chart on the page
// takes a chart theme of the new palette and `tl:theme` is sent on document, so that pages redraw
// what they coloured themselves (js/theme.js: onThemeChange).
//
// Loaded once per page by base.html, never imported: a page's modules import js/theme.js, which
// holds no state, so a second copy of either (hashed static names) changes nothing.

import { activeTheme, chartTheme } from "./theme.js";

const KEY = "trafficlens.theme";
const root = document.documentElement;
const select = document.getElementById("theme-mode");
let drawn = activeTheme();

function show(theme) {
  root.dataset.themeShown = theme; // read by the browser tests: the theme the page is drawn in
}

function retheme() {
  const now = activeTheme();
  if (now === drawn) return;
  drawn = now;
  const theme = chartTheme();
  for (const el of document.querySelectorAll("[_echarts_instance_]")) {
    const chart = window.echarts && window.echarts.getInstanceByDom(el);
    if (chart && !chart.isDisposed()) chart.setTheme(theme);
  }
  show(now);
  document.dispatchEvent(new CustomEvent("tl:theme", { detail: { theme: now } }));
}

function apply(choice) {
  if (choice === "light" || choice === "dark") root.dataset.theme = choice;
  else delete root.dataset.theme;
  if (select) select.value = root.dataset.theme || "system";
  retheme();
}

function choose(choice) {
  try {
    if (choice === "light" || choice === "dark") localStorage.setItem(KEY, choice);
    else localStorage.removeItem(KEY);
  } catch {
    // Storage refused (private mode): the choice lasts for this page only.
  }
  apply(choice);
}

if (select) {
  select.value = root.dataset.theme || "system";
  select.addEventListener("change", () => choose(select.value));
}
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", retheme);
window.addEventListener("storage", (event) => {
  if (event.key === KEY) apply(event.newValue || "system");
});
show(drawn);
