// One Service: draws its endpoints, what kube-proxy does (in words and as a sankey), the policy
// comparison, diagnostics, the recommendation and the history chart from its report, and re-reads
// the report (GET /api/v1/clusters/<c>/services/<ns>/<name>/) when a snapshot of the cluster lands.
// The "What if…" panel is whatif_panel.js, started here with this page's renderers.

import { api, clusterApi } from "./api.js";
import { FLOW_COLOURS, gb, NO_TRAFFIC, pct, perGb, times, usd, volumeLabel, when } from "./format.js";
import { changeBlock, copyText, fill, h, pageData, svg } from "./dom.js";
import { wrappable } from "./code_text.js";
import { initWhatIf, updateWhatIf } from "./whatif_panel.js";
import { renderFixes } from "./service_fixes.js";

const data = pageData("service-data");
const { cluster, namespace, name } = data;
const POLICIES = ["PreferSameNode", "PreferSameZone", "Auto", "none"];
const UNKNOWN = "unknown";
// Dropped traffic is a failure, not a flow of unknown zone (grey): dark, with a name of its own.
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

function sameOutcome(a, b) {
  return a.action === b.action && a.mode === b.mode && a.endpoints.join() === b.endpoints.join();
}

// Per zone: its outcome and the nodes whose outcome differs, from either form of the report.
function proxyByZone(d) {
  const zones = new Map();
  if (d.proxyByZone) {
    for (const [zone, outcome] of Object.entries(d.proxyByZone)) zones.set(zone, { outcome, nodes: [] });
    for (const [node, outcome] of Object.entries(d.proxy || {})) {
      const zone = outcome.zone || UNKNOWN;
      if (!zones.has(zone)) zones.set(zone, { outcome: null, nodes: [] });
      zones.get(zone).nodes.push([node, outcome]);
    }
  } else {
    const grouped = new Map();
    for (const [node, outcome] of Object.entries(d.proxy || {})) {
      const zone = outcome.zone || UNKNOWN;
      if (!grouped.has(zone)) grouped.set(zone, []);
      grouped.get(zone).push([node, outcome]);
    }
    for (const [zone, nodes] of grouped) {
      // The most common outcome speaks for the zone; the others are listed by node.
      let best = null;
      let bestCount = 0;
      for (const [, outcome] of nodes) {
        const n = nodes.filter(([, o]) => sameOutcome(o, outcome)).length;
        if (n > bestCount) [best, bestCount] = [outcome, n];
      }
      zones.set(zone, { outcome: best, nodes: nodes.filter(([, o]) => !sameOutcome(o, best)) });
    }
  }
  return new Map([...zones.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

function fallbackReason(d, zone, zoneModes) {
  const ready = d.endpoints.filter((ep) => ep.ready);
  const zoneHinted = ready.filter((ep) => ep.hints && (ep.hints.forZones || []).length);
  if (!ready.length) return "no endpoint is ready, so kube-proxy uses the serving ones that are terminating and ignores hints";
  if (!zoneHinted.length) {
    if (d.policy.mechanism === "none") return "the Service declares no topology policy, so no endpoint carries a hint";
    if (d.policy.mechanism === "topologyAuto") return "Auto is off: the EndpointSlice controller wrote no hints (see the diagnostics)";
    return "no endpoint carries a zone hint yet (see the diagnostics)";
  }
  if (zoneHinted.length < ready.length) {
    const missing = ready.filter((ep) => !zoneHinted.includes(ep)).map((ep) => ep.ip);
    return `${listWords(missing)} ${missing.length === 1 ? "has" : "have"} no zone hint, and one endpoint without a hint turns zone filtering off everywhere`;
  }
  if (zoneModes) return `no endpoint is hinted for ${zone}`;
  return "the endpoints' hints do not apply here";
}

function zoneName(zone) {
  return zone === UNKNOWN ? "without a zone label" : `in ${zone}`;
}

function outcomeWords(d, subject, zone, outcome, zoneModes, isNode) {
  const byIp = new Map(d.endpoints.map((ep) => [ep.ip, ep]));
  const used = outcome.endpoints;
  const n = used.length;
  const local = used.filter((ip) => (byIp.get(ip)?.zone || UNKNOWN) === zone).length;
  const verbs = isNode ? { send: "sends", fall: "falls", drop: "drops", reject: "rejects", forward: "forwards" } : { send: "send", fall: "fall", drop: "drop", reject: "reject", forward: "forward" };
  if (outcome.action === "reject") {
    return { kind: "drop", text: `${subject} ${verbs.reject} connections: the Service has no endpoint that can take traffic.` };
  }
  if (outcome.action === "drop") {
    const why = d.policy.internalTrafficPolicy === "Local" ? " (internalTrafficPolicy Local, and no endpoint of this Service runs on them)" : "";
    return { kind: "drop", text: `${subject} ${verbs.drop} the traffic${why}.` };
  }
  if (d.headless) {
    return { kind: local === n ? "local" : "zone", text: `${subject}: DNS hands out the ${plural(n, "ready address", "ready addresses")}; kube-proxy does not route headless Services.` };
  }
  if (d.policy.internalTrafficPolicy === "Local") {
    return { kind: "local", text: `${subject} ${verbs.forward} only to ${n === 1 ? "the endpoint" : `the ${n} endpoints`} on the same node (internalTrafficPolicy Local).` };
  }
  if (outcome.mode === "PreferSameNode") {
    return { kind: "local", text: `${subject} ${verbs.send} to ${n === 1 ? "the endpoint" : `the ${n} endpoints`} hinted for the node (same node).` };
  }
  if (outcome.mode === "PreferSameZone") {
    const where = zone === UNKNOWN ? "nodes without a zone" : zone;
    if (local === n) {
      return { kind: "local", text: `${subject} ${verbs.send} to ${n === 1 ? "the endpoint" : `the ${n} endpoints`} hinted for ${where} (same zone).` };
    }
    return {
      kind: "zone",
      text: `${subject} ${verbs.send} to the ${plural(n, "endpoint")} hinted for ${where}: ${local} in the zone, ${n - local} in another zone (hints lent to follow the zones' CPU).`,
    };
  }
  const reason = fallbackReason(d, zone, zoneModes);
  if (n === 1) {
    const where = byIp.get(used[0])?.zone || UNKNOWN;
    const same = where === zone && zone !== UNKNOWN ? ", the same zone" : where === UNKNOWN ? ", zone unknown" : "";
    return {
      kind: local === n ? "local" : "zone",
      text: `${subject} ${verbs.send} everything to the one endpoint kube-proxy can use, ${used[0]} in ${where === UNKNOWN ? "an unknown zone" : where}${same}, because ${reason}.`,
    };
  }
  const tail = zone === UNKNOWN ? "" : ` (${local} of them in ${zone})`;
  return {
    kind: local === n ? "local" : "zone",
    text: `${subject} ${verbs.fall} back to all ${n} endpoints cluster-wide${tail}, because ${reason}.`,
  };
}

// What kube-proxy does with the report's traffic, one <li> per zone and per node that differs
// (the what-if panel shows its after report with it too).
function proxyItems(d) {
  const zones = proxyByZone(d);
  const zoneModes = [...zones.values()].some((z) => z.outcome && z.outcome.mode === "PreferSameZone");
  const items = [];
  if (!zones.size) {
    items.push(h("li", { class: "proxy-item" }, "There is no client node: no kube-proxy routes this Service's traffic."));
  }
  for (const [zone, { outcome, nodes }] of zones) {
    if (outcome) {
      const subject = `${nodes.length ? "Other nodes" : "Nodes"} ${zoneName(zone)}`;
      const words = outcomeWords(d, subject, zone, outcome, zoneModes, false);
      items.push(h("li", { class: `proxy-item proxy-item--${words.kind}`, dataset: { zone } }, words.text));
    }
    for (const [node, nodeOutcome] of nodes.sort(([a], [b]) => a.localeCompare(b))) {
      const words = outcomeWords(d, `Node ${node} (${zone === UNKNOWN ? "zone unknown" : zone})`, zone, nodeOutcome, zoneModes, true);
      items.push(h("li", { class: `proxy-item proxy-item--node proxy-item--${words.kind}`, dataset: { zone, node } }, words.text));
    }
  }
  return items;
}

function renderProxy(d) {
  fill($("proxy-words"), proxyItems(d));
}

// --- the flow picture ----------------------------------------------------------------------------

function regionOf(d, zone) {
  const zones = (d.cluster && d.cluster.zones) || {};
  return zones[zone] ? zones[zone].region : null;
}

function linkColour(d, src, dst) {
  if (src === UNKNOWN || dst === UNKNOWN) return GREY;
  if (src === dst) return colour("--flow-local", FLOW_COLOURS.local);
  const a = regionOf(d, src);
  const b = regionOf(d, dst);
  if (a && b && a !== b) return colour("--flow-region", FLOW_COLOURS.region);
  return colour("--flow-zone", FLOW_COLOURS.zone);
}

// A sankey node's id is "from <zone>" or "to <zone>" (a zone sends and receives), or "dropped".
function zoneOfNode(id) {
  return id.replace(/^(from|to) /, "");
}

function sankeyOption(d) {
  const matrix = d.flows.matrix || {};
  // A Service with measured callers has its own zone weights; the others share the cluster's.
  const weights = d.flows.clientZoneWeights || (d.cluster && d.cluster.clientZoneWeights) || {};
  const nodes = new Map();
  const links = [];
  const addNode = (id, depth) => {
    if (!nodes.has(id)) {
      const position = depth === 0 ? "left" : "right";
      nodes.set(id, { name: id, label: { position }, depth, itemStyle: { color: id === "dropped" ? DROPPED : "#64748b" } });
    }
  };
  for (const src of Object.keys(matrix).sort()) {
    for (const dst of Object.keys(matrix[src]).sort()) {
      const value = matrix[src][dst];
      if (!(value > 0)) continue;
      addNode(`from ${src}`, 0);
      addNode(`to ${dst}`, 1);
      links.push({ source: `from ${src}`, target: `to ${dst}`, value, lineStyle: { color: linkColour(d, src, dst), opacity: 0.55 } });
    }
  }
  // What a zone's clients send nowhere (iTP Local without a local endpoint, rejects).
  for (const [src, weight] of Object.entries(weights)) {
    const sent = Object.values(matrix[src] || {}).reduce((a, b) => a + b, 0);
    const lost = weight - sent;
    if (lost > 1e-9 && d.flows.dropped > 1e-9) {
      addNode(`from ${src}`, 0);
      addNode("dropped", 1);
      links.push({ source: `from ${src}`, target: "dropped", value: lost, lineStyle: { color: DROPPED, opacity: 0.55 } });
    }
  }
  return {
    animation: false,
    // Zone names come from the cluster's labels: the tooltip is built as DOM text and the labels
    // by functions, never as HTML or an ECharts template string ("{b}" in a name stays "{b}").
    tooltip: {
      trigger: "item",
      formatter: (p) =>
        h(
          "div",
          {},
          p.dataType === "edge"
            ? `${zoneOfNode(p.data.source)} → ${zoneOfNode(p.data.target)}: ${pct(p.data.value)} of client traffic`
            : `${zoneOfNode(p.name)}: ${pct(p.value)}`,
        ),
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
        label: { color: "#1b2430", fontSize: 12, formatter: (p) => zoneOfNode(p.name), width: 90, overflow: "truncate", ellipsis: "…" },
        lineStyle: { curveness: 0.5 },
      },
    ],
  };
}

function renderSankey(d) {
  const el = $("flow-sankey");
  const option = sankeyOption(d);
  const empty = !option.series[0].links.length;
  $("flow-empty").hidden = !empty;
  el.hidden = empty;
  if (empty) return;
  if (!sankey) sankey = window.echarts.init(el, null, { renderer: "svg" });
  sankey.setOption(option, { notMerge: true });
  el.setAttribute("aria-label", sankeyWords(option));
}

// A sankey's links in words, for its container's aria-label.
function sankeyWords(option) {
  const links = option.series[0].links.map((l) => `${zoneOfNode(l.source)} to ${zoneOfNode(l.target)} ${pct(l.value)}`);
  return `Flow from client zones to endpoint zones: ${links.join("; ")}`;
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
  if (!history) history = window.echarts.init(el, null, { renderer: "svg" });
  const zoneColour = colour("--flow-zone", FLOW_COLOURS.zone);
  // Points within a minute of each other look like one reading: they are centred in the hour
  // around them, and the latest one's values are written beside it.
  const first = new Date(points[0].takenAt).getTime();
  const last = new Date(points[points.length - 1].takenAt).getTime();
  const single = last - first < 60e3;
  const edge = (sign) => new Date((first + last) / 2 + sign * 30 * 60 * 1000).toISOString();
  const latest = points[points.length - 1];
  // A filled symbol with a white rim stays visible on the axis line (a value of 0); the cost is a
  // smaller diamond so that it shows inside the share's dot when both sit at the same place.
  const dot = (colourOf, symbol, size, z) => ({
    showSymbol: points.length < 60,
    symbol,
    symbolSize: size,
    z,
    clip: false, // a point on the axis (0) is drawn whole, not cut in half by the grid's edge
    itemStyle: { color: colourOf, borderColor: "#ffffff", borderWidth: 1.5 },
  });
  // The values of that one reading beside it (share left, cost right), a little above it when it
  // lies on the axis line.
  const pointLabel = (position, text, value) => ({
    show: single,
    position,
    distance: 10,
    offset: [0, single && !value ? -12 : 0],
    color: "#1b2430",
    fontWeight: 600,
    formatter: (item) => (item.dataIndex === points.length - 1 ? text(item.value[1]) : ""),
  });
  history.setOption(
    {
      animation: false,
      // containLabel: room for every axis label, so the first time label cannot meet the "0%" at
      // the corner (the time labels also sit a little lower).
      grid: { left: 8, right: 8, top: 32, bottom: 36, containLabel: true },
      legend: { bottom: 0, data: ["Cross-zone %", "USD/GB"] },
      tooltip: {
        trigger: "axis",
        valueFormatter: (v) => (v === null || v === undefined ? "–" : String(v)),
      },
      // Points within a minute would get an axis of seconds; show the hour around them.
      xAxis: { type: "time", axisLabel: { hideOverlap: true, margin: 12 }, ...(single ? { min: edge(-1), max: edge(1) } : {}) },
      yAxis: [
        { type: "value", name: "%", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        // All zero would draw a $1 axis; the cross-zone price is a better scale.
        { type: "value", name: "USD/GB", min: 0, ...(points.some((p) => p.costPerGb > 0) ? {} : { max: 0.02 }), axisLabel: { formatter: (v) => `$${v.toFixed(3)}` }, splitLine: { show: false } },
      ],
      series: [
        {
          name: "Cross-zone %",
          type: "line",
          step: "end",
          color: zoneColour,
          ...dot(zoneColour, "circle", 12, 3),
          label: pointLabel("left", (v) => (v === null || v === undefined ? "–" : `${v}%`), latest.crossZoneFraction),
          data: points.map((p) => [p.takenAt, p.crossZoneFraction === null ? null : Number((p.crossZoneFraction * 100).toFixed(2))]),
        },
        {
          name: "USD/GB",
          type: "line",
          step: "end",
          yAxisIndex: 1,
          color: "#1d4ed8",
          ...dot("#1d4ed8", "diamond", 8, 4),
          label: pointLabel("right", (v) => perGb(v), latest.costPerGb),
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

renderAll(detail);
// The what-if panel describes its answers with this page's own words and flow picture.
initWhatIf({ cluster, namespace, name, seq: data.seq, overloadLimit: data.overloadLimit, detail, proxyItems, sankeyOption, sankeyWords });
renderHistory().then(() => {
  document.body.dataset.serviceReady = "true";
});
