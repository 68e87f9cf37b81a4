// A cluster's topology page: the policy toggle, the headline figures, the zone topology picture
// (js/topology_view.js), the zone-to-zone heatmap table and the top Services by crossing cost
// (under a what-if policy: ranked under it, beside the observed figures, with the difference
// and how many Services it changes, all as GET top-services/?policy= computed them).
// Starts from the server's json_script data; re-reads the flow map on a policy switch
// (GET flowmap/?policy=) and flow map plus top Services on tl:snapshot for this cluster.

import { api, clusterApi } from "./api.js";
import { fill, flash, h, pageData, servicePath, svg } from "./dom.js";
import { count, FLOW_COLOURS, heat, NO_TRAFFIC, perGb, pct, sourceWord, times, usd, volumesSummary } from "./format.js";
import { cssColour, onThemeChange, textOn } from "./theme.js";
import {
  MIN_SHARE,
  MIN_WIDTH,
  TopologyView,
  UNKNOWN_ZONE,
  WIDTH_PER_SHARE,
  crossing,
  strokeWidth,
  zonesOf,
} from "./topology_view.js";

const DOCS = "https://kubernetes.io/docs/concepts/services-networking/service/#traffic-distribution";
// The words for a figure in which every Service counts the same (no volume is known).
const EQUAL_WEIGHT = "Services weighted equally";
const MINUS = "\u2212";
const data = pageData("topology-data");
const cluster = data.cluster;
const policies = new Map(data.policies.map((p) => [p.key, p]));
const state = {
  policy: data.policy,
  flowmap: data.flowmap,
  observed: data.policy === "observed" ? data.flowmap : null,
  top: data.topServices, // observed
  policyServices: data.policyServices, // the top table under the what-if policy shown, or null
  request: 0,
};

const el = (id) => document.getElementById(id);
const view = new TopologyView(el("topology-view"));

function label(key) {
  return policies.get(key)?.label ?? key;
}

function showError(message) {
  const banner = el("topology-error");
  banner.hidden = !message;
  banner.textContent = message || "";
}

// --- headline figures -------------------------------------------------------------------------

// level: "bad" or "warn" colours the card (routing.figures.health's thresholds), null leaves it plain.
function stat(role, value, text, ...caption) {
  return statAt(null, role, value, text, ...caption);
}

function statAt(level, role, value, text, ...caption) {
  return h(
    "li",
    { dataset: { role }, class: level ? `stat--${level}` : null },
    h("span", { class: "stats__value", dataset: { role: `${role}-value`, value: value ?? "" } }, text),
    ...caption,
  );
}

function versus(key, format) {
  if (state.policy === "observed" || !state.observed) return null;
  return h("span", { class: "stat-versus small", dataset: { role: "observed" } }, ` (observed ${format(state.observed[key])})`);
}

// Under a figure weighted over Services with no volume known: say that each counts the same.
function equalWeight(flows) {
  return flows.weighting === "equal" ? h("span", { class: "stat-source", dataset: { role: "weighting" } }, EQUAL_WEIGHT) : null;
}

// How the flow map's shares weigh the Services, in a sentence.
function weightingText(flows) {
  if (flows.weighting === "equal") return `${EQUAL_WEIGHT} (${NO_TRAFFIC})`;
  if (flows.weighting === "mixed") return "Services weighted by their monthly volumes (those without one weigh the mean known volume)";
  return "Services weighted by their monthly volumes";
}

