// One Service: draws its endpoints, what kube-proxy does (in words and as a sankey), the policy
// comparison, diagnostics, the recommendation and the history chart from its report, and re-reads
// the report (GET /api/v1/clusters/<c>/services/<ns>/<name>/) when a snapshot of the cluster lands.
// The "What if…" panel is whatif_panel.js, started here with this page's renderers.

import { api, clusterApi } from "./api.js";
import { FLOW_COLOURS, gb, NO_TRAFFIC, pct, perGb, sourceWord, times, usd, volumeLabel, when } from "./format.js";
import { changeBlock, copyText, fill, h, pageData, svg } from "./dom.js";
import { wrappable } from "./code_text.js";
import { chartTheme, onThemeChange } from "./theme.js";
import { axisBounds, LABEL_SIZE, TIME_LABELS } from "./time_axis.js";
import { initWhatIf, updateWhatIf } from "./whatif_panel.js";
import { renderFixes } from "./service_fixes.js";
import { NAME_CAP, proxySentences } from "./proxy_words.js";
import { CLASS_WORDS, flowRows, flowTotals } from "./service_flows.js";

const data = pageData("service-data");
const { cluster, namespace, name } = data;
const POLICIES = ["PreferSameNode", "PreferSameZone", "Auto", "none"];
const UNKNOWN = "unknown";
// Dropped traffic is a failure, not a flow of unknown zone (grey): a colour and a name of its own
// (--flow-dropped: near-black on light pages, near-white on dark ones). These are the light
// palette's values, for where app.css is not loaded.
const DROPPED = "#1f2937";
const GREY = "#9aa5b1";
const servicePath = `services/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/`;
const $ = (id) => document.getElementById(id);

let detail = data.detail;
let yamlFor = { change: detail.recommendation ? detail.recommendation.change : null, yaml: data.yaml };
let sankey = null;
let history = null;

function plural(n, word, many = `${word}s`) {
  return `${n} ${n === 1 ? word : many}`;
}

