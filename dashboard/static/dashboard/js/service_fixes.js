// The Service page's "Fixes" list: the verified fixes of the stored report (routing.fixes), best
// first, each with the engine's figures after it, its commands to copy and, when it has a what-if
// body and the page has the what-if panel (editors), "Try it", which fills the panel and asks.
// Every string here can come from the cluster: DOM nodes and textContent only.

import { pct, perGb, times } from "./format.js";
import { changeBlock, copyText, fill, h } from "./dom.js";
import { fillWhatIf, submitWhatIf } from "./whatif_panel.js";

const KIND_WORDS = {
  "await-controller": "Let the controller catch up",
  "label-node": "Label the node's zone",
  "fix-readiness": "Make the endpoints ready",
  "spread-workload": "Move endpoints to the zones that need them",
  "add-endpoints": "Run more endpoints",
  "internal-traffic-policy": "Change internalTrafficPolicy",
  "remove-stale-hints": "Remove stale hints",
  "migrate-annotation": "Correct the topology annotation",
  "set-policy": "Switch the policy",
};

function after(fix, limit) {
  const a = fix.after;
  return h(
    "dl",
    { class: "fix__after" },
    ...[
      ["Cross-zone after", pct(a.crossZoneFraction)],
      ["Dropped after", pct(a.dropped)],
      ["Overload after", `${times(a.maxOverload)} (limit ${times(limit, 1)})`],
      ["Cost per GB after", perGb(a.costPerGb)],
    ].map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))),
  );
}

function commands(fix, i) {
  if (!fix.commands.length) return null;
  const id = `fix-${i}-commands`;
  const label = fix.commands.length === 1 ? "Command" : "Commands";
  return changeBlock(id, label, "Copy", fix.commands.join("\n"), "fixCopy");
}

function tryIt(fix, i) {
  if (!fix.whatIf || !document.getElementById("whatif-form")) return null;
  return h("button", { type: "button", class: "button", dataset: { fixTry: String(i) } }, "Fill the what-if panel with it");
}

function card(fix, i, limit) {
  return h(
    "li",
    { class: "card fix", dataset: { fixKind: fix.kind } },
    h("h4", {}, `${i + 1}. ${KIND_WORDS[fix.kind] || fix.kind}`, " ", h("span", { class: "tag" }, fix.kind)),
    h("p", { class: "fix__summary" }, fix.summary),
    after(fix, limit),
    h("p", { class: "fix__tradeoff muted small" }, `Trade-off: ${fix.tradeoff}.`),
    commands(fix, i),
    h("div", { class: "fix__actions" }, tryIt(fix, i), h("span", { class: "fix__status", role: "status", "aria-live": "polite" })),
  );
}

let shown = [];

export function renderFixes(d, limit) {
  const el = document.getElementById("fixes");
  if (!el) return;
  shown = d.fixes || [];
  if (!d.fixes) {
    fill(el, h("p", { class: "empty" }, "This snapshot was stored before fixes were searched."));
  } else if (!shown.length) {
    const words = d.noFixReason
      ? `No fix found: ${d.noFixReason}.`
      : "Nothing to fix: no warning, and no better policy.";
    fill(el, h("p", { class: "empty", id: "no-fix" }, words));
  } else {
    fill(el, h("ol", { class: "fix-list" }, ...shown.map((fix, i) => card(fix, i, limit))));
  }
}

document.addEventListener("click", async (event) => {
  const copy = event.target.closest("button[data-fix-copy]");
  if (copy) {
    const source = document.getElementById(copy.dataset.fixCopy);
    const status = copy.closest(".fix").querySelector(".fix__status");
    status.textContent = (await copyText(source.textContent, source))
      ? "Copied to the clipboard."
      : "The browser refused the clipboard: the text is selected, copy it with Ctrl+C.";
    return;
  }
  const tryButton = event.target.closest("button[data-fix-try]");
  if (tryButton) {
    const fix = shown[Number(tryButton.dataset.fixTry)];
    if (!fix) return;
    fillWhatIf(fix.whatIf);
    document.getElementById("whatif").scrollIntoView({ block: "start" });
    await submitWhatIf();
  }
});