function headline(flows) {
  // Monthly: the flow map's cost over the Services with a volume, and where the volumes came
  // from; without any volume, the mean cost per GB (every Service counting the same) and
  // "no traffic measured".
  const cost =
    flows.monthlyCost !== null && flows.monthlyCost !== undefined
      ? stat(
          "cost",
          flows.monthlyCost,
          usd(flows.monthlyCost),
          "a month crossing zones",
          versus("monthlyCost", usd),
          h(
            "span",
            { class: "stat-source", dataset: { role: "cost-source" } },
            `${volumesSummary(flows.volumes)}; ${count(flows.servicesWithVolume)} of ${count(flows.services)} Services have a volume`,
          ),
        )
      : stat(
          "cost",
          flows.costPerGbMean,
          perGb(flows.costPerGbMean),
          "mean cost per GB crossing",
          versus("costPerGbMean", perGb),
          h(
            "span",
            { class: "stat-source", dataset: { role: "cost-source" } },
            h("span", { class: "stat-source--none" }, NO_TRAFFIC),
            ` · ${EQUAL_WEIGHT} · `,
            h("a", { href: `${data.settingsUrl}#traffic-source` }, "measure or set volumes in Settings"),
          ),
        );
  cost.dataset.kind = flows.monthlyCost !== null && flows.monthlyCost !== undefined ? "monthly" : "per-gb";
  // A new snapshot under the same policy: the figures it changed flash (not a policy switch,
  // which the reader asked for and which changes every figure).
  const box = el("headline");
  const before = new Map([...box.querySelectorAll(".stats__value")].map((v) => [v.dataset.role, v.textContent]));
  const live = state.shown && state.shown.policy === state.policy && state.shown.seq !== flows.snapshot;
  state.shown = { policy: state.policy, seq: flows.snapshot };
  fill(
    box,
    statAt(
      flows.crossZoneFraction > data.crossZoneAlert ? "warn" : null,
      "cross-zone",
      flows.crossZoneFraction,
      pct(flows.crossZoneFraction),
      "of forwarded traffic crosses zones",
      versus("crossZoneFraction", pct),
      equalWeight(flows),
    ),
    statAt(
      flows.dropped > 0 ? "bad" : null,
      "dropped",
      flows.dropped,
      pct(flows.dropped),
      "of client traffic is dropped",
      versus("dropped", pct),
      equalWeight(flows),
    ),
    cost,
    stat("services", flows.services, count(flows.services), `Services in snapshot ${flows.snapshot}`),
  );
  if (!live) return;
  for (const value of box.querySelectorAll(".stats__value")) {
    const old = before.get(value.dataset.role);
    if (old !== undefined && old !== value.textContent) flash(value);
  }
}

// --- the picture's notes and legend -----------------------------------------------------------

function summary(flows, zones, drawn) {
  const known = zones.filter((z) => z.zone !== UNKNOWN_ZONE);
  const regions = new Set(known.map((z) => z.region ?? ""));
  const biggest = drawn.filter((f) => f.crossing === "zone" || f.crossing === "region").sort((a, b) => b.share - a.share)[0];
  return (
    `Zone topology, ${label(state.policy).toLowerCase() === "observed" ? "as observed" : `what if ${label(state.policy)}`}: ` +
    `${known.length} zone${known.length === 1 ? "" : "s"} in ${regions.size} region${regions.size === 1 ? "" : "s"}; ` +
    `${pct(flows.crossZoneFraction)} of forwarded traffic crosses zones` +
    (biggest ? `; largest crossing ${biggest.from} to ${biggest.to}, ${pct(biggest.share)} of client traffic.` : ".") +
    " The same figures are in the zone-to-zone matrix table."
  );
}

function note(flows, zones) {
  const known = zones.filter((z) => z.zone !== UNKNOWN_ZONE);
  const box = el("topology-note");
  let content = null;
  if (!known.length) {
    content = ["No zones: the nodes carry no topology.kubernetes.io/zone label, so no traffic can be said to cross."];
  } else if (known.length === 1) {
    content = [`Everything stays in zone ${known[0].zone}: nothing can cross.`];
  } else if (!flows.services) {
    content = ["No Services in this snapshot yet: arrows appear once Services have endpoints."];
  }
  box.hidden = !content;
  fill(box, ...(content || []));
}

