// Recommendations: per Service, the policy that would do better, why, what it saves and the exact
// change to apply (kubectl one-liner and YAML, each with a copy button). First paint from the
// page's json_script; pages and live refreshes (tl:snapshot) from /api/v1/.

import { api, clusterApi } from "./api.js";
import { copyText, fill, h, pageData, servicePath } from "./dom.js";
import { count, gb, NO_TRAFFIC, pct, perGb, sourceWord, times, usd, when } from "./format.js";
import { wrappable } from "./code_text.js";

const cluster = document.body.dataset.cluster;
const data = pageData("recommendations-data");
const state = { ...data, page: 1 };
const MAX_PAGE = 1000; // the API's largest page, for the saving total

const list = document.getElementById("recs");
const empty = document.getElementById("recs-empty");
const pager = document.getElementById("rec-pager");
const announce = document.getElementById("copy-announce");
const refreshError = document.getElementById("refresh-error");

function serviceUrl(item) {
  return servicePath(data.serviceUrl, item.namespace, item.name);
}

function volumeUrl(item) {
  return `${data.settingsUrl}?q=${encodeURIComponent(`${item.namespace}/${item.name}`)}#volumes`;
}

async function copy(text, pre, status) {
  status.textContent = (await copyText(text, pre)) ? "Copied" : "Selected: press Ctrl+C to copy";
  announce.textContent = status.textContent;
  setTimeout(() => {
    status.textContent = "";
  }, 4000);
}

function codeBlock(label, text, copyLabel, kind) {
  // The one-line command wraps between its words; the YAML keeps its own lines.
  const pre = h("pre", { class: "change" }, h("code", {}, kind === "kubectl" ? wrappable(text) : text));
  const status = h("span", { class: "copy-status", "aria-hidden": "true" });
  return h(
    "div",
    { class: "code-block", dataset: { kind } },
    h(
      "div",
      { class: "code-block__bar" },
      h("span", { class: "label" }, label),
      h("span", {}, status, " ",
        h("button", { type: "button", class: "button button--secondary button--small", "aria-label": copyLabel, onclick: () => copy(text, pre, status) }, "Copy")),
    ),
    pre,
  );
}

function figure(term, value, cls) {
  return h("div", {}, h("dt", {}, term), h("dd", { class: cls }, value));
}

function savingPerGb(item) {
  const v = item.costPerGbSaved;
  if (Math.abs(v) < 1e-12) return ["no change", null];
  return v > 0 ? [perGb(v), "good"] : [`costs ${perGb(-v)} more`, "bad"];
}

function savingPerMonth(item) {
  if (item.monthlySaved === null) {
    return [[h("span", { class: "no-volume" }, NO_TRAFFIC), " · ", h("a", { href: volumeUrl(item) }, "set a volume")], null];
  }
  const v = item.monthlySaved;
  if (Math.abs(v) < 1e-9) return ["no change", null];
  return v > 0 ? [usd(v), "good"] : [`costs ${usd(-v)} more`, "bad"];
}

// A span of time, to the unit that matters: "45 s", "12 min", "3 h 5 min", "2 d 4 h".
function span(seconds) {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  const [d, hours, min] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  return d > 0 ? `${d} d${hours ? ` ${hours} h` : ""}` : `${hours} h${min ? ` ${min} min` : ""}`;
}

// How long the leading advice has held up to this snapshot (routing/figures/stability.py): a
// flapping recommendation reads "new in this snapshot" or a few minutes, and is marked.
function stableLine(since) {
  if (!since) return null;
  if (since.changedHere) {
    return h(
      "p",
      { class: "rec__stable rec__stable--new small", dataset: { stableSeconds: "0" } },
      "New in this snapshot: the advice was other or absent in the one before",
    );
  }
  if (since.seq === state.snapshot) {
    return h("p", { class: "rec__stable small muted", dataset: { stableSeconds: "0" } }, "Seen in this snapshot only: no earlier one kept");
  }
  const kept = since.atLeast ? ", the oldest snapshot kept" : "";
  return h(
    "p",
    { class: "rec__stable small muted", dataset: { stableSeconds: String(since.seconds) } },
    `Stable for ${since.atLeast ? "at least " : ""}${span(since.seconds)}`,
    ` (the same advice since snapshot ${since.seq}${kept}, ${when(since.takenAt)})`,
  );
}

