// The Services table: filters, sorting and paging done by the list API
// (GET /api/v1/clusters/<name>/services/), the state kept in the page's query string (so a view can
// be bookmarked and Back works), and the current page re-fetched when a snapshot lands. Each
// monthly figure says where its volume came from (measured, simulated, set by hand).

import { api, clusterApi } from "./api.js";
import { count, NO_TRAFFIC, pct, perGb, sourceWord, times, usd, volumeLabel } from "./format.js";
import { fill, flash, h, pageData } from "./dom.js";
import { initNamespaces } from "./namespaces.js";

const data = pageData("services-data");
const cluster = data.cluster;
const FILTERS = ["search", "namespace", "zone", "policy", "mechanism", "min_cross_zone", "has_diagnostics", "overloaded"];
// Text sorts first A to Z, figures largest first; a second click turns the order round.
const ASCENDING_FIRST = new Set(["name", "policy"]);
// The server's default: monthly cost once the snapshot has any volume, else cost per GB.
const DEFAULT_ORDERING = data.defaultOrdering || "-cost";
// The fetch whose measured (or simulated) volumes are in force: {source, detail, at} or null.
let fetchInForce = data.fetch;

const $ = (id) => document.getElementById(id);
const form = $("services-filters");
const controls = {
  search: $("f-search"),
  namespace: $("f-namespace"),
  zone: $("f-zone"),
  policy: $("f-policy"),
  mechanism: $("f-mechanism"),
  minCrossZone: $("f-min-cross-zone"),
  overloaded: $("f-overloaded"),
  diagnostics: $("f-diagnostics"),
};

let state = stateFromQuery(location.search);
let latest = 0; // id of the newest request; older answers are dropped

// --- state <-> query string <-> controls -----------------------------------------------------

function stateFromQuery(search) {
  const params = new URLSearchParams(search);
  const next = { ordering: params.get("ordering") || DEFAULT_ORDERING, page: Math.max(1, Number(params.get("page")) || 1) };
  for (const key of FILTERS) {
    const value = params.get(key);
    if (value) next[key] = value;
  }
  return next;
}

// A page pinned to a snapshot (?snapshot=SEQ, dashboard/pages/time_travel.py) keeps the pin in
// its own URL, its API queries, its exports and its Service links.
const PINNED = document.body.dataset.pinnedSeq || null;

function queryFromState(s) {
  const params = new URLSearchParams();
  if (PINNED) params.set("snapshot", PINNED);
  for (const key of FILTERS) if (s[key]) params.set(key, s[key]);
  if (s.ordering !== DEFAULT_ORDERING) params.set("ordering", s.ordering);
  if (s.page > 1) params.set("page", String(s.page));
  const text = params.toString();
  return text ? `?${text}` : location.pathname;
}

function hasFilters(s) {
  return FILTERS.some((key) => s[key]);
}

function ensureOption(select, value) {
  if (value && ![...select.options].some((o) => o.value === value)) select.append(h("option", { value }, value));
}

function writeControls(s) {
  ensureOption(controls.namespace, s.namespace);
  ensureOption(controls.policy, s.policy);
  controls.search.value = s.search || "";
  controls.namespace.value = s.namespace || "";
  controls.zone.value = s.zone || "";
  controls.policy.value = s.policy || "";
  controls.mechanism.value = s.mechanism || "";
  controls.minCrossZone.value = s.min_cross_zone ? String(Number((Number(s.min_cross_zone) * 100).toFixed(4))) : "";
  controls.overloaded.checked = s.overloaded === "true";
  controls.diagnostics.checked = s.has_diagnostics === "true";
  $("f-clear").hidden = !hasFilters(s);
}

function readControls() {
  const next = { ordering: state.ordering, page: 1 };
  const search = controls.search.value.trim();
  if (search) next.search = search;
  if (controls.namespace.value) next.namespace = controls.namespace.value;
  if (controls.zone.value) next.zone = controls.zone.value;
  if (controls.policy.value) next.policy = controls.policy.value;
  if (controls.mechanism.value) next.mechanism = controls.mechanism.value;
  const percent = Number(controls.minCrossZone.value);
  if (controls.minCrossZone.value !== "" && Number.isFinite(percent) && percent > 0) {
    next.min_cross_zone = String(Math.min(1, percent / 100));
  }
  if (controls.overloaded.checked) next.overloaded = "true";
  if (controls.diagnostics.checked) next.has_diagnostics = "true";
  return next;
}

// --- rendering -----------------------------------------------------------------------------------

function serviceUrl(row) {
  const part = encodeURIComponent;
  const pin = PINNED ? `?snapshot=${PINNED}` : "";
  return `/clusters/${part(cluster)}/services/${part(row.namespace)}/${part(row.name)}/${pin}`;
}