function swatch(kind) {
  return svg("svg", { width: 28, height: 12, "aria-hidden": "true", class: "legend-swatch" }, svg("line", { x1: 2, y1: 6, x2: 26, y2: 6, class: `flow--${kind}` }));
}

function legend(drawn, omitted) {
  const kinds = new Set(drawn.map((f) => f.crossing));
  const samples = [0.01, 0.05, 0.1, 0.25].map((share) => {
    const width = strokeWidth(share);
    return h(
      "span",
      { class: "legend-sample" },
      svg("svg", { width: 36, height: 26, "aria-hidden": "true" }, svg("line", { x1: 2, y1: 13, x2: 34, y2: 13, "stroke-width": width })),
      pct(share, 0),
    );
  });
  const box = el("topology-legend");
  box.dataset.widthPerShare = String(WIDTH_PER_SHARE);
  box.dataset.minWidth = String(MIN_WIDTH);
  box.dataset.minShare = String(MIN_SHARE);
  box.dataset.omitted = String(omitted);
  fill(
    box,
    h(
      "ul",
      { class: "legend-keys" },
      h("li", {}, h("span", { class: "legend-loop", "aria-hidden": "true" }), "stays in its zone (written in the box)"),
      h("li", {}, swatch("zone"), "crosses zones"),
      h("li", {}, swatch("region"), "crosses regions"),
      kinds.has("unknown") ? h("li", {}, swatch("unknown"), "to or from a node without a zone (not counted as crossing)") : null,
    ),
    h(
      "p",
      { class: "legend-scale" },
      `Arrow width: ${WIDTH_PER_SHARE / 100} px per 1% of client traffic (at least ${MIN_WIDTH} px): `,
      samples,
    ),
    h(
      "p",
      { class: "muted" },
      `Percentages are shares of all client traffic over the Services: ${weightingText(state.flowmap)}` +
        `. Arrows under ${pct(MIN_SHARE)} are not drawn` +
        (omitted ? ` (${omitted} left out here).` : " (none here)."),
    ),
  );
}

// --- heatmap table ----------------------------------------------------------------------------

// A cell's text: black or white, whichever reads better on its colour (js/theme.js).
function textColour(background) {
  return textOn(background);
}

// A cell's colour: from the table's background to the flow's colour, in the theme in force.
function heatColour(value, crossingZones) {
  const to = crossingZones ? cssColour("--flow-zone", FLOW_COLOURS.zone) : cssColour("--flow-local", FLOW_COLOURS.local);
  return heat(value, crossingZones, cssColour("--surface", "#ffffff"), to);
}

function heatmap(flows, zones) {
  const regionOf = new Map(zones.map((z) => [z.zone, z.region]));
  const totals = new Map((flows.bySourceZone || []).map((s) => [s.zone, s.total]));
  const names = zones.map((z) => z.zone);
  const head = h(
    "thead",
    {},
    h(
      "tr",
      {},
      h("th", { scope: "col" }, "From \\ to"),
      names.map((z) => h("th", { scope: "col", class: "num" }, z)),
      h("th", { scope: "col", class: "num" }, "Total"),
    ),
  );
  const body = h(
    "tbody",
    {},
    names.map((src) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, src),
        names.map((dst) => {
          const value = flows.matrix?.[src]?.[dst];
          if (value === undefined) return h("td", { class: "num heat-cell heat-cell--none", dataset: { from: src, to: dst, value: "0" } }, "–");
          const kind = crossing(src, dst, regionOf);
          const background = heatColour(value, kind === "zone" || kind === "region");
          const cell = h("td", { class: `num heat-cell heat-cell--${kind}`, dataset: { from: src, to: dst, value: String(value) } }, pct(value));
          cell.style.background = background;
          cell.style.color = textColour(background);
          return cell;
        }),
        h("td", { class: "num", dataset: { role: "total", value: String(totals.get(src) ?? 0) } }, pct(totals.get(src) ?? 0)),
      ),
    ),
  );
  const policyText = state.policy === "observed" ? "as observed" : `what if every Service used ${label(state.policy)}`;
  const caption = h(
    "caption",
    { class: "visually-hidden" },
    `Zone-to-zone matrix, ${policyText}: share of all client traffic from each source zone (rows) to each destination zone (columns).`,
  );
  fill(
    el("heatmap-about"),
    `Share of all client traffic from each source zone (rows) to each destination zone (columns), ` +
      `${policyText}, snapshot ${flows.snapshot}. The diagonal stays in its zone (green); other cells cross ` +
      `(orange); darker is more. Rows add up to the zone's forwarded traffic (Total); ${pct(flows.dropped)} is dropped. ` +
      `${weightingText(flows)}.`,
  );
  fill(el("heatmap"), caption, head, body);
  // Beyond three zones the matrix needs the page's width: stack the two tables.
  // So does the top Services table beside its observed figures and Δ (under a what-if policy).
  document.querySelector(".topology-tables").classList.toggle("topology-tables--stacked", zones.length > 3 || Boolean(whatIfShown()));
  scrollHint();
}