function listWords(items) {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function colour(name, fallback) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

// --- header figures ----------------------------------------------------------------------------

function policyWords(policy) {
  if (policy.mechanism === "trafficDistribution") return `trafficDistribution: ${policy.trafficDistribution}`;
  if (policy.mechanism === "topologyAuto") {
    return `${policy.topologyAnnotation || "service.kubernetes.io/topology-mode"}: ${policy.topologyMode || "Auto"}`;
  }
  return "no topology policy";
}

function renderHeader(d) {
  $("policy-mechanism").textContent = policyWords(d.policy);
  const itp = $("policy-itp");
  itp.textContent = `internalTrafficPolicy: ${d.policy.internalTrafficPolicy}`;
  if (d.policy.internalTrafficPolicy === "Local") itp.dataset.local = "true";
  else delete itp.dataset.local;

  const limit = data.overloadLimit;
  const figures = [
    ["cross-zone", "Cross-zone", pct(d.flows.crossZoneFraction), false, clientWords(d)],
    ["dropped", "Dropped", pct(d.flows.dropped)],
    ["overload", `Max overload (limit ${limit}×)`, times(d.flows.maxOverload), d.flows.maxOverload > limit],
    ["cost", "Cost per GB", perGb(d.cost.costPerGb)],
  ];
  const monthly = d.cost.monthlyCost !== null && d.cost.monthlyCost !== undefined;
  if (monthly) figures.push(["monthly", `A month (${gb(d.cost.monthlyGb)})`, usd(d.cost.monthlyCost), false, volumeWords(d.cost)]);
  else figures.push(["monthly", "A month", NO_TRAFFIC, false, null, true]);
  // Model vs measured: only when a source measured the cross-zone share (Beyla's zones).
  const check = d.modelCheck;
  if (check) {
    const verdict = check.differs
      ? `differs from the simulated ${pct(check.simulatedCrossZoneFraction)} by more than ${pct(check.threshold)}: hints not applied yet, a node-local cache, or traffic that bypasses the ClusterIP?`
      : `matches the simulated ${pct(check.simulatedCrossZoneFraction)}`;
    figures.push(["measured-cross-zone", "Measured cross-zone", pct(check.measuredCrossZoneFraction), check.differs, verdict]);
  }
  fill(
    $("service-stats"),
    figures.map(([id, label, text, warn, source, none]) =>
      h(
        "li",
        { dataset: { stat: id } },
        label,
        h("span", { class: `stats__value${warn ? " warn" : ""}${none ? " stats__value--none" : ""}`, id: `stat-${id}` }, text),
        source ? h("span", { class: "stat-source", id: `stat-${id}-source` }, source) : null,
      ),
    ),
  );
}

// How the simulated clients were spread: measured per Service, else the cluster's basis.
const CLIENT_BASES = { cpu: "allocatable CPU", uniform: "every node alike", pods: "running Pods" };

function clientWords(d) {
  const basis = d.flows.clientWeights || (d.cluster && d.cluster.clientWeights);
  if (basis === "measured") {
    const zones = Object.entries(d.flows.clientZoneWeights || {})
      .map(([zone, share]) => `${zone || UNKNOWN} ${pct(share)}`)
      .join(", ");
    return `clients in the zones their measured callers run in: ${zones}`;
  }
  return basis ? `clients weighted by ${CLIENT_BASES[basis] || basis}` : null;
}

// --- where the Service's volume came from (service.py says it the same way) -------------------

const VOLUME_NOUNS = { measured: "measured volume", simulated: "simulated volume (demo model)", manual: "volume set by hand" };

function volumeWords(cost) {
  const volume = cost.volume;
  if (cost.monthlyGb === null || cost.monthlyGb === undefined || !volume) return NO_TRAFFIC;
  return volumeLabel(volume.source, volume.detail, volume.at);
}

function savingWords(d) {
  const rec = d.recommendation;
  if (!rec) return "";
  const saved = rec.monthlySaved;
  if (saved === null || saved === undefined || d.cost.monthlyGb === null || d.cost.monthlyGb === undefined) {
    return `Saving per month: ${NO_TRAFFIC} for this Service.`;
  }
  const noun = VOLUME_NOUNS[d.cost.volume?.source] || "volume";
  return `${saved >= 0 ? "Saves" : "Costs"} ${usd(Math.abs(saved))} a month, with its ${noun} of ${gb(d.cost.monthlyGb)}.`;
}

function compareWords(cost) {
  if (cost.monthlyGb === null || cost.monthlyGb === undefined) return `Monthly figures: ${NO_TRAFFIC} for this Service.`;
  return `Monthly: each outcome's cost per GB × ${gb(cost.monthlyGb)} a month, ${volumeWords(cost)}.`;
}

// --- endpoints -----------------------------------------------------------------------------------

function hintText(ep) {
  const zones = ep.hints ? ep.hints.forZones || [] : [];
  const nodes = ep.hints ? ep.hints.forNodes || [] : [];
  if (!zones.length && !nodes.length) return h("span", { class: "hint hint--none" }, "no hints");
  const parts = [];
  if (zones.length) parts.push(`for zone${zones.length > 1 ? "s" : ""} ${zones.join(", ")}`);
  if (nodes.length) parts.push(`for node${nodes.length > 1 ? "s" : ""} ${nodes.join(", ")}`);
  return h("span", { class: "hint" }, `hinted ${parts.join("; ")}`);
}

function stateTags(ep) {
  const tags = [
    ep.ready ? h("span", { class: "state state--ready" }, "ready") : h("span", { class: "state state--notready" }, "not ready"),
    h("span", { class: "state" }, ep.serving ? "serving" : "not serving"),
  ];
  if (ep.terminating) tags.push(h("span", { class: "state state--terminating" }, "terminating"));
  return tags;
}

// An endpoint's load against its fair share, as a bar: the tick is the fair share (1x), the bar
// reaches 3x at most; over the overload limit it is red. The fair share is the report's own:
// maxOverload = busiest load / fair share (docs/analysis-report.md).
const LOAD_W = 60;
const LOAD_CAP = 3;

function loadBar(d, ep) {
  const load = d.flows.endpointLoad[ep.ip];
  if (load === undefined) return null; // not one kube-proxy uses (another family, no port)
  const loads = Object.values(d.flows.endpointLoad);
  const busiest = Math.max(...loads);
  const fair = d.flows.maxOverload > 0 ? busiest / d.flows.maxOverload : 0;
  if (!fair) return h("span", { class: "load muted small", dataset: { ratio: "0" } }, "no traffic");
  const ratio = load / fair;
  const over = ratio > data.overloadLimit;
  const text = `${times(ratio)} of fair share`;
  return h(
    "span",
    { class: `load${over ? " load--over" : ""}`, dataset: { ratio: String(ratio) }, title: `${pct(load)} of client traffic, ${text}` },
    svg(
      "svg",
      { width: LOAD_W, height: 8, viewBox: `0 0 ${LOAD_W} 8`, "aria-hidden": "true" },
      svg("rect", { class: "load__track", x: 0, y: 1, width: LOAD_W, height: 6, rx: 2 }),
      svg("rect", { class: "load__bar", x: 0, y: 1, width: (Math.min(ratio, LOAD_CAP) / LOAD_CAP) * LOAD_W, height: 6, rx: 2 }),
      svg("line", { class: "load__fair", x1: LOAD_W / LOAD_CAP, x2: LOAD_W / LOAD_CAP, y1: 0, y2: 8 }),
    ),
    h("span", { class: "small" }, text),
  );
}

function renderEndpoints(d) {
  const box = $("endpoints");
  const note = $("hints-note");
  if (!d.endpoints.length) {
    fill(box, h("p", { class: "empty" }, "This Service has no endpoints: kube-proxy rejects connections to it."));
    box.classList.remove("card");
    note.textContent = "";
    return;
  }
  box.classList.add("card");
  const byZone = new Map();
  for (const ep of d.endpoints) {
    const zone = ep.zone || UNKNOWN;
    if (!byZone.has(zone)) byZone.set(zone, new Map());
    const nodes = byZone.get(zone);
    const node = ep.nodeName || "node unknown";
    if (!nodes.has(node)) nodes.set(node, []);
    nodes.get(node).push(ep);
  }
  const zones = [...byZone.keys()].sort();
  fill(
    box,
    zones.map((zone) => {
      const nodes = byZone.get(zone);
      const total = [...nodes.values()].reduce((n, eps) => n + eps.length, 0);
      return h(
        "div",
        { class: "zone-block", dataset: { zone } },
        h("h4", {}, zone === UNKNOWN ? "Zone unknown" : zone, " ", h("span", { class: "muted small" }, plural(total, "endpoint"))),
        [...nodes.keys()].sort().map((node) =>
          h(
            "div",
            { class: "node-block", dataset: { node } },
            h("p", { class: "node-block__name" }, `node ${node}`),
            h(
              "ul",
              { class: "endpoint-list" },
              nodes.get(node).map((ep) =>
                h("li", { class: "endpoint", dataset: { ip: ep.ip } }, h("code", {}, ep.ip), stateTags(ep), hintText(ep), loadBar(d, ep)),
              ),
            ),
          ),
        ),
      );
    }),
  );
  const ready = d.endpoints.filter((ep) => ep.ready);
  const hinted = ready.filter((ep) => ep.hints && (ep.hints.forZones || []).length);
  const headless = d.headless ? " (headless: clients pick from DNS, kube-proxy does not route it)" : "";
  if (!ready.length) {
    note.textContent = "No endpoint is ready: kube-proxy sends the traffic to the serving endpoints that are terminating, and ignores hints.";
  } else if (d.policy.internalTrafficPolicy === "Local") {
    note.textContent = "internalTrafficPolicy is Local: kube-proxy ignores hints and uses only endpoints on the client's own node.";
  } else if (!hinted.length) {
    note.textContent = `No endpoint carries a zone hint: kube-proxy ignores topology for this Service and spreads its traffic over every ready endpoint${headless}.`;
  } else if (hinted.length < ready.length) {
    const missing = ready.filter((ep) => !hinted.includes(ep)).map((ep) => ep.ip);
    note.textContent = `${listWords(missing)} ${missing.length === 1 ? "has" : "have"} no zone hint, so kube-proxy ignores zone hints for this Service on every node.`;
  } else {
    note.textContent = `Every ready endpoint carries a zone hint: kube-proxy keeps traffic in the zones the hints name${headless}.`;
  }
}

// --- what kube-proxy does ------------------------------------------------------------------------

// One <li> per sentence of proxy_words.js: zones with one outcome in one sentence, then the nodes
// that differ, a long list of their names cut in the sentence and given whole under "All N nodes".
// The what-if panel shows its after report with it too.
function proxyItems(d) {
  return proxySentences(d).map((s) => {
    const dataset = { zones: s.zones.join(" ") };
    if (s.zones.length === 1 && !s.nodes.length) dataset.zone = s.zones[0];
    if (s.nodes.length) dataset.nodes = s.nodes.join(" ");
    if (s.nodes.length === 1) dataset.node = s.nodes[0];
    const kind = s.kind === "none" ? "" : ` proxy-item--${s.kind}`;
    return h(
      "li",
      { class: `proxy-item${kind}${s.nodes.length ? " proxy-item--node" : ""}`, dataset },
      s.text,
      s.nodes.length > NAME_CAP
        ? h("details", { class: "proxy-item__all" }, h("summary", {}, `All ${s.nodes.length} nodes`), h("p", {}, s.nodes.join(", ")))
        : null,
    );
  });
}

function renderProxy(d) {
  fill($("proxy-words"), proxyItems(d));
}

// --- the flow picture and its table --------------------------------------------------------------

function classColour(cls) {
  if (cls === "unknown") return colour("--faint", GREY);
  if (cls === "dropped") return colour("--flow-dropped", DROPPED);
  return colour(`--flow-${cls}`, FLOW_COLOURS[cls]);
}

// A sankey node's id is "from <zone>" or "to <zone>" (a zone sends and receives), or "dropped".
function zoneOfNode(id) {
  return id.replace(/^(from|to) /, "");
}

function hasVolume(d) {
  return d.cost.monthlyGb !== null && d.cost.monthlyGb !== undefined;
}

// A flow's month: its GB and dollars, or why there are none.
function flowMonthWords(row, d) {
  if (row.cls === "dropped") return "not delivered: no volume, no cost";
  if (!hasVolume(d)) return NO_TRAFFIC;
  const source = d.cost.volume ? `, volume ${sourceWord(d.cost.volume.source)}` : "";
  if (row.monthlyUsd === null) return `${gb(row.monthlyGb)} a month${source}, not counted in the cost`;
  return `${gb(row.monthlyGb)} · ${usd(row.monthlyUsd)} a month${source}`;
}

function flowPriceWords(row) {
  if (row.perGb !== null) return `${CLASS_WORDS[row.cls]} · ${perGb(row.perGb)}`;
  return row.cls === "unknown" ? `${CLASS_WORDS.unknown} · not counted as crossing` : CLASS_WORDS[row.cls];
}

function flowTip(row, d) {
  return h(
    "div",
    { class: "flow-tip" },
    h("strong", {}, `${row.from} → ${row.to}`),
    h("div", {}, `${pct(row.share)} of the Service's client traffic`),
    h("div", {}, flowPriceWords(row)),
    h("div", {}, flowMonthWords(row, d)),
  );
}

const NODE_WORDS = { from: "clients in", to: "endpoints in" };

// `rows`: flowRows(d), when the caller also shows them as a table (the what-if panel does not).
function sankeyOption(d, rows = flowRows(d)) {
  const nodes = new Map();
  const addNode = (id, depth) => {
    if (!nodes.has(id)) {
      const position = depth === 0 ? "left" : "right";
      nodes.set(id, { name: id, label: { position }, depth, itemStyle: { color: id === "dropped" ? colour("--flow-dropped", DROPPED) : colour("--muted", "#64748b") } });
    }
  };
  const links = rows.map((row) => {
    const source = `from ${row.from}`;
    const target = row.cls === "dropped" ? "dropped" : `to ${row.to}`;
    addNode(source, 0);
    addNode(target, 1);
    return { source, target, value: row.share, row, lineStyle: { color: classColour(row.cls), opacity: 0.55 } };
  });
  return {
    animation: false,
    // Zone names come from the cluster's labels: the tooltip is built as DOM text and the labels
    // by functions, never as HTML or an ECharts template string ("{b}" in a name stays "{b}").
    // confine: a tooltip near the chart's edge stays within it (on a phone, within the page).
    tooltip: {
      trigger: "item",
      confine: true,
      formatter: (p) => {
        if (p.dataType === "edge") return flowTip(p.data.row, d);
        const [side] = p.name.split(" ", 1);
        const who = NODE_WORDS[side] ? `${NODE_WORDS[side]} ${zoneOfNode(p.name)}` : p.name;
        return h("div", { class: "flow-tip" }, `${who}: ${pct(p.value)} of the Service's client traffic`);
      },
    },
    series: [
      {
        type: "sankey",
        data: [...nodes.values()],
        links,
        left: 96,
        right: 96,
        top: 10,
        bottom: 10,
        nodeWidth: 14,
        nodeGap: 12,
        layoutIterations: 0,
        draggable: false,
        emphasis: { focus: "adjacency" },
        // A zone name longer than the margin beside the nodes ends in "…" (the tooltip has it whole).
        label: { color: colour("--text", "#1b2430"), fontSize: 12, formatter: (p) => zoneOfNode(p.name), width: 90, overflow: "truncate", ellipsis: "…" },
        lineStyle: { curveness: 0.5 },
      },
    ],
  };
}

function renderSankey(d) {
  const el = $("flow-sankey");
  const rows = flowRows(d);
  const option = sankeyOption(d, rows);
  renderFlowTable(d, rows);
  const empty = !option.series[0].links.length;
  $("flow-empty").hidden = !empty;
  el.hidden = empty;
  if (empty) return;
  if (!sankey) sankey = window.echarts.init(el, chartTheme(), { renderer: "svg" });
  sankey.setOption(option, { notMerge: true });
  el.setAttribute("aria-label", sankeyWords(option));
}

// A sankey's links in words, for its container's aria-label.
function sankeyWords(option) {
  const links = option.series[0].links.map((l) => `${zoneOfNode(l.source)} to ${zoneOfNode(l.target)} ${pct(l.value)}`);
  return `Flow from client zones to endpoint zones: ${links.join("; ")}`;
}

// "Flows as a table": the sankey's rows, for keyboards, screen readers and exact figures. The
// monthly columns appear with a volume, as in the policy comparison.
function renderFlowTable(d, rows) {
  const box = $("flow-table-box");
  box.hidden = !rows.length;
  const money = hasVolume(d);
  const heads = ["From zone", "To zone", "Share", "Cost class", "USD/GB", ...(money ? ["GB a month", "USD a month"] : [])];
  fill($("flow-table-head"), h("tr", {}, heads.map((label, i) => h("th", { scope: "col", class: i === 2 || i >= 4 ? "num" : null }, label))));
  const cell = (col, label, text, num = true) => h("td", { class: num ? "num" : null, dataset: { col }, "data-label": label }, text);
  fill(
    $("flow-table-rows"),
    rows.map((row) =>
      h(
        "tr",
        { dataset: { from: row.from, to: row.to, cls: row.cls } },
        h("th", { scope: "row", dataset: { col: "from" }, "data-label": "From zone" }, row.from),
        cell("to", "To zone", row.to, false),
        cell("share", "Share", pct(row.share)),
        cell("class", "Cost class", h("span", { class: `flow-class flow-class--${row.cls}` }, CLASS_WORDS[row.cls]), false),
        cell("perGb", "USD/GB", row.perGb !== null ? perGb(row.perGb) : row.cls === "dropped" ? "not delivered" : "not counted"),
        money ? cell("monthlyGb", "GB a month", row.cls === "dropped" ? "not delivered" : gb(row.monthlyGb)) : null,
        money ? cell("monthlyUsd", "USD a month", row.monthlyUsd !== null ? usd(row.monthlyUsd) : row.cls === "dropped" ? "not delivered" : "not counted") : null,
      ),
    ),
  );
  const total = flowTotals(rows, d);
  fill(
    $("flow-table-total"),
    h(
      "tr",
      {},
      h("th", { scope: "row", colspan: 2 }, "All flows"),
      cell("share", "Share", pct(total.share)),
      cell("class", "Cost class", "mean", false),
      cell("perGb", "USD/GB", perGb(d.cost.costPerGb)),
      money ? cell("monthlyGb", "GB a month", gb(total.monthlyGb)) : null,
      money ? cell("monthlyUsd", "USD a month", usd(total.monthlyUsd)) : null,
    ),
  );
  $("flow-table-note").textContent = money
    ? `A month: the Service's ${gb(d.cost.monthlyGb)}, ${volumeWords(d.cost)}, split over the flows that deliver traffic by their share; each flow's dollars are its GB × its price (${d.cost.priceSource}). Dropped traffic delivers nothing.`
    : `A month: ${NO_TRAFFIC} for this Service, so the flows have shares and prices but no volume.`;
}

// --- comparison, diagnostics, recommendation -----------------------------------------------------

function renderComparison(d) {
  const monthly = d.cost.monthlyGb !== null && d.cost.monthlyGb !== undefined;
  const head = ["Policy", "Cross-zone", "Dropped", "Max overload", "USD/GB", monthly ? "Monthly" : null, "Controller events"];
  fill(
    $("compare-head"),
    head.filter(Boolean).map((label, i) => h("th", { scope: "col", class: i > 0 && i < (monthly ? 6 : 5) ? "num" : null }, label)),
  );
  const declared = d.controller ? d.controller.policy : null;
  const recommended = d.recommendation ? d.recommendation.policy : null;
  const row = (key, label, outcome, events, classes) =>
    h(
      "tr",
      { class: classes, dataset: { policy: key } },
      h("th", { scope: "row" }, label),
      h("td", { class: "num", dataset: { col: "crossZone" }, "data-label": "Cross-zone" }, pct(outcome.crossZoneFraction)),
      h("td", { class: "num", dataset: { col: "dropped" }, "data-label": "Dropped" }, pct(outcome.dropped)),
      h(
        "td",
        { class: outcome.maxOverload > data.overloadLimit ? "num warn" : "num", dataset: { col: "overload" }, "data-label": "Max overload" },
        times(outcome.maxOverload),
      ),
      h("td", { class: "num", dataset: { col: "cost" }, "data-label": "USD/GB" }, perGb(outcome.costPerGb)),
      monthly ? h("td", { class: "num", dataset: { col: "monthly" }, "data-label": "Monthly" }, usd(outcome.monthlyCost)) : null,
      h(
        "td",
        { dataset: { col: "events" }, "data-label": "Controller events" },
        events === null
          ? h("span", { class: "muted" }, "as the slices are now")
          : events.length
            ? h("ul", { class: "events" }, events.map((e) => h("li", {}, `${e.type} ${e.reason}: ${e.message}`)))
            : h("span", { class: "muted" }, "none"),
      ),
    );
  $("compare-monthly").textContent = compareWords(d.cost);
  const observed = { ...d.flows, costPerGb: d.cost.costPerGb, monthlyCost: d.cost.monthlyCost };
  const rows = [row("observed", "Observed now", observed, null, "is-observed")];
  for (const key of POLICIES) {
    const outcome = d.whatIf[key];
    if (!outcome) continue;
    const label = key === declared ? `${key} (declared)` : key;
    rows.push(row(key, label, outcome, outcome.events || [], key === recommended ? "is-recommended" : null));
  }
  fill($("compare-rows"), rows);
}

function renderDiagnostics(d) {
  const words = { error: "Error", warning: "Warning", info: "Note" };
  fill(
    $("diagnostics"),
    d.diagnostics.length
      ? d.diagnostics.map((x) =>
          h("p", { class: `finding finding--${x.severity}`, dataset: { code: x.code } }, h("strong", {}, `${words[x.severity] || x.severity}:`), ` ${x.message}`),
        )
      : h("p", { class: "empty" }, "Nothing to report: the engine found no problem with how this Service is routed."),
  );
}

// The merge patch of a kubectl patch one-liner as YAML, as routing.traffic.patch_yaml writes it,
// for a recommendation that appears after the page was served. The patch is the last argument,
// single-quoted JSON (routing.engine.shell.merge_patch_of): a quoted name before it may hold "-p '".
function patchYaml(change) {
  const marker = " -p '";
  const body = JSON.parse(change.slice(change.lastIndexOf(marker) + marker.length, -1));
  const scalar = (v) => (v === null ? "null" : /^[A-Za-z][\w./-]*$/.test(v) && !/^(null|true|false|yes|no|on|off|y|n)$/i.test(v) ? v : JSON.stringify(v));
  const lines = [];
  const walk = (obj, indent) => {
    for (const [key, value] of Object.entries(obj)) {
      if (value !== null && typeof value === "object") {
        lines.push(`${indent}${scalar(key)}:`);
        walk(value, `${indent}  `);
      } else {
        lines.push(`${indent}${scalar(key)}: ${scalar(value)}`);
      }
    }
  };
  walk(body, "");
  return `${lines.join("\n")}\n`;
}

function renderRecommendation(d) {
  const rec = d.recommendation;
  if (!rec) {
    fill(
      $("recommendation"),
      h(
        "div",
        { class: "card recommendation recommendation--none" },
        h("h3", {}, "No change recommended"),
        h(
          "p",
          {},
          `The declared policy is already the best of the four for this Service: no other policy is cheaper while keeping every endpoint within ${data.overloadLimit}× its fair share and dropping no more traffic.`,
        ),
      ),
    );
    return;
  }
  if (yamlFor.change !== rec.change) yamlFor = { change: rec.change, yaml: patchYaml(rec.change) };
  fill(
    $("recommendation"),
    h(
      "div",
      { class: "card recommendation" },
      h("h3", {}, `Recommendation: switch to ${rec.policy}`),
      h("p", { id: "rec-reason" }, `${rec.reason}.`),
      h("p", { id: "rec-saving", class: "rec-saving" }, savingWords(d)),
      changeBlock("rec-change", "Apply with kubectl", "Copy command", wrappable(rec.change)),
      changeBlock("rec-yaml", "Or merge into the Service manifest", "Copy YAML", yamlFor.yaml),
      h("p", { class: "copy-status", role: "status", "aria-live": "polite" }),
    ),
  );
}

// --- history -------------------------------------------------------------------------------------

async function renderHistory() {
  const el = $("history-chart");
  let series;
  try {
    series = await api.get(clusterApi(cluster, `${servicePath}timeseries/`));
  } catch (error) {
    $("history-empty").hidden = false;
    $("history-empty").textContent = `The history cannot be read: ${error.message}`;
    return;
  }
  const points = series.points;
  $("history-empty").hidden = points.length > 0;
  el.hidden = !points.length;
  if (!points.length) return;
  if (!history) history = window.echarts.init(el, chartTheme(), { renderer: "svg" });
  const zoneColour = colour("--flow-zone", FLOW_COLOURS.zone);
  const costColour = colour("--accent", "#1d4ed8");
  // From the first snapshot to now (js/time_axis.js), as on the timeline: never into the future.
  const first = new Date(points[0].takenAt).getTime();
  const last = new Date(points[points.length - 1].takenAt).getTime();
  const bounds = axisBounds(first, last);
  // Readings within a minute look like one: the latest one's value is written beside it.
  const single = last - first < 60e3;
  const latest = points[points.length - 1];
  // A filled symbol with a rim stays visible on the axis line (a value of 0).
  const dot = (colourOf, symbol) => ({
    showSymbol: points.length < 60,
    symbol,
    symbolSize: 10,
    clip: false, // a point on the axis (0) is drawn whole, not cut in half by the grid's edge
    itemStyle: { color: colourOf, borderColor: colour("--surface", "#ffffff"), borderWidth: 1.5 },
  });
  const pointLabel = (text, value) => ({
    show: single,
    position: "right",
    distance: 10,
    offset: [0, single && !value ? -12 : 0],
    color: colour("--text", "#1b2430"),
    fontWeight: 600,
    formatter: (item) => (item.dataIndex === points.length - 1 ? text(item.value[1]) : ""),
  });
  const timeAxis = (gridIndex, labels) => ({
    type: "time",
    gridIndex,
    ...bounds,
    axisLabel: { show: labels, hideOverlap: true, margin: 12, fontSize: LABEL_SIZE, formatter: TIME_LABELS },
  });
  const costMax = points.some((p) => p.costPerGb > 0) ? {} : { max: 0.02 }; // all zero: the cross-zone price's scale
  // Two panels, one figure and one y axis each (a second axis on one chart reads as the same
  // scale), sharing the time axis: cross-zone share above, cost per GB below.
  history.setOption(
    {
      animation: false,
      title: [
        { text: "Cross-zone share", left: 8, top: 0, textStyle: { fontSize: LABEL_SIZE, fontWeight: 600 } },
        { text: "Cost per GB (USD)", left: 8, top: "51%", textStyle: { fontSize: LABEL_SIZE, fontWeight: 600 } },
      ],
      // The same fixed margins for both panels, so that one instant sits at one x in both (room
      // for "100%" and "$0.020" at the left, for the last time label at the right).
      grid: [
        { left: 64, right: 48, top: 24, height: "32%" },
        { left: 64, right: 48, top: "59%", height: "30%" },
      ],
      tooltip: {
        trigger: "axis",
        valueFormatter: (v) => (v === null || v === undefined ? "–" : String(v)),
      },
      axisPointer: { link: [{ xAxisIndex: "all" }] },
      xAxis: [timeAxis(0, false), timeAxis(1, true)],
      yAxis: [
        { type: "value", gridIndex: 0, min: 0, max: 100, axisLabel: { formatter: "{value}%", fontSize: LABEL_SIZE } },
        { type: "value", gridIndex: 1, min: 0, ...costMax, axisLabel: { formatter: (v) => `$${v.toFixed(3)}`, fontSize: LABEL_SIZE } },
      ],
      series: [
        {
          name: "Cross-zone %",
          type: "line",
          step: "end",
          xAxisIndex: 0,
          yAxisIndex: 0,
          color: zoneColour,
          ...dot(zoneColour, "circle"),
          label: pointLabel((v) => (v === null || v === undefined ? "–" : `${v}%`), latest.crossZoneFraction),
          data: points.map((p) => [p.takenAt, p.crossZoneFraction === null ? null : Number((p.crossZoneFraction * 100).toFixed(2))]),
        },
        {
          name: "USD/GB",
          type: "line",
          step: "end",
          xAxisIndex: 1,
          yAxisIndex: 1,
          color: costColour,
          ...dot(costColour, "diamond"),
          label: pointLabel((v) => perGb(v), latest.costPerGb),
          data: points.map((p) => [p.takenAt, p.costPerGb]),
        },
      ],
    },
    { notMerge: true },
  );
  el.setAttribute(
    "aria-label",
    `Cross-zone share and cost per GB over ${plural(points.length, "snapshot")}, last ${when(points[points.length - 1].takenAt)}: ${pct(points[points.length - 1].crossZoneFraction)}`,
  );
  el.dataset.points = String(points.length);
}

// --- the whole page ------------------------------------------------------------------------------

function renderAll(d) {
  renderHeader(d);
  renderProxy(d);
  renderSankey(d);
  renderDiagnostics(d);
  renderFixes(d, data.overloadLimit);
  renderRecommendation(d);
  renderComparison(d);
  renderEndpoints(d);
}

async function refresh(seq) {
  try {
    detail = await api.get(clusterApi(cluster, servicePath));
  } catch (error) {
    const banner = $("update-banner");
    if (banner) {
      banner.hidden = false;
      banner.textContent =
        error.status === 404
          ? `${namespace}/${name} is not in snapshot ${seq}: the figures shown are from an earlier snapshot.`
          : `The Service could not be refreshed: ${error.message}`;
    }
    return;
  }
  const banner = $("update-banner");
  if (banner) banner.hidden = true;
  renderAll(detail);
  updateWhatIf(detail, seq);
  await renderHistory();
  document.body.dataset.serviceSeq = String(seq);
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = $(button.dataset.copy);
  const status = button.closest(".recommendation").querySelector(".copy-status");
  if (await copyText(source.textContent, source)) {
    status.textContent = button.dataset.copy === "rec-yaml" ? "YAML copied to the clipboard." : "Command copied to the clipboard.";
  } else {
    status.textContent = "The browser refused the clipboard: the text is selected, copy it with Ctrl+C.";
  }
});

document.addEventListener("tl:snapshot", (event) => {
  if (event.detail.cluster === cluster) refresh(event.detail.seq);
});

window.addEventListener("resize", () => {
  if (sankey) sankey.resize();
  if (history) history.resize();
});

// Another colour theme (js/theme_toggle.js): the flow picture and the history take its colours.
onThemeChange(() => {
  renderSankey(detail);
  renderHistory();
});

renderAll(detail);
// The what-if panel describes its answers with this page's own words and flow picture.
initWhatIf({ cluster, namespace, name, seq: data.seq, overloadLimit: data.overloadLimit, detail, proxyItems, sankeyOption, sankeyWords });
renderHistory().then(() => {
  document.body.dataset.serviceReady = "true";
});
