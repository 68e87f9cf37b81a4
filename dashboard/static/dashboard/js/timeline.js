// Timeline: the cluster's snapshots newest first, each opening onto what changed since the one
// before it (the snapshot diff, in words), and the cost / cross-zone charts over a time range,
// with the monthly cost at each volume fetch (GET volumes/fetches/).
// First paint from the page's json_script; paging, ranges, diffs and live updates from /api/v1/.

import { api, clusterApi } from "./api.js";
import { diffList } from "./diff_words.js";
import { fill, h, pageData } from "./dom.js";
import { count, FLOW_COLOURS, NO_TRAFFIC, pct, perGb, sourceWord, usd, when } from "./format.js";
import { chartTheme, cssColour, onThemeChange } from "./theme.js";
import { axisBounds, LABEL_SIZE, TIME_LABELS } from "./time_axis.js";

const cluster = document.body.dataset.cluster;
const data = pageData("timeline-data");
const RANGES = { hour: 3600e3, day: 86400e3, week: 7 * 86400e3, all: null };
const RANGE_WORDS = { hour: "the last hour", day: "the last day", week: "the last week", all: "all time" };
// A cost is not a flow: its line takes the accent, so orange means crossing zones and red
// crossing regions on every page (--accent; this is the light palette's, should app.css lack it).
const COST_COLOUR = "#1d4ed8";

const state = {
  page: 1,
  pageSize: data.pageSize,
  count: data.snapshots.count,
  results: data.snapshots.results,
  range: "all",
  series: data.series,
  fetches: data.fetches || [], // volume fetches, newest first (GET volumes/fetches/)
  // When the oldest snapshot kept was taken (ms; null before the first): where "all" begins,
  // and a range that reaches further back begins at the first snapshot instead.
  first: data.firstTakenAt ? time(data.firstTakenAt) : null,
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
  cost: window.echarts.init(document.getElementById("chart-cost"), chartTheme(), { renderer: "canvas" }),
  monthly: window.echarts.init(document.getElementById("chart-monthly"), chartTheme(), { renderer: "canvas" }),
  cross: window.echarts.init(document.getElementById("chart-cross"), chartTheme(), { renderer: "canvas" }),
};
const resizer = new ResizeObserver(() => Object.values(charts).forEach((c) => c.resize()));
Object.values(charts).forEach((c) => resizer.observe(c.getDom()));

// The x axis runs from the first reading in the range to now. The first reading is the oldest
// kept (`first`, in ms; unknown: the first point) when it falls in the range, else the range's
// start: a week picked for a cluster watched for an hour shows that hour, not an empty week. It
// never runs into the future (a browser clock behind the server's still shows the newest point).

function time(iso) {
  return new Date(iso).getTime();
}

function span(points) {
  if (!points.length) return 0;
  return time(points[points.length - 1].takenAt) - time(points[0].takenAt);
}

function timeBounds(points, first) {
  const now = Date.now();
  const ms = RANGES[state.range];
  const start = ms ? now - ms : null;
  const newest = points.length ? time(points[points.length - 1].takenAt) : now;
  const oldest = first ?? (points.length ? time(points[0].takenAt) : null);
  // Nothing at all yet: an empty hour (or range).
  if (oldest === null) return axisBounds(start ?? now - 3600e3, newest, null, now);
  return axisBounds(oldest, newest, start, now);
}

