// Timeline: the cluster's snapshots newest first, each opening onto what changed since the one
// before it (the snapshot diff, in words), and the cost / cross-zone charts over a time range,
// with the monthly cost at each volume fetch (GET volumes/fetches/).
// First paint from the page's json_script; paging, ranges, diffs and live updates from /api/v1/.

import { api, clusterApi } from "./api.js";
import { fill, h, pageData } from "./dom.js";
import { count, FLOW_COLOURS, NO_TRAFFIC, pct, perGb, sourceWord, usd, when } from "./format.js";

const cluster = document.body.dataset.cluster;
const data = pageData("timeline-data");
const RANGES = { hour: 3600e3, day: 86400e3, week: 7 * 86400e3, all: null };
const RANGE_WORDS = { hour: "the last hour", day: "the last day", week: "the last week", all: "all time" };
// A cost is not a flow: its line takes the accent, so orange means crossing zones and red
// crossing regions on every page.
const COST_COLOUR = "#1d4ed8";
const KIND_WORDS = {
  Node: "Nodes",
  Service: "Services",
  EndpointSlice: "EndpointSlices",
  Pod: "Pods",
  ReplicaSet: "ReplicaSets",
  Deployment: "Deployments",
  StatefulSet: "StatefulSets",
  DaemonSet: "DaemonSets",
};
const LISTED = 10; // Services named per added/removed line before "and N more"

const state = {
  page: 1,
  pageSize: data.pageSize,
  count: data.snapshots.count,
  results: data.snapshots.results,
  range: "all",
  series: data.series,
  fetches: data.fetches || [], // volume fetches, newest first (GET volumes/fetches/)
  open: new Set(), // seqs whose details are open, kept across re-renders
  fresh: new Set(), // seqs that arrived live, highlighted
  diffs: new Map(), // "seq:against" -> diff
};

const list = document.getElementById("snapshots");
const empty = document.getElementById("snapshots-empty");
const pager = document.getElementById("snapshot-pager");
const pageInfo = document.getElementById("page-info");
const newer = document.getElementById("page-newer");
const older = document.getElementById("page-older");
const countEl = document.getElementById("snapshot-count");
const seriesNote = document.getElementById("series-note");

// --- charts -----------------------------------------------------------------------------------

const charts = {
  cost: window.echarts.init(document.getElementById("chart-cost"), null, { renderer: "canvas" }),
  monthly: window.echarts.init(document.getElementById("chart-monthly"), null, { renderer: "canvas" }),
  cross: window.echarts.init(document.getElementById("chart-cross"), null, { renderer: "canvas" }),
};
const resizer = new ResizeObserver(() => Object.values(charts).forEach((c) => c.resize()));
Object.values(charts).forEach((c) => resizer.observe(c.getDom()));

// The x axis spans the range asked for, or the points (a little padded). Points within a minute
// of each other (one reading, as far as the eye can tell) are centred in the hour around them.
const HALF_HOUR = 30 * 60e3;

function span(points) {
  if (!points.length) return 0;
  return new Date(points[points.length - 1].takenAt).getTime() - new Date(points[0].takenAt).getTime();
}

function timeBounds(points) {
  const ms = RANGES[state.range];
  const now = Date.now();
  if (ms) return { min: now - ms, max: now };
  if (!points.length) return { min: now - 3600e3, max: now };
  const min = new Date(points[0].takenAt).getTime();
  const max = new Date(points[points.length - 1].takenAt).getTime();
  if (max - min < 60e3) {
    const middle = (min + max) / 2;
    return { min: middle - HALF_HOUR, max: middle + HALF_HOUR };
  }
  const pad = (max - min) * 0.03;
  return { min: min - pad, max: max + pad };
}