// A monthly figure's source in words, as services.py's source_label: measured rows name the
// fetch in force, manual ones say "set by hand".
function sourceLabel(source) {
  if ((source === "measured" || source === "simulated") && fetchInForce) {
    return volumeLabel(source, fetchInForce.detail, fetchInForce.at);
  }
  return volumeLabel(source, null, null);
}

function monthlyCell(row) {
  const value = row.monthlyCost ?? null;
  const attrs = {
    class: "num",
    dataset: { col: "monthly", value: value === null ? "" : String(value), source: row.volumeSource || "" },
    "data-label": "Monthly",
  };
  if (value === null) return h("td", attrs, h("span", { class: "no-volume small" }, NO_TRAFFIC));
  return h(
    "td",
    attrs,
    usd(value),
    h("span", { class: `source-tag source-tag--${row.volumeSource}`, title: sourceLabel(row.volumeSource) }, sourceWord(row.volumeSource)),
  );
}

// Where the Monthly column's figures come from, as services.py's volumes_note.
function volumesNote() {
  const el = $("services-volumes");
  if (!el || !fetchInForce) return;
  const said = volumeLabel(fetchInForce.source, fetchInForce.detail, fetchInForce.at);
  el.textContent = `Monthly: ${said}${data.manualVolumes ? "; volumes set by hand win." : "."}`;
}

// The newest fetch is the one in force for the newest snapshot (routing.volumes.lookup).
async function loadFetch() {
  const answer = await api.get(clusterApi(cluster, "volumes/fetches/"), { page_size: 1 });
  const newest = answer.results[0];
  if (!newest) return;
  fetchInForce = { source: newest.preset === "simulation" ? "simulated" : "measured", detail: newest.source, at: newest.fetchedAt };
  volumesNote();
}

// Why a row has its health, in words: the badge's title (dashboard/pages/services.py: health_why).
function healthWhy(row) {
  const reasons = [];
  if (row.dropped > 0) reasons.push(`drops ${pct(row.dropped)} of its traffic`);
  if (row.maxOverload > data.overloadLimit) reasons.push(`overload ${times(row.maxOverload)} (limit ${data.overloadLimit}×)`);
  if (row.crossZoneFraction > data.crossZoneAlert) reasons.push(`${pct(row.crossZoneFraction)} crosses zones (alert above ${pct(data.crossZoneAlert)})`);
  const top = row.topDiagnostic;
  if (top && (top.severity === "error" || top.severity === "warning")) reasons.push(`${top.severity}: ${top.message}`);
  return reasons.join("; ") || "nothing to flag";
}

function rowElement(row) {
  const key = `${row.namespace}/${row.name}`;
  const diagnostics = row.diagnostics.error + row.diagnostics.warning + row.diagnostics.info;
  const top = row.topDiagnostic;
  return h(
    "tr",
    { dataset: { key } },
    h("th", { scope: "row", class: "svc-name" }, h("a", { href: serviceUrl(row) }, h("span", { class: "muted" }, `${row.namespace}/`), row.name)),
    h(
      "td",
      { dataset: { col: "health" }, "data-label": "Health" },
      h("span", { class: `health health--${row.health}`, title: healthWhy(row) }, row.health),
      diagnostics ? h("span", { class: "findings small muted", title: top.message }, `${diagnostics} finding${diagnostics === 1 ? "" : "s"}`) : null,
    ),
    h(
      "td",
      { class: "svc-policy", dataset: { col: "policy" }, "data-label": "Policy" },
      h("span", { class: "svc-policy__name" }, row.policy),
      row.mechanism !== "none" ? [" ", h("span", { class: "tag" }, row.mechanism)] : null,
      row.internalTrafficPolicy === "Local" ? [" ", h("span", { class: "tag tag--local", title: "internalTrafficPolicy: Local" }, "iTP Local")] : null,
    ),
    h("td", { class: row.crossZoneFraction > data.crossZoneAlert ? "num cell--warn" : "num", dataset: { col: "crossZone" }, "data-label": "Cross-zone" }, pct(row.crossZoneFraction)),
    h("td", { class: row.dropped > 0 ? "num cell--bad" : "num", dataset: { col: "dropped" }, "data-label": "Dropped" }, pct(row.dropped)),
    h("td", { class: row.maxOverload > data.overloadLimit ? "num cell--bad" : "num", dataset: { col: "overload" }, "data-label": "Max overload" }, times(row.maxOverload)),
    h("td", { class: "num", dataset: { col: "cost" }, "data-label": "USD/GB" }, perGb(row.costPerGb)),
    monthlyCell(row),
    h(
      "td",
      { dataset: { col: "recommendation" }, "data-label": "Recommendation" },
      recommendationCell(row),
    ),
  );
}