function lineOption(name, points, key, format, colour, max, axisFormat, first) {
  const values = points.map((p) => [p.takenAt, p[key], p.seq, p.snapshots]);
  const bounds = timeBounds(points, first);
  return {
    animation: false,
    useUTC: true,
    // containLabel: the grid makes room for every axis label, so the first time label cannot run
    // into the y axis's bottom label at the corner (the x labels also sit a little lower).
    grid: { left: 8, right: 24, top: 24, bottom: 8, containLabel: true },
    title: {
      show: points.length === 0,
      text: "No snapshots in this range",
      left: "center",
      top: "middle",
      textStyle: { color: cssColour("--muted", "#566372"), fontSize: 14, fontWeight: "normal" },
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
    xAxis: {
      type: "time",
      ...bounds,
      axisLabel: { hideOverlap: true, margin: 12, fontSize: LABEL_SIZE, formatter: TIME_LABELS },
    },
    // One y axis: one figure per chart, so its scale cannot be mistaken for another's.
    yAxis: { type: "value", min: 0, max, axisLabel: { formatter: axisFormat, margin: 10, fontSize: LABEL_SIZE } },
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
        itemStyle: { color: colour, borderColor: cssColour("--surface", "#ffffff"), borderWidth: 1.5 },
        areaStyle: { color: colour, opacity: 0.08 },
        // What looks like one reading (one point, or several within a minute): its latest value
        // is written above it.
        label: {
          show: points.length > 0 && span(points) < 60e3,
          position: "top",
          distance: 8,
          formatter: (item) => (item.dataIndex === values.length - 1 ? format(item.value[1]) : ""),
          color: cssColour("--text", "#1b2430"),
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
    lineOption("Cost per GB", points, "costPerGb", perGb, cssColour("--accent", COST_COLOUR), undefined, dollars, state.first),
    true,
  );
  charts.cross.setOption(
    // The snapshot's figure: the mean over Services (each Service counts once), not the share of
    // all forwarded traffic that the topology page's headline shows.
    lineOption("Cross-zone share (Services weighted equally)", points, "crossZoneFraction", (v) => pct(v), cssColour("--flow-zone", FLOW_COLOURS.zone), 1, share, state.first),
    true,
  );
  drawMonthly();
  const snapshots = points.reduce((n, p) => n + p.snapshots, 0);
  const ms = RANGES[state.range];
  // A range longer than the history: say why the axis is shorter than the range.
  const shorter = ms && state.first !== null && state.first > Date.now() - ms
    ? ` The oldest snapshot kept is from ${when(new Date(state.first).toISOString())}: the axis starts there.`
    : "";
  seriesNote.textContent = (points.length
    ? `${count(snapshots)} snapshot${snapshots === 1 ? "" : "s"} in ${RANGE_WORDS[state.range]}, ` +
      `${count(points.length)} point${points.length === 1 ? "" : "s"} (one per ${duration(state.series.resolution)}; times in UTC).`
    : `No snapshots in ${RANGE_WORDS[state.range]}.`) + shorter;
}

// --- the monthly cost at each volume fetch -----------------------------------------------------

function fetchKind(fetch) {
  return fetch.preset === "simulation" ? "simulated" : "measured";
}

// When the oldest fetch listed with a monthly cost was made (ms), or null.
function firstFetch() {
  const costed = state.fetches.filter((f) => f.monthlyCost !== null && f.monthlyCost !== undefined);
  return costed.length ? time(costed[costed.length - 1].fetchedAt) : null;
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
  const option = lineOption(name, points, "monthlyCost", usd, cssColour("--accent", COST_COLOUR), undefined, (v) => usd(v), firstFetch());
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

// --- the diff in words (js/diff_words.js) -----------------------------------------------------

function serviceUrl(s) {
  return `/clusters/${encodeURIComponent(cluster)}/services/${encodeURIComponent(s.namespace)}/${encodeURIComponent(s.name)}/`;
}

function compareUrl(from, to) {
  return `/clusters/${encodeURIComponent(cluster)}/compare/?from=${from}&to=${to}`;
}

function diffView(diff) {
  return [
    h(
      "p",
      { class: "small muted" },
      `Compared with snapshot ${diff.from.seq} (${when(diff.from.takenAt)}). `,
      h("a", { href: compareUrl(diff.from.seq, diff.to.seq), class: "snapshot__compare" }, "Figures before and after"),
    ),
    diffList(diff, serviceUrl),
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
        ` · cross-zone ${pct(s.crossZoneFraction)} · ${perGb(s.costPerGbMean)} (Services weighted equally)`,
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
  if (state.first === null && event.detail.takenAt) state.first = time(event.detail.takenAt); // the first
  loadPage(state.page);
  loadSeries();
  loadFetches();
});

// Another colour theme (js/theme_toggle.js): the charts take its colours.
onThemeChange(drawCharts);

renderList();
drawCharts();
