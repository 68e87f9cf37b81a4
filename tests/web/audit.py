"""What every page of the product must pass, checked in the browser: structure, names, focus.

Each function takes a Playwright page that has loaded and settled, and returns a list of
offenders (readable strings); an empty list means the page passes that check.
"""

from typing import Any

# A short, readable description of an element, for the offender lists.
_DESCRIBE = """
function describe(el) {
  let s = el.tagName.toLowerCase();
  if (el.id) s += '#' + el.id;
  const cls = (el.getAttribute('class') || '').trim().split(/\\s+/).filter(Boolean);
  if (cls.length) s += '.' + cls.slice(0, 3).join('.');
  for (const a of ['type', 'name', 'role', 'href', 'data-policy']) {
    if (el.hasAttribute(a)) s += `[${a}="${el.getAttribute(a).slice(0, 60)}"]`;
  }
  const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
  if (text) s += ` "${text}"`;
  return s;
}
function shown(el) {
  if (!el.checkVisibility({checkVisibilityCSS: true})) return false;
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
}
function textOf(el) { return (el.textContent || '').trim().replace(/\\s+/g, ' '); }
function labelledBy(el) {
  const ids = (el.getAttribute('aria-labelledby') || '').trim().split(/\\s+/).filter(Boolean);
  return ids.map((id) => document.getElementById(id)).filter(Boolean).map(textOf).join(' ').trim();
}
// The accessible name, as far as the names this product may use: aria-labelledby, aria-label,
// an associated <label>, alt (images), value (input buttons), text (buttons), <title> (svg),
// and the title attribute as the last resort the accessible-name algorithm allows.
function accessibleName(el) {
  const by = labelledBy(el);
  if (by) return by;
  const aria = (el.getAttribute('aria-label') || '').trim();
  if (aria) return aria;
  if (el.labels && el.labels.length) {
    const t = Array.from(el.labels).map(textOf).join(' ').trim();
    if (t) return t;
  }
  const tag = el.tagName.toLowerCase();
  if (tag === 'img') return (el.getAttribute('alt') || '').trim();
  if (tag === 'input' && ['submit', 'button', 'reset'].includes(el.type)) {
    if ((el.value || '').trim()) return el.value.trim();
  }
  if (tag === 'button') {
    const t = textOf(el);
    if (t) return t;
    const alts = Array.from(el.querySelectorAll('img[alt]')).map((i) => i.alt.trim()).join(' ');
    if (alts.trim()) return alts.trim();
  }
  if (tag === 'svg') {
    const t = el.querySelector(':scope > title');
    if (t && textOf(t)) return textOf(t);
  }
  return (el.getAttribute('title') || '').trim();
}
"""

STRUCTURE = (
    "() => {"
    + _DESCRIBE
    + """
  const h1 = Array.from(document.querySelectorAll('h1'));
  const mains = Array.from(document.querySelectorAll('main'));
  return {
    title: document.title,
    h1: h1.map((e) => textOf(e)),
    h1Visible: h1.filter(shown).length,
    mains: mains.map((e) => e.id),
    skipLink: Array.from(document.querySelectorAll('a.skip-link'), (a) => a.getAttribute('href')),
  };
}"""
)

UNNAMED_CONTROLS = (
    "() => {"
    + _DESCRIBE
    + """
  const out = [];
  for (const el of document.querySelectorAll('input, select, textarea, button')) {
    if (el.type === 'hidden' || !shown(el)) continue;
    if (el.closest('[aria-hidden="true"]')) continue;
    if (!accessibleName(el)) out.push(describe(el));
  }
  return out;
}"""
)

UNNAMED_IMAGES = (
    "() => {"
    + _DESCRIBE
    + """
  const out = [];
  for (const el of document.querySelectorAll('img, svg[role="img"], [role="img"]')) {
    if (!shown(el) || el.closest('[aria-hidden="true"]')) continue;
    const role = el.getAttribute('role');
    if (role === 'presentation' || role === 'none') continue;
    // alt="" marks a decorative image on purpose: no name is the right name.
    if (el.tagName === 'IMG' && el.getAttribute('alt') === '') continue;
    if (!accessibleName(el)) out.push(describe(el));
  }
  return out;
}"""
)

# Charts: ECharts draws into a <canvas> (or an <svg> without a role); a screen reader sees
# nothing unless the chart's container is an image with a name, or the chart is hidden from it
# and described by text beside it (aria-describedby or a named figure/section).
UNNAMED_CHARTS = (
    "() => {"
    + _DESCRIBE
    + """
  const out = [];
  for (const el of document.querySelectorAll('canvas, [_echarts_instance_] svg')) {
    if (!shown(el)) continue;
    let ok = false;
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      if (a.getAttribute('aria-hidden') === 'true') { ok = true; break; }
      const role = a.getAttribute('role');
      if ((role === 'img' || role === 'figure' || a.tagName === 'FIGURE') && accessibleName(a)) {
        ok = true; break;
      }
      if (a.hasAttribute('_echarts_instance_') && (a.getAttribute('aria-label') || labelledBy(a))) {
        ok = true; break;
      }
    }
    if (!ok) {
      const chart = el.closest('[_echarts_instance_]') || el;
      out.push(describe(chart));
    }
  }
  return Array.from(new Set(out));
}"""
)