function card(item, rank) {
  const name = `${item.namespace}/${item.name}`;
  const best = item.fixes[0] || null;
  const [perGbText, perGbClass] = savingPerGb(item);
  const [monthText, monthClass] = savingPerMonth(item);
  return h(
    "li",
    {},
    h(
      "article",
      { class: "card rec", "aria-labelledby": `rec-${rank}`, dataset: { service: name } },
      h(
        "div",
        { class: "rec__head" },
        h("span", { class: "rec__rank" }, `#${rank}`),
        h("h3", { id: `rec-${rank}` }, h("a", { href: serviceUrl(item) }, name)),
        item.recommendedPolicy === null
          ? h("span", { class: "policy policy--to", dataset: { fixKind: best.kind } }, `fix: ${best.kind}`)
          : h(
              "span",
              { class: "policy-change", "aria-label": `from ${item.currentPolicy} to ${item.recommendedPolicy}` },
              h("span", { class: "policy" }, item.currentPolicy),
              h("span", { "aria-hidden": "true" }, "→"),
              h("span", { class: "policy policy--to" }, item.recommendedPolicy),
            ),
      ),
      stableLine(item.stableSince),
      h("p", { class: "rec__reason" }, item.reason),
      h(
        "dl",
        { class: "figures" },
        figure("Cross-zone share after", pct(item.crossZoneFraction)),
        figure(
          "Overload after",
          // The limit is a note beside the figure: it wraps as a whole, under it when narrow.
          [h("span", { class: "figures__value" }, times(item.maxOverload)), " ",
            item.overloadLimit === null ? null : h("span", { class: "figures__note" }, `(limit ${times(item.overloadLimit, 1)})`)],
          item.overloadLimit !== null && item.maxOverload > item.overloadLimit ? "bad" : null,
        ),
        figure("Saving per GB", perGbText, perGbClass),
        figure(
          item.monthlyGb === null ? "Saving per month" : `Saving per month (${gb(item.monthlyGb)}, ${sourceWord(item.volumeSource)})`,
          monthText,
          monthClass,
        ),
      ),
      ...applyBlocks(item, best, name),
      otherFixes(item),
    ),
  );
}

// The policy's kubectl line and YAML; without a policy, the best fix's commands (if it has any:
// more endpoints need the owning workload, which is not known yet).
function applyBlocks(item, best, name) {
  if (item.change !== null) {
    return [
      codeBlock("Apply with kubectl", item.change, `Copy the kubectl command for ${name}`, "kubectl"),
      h("details", {}, h("summary", {}, "As a YAML merge patch"),
        codeBlock("Merge patch (YAML)", item.yaml, `Copy the YAML patch for ${name}`, "yaml")),
    ];
  }
  if (!best.commands.length) return [h("p", { class: "rec__tradeoff" }, `Trade-off: ${best.tradeoff}.`)];
  return [
    codeBlock("Commands", best.commands.join("\n"), `Copy the commands for ${name}`, "kubectl"),
    h("p", { class: "rec__tradeoff" }, `Trade-off: ${best.tradeoff}.`),
  ];
}

// Fixes beyond the one shown (the row leads with the best one), each with the engine's figures.
function otherFixes(item) {
  const others = item.fixes.slice(1);
  if (!others.length) return null;
  return h(
    "details",
    { class: "rec__fixes" },
    h("summary", {}, `Other verified fixes (${others.length})`),
    h("ul", {}, ...others.map((fix) => h("li", { dataset: { fixKind: fix.kind } },
      h("strong", {}, fix.kind), `: ${fix.summary} After: cross-zone ${pct(fix.after.crossZoneFraction)}, `
        + `dropped ${pct(fix.after.dropped)}, overload ${times(fix.after.maxOverload)}.`))),
  );
}