// When the matrix is wider than its box (a narrow window, many zones), say that it scrolls.
function scrollHint() {
  const wrap = el("heatmap").parentElement;
  el("heatmap-scroll-hint").hidden = wrap.scrollWidth <= wrap.clientWidth + 1;
}

// --- top Services -----------------------------------------------------------------------------

function serviceUrl(namespace, name) {
  return servicePath(data.serviceUrl, namespace, name);
}

// The top table's head, observed or under a what-if policy (which adds the Δ column).
function topHead(monthly, ...more) {
  return h(
    "thead",
    {},
    h(
      "tr",
      {},
      h("th", { scope: "col" }, "Service"),
      h("th", { scope: "col" }, "Policy"),
      h("th", { scope: "col", class: "num" }, "Cross-zone"),
      h("th", { scope: "col", class: "num" }, "USD/GB"),
      monthly ? h("th", { scope: "col", class: "num" }, "Monthly") : null,
      ...more,
    ),
  );
}

function topTable(rows, seq) {
  const box = el("top-services");
  if (!rows.length) {
    fill(
      box,
      h(
        "p",
        { class: "empty" },
        "No Services in this snapshot. Once Services have endpoints, those whose traffic crosses zones most expensively are listed here; ",
        h("a", { href: DOCS }, "trafficDistribution"),
        " keeps traffic in its zone.",
      ),
    );
    return;
  }
  const monthly = hasVolumes();
  fill(
    box,
    h(
      "p",
      { class: "muted small table-about", id: "top-services-about" },
      `The ${rows.length} Services of snapshot ${seq} whose traffic costs most to cross zones, ` +
        (monthly ? "by monthly cost where a volume is known, then by cost per GB." : `by cost per GB (${NO_TRAFFIC}).`),
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { id: "top-services-table", "aria-describedby": "top-services-about" },
        h("caption", { class: "visually-hidden" }, "Top Services by cross-zone cost"),
        topHead(monthly),
        h(
          "tbody",
          {},
          rows.map((row) =>
            h(
              "tr",
              { dataset: { service: `${row.namespace}/${row.name}` } },
              // A line may break after the namespace (and only there, unless a name alone is too long).
              h("th", { scope: "row" }, h("a", { href: serviceUrl(row.namespace, row.name) }, `${row.namespace}/`, h("wbr"), row.name)),
              // data-label: a narrow window shows each row as a card, each figure under its label.
              h("td", { "data-label": "Policy" }, h("span", { class: "tag" }, row.policy)),
              h("td", { class: "num", "data-label": "Cross-zone", dataset: { value: String(row.crossZoneFraction) } }, pct(row.crossZoneFraction)),
              h("td", { class: "num", "data-label": "USD/GB", dataset: { value: String(row.costPerGb) } }, perGb(row.costPerGb)),
              monthly ? monthlyCell(row) : null,
            ),
          ),
        ),
      ),
    ),
  );
}