TABLE_PROBLEMS = (
    "() => {"
    + _DESCRIBE
    + """
  const out = [];
  for (const t of document.querySelectorAll('table')) {
    if (!shown(t)) continue;
    const cap = t.querySelector(':scope > caption');
    const named = (cap && textOf(cap)) || (t.getAttribute('aria-label') || '').trim()
      || labelledBy(t);
    if (!named) out.push(`${describe(t)}: no <caption>, aria-label or aria-labelledby`);
    if (!t.querySelector('th')) out.push(`${describe(t)}: no <th> header cells`);
    const tdInHead = t.querySelectorAll('thead td');
    if (tdInHead.length) out.push(`${describe(t)}: ${tdInHead.length} <td> in <thead> (use <th>)`);
    for (const th of t.querySelectorAll('tbody th')) {
      if (!th.hasAttribute('scope')) {
        out.push(`${describe(t)}: <th> in <tbody> without scope: ${describe(th)}`);
        break;
      }
    }
  }
  return out;
}"""
)

OVERFLOW = (
    "() => {"
    + _DESCRIBE
    + """
  const vw = window.innerWidth;
  const doc = document.documentElement.scrollWidth;
  const wide = [];
  if (doc > vw + 1) {
    for (const el of document.body.querySelectorAll('*')) {
      if (!shown(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.right <= vw + 1) continue;
      // Inside a box that scrolls sideways (e.g. .table-wrap): not the page's overflow.
      let clipped = false;
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const ox = getComputedStyle(a).overflowX;
        if (ox !== 'visible') { clipped = true; break; }
      }
      if (clipped) continue;
      // Report the outermost offenders only.
      const p = el.parentElement;
      if (p && p !== document.body && p.getBoundingClientRect().right > vw + 1) continue;
      wide.push(`${describe(el)} right edge ${Math.round(r.right)} px`);
    }
  }
  if (doc > vw + 1 && !wide.length) {
    // Nothing shown sticks out on its own: margins or a hidden box; name the widest boxes.
    const all = Array.from(document.body.querySelectorAll('*'))
      .map((el) => [el, el.getBoundingClientRect().right]).filter(([, r]) => r > vw + 1)
      .sort((a, b) => b[1] - a[1]).slice(0, 5);
    for (const [el, r] of all) wide.push(`${describe(el)} right edge ${Math.round(r)} px`);
  }
  return {viewport: vw, scrollWidth: doc, offenders: wide.slice(0, 12)};
}"""
)

# The focused element and whether it shows a focus indicator: an outline (style not none, some
# width, a colour that is not transparent) or a box-shadow, on the element itself or on an
# ancestor styled through :focus-within.
ACTIVE_FOCUS = (
    "() => {"
    + _DESCRIBE
    + """
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  function ring(e) {
    const cs = getComputedStyle(e);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0 &&
      !/rgba\\(\\d+, \\d+, \\d+, 0\\)|transparent/.test(cs.outlineColor);
    const shadow = cs.boxShadow && cs.boxShadow !== 'none';
    const style = `outline: ${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor};`
      + ` box-shadow: ${cs.boxShadow}`;
    return {outline, shadow, style};
  }
  const own = ring(el);
  let visible = own.outline || own.shadow;
  if (!visible) {
    for (let a = el.parentElement, i = 0; a && i < 3; a = a.parentElement, i++) {
      if (a.matches(':focus-within') && ring(a).outline) { visible = true; break; }
    }
  }
  const r = el.getBoundingClientRect();
  return {
    what: describe(el),
    isSkipLink: el.classList.contains('skip-link'),
    visible,
    onScreen: r.width > 0 && r.height > 0,
    focusVisible: el.matches(':focus-visible'),
    style: own.style,
  };
}"""
)


# "From the top": a page may autofocus a field (sign-in does); put the sequential focus
# navigation starting point before everything else, so the next Tab goes to the first stop.
FOCUS_TOP = """() => {
  document.activeElement && document.activeElement.blur();
  const top = document.createElement('span');
  top.id = 'audit-top';
  top.tabIndex = -1;
  top.setAttribute('aria-hidden', 'true');
  document.body.prepend(top);
  top.focus({preventScroll: true});
  window.scrollTo(0, 0);
  return document.activeElement === top;
}"""

AUTOFOCUSED = """() => {
  const el = document.activeElement;
  return el && el !== document.body ? (el.id || el.tagName.toLowerCase()) : null;
}"""


def focus_top(page) -> bool:
    return page.evaluate(FOCUS_TOP)


def autofocused(page) -> str | None:
    return page.evaluate(AUTOFOCUSED)


def structure(page) -> dict[str, Any]:
    return page.evaluate(STRUCTURE)


def unnamed_controls(page) -> list[str]:
    return page.evaluate(UNNAMED_CONTROLS)


def unnamed_images(page) -> list[str]:
    return page.evaluate(UNNAMED_IMAGES)


def unnamed_charts(page) -> list[str]:
    return page.evaluate(UNNAMED_CHARTS)


def table_problems(page) -> list[str]:
    return page.evaluate(TABLE_PROBLEMS)


def overflow(page) -> dict[str, Any]:
    return page.evaluate(OVERFLOW)


def active_focus(page) -> dict[str, Any] | None:
    return page.evaluate(ACTIVE_FOCUS)
