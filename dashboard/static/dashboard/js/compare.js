// Compare: two snapshots of a cluster side by side. The page's json_script holds
// GET /api/v1/clusters/{c}/compare/'s answer (dashboard/pages/compare.py): the headline before
// and after with the change, whether both were costed with the same volumes, the Services whose
// figures changed, and what changed in words (js/diff_words.js, as the timeline says it).
// A comparison is a fixed pair of snapshots: nothing here follows live snapshots.

import { diffList } from "./diff_words.js";
import { fill, h, pageData } from "./dom.js";
import { count, gb, NO_TRAFFIC, pct, perGb, sourceWord, times, usd, volumesSummary, when } from "./format.js";

const data = pageData("compare-data");
const answer = data.comparison;
const before = answer.figures.from;
const after = answer.figures.to;
const MINUS = "\u2212";
const SHOWN = 100; // Services listed in the table; the API lists them all

const $ = (id) => document.getElementById(id);

function servicePage(namespace, name, seq) {
  const path = data.serviceUrl.replace(/NAMESPACE\/NAME\/$/, () => `${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/`);
  return `${path}?snapshot=${seq}`;
}

function snapshotLink(ref) {
  return h("a", { href: `${data.clusterUrl}?snapshot=${ref.seq}` }, `snapshot ${ref.seq}`);
}

// --- the change in a figure -----------------------------------------------------------------

const points = (d) => `${(d * 100).toFixed(1)} pts`;
const plain = (d) => count(d);

// The change in the figure's own unit: "no change", or signed with whether it is better (lower is
// better for every figure but the Services count, which is neither).
function change(delta, write, judged = true) {
  if (delta === null || delta === undefined) return { text: "–" };
  if (Math.abs(delta) < 1e-12) return { text: "no change" };
  const text = `${delta > 0 ? "+" : MINUS}${write(Math.abs(delta))}`;
  return { text, kind: judged ? (delta > 0 ? "worse" : "better") : null };
}

function valueCell(col, label, value, write, none) {
  return h("td", { class: "num", dataset: { col, value: value ?? "" }, "data-label": label }, value === null || value === undefined ? none : write(value));
}

function headlineRows() {
  const limit = answer.overloadLimit;
  const rows = [
    ["cross-zone", "Cross-zone share of forwarded traffic", "crossZoneFraction", pct, points],
    // Weighted as the flow map weighs Services (the volumes note below says how).
    ["cost", after.weighting === "equal" ? "Cost per GB, mean (Services weighted equally)" : "Cost per GB, mean weighted by volume", "costPerGbMean", perGb, perGb],
    ["monthly", "A month crossing zones", "monthlyCost", usd, usd],
    ["dropped", "Client traffic dropped", "dropped", pct, points],
    ["overloaded", `Services above the overload limit (${times(limit, 1)})`, "overloadedServices", plain, plain],
    ["dropping", "Services dropping traffic", "droppingServices", plain, plain],
    ["services", "Services", "services", plain, plain, false],
  ];
  return rows.map(([id, label, key, write, writeDelta, judged]) => {
    const delta = answer.figures.delta[key];
    const shown = change(delta, writeDelta, judged !== false);
    const none = key === "monthlyCost" ? NO_TRAFFIC : "–";
    return h(
      "tr",
      { dataset: { figure: id } },
      h("th", { scope: "row" }, label),
      valueCell("before", `Snapshot ${before.seq}`, before[key], write, none),
      valueCell("after", `Snapshot ${after.seq}`, after[key], write, none),
      h(
        "td",
        { class: shown.kind ? `num delta delta--${shown.kind}` : "num delta", dataset: { col: "delta", value: delta ?? "" }, "data-label": "Change" },
        shown.text,
      ),
    );
  });
}