function lineOption(name, points, key, format, colour, max, axisFormat) {
  const values = points.map((p) => [p.takenAt, p[key], p.seq, p.snapshots]);
  const bounds = timeBounds(points);
  return {
    animation: false,
    // containLabel: the grid makes room for every axis label, so the first time label cannot run
    // into the y axis's bottom label at the corner (the x labels also sit a little lower).
    grid: { left: 8, right: 24, top: 24, bottom: 8, containLabel: true },
    title: {
      show: points.length === 0,
      text: "No snapshots in this range",
      left: "center",
      top: "middle",
      textStyle: { color: "#566372", fontSize: 14, fontWeight: "normal" },
    },
    // DOM nodes, not an HTML string: nothing in a tooltip is ever parsed as markup.
    tooltip: {
      trigger: "axis",
      formatter: (items) => {
        const [at, value, seq, n] = items[0].data;
        const snaps = n > 1 ? ` (last of ${n})` : "";
        return h("div", {}, when(at), h("br"), `snapshot ${seq}${snaps}`, h("br"), `${name}: `, h("b", {}, format(value)));
      },
    },
    xAxis: { type: "time", ...bounds, axisLabel: { hideOverlap: true, margin: 12 } },
    yAxis: { type: "value", min: 0, max, axisLabel: { formatter: axisFormat, margin: 10 } },
    series: [
      {
        name,
        type: "line",
        data: values,
        showSymbol: points.length < 60,
        // A filled dot with a white rim stays visible on the axis line (a value of 0).
        symbol: "circle",
        symbolSize: 8,
        clip: false, // a point on the axis (0) is drawn whole, not cut in half by the grid's edge
        connectNulls: false,
        lineStyle: { color: colour, width: 2 },
        itemStyle: { color: colour, borderColor: "#ffffff", borderWidth: 1.5 },
        areaStyle: { color: colour, opacity: 0.08 },
        // What looks like one reading (one point, or several within a minute): its latest value
        // is written above it.
        label: {
          show: points.length > 0 && span(points) < 60e3,
          position: "top",
          distance: 8,
          formatter: (item) => (item.dataIndex === values.length - 1 ? format(item.value[1]) : ""),
          color: "#1b2430",
          fontWeight: 600,
        },
      },
    ],
  };
}

function drawCharts() {
  const points = state.series.points;
  const dollars = (v) => `$${Number(v).toFixed(4)}`;
  const share = (v) => pct(v, 0);
  charts.cost.setOption(
    lineOption("Cost per GB", points, "costPerGb", perGb, COST_COLOUR, undefined, dollars),
    true,
  );
  charts.cross.setOption(
    // The snapshot's figure: the mean over Services (each Service counts once), not the share of
    // all forwarded traffic that the topology page's headline shows.
    lineOption("Cross-zone share, mean over Services", points, "crossZoneFraction", (v) => pct(v), FLOW_COLOURS.zone, 1, share),
    true,
  );
  drawMonthly();
  const snapshots = points.reduce((n, p) => n + p.snapshots, 0);
  seriesNote.textContent = points.length
    ? `${count(snapshots)} snapshot${snapshots === 1 ? "" : "s"} in ${RANGE_WORDS[state.range]}, ` +
      `${count(points.length)} point${points.length === 1 ? "" : "s"} (one per ${duration(state.series.resolution)}).`
    : `No snapshots in ${RANGE_WORDS[state.range]}.`;
}

// --- the monthly cost at each volume fetch -----------------------------------------------------

function fetchKind(fetch) {
  return fetch.preset === "simulation" ? "simulated" : "measured";
}

// The fetches in the range, oldest first, as points of the monthly cost.
function monthlyPoints() {
  const ms = RANGES[state.range];
  const since = ms ? Date.now() - ms : null;
  return state.fetches
    .filter((f) => f.monthlyCost !== null && f.monthlyCost !== undefined)
    .filter((f) => since === null || new Date(f.fetchedAt).getTime() >= since)
    .map((f) => ({ takenAt: f.fetchedAt, monthlyCost: f.monthlyCost, kind: fetchKind(f), services: f.services, source: f.source }))
    .reverse();
}

// Where the points' volumes came from: "measured", "simulated: demo model, not measured", ...
function kindsWords(points) {
  const kinds = new Set(points.map((p) => p.kind));
  if (kinds.size === 1 && kinds.has("simulated")) return "simulated: demo model, not measured";
  if (kinds.size === 1) return "measured";
  return kinds.size ? "measured and simulated" : "";
}

