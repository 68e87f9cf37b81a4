// Colours for what CSS cannot colour: ECharts draws on a canvas or in SVG attributes, and the
// heatmap's cells mix two colours. Every colour is read from app.css's variables, so the light
// and dark palettes live in one place and a chart drawn after a theme change takes the new one.
//
// No state and no listeners here: pages import this module by a relative path, while the header
// loads js/theme_toggle.js, which changes the theme and then sends `tl:theme` on document.

// A CSS colour variable of the page's root (e.g. "--text"), as the browser resolved it for the
// theme in force; `fallback` where it is not set.
export function cssColour(name, fallback = "") {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

// "dark" or "light": the theme the page is drawn in now (a choice in the header, else the system's).
export function activeTheme() {
  const chosen = document.documentElement.dataset.theme;
  if (chosen === "dark" || chosen === "light") return chosen;
  return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

// Call `draw` again whenever the theme changes, after the charts took the new chart theme.
export function onThemeChange(draw) {
  document.addEventListener("tl:theme", () => draw());
}

// An ECharts theme from the palette: the texts, axes, grid lines, legend and tooltip a chart's
// option leaves to the theme. Pass it to echarts.init; theme_toggle.js gives every chart on the
// page a fresh one (setTheme) when the theme changes.
export function chartTheme() {
  const text = cssColour("--text", "#1b2430");
  const muted = cssColour("--muted", "#566372");
  const border = cssColour("--border", "#d8dde3");
  const faint = cssColour("--faint", "#9aa5b1");
  const surface = cssColour("--surface", "#ffffff");
  const axis = {
    axisLine: { lineStyle: { color: faint } },
    axisTick: { lineStyle: { color: faint } },
    axisLabel: { color: muted },
    splitLine: { lineStyle: { color: [border] } },
    nameTextStyle: { color: muted },
  };
  return {
    backgroundColor: "transparent",
    textStyle: { color: text },
    title: { textStyle: { color: muted }, subtextStyle: { color: muted } },
    legend: { textStyle: { color: muted }, inactiveColor: faint },
    tooltip: { backgroundColor: surface, borderColor: border, textStyle: { color: text } },
    categoryAxis: axis,
    valueAxis: axis,
    timeAxis: axis,
    logAxis: axis,
    sankey: { label: { color: text } },
  };
}

// WCAG's relative luminance of [r, g, b] (0-255 each).
function luminance([r, g, b]) {
  const linear = (c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

// WCAG's contrast ratio of two [r, g, b] colours (1 to 21).
export function contrastRatio(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// Black or white, whichever reads better on `background` ("rgb(r,g,b)" or [r, g, b]): one of
// them always reaches 4.5:1, which the palette's own text colours do not on every mid-tone.
export function textOn(background) {
  const rgb = Array.isArray(background) ? background : String(background).match(/\d+/g).map(Number);
  return contrastRatio(rgb, [0, 0, 0]) >= contrastRatio(rgb, [255, 255, 255]) ? "#000000" : "#ffffff";
}