// Each shown cell's text, by Service and column: after a re-render, a cell whose text moved
// flashes briefly, so what a new snapshot changed catches the eye (the same Service under the
// same snapshot renders the same text, so filtering and sorting flash nothing).
function cellTexts(tbody) {
  const texts = new Map();
  for (const tr of tbody.rows) {
    for (const td of tr.querySelectorAll("td[data-col]")) texts.set(`${tr.dataset.key}\u0000${td.dataset.col}`, td.textContent);
  }
  return texts;
}

function flashChanged(tbody, before) {
  for (const tr of tbody.rows) {
    for (const td of tr.querySelectorAll("td[data-col]")) {
      const old = before.get(`${tr.dataset.key}\u0000${td.dataset.col}`);
      if (old === undefined || old === td.textContent) continue;
      flash(td);
    }
  }
}

function render(answer, s) {
  const tbody = $("services-rows");
  // Keep keyboard focus on the same Service's link when its row is rebuilt.
  const focused = tbody.contains(document.activeElement) ? document.activeElement.closest("tr")?.dataset.key : null;
  const before = cellTexts(tbody);
  fill(tbody, answer.results.map(rowElement));
  flashChanged(tbody, before);
  if (focused) {
    const again = [...tbody.rows].find((tr) => tr.dataset.key === focused);
    if (again) again.querySelector("a").focus({ preventScroll: true });
  }
  const empty = answer.count === 0;
  $("services-table-wrap").hidden = empty;
  $("services-pager").hidden = empty;
  $("services-empty-filtered").hidden = !(empty && hasFilters(s));
  $("services-empty-none").hidden = !(empty && !hasFilters(s));

  const pages = Math.max(1, Math.ceil(answer.count / data.pageSize));
  const first = (s.page - 1) * data.pageSize + 1;
  const last = first + answer.results.length - 1;
  $("pager-text").textContent = `Services ${count(first)}–${count(last)} of ${count(answer.count)}`;
  $("pager-pages").textContent = `page ${s.page} of ${pages}`;
  const prev = $("pager-prev");
  const next = $("pager-next");
  prev.hidden = s.page <= 1;
  next.hidden = s.page >= pages;
  prev.href = queryFromState({ ...s, page: s.page - 1 });
  next.href = queryFromState({ ...s, page: s.page + 1 });

  const key = s.ordering.replace(/^-/, "");
  for (const th of document.querySelectorAll("#services-table th[data-sort]")) {
    th.setAttribute("aria-sort", th.dataset.sort !== key ? "none" : s.ordering.startsWith("-") ? "descending" : "ascending");
  }
  $("f-clear").hidden = !hasFilters(s);
  data.count = answer.count;
  writeExportLinks(s);
}

// The list API's export of what the table shows: every row under the filters, in its order.
function writeExportLinks(s) {
  for (const format of ["csv", "json"]) {
    const params = new URLSearchParams();
    for (const key of FILTERS) if (s[key]) params.set(key, s[key]);
    params.set("ordering", s.ordering);
    if (PINNED) params.set("snapshot", PINNED);
    params.set("format", format);
    $(`export-${format}`).href = `${data.servicesApi}?${params}`;
  }
}

function typingIn(target) {
  return target instanceof HTMLElement && (target.isContentEditable || target.closest("input, textarea, select, [contenteditable]"));
}

function setStatus(text, isError = false) {
  const status = $("services-status");
  status.textContent = text;
  status.classList.toggle("services-status--error", isError);
}

// --- loading -------------------------------------------------------------------------------------

function apiParams(s) {
  const params = { ordering: s.ordering, page: s.page, page_size: data.pageSize };
  for (const key of FILTERS) if (s[key]) params[key] = s[key];
  if (PINNED) params.snapshot = PINNED;
  return params;
}

async function fetchPage(s) {
  try {
    return await api.get(clusterApi(cluster, "services/"), apiParams(s));
  } catch (error) {
    if (error.status !== 404 || s.page === 1) throw error;
    // The page is past the end now (fewer Services than when it was opened): show the last one.
    const first = await api.get(clusterApi(cluster, "services/"), apiParams({ ...s, page: 1 }));
    s.page = Math.max(1, Math.ceil(first.count / data.pageSize));
    return s.page === 1 ? first : api.get(clusterApi(cluster, "services/"), apiParams(s));
  }
}

// history: "push" adds an entry (a user's choice), "replace" rewrites it, null leaves the URL be.
async function load(next, history, note = "") {
  const id = ++latest;
  const s = { ...next };
  document.body.dataset.servicesLoading = "true";
  try {
    const answer = await fetchPage(s);
    if (id !== latest) return;
    state = s;
    render(answer, s);
    const url = queryFromState(s);
    if (history === "push" && url !== location.pathname + location.search) window.history.pushState(s, "", url);
    else if (history === "replace" || s.page !== next.page) window.history.replaceState(s, "", url);
    setStatus(note || (answer.snapshot ? `Showing snapshot ${answer.snapshot.seq}` : ""));
  } catch (error) {
    if (id !== latest) return;
    setStatus(`Could not load the Services: ${error.message}`, true);
  } finally {
    if (id === latest) {
      delete document.body.dataset.servicesLoading;
      document.body.dataset.servicesSeq = String(latest);
    }
  }
}