function monthlyName(points) {
  const kinds = kindsWords(points);
  return kinds ? `Monthly cost (${kinds})` : "Monthly cost";
}

function drawMonthly() {
  const points = monthlyPoints();
  const name = monthlyName(points);
  const option = lineOption(name, points, "monthlyCost", usd, "#1d4ed8", undefined, (v) => usd(v));
  option.title.text = state.fetches.length ? "No volume fetch in this range" : NO_TRAFFIC;
  option.tooltip.formatter = (items) => {
    const p = points[items[0].dataIndex];
    return h(
      "div",
      {},
      when(p.takenAt),
      h("br"),
      `${sourceWord(p.kind)}, ${count(p.services)} Service${p.services === 1 ? "" : "s"} matched`,
      h("br"),
      `${name}: `,
      h("b", {}, usd(p.monthlyCost)),
    );
  };
  charts.monthly.setOption(option, true);
  const about = document.getElementById("monthly-about");
  if (!state.fetches.length) {
    fill(
      about,
      `${NO_TRAFFIC[0].toUpperCase()}${NO_TRAFFIC.slice(1)}: no volume fetch yet, so no monthly cost. `,
      h("a", { href: `/clusters/${encodeURIComponent(cluster)}/settings/#traffic-source` }, "Set a traffic source"),
      " to measure the Services' traffic.",
    );
  } else {
    fill(
      about,
      `USD a month over the Services with a traffic volume, at each volume fetch (${count(points.length)} in ` +
        `${RANGE_WORDS[state.range]}${points.length ? `, ${kindsWords(points)}` : ""}); volumes set by hand win.`,
    );
  }
  document.getElementById("chart-monthly").dataset.points = String(points.length);
}

async function loadFetches() {
  try {
    const answer = await api.get(clusterApi(cluster, "volumes/fetches/"), { page_size: 1000 });
    state.fetches = answer.results;
    drawMonthly();
  } catch (err) {
    document.getElementById("monthly-about").textContent = `The volume fetches could not be loaded: ${err.message}`;
  }
}

function duration(seconds) {
  if (seconds % 86400 === 0) return plural(seconds / 86400, "day");
  if (seconds % 3600 === 0) return plural(seconds / 3600, "hour");
  if (seconds % 60 === 0) return plural(seconds / 60, "minute");
  return plural(seconds, "second");
}

function plural(n, word) {
  return n === 1 ? word : `${count(n)} ${word}s`;
}

async function loadSeries() {
  const ms = RANGES[state.range];
  const params = ms ? { since: new Date(Date.now() - ms).toISOString() } : undefined;
  try {
    state.series = await api.get(clusterApi(cluster, "timeseries/"), params);
    drawCharts();
  } catch (err) {
    seriesNote.textContent = `The figures could not be loaded: ${err.message}`;
  }
}

for (const button of document.querySelectorAll("#range button")) {
  button.addEventListener("click", () => {
    state.range = button.dataset.range;
    for (const b of document.querySelectorAll("#range button")) {
      b.setAttribute("aria-pressed", String(b === button));
    }
    loadSeries();
  });
}

// --- the diff in words ------------------------------------------------------------------------

function value(v) {
  return v === null || v === undefined ? "unset" : String(v);
}

function endpoints(n) {
  return `${count(n)} endpoint${n === 1 ? "" : "s"}`;
}

function names(items) {
  const shown = items.slice(0, LISTED).map((s) => `${s.namespace}/${s.name}`).join(", ");
  return items.length > LISTED ? `${shown} and ${count(items.length - LISTED)} more` : shown;
}

