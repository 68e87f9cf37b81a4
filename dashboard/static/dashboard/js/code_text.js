// A long one-line command (kubectl patch with its JSON) for a <pre>: it may wrap at spaces and
// after a comma, brace, colon or slash, never inside a word such as "topology-mode" (browsers
// break after any hyphen). Each piece is a span the stylesheet keeps whole (.code-piece), with a
// <wbr> between pieces; the text, and so what is copied or selected, is unchanged.

import { h } from "./dom.js";

export function wrappable(text) {
  return text
    .split(/(?<=[\s,{:/])/)
    .flatMap((piece, i) => [i ? h("wbr") : null, h("span", { class: "code-piece" }, piece)]);
}
