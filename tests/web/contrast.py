"""Text contrast as the browser draws it (WCAG 2.2, 1.4.3): every visible piece of text against
the background under it, 4.5:1 (3:1 for large text: 24 px, or 18.66 px bold).

HTML text: its computed colour over its ancestors' backgrounds (walked up to the first opaque
one, translucent ones composited), its ancestors' opacity applied. SVG text (the topology
picture, ECharts' SVG charts): its fill over what is painted under its middle
(document.elementsFromPoint), or over its own halo (`paint-order: stroke`, as the topology
picture's arrow labels have). Canvas charts have no text to walk: their axis, legend, title and
label colours are read from the ECharts model against the chart's background.

Not counted (WCAG's own exceptions): disabled controls and the inactive choice of the upload
form, placeholders, and marks that are not words (sort arrows, check marks). Each function
takes a page that has settled and returns readable offenders; [] means it passes.
"""

from typing import Any

_COLOURS = """
function parse(c) {
  const m = /rgba?\\(([^)]+)\\)/.exec(c || '');
  if (!m) return null;
  const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}
function over(top, under) {  // top [r,g,b,a] over opaque under [r,g,b]
  const a = top[3];
  return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a));
}
function lum(rgb) {
  const f = (v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * f(rgb[0]) + 0.7152 * f(rgb[1]) + 0.0722 * f(rgb[2]);
}
function ratio(a, b) {
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}
function hex(rgb) {
  return '#' + rgb.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
}
function describe(el) {
  let s = el.tagName.toLowerCase();
  if (el.id) s += '#' + el.id;
  const cls = (el.getAttribute('class') || '').trim().split(/\\s+/).filter(Boolean);
  if (cls.length) s += '.' + cls.slice(0, 3).join('.');
  const text = (el.textContent || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
  if (text) s += ` "${text}"`;
  return s;
}
// The opaque colour behind `el`: its own and its ancestors' backgrounds, bottom up.
function backdrop(el) {
  const layers = [];
  for (let a = el; a; a = a.parentElement) {
    const c = parse(getComputedStyle(a).backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let out = [255, 255, 255];  // the canvas
  for (const c of layers.reverse()) out = over(c, out);
  return out;
}
function opacityOf(el) {
  let o = 1;
  for (let a = el; a; a = a.parentElement) o *= Number(getComputedStyle(a).opacity);
  return o;
}
// What is painted under the middle of an SVG text: shapes' fills, then HTML backgrounds.
function svgBackdrop(el) {
  const cs = getComputedStyle(el);
  const halo = parse(cs.stroke);
  const haloed = cs.paintOrder.startsWith('stroke') && parseFloat(cs.strokeWidth) >= 3;
  if (haloed && halo && halo[3] > 0) {
    return over(halo, backdrop(el.ownerSVGElement.parentElement));
  }
  el.scrollIntoView({block: 'center', inline: 'center'});
  const r = el.getBoundingClientRect();
  const stack = document.elementsFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  const layers = [];
  for (const a of stack) {
    if (a === el || a.closest('text')) continue;
    if (a instanceof SVGElement && !(a instanceof SVGSVGElement)) {
      const s = getComputedStyle(a);
      const fill = parse(s.fill);
      if (!fill || s.fill === 'none') continue;
      const alpha = fill[3] * Number(s.fillOpacity) * opacityOf(a);
      if (alpha > 0) layers.push([fill[0], fill[1], fill[2], alpha]);
      if (alpha >= 1) break;
      continue;
    }
    const c = parse(getComputedStyle(a).backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let out = [255, 255, 255];
  for (const c of layers.reverse()) out = over(c, out);
  return out;
}
function large(px, weight) {
  return px >= 24 || (px >= 18.66 && weight >= 700);
}
"""