// One sentence per Service that changed (policy, figures, hints, zones), then the Services added
// and removed, the object counts and the cluster's mean cost. Returns [{service?, text}].
export function describeDiff(diff) {
  const byService = new Map();
  const key = (s) => `${s.namespace}/${s.name}`;
  const add = (s, text) => {
    const k = key(s);
    if (!byService.has(k)) byService.set(k, { service: s, parts: [] });
    byService.get(k).parts.push(text);
  };
  for (const c of diff.policyChanges) add(c, `${c.field} ${value(c.from)} → ${value(c.to)}`);
  for (const c of diff.cost.services) {
    if (c.from === null || c.to === null) continue; // the Service came or went: said below
    if (c.crossZoneFrom !== c.crossZoneTo) add(c, `cross-zone ${pct(c.crossZoneFrom, 0)} → ${pct(c.crossZoneTo, 0)}`);
    add(c, `cost ${perGb(c.from)} → ${perGb(c.to)}`);
  }
  for (const c of diff.hintChanges) {
    if (c.appeared) add(c, `hints appeared on ${endpoints(c.appeared)}`);
    if (c.disappeared) add(c, `hints disappeared from ${endpoints(c.disappeared)}`);
    if (c.changed) add(c, `hints changed on ${endpoints(c.changed)}`);
    if (c.endpointsAdded) add(c, `${endpoints(c.endpointsAdded)} added`);
    if (c.endpointsRemoved) add(c, `${endpoints(c.endpointsRemoved)} removed`);
  }
  for (const m of diff.zoneMoves) add(m, `endpoint ${m.ip} moved from zone ${value(m.from)} to ${value(m.to)}`);

  const lines = [...byService.values()].map(({ service, parts }) => ({
    service,
    text: `${key(service)}: ${parts.join(", ")}`,
  }));
  if (diff.services.added.length) {
    lines.push({ text: `Services added: ${names(diff.services.added)}` });
  }
  if (diff.services.removed.length) {
    lines.push({ text: `Services removed: ${names(diff.services.removed)}` });
  }
  const objects = Object.entries(diff.objects)
    .map(([kind, c]) => {
      const parts = ["added", "removed", "changed"].filter((w) => c[w]).map((w) => `${count(c[w])} ${w}`);
      return parts.length ? `${KIND_WORDS[kind] || kind} ${parts.join(", ")}` : null;
    })
    .filter(Boolean);
  lines.push({ text: objects.length ? `Objects: ${objects.join("; ")}` : "No objects changed." });
  const { meanFrom, meanTo, meanDelta } = diff.cost;
  if (meanDelta !== null && Math.abs(meanDelta) > 1e-12) {
    lines.push({ text: `Mean cost per GB over the Services: ${perGb(meanFrom)} → ${perGb(meanTo)}` });
  }
  return lines;
}

function serviceUrl(s) {
  return `/clusters/${encodeURIComponent(cluster)}/services/${encodeURIComponent(s.namespace)}/${encodeURIComponent(s.name)}/`;
}

function diffView(diff) {
  const lines = describeDiff(diff);
  const routing = lines.filter((l) => l.service);
  return [
    h("p", { class: "small muted" }, `Compared with snapshot ${diff.from.seq} (${when(diff.from.takenAt)}).`),
    routing.length ? null : h("p", { class: "diff__none" }, "No Service's routing, hints or cost changed."),
    h(
      "ul",
      { class: "diff" },
      lines.map((line) =>
        h(
          "li",
          { class: line.service ? "diff__service" : "diff__other" },
          line.service
            ? [h("a", { href: serviceUrl(line.service) }, `${line.service.namespace}/${line.service.name}`),
              line.text.slice(`${line.service.namespace}/${line.service.name}`.length)]
            : line.text,
        ),
      ),
    ),
  ];
}