// A Service's monthly cost with its volume's source (a small tag), or "no traffic measured".
function monthlyCell(row) {
  const value = row.monthlyCost ?? null;
  if (value === null) {
    return h("td", { class: "num", "data-label": "Monthly", dataset: { col: "monthly", value: "" } }, h("span", { class: "no-volume small" }, NO_TRAFFIC));
  }
  const source = row.volumeSource;
  return h(
    "td",
    { class: "num", "data-label": "Monthly", dataset: { col: "monthly", value: String(value), source: source || "" } },
    usd(value),
    h("span", { class: `source-tag source-tag--${source}`, title: sourceWord(source) }, sourceWord(source)),
  );
}

// --- top Services under a what-if policy -------------------------------------------------------

// Under a what-if policy the table is the API's answer (GET top-services/?policy=): each
// Service's figures under the policy as the engine simulated them when the snapshot was
// analysed, ranked by those, the observed figures under them and the difference. Nothing is
// recomputed here.

const points = (d) => `${(d * 100).toFixed(1)} pts`;

// A difference in the figure's own unit with its sign, or null when there is none.
function signed(d, write) {
  if (d === null || d === undefined || Math.abs(d) < 1e-12) return null;
  return `${d > 0 ? "+" : MINUS}${write(Math.abs(d))}`;
}

// A figure under the policy with the observed one under it.
function figureCell(label, col, value, was, write) {
  return h(
    "td",
    { class: "num", "data-label": label, dataset: { col, value: String(value), observed: String(was) } },
    write(value),
    h("span", { class: "was" }, `observed ${write(was)}`),
  );
}

function monthlyUnder(row) {
  if (row.monthlyCost === null) {
    return h("td", { class: "num", "data-label": "Monthly", dataset: { col: "monthly", value: "" } }, h("span", { class: "no-volume small" }, NO_TRAFFIC));
  }
  const source = row.volumeSource;
  return h(
    "td",
    { class: "num", "data-label": "Monthly", dataset: { col: "monthly", value: String(row.monthlyCost), observed: String(row.observed.monthlyCost), source } },
    usd(row.monthlyCost),
    h("span", { class: `source-tag source-tag--${source}`, title: sourceWord(source) }, sourceWord(source)),
    h("span", { class: "was" }, `observed ${usd(row.observed.monthlyCost)}`),
  );
}

// What the policy changes for the Service: its cost (a month where a volume is known, else per
// GB), its cross-zone share, and its overload and dropped share where they move.
function deltaCell(row) {
  const attrs = { class: "num delta", "data-label": "Δ vs observed", dataset: { col: "delta", changed: String(row.changed) } };
  if (!row.changed) return h("td", attrs, "no change");
  const monthly = row.monthlyCost !== null;
  const cost = monthly ? row.delta.monthlyCost : row.delta.costPerGb;
  attrs.dataset.value = String(cost);
  attrs.dataset.crossZone = String(row.delta.crossZoneFraction);
  if (cost < -1e-12) attrs.class += " delta--better";
  else if (cost > 1e-12) attrs.class += " delta--worse";
  const costText = signed(cost, monthly ? usd : perGb);
  const crossText = signed(row.delta.crossZoneFraction, points);
  const overload = Math.abs(row.delta.maxOverload) > 1e-9;
  const droppedText = signed(row.delta.dropped, points);
  const lines = [
    costText ? h("span", { class: "delta__line", dataset: { part: "cost" } }, monthly ? `${costText} a month` : costText) : null,
    crossText ? h("span", { class: "delta__line", dataset: { part: "cross-zone" } }, `${crossText} cross-zone`) : null,
    overload
      ? h(
          "span",
          { class: row.maxOverload > data.overloadLimit ? "delta__line warn" : "delta__line", dataset: { part: "overload" } },
          `overload ${times(row.observed.maxOverload)} → ${times(row.maxOverload)}`,
        )
      : null,
    droppedText ? h("span", { class: "delta__line", dataset: { part: "dropped" } }, `${droppedText} dropped`) : null,
  ].filter(Boolean);
  // The zones its traffic goes between change, not its figures.
  return h("td", attrs, lines.length ? lines : "routed otherwise, same figures");
}