function apply() {
  load(readControls(), "push");
}

// --- wiring --------------------------------------------------------------------------------------

function wire() {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(searching);
    apply();
  });
  for (const select of [controls.namespace, controls.policy, controls.mechanism, controls.overloaded, controls.diagnostics]) {
    select.addEventListener("change", apply);
  }
  // The zone's note (its nodes) is written by the server: another zone is another page load.
  controls.zone.addEventListener("change", () => location.assign(queryFromState(readControls())));
  // The search asks once typing pauses; a pending ask is dropped when the text changes back.
  let searching = null;
  controls.search.addEventListener("input", () => {
    clearTimeout(searching);
    searching = setTimeout(() => {
      if ((readControls().search || "") !== (state.search || "")) apply();
    }, 300);
  });
  controls.search.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && controls.search.value) {
      event.preventDefault();
      controls.search.value = "";
      controls.search.dispatchEvent(new Event("input"));
    }
  });
  // "/" goes to the search, as on GitHub and Grafana, unless one is typing somewhere.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) return;
    event.preventDefault();
    controls.search.focus();
    controls.search.select();
  });

  let typing = null;
  controls.minCrossZone.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(apply, 400);
  });
  controls.minCrossZone.addEventListener("change", () => {
    clearTimeout(typing);
    if ((readControls().min_cross_zone || "") !== (state.min_cross_zone || "")) apply();
  });

  const clear = (event) => {
    event.preventDefault();
    const next = { ordering: state.ordering, page: 1 };
    if (state.zone) {
      location.assign(queryFromState(next)); // the zone's note goes with it (see above)
      return;
    }
    writeControls(next);
    load(next, "push");
  };
  $("f-clear").addEventListener("click", clear);
  $("services-clear-filters").addEventListener("click", clear);

  for (const th of document.querySelectorAll("#services-table th[data-sort]")) {
    th.querySelector("button").addEventListener("click", () => {
      const key = th.dataset.sort;
      const first = ASCENDING_FIRST.has(key) ? key : `-${key}`;
      const second = ASCENDING_FIRST.has(key) ? `-${key}` : key;
      const ordering = state.ordering === first ? second : first;
      load({ ...state, ordering, page: 1 }, "push");
    });
  }
  for (const [id, step] of [["pager-prev", -1], ["pager-next", 1]]) {
    $(id).addEventListener("click", (event) => {
      event.preventDefault();
      load({ ...state, page: state.page + step }, "push").then(() => {
        $("services-table-wrap").scrollIntoView({ block: "nearest" });
      });
    });
  }

  window.addEventListener("popstate", () => {
    const next = stateFromQuery(location.search);
    writeControls(next);
    load(next, null);
  });

  document.addEventListener("tl:snapshot", (event) => {
    if (event.detail.cluster !== cluster) return;
    // The fetch first, so that the rebuilt rows' labels name the one in force.
    loadFetch()
      .catch((error) => console.warn(`volume fetches: ${error.message}`))
      .then(() => load(state, null, `Updated to snapshot ${event.detail.seq}`));
    reloadNamespaces();
  });
  window.history.replaceState(state, "", location.href);
}

// A namespace chosen in the "By namespace" section: the table shows its Services.
function chooseNamespace(namespace) {
  const next = { ordering: state.ordering, page: 1, ...Object.fromEntries(FILTERS.filter((k) => state[k]).map((k) => [k, state[k]])), namespace };
  writeControls(next);
  load(next, "push").then(() => $("services-table-wrap").scrollIntoView({ block: "nearest" }));
}

const reloadNamespaces = initNamespaces(cluster, chooseNamespace);

if (form) {
  writeControls(state);
  wire();
  document.body.dataset.servicesReady = "true";
} else if (data.seq === null) {
  // No snapshot yet: the first one brings the whole table, which the server renders.
  document.addEventListener("tl:snapshot", (event) => {
    if (event.detail.cluster === cluster) location.reload();
  });
}

// A policy switch, else the best verified fix's kind (a Service that drops or overloads is never
// shown as "keep" when the engine found a fix), else "keep".
function recommendationCell(row) {
  if (row.recommendedPolicy) return h("span", { class: "svc-rec" }, `→ ${row.recommendedPolicy}`);
  if (row.bestFix) return h("span", { class: "svc-rec svc-rec--fix", title: "the best fix the engine verified: see the Service page" }, `fix: ${row.bestFix}`);
  return h("span", { class: "muted" }, "keep");
}