function headline() {
  fill(
    $("compare-figures"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "compare-figures", id: "figures-table" },
        h("caption", { class: "visually-hidden" }, `Headline figures of snapshot ${before.seq} and snapshot ${after.seq}, and the change`),
        h(
          "thead",
          {},
          h("tr", {}, ["Figure", `Snapshot ${before.seq}`, `Snapshot ${after.seq}`, "Change"].map((label, i) => h("th", { scope: "col", class: i ? "num" : null }, label))),
        ),
        h("tbody", {}, headlineRows()),
      ),
    ),
  );
}

// --- the volumes behind the monthly figures ---------------------------------------------------

const WEIGHTING = {
  volume: "each Service weighs its monthly volume",
  equal: "no traffic measured, Services weighted equally",
  mixed: "Services with a volume weigh it, the others the mean volume",
};

function fetchWords(side) {
  if (!side.fetchId) return "no volume fetch";
  const kind = side.kind === "simulated" ? "simulated volumes (demo model, not measured)" : "measured volumes";
  return `${kind} fetched ${when(side.fetchedAt)}`;
}

function volumesNote() {
  const v = answer.volumes;
  const el = $("compare-volumes");
  el.dataset.same = String(v.same);
  if (v.same && before.weighting === after.weighting) {
    const words = after.monthlyCost === null && before.monthlyCost === null
      ? `${NO_TRAFFIC[0].toUpperCase()}${NO_TRAFFIC.slice(1)} for either snapshot: no monthly figures, and Services weighted equally.`
      : `Both snapshots are costed with the same volumes, ${volumesSummary(after.volumes)}: ${WEIGHTING[after.weighting]}.`;
    el.className = "small muted";
    fill(el, words);
    return;
  }
  el.className = "banner banner--warning compare-volumes";
  if (v.same) {
    // One fetch, but Services came or went with or without a volume: the weights differ.
    fill(
      el,
      h("strong", {}, "Weighted differently: "),
      `both snapshots are costed with ${fetchWords(v.to)}, but in snapshot ${before.seq} ${WEIGHTING[before.weighting]}; `,
      `in snapshot ${after.seq} ${WEIGHTING[after.weighting]}. The shares and the mean cost per GB change with the weights too.`,
    );
    return;
  }
  fill(
    el,
    h("strong", {}, "Different volumes: "),
    `snapshot ${before.seq} is costed with ${fetchWords(v.from)} (${WEIGHTING[before.weighting]}), `,
    `snapshot ${after.seq} with ${fetchWords(v.to)} (${WEIGHTING[after.weighting]}). `,
    "Monthly figures, and shares weighted by volume, change with the traffic as well as with the routing.",
    v.from.manual || v.to.manual ? " Volumes set by hand are the cluster's, the same for both." : "",
  );
}

// --- the Services that changed --------------------------------------------------------------

// "33.3% → 0.0%" with the change under it; one side only for a Service added or removed.
function pairCell(col, label, row, key, write, writeDelta) {
  const x = row.from ? row.from[key] : undefined;
  const y = row.to ? row.to[key] : undefined;
  const known = (v) => v !== null && v !== undefined;
  const text = (v) => (v === undefined ? "–" : v === null ? NO_TRAFFIC : write(v));
  const delta = known(x) && known(y) ? y - x : null;
  const shown = change(delta, writeDelta);
  return h(
    "td",
    { class: "num compare-pair", dataset: { col, from: known(x) ? x : "", to: known(y) ? y : "" }, "data-label": label },
    // Neither side has a volume: said once.
    h("span", { class: "compare-pair__values" }, x === null && y === null ? NO_TRAFFIC : `${text(x)} → ${text(y)}`),
    delta !== null && shown.kind ? h("span", { class: `compare-pair__delta delta--${shown.kind}` }, shown.text) : null,
  );
}

function monthlyCell(row) {
  const cell = pairCell("monthly", "A month", row, "monthlyCost", usd, usd);
  const sources = [row.from, row.to].filter(Boolean).map((s) => s.volumeSource).filter(Boolean);
  if (sources.length) {
    const gbs = [row.from, row.to].map((s) => (s && s.monthlyGb !== null ? gb(s.monthlyGb) : "–")).join(" → ");
    cell.append(h("span", { class: "compare-pair__source small muted", title: `monthly volume ${gbs}` }, [...new Set(sources)].map(sourceWord).join(" / ")));
  }
  return cell;
}