function whatIfTable(answer) {
  const box = el("top-services");
  const rows = answer.topServices;
  const name = label(answer.policy);
  const changed = h(
    "p",
    { class: "top-services-changed", id: "top-services-changed", dataset: { changed: String(answer.changedServices), services: String(answer.services) } },
    h("strong", {}, `${count(answer.changedServices)} of ${count(answer.services)} Service${answer.services === 1 ? "" : "s"} would change`),
    ` under ${name}`,
    answer.changedServices === 0 ? ": every Service is routed as it is now." : answer.changedServices === answer.services ? "." : "; the others are routed as they are now.",
  );
  if (!rows.length) {
    fill(box, h("p", { class: "empty" }, "No Services in this snapshot."));
    return;
  }
  const monthly = answer.servicesWithVolume > 0;
  fill(
    box,
    changed,
    h(
      "p",
      { class: "muted small table-about", id: "top-services-about" },
      `What if every Service used ${name}: the ${rows.length} Services of snapshot ${answer.snapshot} whose traffic would cost most to cross zones, ` +
        (monthly ? "by monthly cost under it where a volume is known, then by cost per GB" : `by cost per GB under it (${NO_TRAFFIC})`) +
        `. Under each figure, the observed one; Δ is the change from it.`,
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { id: "top-services-table", class: "top-services--what-if", dataset: { policy: answer.policy }, "aria-describedby": "top-services-about" },
        h("caption", { class: "visually-hidden" }, `Top Services by cross-zone cost, what if every Service used ${name}, beside the observed figures`),
        topHead(monthly, h("th", { scope: "col", class: "num", title: "Change from the observed figures" }, "Δ")),
        h(
          "tbody",
          {},
          rows.map((row) =>
            h(
              "tr",
              { dataset: { service: `${row.namespace}/${row.name}`, changed: String(row.changed) } },
              h("th", { scope: "row" }, h("a", { href: serviceUrl(row.namespace, row.name) }, `${row.namespace}/`, h("wbr"), row.name)),
              h("td", { "data-label": "Policy" }, h("span", { class: "tag" }, row.policy)),
              figureCell("Cross-zone", "cross-zone", row.crossZoneFraction, row.observed.crossZoneFraction, pct),
              figureCell("USD/GB", "cost", row.costPerGb, row.observed.costPerGb, perGb),
              monthly ? monthlyUnder(row) : null,
              deltaCell(row),
            ),
          ),
        ),
      ),
    ),
  );
}

// The top Services under the what-if policy shown, when they are those of the flow map shown.
function whatIfShown() {
  const under = state.policyServices;
  const shown = state.policy !== "observed" && under?.policy === state.policy && under.snapshot === state.flowmap?.snapshot;
  return shown ? under : null;
}

function topUnder(policy, seq) {
  return api.get(clusterApi(cluster, "top-services/"), { policy, snapshot: seq });
}

// Whether the snapshot has any volume (then the table ranks and shows monthly figures).
function hasVolumes() {
  const flows = state.observed || state.flowmap;
  return Boolean(flows && flows.monthlyCost !== null && flows.monthlyCost !== undefined);
}