function render() {
  const offset = (state.page - 1) * state.pageSize;
  fill(list, state.results.map((item, i) => card(item, offset + i + 1)));
  if (state.snapshot === null) {
    empty.textContent = "No snapshot yet: upload a dump or wait for the watcher's first snapshot.";
  } else if (state.services === 0) {
    empty.textContent = "The latest snapshot has no Services.";
  } else {
    empty.textContent = "No Service would do better with another policy or a verified fix.";
  }
  empty.hidden = state.count > 0;
  const pages = Math.max(1, Math.ceil(state.count / state.pageSize));
  pager.hidden = pages <= 1;
  document.getElementById("page-info").textContent = `Page ${state.page} of ${pages}`;
  document.getElementById("page-prev").disabled = state.page <= 1;
  document.getElementById("page-next").disabled = state.page >= pages;

  document.getElementById("stat-count").textContent = count(state.count);
  const saving = document.getElementById("stat-saving");
  const label = document.getElementById("stat-saving-label");
  if (state.monthlySaved === null) {
    saving.textContent = "–";
    fill(
      label,
      "Monthly saving: ",
      h("span", { class: "no-volume" }, NO_TRAFFIC),
      " · ",
      h("a", { href: `${data.settingsUrl}#traffic-source` }, "measure or set volumes in Settings"),
    );
  } else {
    saving.textContent = usd(state.monthlySaved);
    const rest = state.count - state.withVolume;
    fill(
      label,
      `Monthly saving over ${count(state.withVolume)} Service${state.withVolume === 1 ? "" : "s"} with a volume`,
      ` (${sourcesText(state.bySource)})`,
      rest > 0 ? `; ${count(rest)} more with ${NO_TRAFFIC}` : "",
    );
  }
  document.getElementById("stat-topology").textContent =
    state.snapshot === null ? "–" : `${count(state.usingTopology)} of ${count(state.services)}`;
  document.getElementById("no-topology").hidden = !(state.snapshot !== null && state.services > 0 && state.usingTopology === 0);
  document.getElementById("rec-snapshot").textContent =
    state.snapshot === null ? "" : `From snapshot ${state.snapshot}`;
}

async function loadPage(page) {
  // A pinned page (?snapshot=SEQ) pages through its own snapshot.
  const pinned = document.body.dataset.pinnedSeq;
  const params = { page, page_size: state.pageSize, ...(pinned ? { snapshot: pinned } : {}) };
  const answer = await api.get(clusterApi(cluster, "recommendations/"), params);
  state.page = page;
  state.count = answer.count;
  state.results = answer.results;
  state.snapshot = answer.snapshot ? answer.snapshot.seq : null;
  return answer;
}

// "3 measured, 1 set by hand": how many of the Services with a volume got it from where.
function sourcesText(bySource) {
  return ["measured", "simulated", "manual"]
    .filter((kind) => bySource && bySource[kind])
    .map((kind) => `${count(bySource[kind])} ${sourceWord(kind)}`)
    .join(", ");
}

// The total monthly saving: recommendations with a volume come first in the ranking, so pages
// are read only until the first one without.
async function loadTotal(seq) {
  let total = null;
  let known = 0;
  const bySource = { measured: 0, simulated: 0, manual: 0 };
  for (let page = 1; ; page += 1) {
    const answer = await api.get(clusterApi(cluster, "recommendations/"), { page, page_size: MAX_PAGE, snapshot: seq });
    let done = !answer.next;
    for (const item of answer.results) {
      if (item.monthlySaved === null) {
        done = true;
        break;
      }
      total = (total || 0) + item.monthlySaved;
      known += 1;
      if (item.volumeSource in bySource) bySource[item.volumeSource] += 1;
    }
    if (done) break;
  }
  state.monthlySaved = total;
  state.withVolume = known;
  state.bySource = bySource;
}

// How many Services declare a topology policy (the mechanism filter of the Services list).
async function loadTopology(seq) {
  const [all, dist, auto] = await Promise.all(
    [undefined, "trafficDistribution", "topologyAuto"].map((mechanism) =>
      api.get(clusterApi(cluster, "services/"), { snapshot: seq, mechanism, page_size: 1 }),
    ),
  );
  state.services = all.count;
  state.usingTopology = dist.count + auto.count;
}

async function refresh(page) {
  try {
    await loadPage(page);
    if (state.snapshot !== null) {
      await Promise.all([loadTotal(state.snapshot), loadTopology(state.snapshot)]);
    }
    refreshError.hidden = true;
    render();
  } catch (err) {
    if (err.status === 404 && state.snapshot === null) return; // still no snapshot
    refreshError.textContent = `The recommendations could not be refreshed: ${err.message}`;
    refreshError.hidden = false;
  }
}

async function turn(page) {
  try {
    await loadPage(page);
    render();
    list.querySelector("h3 a")?.focus();
  } catch (err) {
    refreshError.textContent = `That page could not be loaded: ${err.message}`;
    refreshError.hidden = false;
  }
}

document.getElementById("page-prev").addEventListener("click", () => turn(state.page - 1));
document.getElementById("page-next").addEventListener("click", () => turn(state.page + 1));

// A new snapshot can change every ranking: back to the first page, with fresh totals.
document.addEventListener("tl:snapshot", (event) => {
  if (event.detail.cluster === cluster) refresh(1);
});

render();