async function loadDiff(item, snapshot, against) {
  const body = item.querySelector(".snapshot__diff");
  if (snapshot.seq === 1 || against < 1) {
    fill(body, h("p", {}, `The first snapshot of the cluster: ${count(snapshot.changedObjects)} objects recorded.`));
    return;
  }
  const cacheKey = `${snapshot.seq}:${against}`;
  let diff = state.diffs.get(cacheKey);
  if (!diff) {
    fill(body, h("p", { class: "muted" }, "Loading what changed…"));
    try {
      diff = await api.get(clusterApi(cluster, `snapshots/${snapshot.seq}/diff/`), { against });
    } catch (err) {
      const text = err.status === 404
        ? `Snapshot ${against}, the one before, is no longer kept, so there is nothing to compare with.`
        : `What changed could not be loaded: ${err.message}`;
      fill(body, h("p", { class: err.status === 404 ? "muted" : "warn" }, text));
      return;
    }
    state.diffs.set(cacheKey, diff);
  }
  fill(body, diffView(diff));
}

// --- the list ---------------------------------------------------------------------------------

function changedText(s) {
  if (s.seq === 1) return `first snapshot`;
  if (!s.changedObjects) return "no changes";
  return `${count(s.changedObjects)} object version${s.changedObjects === 1 ? "" : "s"} changed`;
}

function snapshotItem(s, against) {
  const item = h("details", { class: `snapshot${state.fresh.has(s.seq) ? " snapshot--new" : ""}`, dataset: { seq: s.seq } });
  item.append(
    h(
      "summary",
      {},
      h("span", { class: "snapshot__seq" }, `Snapshot ${s.seq}`),
      state.fresh.has(s.seq) ? h("span", { class: "badge badge--ok" }, "new") : null,
      h("time", { class: "snapshot__time", datetime: s.takenAt }, when(s.takenAt)),
      h("span", { class: "tag", title: "How it was taken" }, s.source),
      h("span", { class: "snapshot__changed", title: "Object versions this snapshot opened or closed (a changed object closes one version and opens another)" }, changedText(s)),
      h(
        "span",
        { class: "snapshot__meta small muted" },
        `${count(s.counts.services)} Services · ${count(s.counts.nodes)} nodes · ${count(s.counts.endpoints)} endpoints · ${count(s.counts.pods)} pods`,
        ` · mean cross-zone ${pct(s.crossZoneFraction)} · ${perGb(s.costPerGbMean)}`,
        s.servicesWithDiagnostics ? ` · ${count(s.servicesWithDiagnostics)} with warnings` : "",
      ),
    ),
    h("div", { class: "snapshot__diff", "aria-live": "polite" }),
  );
  item.addEventListener("toggle", () => {
    if (item.open) {
      state.open.add(s.seq);
      loadDiff(item, s, against);
    } else {
      state.open.delete(s.seq);
    }
  });
  if (state.open.has(s.seq)) item.open = true; // the toggle event loads its diff
  return item;
}

function renderList() {
  const items = state.results.map((s, i) => {
    const next = state.results[i + 1];
    return h("li", {}, snapshotItem(s, next ? next.seq : s.seq - 1));
  });
  fill(list, items);
  empty.hidden = state.count > 0;
  const pages = Math.max(1, Math.ceil(state.count / state.pageSize));
  pager.hidden = pages <= 1;
  pageInfo.textContent = `Page ${state.page} of ${pages}`;
  newer.disabled = state.page <= 1;
  older.disabled = state.page >= pages;
  countEl.textContent = `${count(state.count)} snapshot${state.count === 1 ? "" : "s"}`;
}

async function loadPage(page) {
  try {
    const answer = await api.get(clusterApi(cluster, "snapshots/"), { page, page_size: state.pageSize });
    state.page = page;
    state.count = answer.count;
    state.results = answer.results;
    renderList();
  } catch (err) {
    fill(list, h("li", {}, h("p", { class: "banner banner--error", role: "alert" }, `Snapshots could not be loaded: ${err.message}`)));
  }
}

newer.addEventListener("click", () => loadPage(state.page - 1));
older.addEventListener("click", () => loadPage(state.page + 1));

// A new snapshot: reload the page shown (on the first page it appears at the top) and the charts.
document.addEventListener("tl:snapshot", (event) => {
  if (event.detail.cluster !== cluster) return;
  if (event.detail.seq !== undefined) state.fresh.add(Number(event.detail.seq));
  loadPage(state.page);
  loadSeries();
  loadFetches();
});

renderList();
drawCharts();