// As the server ranks them: monthly cost where volumes are known (those first), then cost per
// GB; the list API's rows carry each Service's monthly figure and its source.
function rank(rows) {
  const items = rows.map((row) => ({ ...row, monthlyCost: row.monthlyCost ?? null }));
  items.sort(
    (a, b) =>
      (a.monthlyCost === null) - (b.monthlyCost === null) ||
      (b.monthlyCost ?? 0) - (a.monthlyCost ?? 0) ||
      b.costPerGb - a.costPerGb ||
      (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  return items.slice(0, 10);
}

async function fetchTop(seq, observed) {
  const monthly = observed.monthlyCost !== null && observed.monthlyCost !== undefined;
  // Without volumes the list API's own order (-cost, then namespace and name) is the ranking.
  const page = await api.get(clusterApi(cluster, "services/"), { ordering: "-cost", page_size: monthly ? 1000 : 10, snapshot: seq });
  return rank(page.results);
}

// --- drawing and fetching ---------------------------------------------------------------------

function render() {
  const flows = state.flowmap;
  el("topology-waiting").hidden = Boolean(flows);
  el("topology-body").hidden = !flows;
  if (!flows) return;
  headline(flows);
  const zones = zonesOf(flows);
  const { drawn, omitted } = view.draw(flows, "");
  view.svg.setAttribute("aria-label", summary(flows, zones, drawn));
  note(flows, zones);
  legend(drawn, omitted);
  heatmap(flows, zones);
  const under = whatIfShown();
  if (under) whatIfTable(under);
  else topTable(state.top, flows.snapshot);
  document.body.dataset.topologySeq = String(flows.snapshot);
  document.body.dataset.topologyPolicy = state.policy;
}

function flowmapFor(policy, seq) {
  return api.get(clusterApi(cluster, "flowmap/"), { policy, snapshot: seq });
}

async function load({ withTop }) {
  const ticket = ++state.request;
  const policy = state.policy;
  document.body.dataset.loading = "true";
  try {
    // A page pinned to a snapshot (?snapshot=SEQ) stays on it; else the newest.
    const flows = await flowmapFor(policy, document.body.dataset.pinnedSeq);
    const seq = flows.snapshot;
    const [observed, policyServices] = await Promise.all([
      policy === "observed" ? flows : state.observed?.snapshot === seq ? state.observed : flowmapFor("observed", seq),
      policy === "observed" ? null : topUnder(policy, seq),
    ]);
    const top = withTop || state.flowmap?.snapshot !== seq ? await fetchTop(seq, observed) : state.top;
    if (ticket !== state.request) return; // a newer switch or snapshot superseded this one
    Object.assign(state, { flowmap: flows, observed, top, policyServices });
    showError(null);
    render();
  } catch (error) {
    if (ticket !== state.request) return;
    if (error.status === 404 && !state.flowmap) return; // still no snapshot
    showError(`Could not load the flow map: ${error.message}`);
  } finally {
    if (ticket === state.request) delete document.body.dataset.loading;
  }
}

function setPolicy(key) {
  if (!policies.has(key)) return;
  state.policy = key;
  for (const button of el("policy-toggle").querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.policy === key));
  }
  const about = policies.get(key).about;
  el("policy-about").textContent = key === "observed" ? `Observed: ${about}.` : `What if ${about}?`;
  const url = new URL(window.location.href);
  if (key === "observed") url.searchParams.delete("policy");
  else url.searchParams.set("policy", key);
  window.history.replaceState(null, "", url);
  load({ withTop: false });
}

el("policy-toggle").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-policy]");
  if (button && button.getAttribute("aria-pressed") !== "true") setPolicy(button.dataset.policy);
});

document.addEventListener("tl:snapshot", (event) => {
  if (event.detail.cluster === cluster) load({ withTop: true });
});

let resizeTimer = null;
new ResizeObserver(() => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    view.redrawIfNeeded();
    scrollHint();
  }, 100);
}).observe(el("topology-view"));
// Another colour theme (js/theme_toggle.js): the heatmap's cells take its colours.
onThemeChange(render);

render();
if (state.flowmap && state.policy !== "observed") {
  flowmapFor("observed", state.flowmap.snapshot).then((observed) => {
    state.observed = observed;
    headline(state.flowmap);
  });
}