function otherChanges(row) {
  const parts = [];
  if (row.from && row.to) {
    if (row.from.policy !== row.to.policy) parts.push(h("span", { class: "policy-change" }, h("span", { class: "policy" }, row.from.policy), "→", h("span", { class: "policy policy--to" }, row.to.policy)));
    if (row.from.dropped !== row.to.dropped) parts.push(`dropped ${pct(row.from.dropped)} → ${pct(row.to.dropped)}`);
    if (row.from.maxOverload !== row.to.maxOverload) parts.push(`overload ${times(row.from.maxOverload)} → ${times(row.to.maxOverload)}`);
  } else {
    const side = row.from || row.to;
    parts.push(h("span", { class: "policy" }, side.policy));
  }
  return parts.flatMap((p, i) => (i ? [h("br"), p] : [p]));
}

const CHANGE_WORDS = { added: "added", removed: "removed", changed: "changed" };

function serviceRow(row) {
  const seq = row.to ? after.seq : before.seq;
  return h(
    "tr",
    { dataset: { key: `${row.namespace}/${row.name}`, change: row.change } },
    h(
      "th",
      { scope: "row", class: "compare-service" },
      h("a", { href: servicePage(row.namespace, row.name, seq) }, `${row.namespace}/${row.name}`),
      " ",
      h("span", { class: `tag compare-change compare-change--${row.change}` }, CHANGE_WORDS[row.change]),
    ),
    h("td", { class: "compare-other", dataset: { col: "other" } }, otherChanges(row)),
    pairCell("cross-zone", "Cross-zone", row, "crossZoneFraction", pct, points),
    pairCell("cost", "Cost per GB", row, "costPerGb", perGb, perGb),
    monthlyCell(row),
  );
}

function services() {
  const rows = answer.services;
  $("services-count").textContent = rows.length
    ? `${count(rows.length)} Service${rows.length === 1 ? "" : "s"}`
    : "";
  if (!rows.length) {
    fill($("compare-services"), h("p", { class: "empty", id: "services-none" }, "No Service was added or removed, and none changed its policy or figures."));
    return;
  }
  const more = rows.length - SHOWN;
  fill(
    $("compare-services"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "compare-services", id: "services-table" },
        h("caption", { class: "visually-hidden" }, `Services that changed from snapshot ${before.seq} to snapshot ${after.seq}`),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Service"),
            h("th", { scope: "col" }, "Policy and other changes"),
            h("th", { scope: "col", class: "num" }, "Cross-zone"),
            h("th", { scope: "col", class: "num" }, "Cost per GB"),
            h("th", { scope: "col", class: "num" }, "A month"),
          ),
        ),
        h("tbody", {}, rows.slice(0, SHOWN).map(serviceRow)),
      ),
    ),
    more > 0 ? h("p", { class: "small muted" }, `And ${count(more)} more, largest change first: the API's answer lists them all.`) : null,
  );
}

// --- the page -----------------------------------------------------------------------------------

function title() {
  const backwards = before.seq > after.seq;
  fill(
    $("compare-title"),
    h("strong", {}, "Before: "),
    snapshotLink(answer.from),
    ` (${when(answer.from.takenAt)})`,
    h("span", { class: "compare-title__arrow", "aria-hidden": "true" }, " → "),
    h("strong", {}, "after: "),
    snapshotLink(answer.to),
    ` (${when(answer.to.takenAt)})`,
    backwards ? " (going back in time)" : "",
  );
}

function changes() {
  const serviceUrl = (s) => servicePage(s.namespace, s.name, after.seq);
  fill($("compare-changes"), diffList(answer.diff, serviceUrl));
}

title();
volumesNote();
headline();
services();
changes();