TEXT_CONTRAST = (
    "() => {"
    + _COLOURS
    + """
  const out = [];
  let checked = 0;
  const EXEMPT = ':disabled, [aria-disabled="true"], .choice-body--inactive, option';
  const CONTROLS = 'input:not([type=checkbox]):not([type=radio]):not([type=file])'
    + ':not([type=hidden]), select, textarea';
  function check(el, colour, back, px, weight, what, alpha = 1) {
    const fg = parse(colour);
    if (!fg) return;
    const seen = over([fg[0], fg[1], fg[2], fg[3] * alpha * opacityOf(el)], back);
    const need = large(px, weight) ? 3 : 4.5;
    const r = ratio(seen, back);
    checked += 1;
    if (r + 1e-6 < need) {
      out.push(`${what}: ${hex(seen)} on ${hex(back)} is ${r.toFixed(2)}:1, needs ${need}:1`
        + ` (${px.toFixed(1)}px, ${weight})`);
    }
  }
  for (const el of document.querySelectorAll('body *')) {
    if (['SCRIPT', 'STYLE', 'OPTION', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName)) continue;
    if (el.closest('title, desc, defs')) continue;
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: false})) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1) continue;  // visually hidden (.visually-hidden)
    if (el.closest(EXEMPT)) continue;
    const cs = getComputedStyle(el);
    const svgText = el instanceof SVGElement;
    const ownText = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    const control = el.matches(CONTROLS) && (el.value || '').trim();
    if (ownText || control) {
      const scale = svgText && el.getScreenCTM ? Math.abs(el.getScreenCTM().a) : 1;
      const px = parseFloat(cs.fontSize) * scale;
      const weight = Number(cs.fontWeight) || 400;
      if (svgText) {
        check(el, cs.fill, svgBackdrop(el), px, weight, describe(el), Number(cs.fillOpacity));
      } else {
        check(el, cs.color, backdrop(el), px, weight, describe(el));
      }
    }
    if (svgText) continue;
    for (const pseudo of ['::before', '::after']) {
      const ps = getComputedStyle(el, pseudo);
      const words = /[A-Za-z0-9]/.test(ps.content.replace(/^(none|normal)$/, ''));
      if (ps.display === 'none' || !words) continue;
      check(el, ps.color, backdrop(el), parseFloat(ps.fontSize), Number(ps.fontWeight) || 400,
        `${describe(el)}${pseudo} ${ps.content.slice(0, 30)}`);
    }
  }
  return {checked, failures: Array.from(new Set(out))};
}"""
)

# ECharts' canvas charts: the colours the model resolved for their texts (theme and option).
CHART_CONTRAST = (
    "() => {"
    + _COLOURS
    + """
  const out = [];
  let checked = 0;
  for (const dom of document.querySelectorAll('[_echarts_instance_]')) {
    if (!dom.checkVisibility() || !dom.querySelector('canvas')) continue;
    const chart = window.echarts.getInstanceByDom(dom);
    const model = chart.getModel();
    const back = backdrop(dom);
    const base = model.get(['textStyle', 'color']);
    const texts = [];
    for (const type of ['xAxis', 'yAxis']) {
      for (const axis of model.findComponents({mainType: type})) {
        if (axis.get(['axisLabel', 'show']) === false) continue;
        texts.push([`${type} labels`, axis.get(['axisLabel', 'color']) || base, 12]);
      }
    }
    for (const legend of model.findComponents({mainType: 'legend'})) {
      texts.push(['legend', legend.get(['textStyle', 'color']) || base, 12]);
    }
    for (const title of model.findComponents({mainType: 'title'})) {
      if (title.get('show') === false || !title.get('text')) continue;
      const px = title.get(['textStyle', 'fontSize']) || 18;
      texts.push(['title', title.get(['textStyle', 'color']) || base, px]);
    }
    model.eachSeries((series) => {
      if (!series.get(['label', 'show'])) return;
      texts.push([`${series.name} label`, series.get(['label', 'color']) || base, 12]);
    });
    for (const [what, colour, px] of texts) {
      const probe = document.createElement('span');
      probe.style.color = colour;
      document.body.append(probe);
      const fg = parse(getComputedStyle(probe).color);
      probe.remove();
      checked += 1;
      if (!fg) { out.push(`${dom.id || 'chart'} ${what}: no colour (${colour})`); continue; }
      const seen = over(fg, back);
      const r = ratio(seen, back);
      if (r < (px >= 24 ? 3 : 4.5)) {
        out.push(`${dom.id || 'chart'} ${what}: ${hex(seen)} on ${hex(back)} is ${r.toFixed(2)}:1`);
      }
    }
  }
  return {checked, failures: out};
}"""
)


def text_contrast(page) -> dict[str, Any]:
    """{"checked": N, "failures": [...]} over every visible text of the page."""
    return page.evaluate(TEXT_CONTRAST)


def chart_contrast(page) -> dict[str, Any]:
    """{"checked": N, "failures": [...]} over the canvas charts' texts."""
    return page.evaluate(CHART_CONTRAST)
