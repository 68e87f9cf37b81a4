// A tiny element builder: h("td", {class: "num"}, "12%"). Text is always set as text, never HTML,
// so names from the cluster cannot inject markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Replace an element's children in one step (no flash of an empty table).
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

// Mark a figure a new snapshot just changed: it flashes for 2 s (app.css `.changed`; an outline
// under reduced motion), so what moved catches the eye without anything else moving.
export function flash(el) {
  el.classList.remove("changed");
  void el.offsetWidth; // restart the animation when the same figure changes again within 2 s
  el.classList.add("changed");
  setTimeout(() => el.classList.remove("changed"), 2000);
}

// The JSON a template put in a <script type="application/json" id=...> with json_script.
export function pageData(id) {
  const el = document.getElementById(id);
  return el ? JSON.parse(el.textContent) : null;
}

// Copy `text` to the clipboard; true when it worked. Where the browser refuses (no permission,
// an insecure origin), select `el`'s contents instead so that Ctrl+C does it, and return false.
export async function copyText(text, el) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const range = document.createRange();
    range.selectNodeContents(el);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return false;
  }
}

// A block of text to copy (a command, a manifest) with its label and copy button. The button
// carries `data-<copyKey>` = the <pre>'s id, so each page's click handler finds what to copy.
export function changeBlock(id, label, button, content, copyKey = "copy") {
  return h(
    "div",
    { class: "change-block" },
    h(
      "div",
      { class: "change-block__head" },
      h("span", { id: `${id}-label` }, label),
      h("button", { type: "button", class: "button button--secondary", dataset: { [copyKey]: id }, "aria-describedby": `${id}-label` }, button),
    ),
    h("pre", { class: "change", id }, content),
  );
}

// A Service page's path from the server's reversed URL with the placeholders NAMESPACE and NAME
// (".../services/NAMESPACE/NAME/"): both are replaced in one step, so a namespace that contains
// "NAME" stays whole, and each is encoded as one path segment.
// A Service page's path; on a page pinned to a snapshot (?snapshot=SEQ) the link keeps the pin.
export function servicePath(template, namespace, name) {
  const path = template.replace(/NAMESPACE\/NAME\/$/, () => `${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/`);
  const pinned = document.body.dataset.pinnedSeq;
  return pinned ? `${path}?snapshot=${encodeURIComponent(pinned)}` : path;
}
