// The Service page's "What if…" panel (editors and admins; the template leaves the form out for
// viewers). A change to try (the topology policy, internalTrafficPolicy, ready endpoints and
// allocatable CPU per zone) is POSTed to .../services/{ns}/{name}/what-if/ with only the fields
// set, from the snapshot the page shows. The answer is shown as the API gives it: its before and
// after figures with the difference, the lines it applied, the controller's events, what
// kube-proxy would do and where the traffic would go, then the commands that would get there.
// Nothing is changed in the cluster.
//
// service.js starts the panel (initWhatIf) and hands it its own renderers, so that the after
// report is described in the page's words without this module importing the page's (which runs
// the whole page when imported). fillWhatIf sets the controls from a what-if body, for a
// "try it" button elsewhere; submitWhatIf then asks.

import { api, clusterApi } from "./api.js";
import { wrappable } from "./code_text.js";
import { copyText, fill, h } from "./dom.js";
import { pct, perGb, times, usd } from "./format.js";
import { kubectlPatchService } from "./shell.js";
import { chartTheme, onThemeChange } from "./theme.js";

const TOPOLOGY_MODE = "service.kubernetes.io/topology-mode";
const TOPOLOGY_HINTS = "service.kubernetes.io/topology-aware-hints"; // deprecated; the API removes it with topologyMode
const ZONE_MAPS = [
  ["replicasPerZone", "replicas"],
  ["cpuPerZone", "cpu"],
];
const CONTROL_OF = { trafficDistribution: "whatif-policy", topologyMode: "whatif-policy", internalTrafficPolicy: "whatif-itp" };
const MINUS = "\u2212";
const $ = (id) => document.getElementById(id);

let page = null; // from service.js: cluster, namespace, name, seq, overloadLimit, detail and renderers
let chart = null; // the after flows' sankey (ECharts)
let drawnReport = null; // the report it draws, drawn again in another colour theme
let asked = 0; // requests sent: an answer to an earlier one than the last is dropped

// --- the controls ---------------------------------------------------------------------------------

// The zones the cluster's nodes are in, as the Service's report names them.
function zonesOf(detail) {
  return Object.keys((detail.cluster && detail.cluster.zones) || {})
    .filter(Boolean)
    .sort((a, b) => a.localeCompare(b));
}

function zoneField(kind, zone, i, value) {
  const id = `whatif-${kind}-${i}`;
  const words = kind === "replicas" ? "Ready endpoints in " : "Allocatable CPU in ";
  const input =
    kind === "replicas"
      ? h("input", { type: "number", id, min: "0", step: "1", inputmode: "numeric", "aria-describedby": `whatif-replicas-hint ${id}-error` })
      : h("input", { type: "text", id, autocomplete: "off", spellcheck: "false", "aria-describedby": `whatif-cpu-hint ${id}-error` });
  input.dataset.zone = zone;
  input.value = value || "";
  return h(
    "div",
    { class: "field whatif-zone", dataset: { zone } },
    h("label", { for: id }, h("span", { class: "visually-hidden" }, words), zone),
    input,
    h("p", { class: "field-error", id: `${id}-error`, hidden: true }),
  );
}

function zoneInputs(kind) {
  return [...document.querySelectorAll(`#whatif-${kind}-zones input`)];
}

// The input of `zone` (compared as text: a zone's name is never put into a selector).
function zoneInput(kind, zone) {
  return zoneInputs(kind).find((input) => input.dataset.zone === zone) || null;
}

// One input per zone for each map, keeping what was typed for the zones that remain; left alone
// while the zones are the same (an input being typed in keeps its focus when a snapshot lands).
function buildZones() {
  const zones = zonesOf(page.detail);
  for (const [, kind] of ZONE_MAPS) {
    const shown = zoneInputs(kind).map((input) => input.dataset.zone);
    if (shown.length && shown.length === zones.length && shown.every((zone, i) => zone === zones[i])) continue;
    const typed = new Map(zoneInputs(kind).map((input) => [input.dataset.zone, input.value]));
    const box = $(`whatif-${kind}-zones`);
    fill(box, zones.length ? zones.map((zone, i) => zoneField(kind, zone, i, typed.get(zone))) : h("p", { class: "muted small" }, "No node has a zone label."));
  }
}

// The policy the Service has now, as the policy list names it.
function currentPolicy(policy) {
  if (policy.mechanism === "topologyAuto") return "Auto";
  if (policy.mechanism === "trafficDistribution") return policy.trafficDistribution;
  return "none";
}

// "(now)" after the choices the Service has, so that the lists say where it starts from.
function markCurrent() {
  const now = { "whatif-policy": currentPolicy(page.detail.policy), "whatif-itp": page.detail.policy.internalTrafficPolicy };
  for (const [id, value] of Object.entries(now)) {
    for (const option of $(id).options) {
      option.dataset.label ||= option.textContent;
      option.textContent = option.value === value ? `${option.dataset.label} (now)` : option.dataset.label;
    }
  }
}

function setSelect(select, value) {
  const found = [...select.options].some((option) => option.value === value);
  if (found) select.value = value;
  return found;
}

function resetControls() {
  $("whatif-policy").value = "keep";
  $("whatif-itp").value = "keep";
  for (const [, kind] of ZONE_MAPS) for (const input of zoneInputs(kind)) input.value = "";
}

// --- the request --------------------------------------------------------------------------------

// The API fields that make `choice` the Service's policy: a trafficDistribution also removes a
// topology annotation (it would decide instead), Auto also removes a trafficDistribution (as the
// recommendation's change does), none removes whichever the Service has.
function policyChanges(choice, policy) {
  const hasField = policy.trafficDistribution !== null && policy.trafficDistribution !== undefined;
  const hasAnnotation = Boolean(policy.topologyAnnotation);
  if (choice === "keep") return {};
  if (choice === "Auto") return { topologyMode: "Auto", ...(hasField ? { trafficDistribution: null } : {}) };
  if (choice === "none") {
    return { ...(hasField ? { trafficDistribution: null } : {}), ...(hasAnnotation ? { topologyMode: null } : {}) };
  }
  return { trafficDistribution: choice, ...(hasAnnotation ? { topologyMode: null } : {}) };
}

// The body from the controls (only what is set), and the inputs the browser could not read.
function collect() {
  const body = policyChanges($("whatif-policy").value, page.detail.policy);
  const itp = $("whatif-itp").value;
  if (itp !== "keep") body.internalTrafficPolicy = itp;
  const problems = [];
  for (const [key, kind] of ZONE_MAPS) {
    const entries = [];
    for (const input of zoneInputs(kind)) {
      const text = input.value.trim();
      if (kind === "replicas" && input.validity.badInput) problems.push([input, "Enter a whole number of endpoints, e.g. 3."]);
      else if (text !== "") entries.push([input.dataset.zone, kind === "replicas" ? Number(text) : text]);
    }
    // fromEntries makes each zone an own key, whatever its name (even "__proto__").
    if (entries.length) body[key] = Object.fromEntries(entries);
  }
  return { body, problems };
}

function setStatus(text, kind) {
  const status = $("whatif-status");
  status.textContent = text;
  status.className = `status${kind ? ` status--${kind}` : ""}`;
}

function fieldError(el, message) {
  const error = $(`${el.id}-error`);
  error.textContent = message || "";
  error.hidden = !message;
  if (el.matches("input, select")) el.setAttribute("aria-invalid", message ? "true" : "false");
}

function clearErrors() {
  for (const el of document.querySelectorAll("#whatif-form .field-error")) {
    el.textContent = "";
    el.hidden = true;
  }
  for (const el of document.querySelectorAll("#whatif-form [aria-invalid]")) el.removeAttribute("aria-invalid");
}

function firstMessage(value) {
  if (Array.isArray(value)) return value.length ? firstMessage(value[0]) : "";
  if (value && typeof value === "object") return firstMessage(Object.values(value)[0]);
  return String(value ?? "");
}

// A 400's field errors beside their controls: a zone's own beside its input, a map's as a whole
// under its group. How many controls were marked.
function placeErrors(details) {
  const marked = new Set();
  const mark = (el, message) => {
    fieldError(el, message);
    marked.add(el.id);
  };
  for (const [key, value] of Object.entries(details || {})) {
    const map = ZONE_MAPS.find(([name]) => name === key);
    if (CONTROL_OF[key]) {
      mark($(CONTROL_OF[key]), firstMessage(value));
    } else if (map && value && !Array.isArray(value) && typeof value === "object") {
      for (const [zone, messages] of Object.entries(value)) {
        const input = zoneInput(map[1], zone);
        if (input) mark(input, firstMessage(messages));
        else mark($(`whatif-${map[1]}`), `${zone}: ${firstMessage(messages)}`);
      }
    } else if (map) {
      mark($(`whatif-${map[1]}`), firstMessage(value));
    }
  }
  return marked.size;
}

function fixWords(n) {
  return `Not tried: fix the field${n === 1 ? "" : "s"} marked.`;
}

// Ask the API what the change in the controls would do, and show its answer; the answer, or
// null when nothing was asked or the API refused.
export async function submitWhatIf() {
  if (!page) return null;
  clearErrors();
  const { body, problems } = collect();
  if (problems.length) {
    for (const [input, message] of problems) fieldError(input, message);
    setStatus(fixWords(problems.length), "error");
    return null;
  }
  if (!Object.keys(body).length) {
    setStatus("Nothing to try: choose a policy other than the Service's, or fill in a zone.", "error");
    return null;
  }
  const ask = ++asked;
  const button = $("whatif-submit");
  button.disabled = true;
  setStatus("Working out what would happen…", null);
  const path = clusterApi(page.cluster, `services/${encodeURIComponent(page.namespace)}/${encodeURIComponent(page.name)}/what-if/`);
  try {
    const answer = await api.post(path, { ...body, snapshot: page.seq });
    if (ask !== asked) return null;
    renderResult(body, answer);
    const n = answer.changes.length;
    setStatus(`Done: snapshot ${answer.snapshot} with ${n} change${n === 1 ? "" : "s"} applied to a copy; the results are below.`, "ok");
    return answer;
  } catch (err) {
    if (ask !== asked) return null;
    // Field errors beside their fields; anything else (a 403 names the role it takes, a network
    // failure) in the status line, in the API's own words or api.js's.
    const placed = err.status === 400 ? placeErrors(err.details) : 0;
    setStatus(placed ? fixWords(placed) : `Not tried: ${err.message}`, "error");
    return null;
  } finally {
    if (ask === asked) button.disabled = false;
  }
}

// Set the controls from a what-if body (the API's shape: trafficDistribution, topologyMode,
// internalTrafficPolicy, replicasPerZone, cpuPerZone); what it leaves out is reset. Returns what
// could not be set (a value the lists lack, a zone the cluster does not have), e.g.
// ["replicasPerZone.eu-west-9z"]; submitWhatIf() asks.
export function fillWhatIf(changes) {
  const c = changes || {};
  if (!page) return Object.keys(c);
  resetControls();
  clearErrors();
  const missed = [];
  let policy = "keep";
  if (c.topologyMode === "Auto") policy = "Auto";
  else if (typeof c.trafficDistribution === "string") policy = c.trafficDistribution;
  // Only the annotation removed (migrate-annotation): the Service's own field then applies.
  else if (c.topologyMode === null && !("trafficDistribution" in c) && page.detail.policy.trafficDistribution) policy = page.detail.policy.trafficDistribution;
  else if ("trafficDistribution" in c || "topologyMode" in c) policy = "none";
  if (!setSelect($("whatif-policy"), policy)) missed.push("trafficDistribution");
  if ("internalTrafficPolicy" in c && !setSelect($("whatif-itp"), c.internalTrafficPolicy)) missed.push("internalTrafficPolicy");
  for (const [key, kind] of ZONE_MAPS) {
    for (const [zone, value] of Object.entries(c[key] || {})) {
      const input = zoneInput(kind, zone);
      if (input) input.value = String(value);
      else missed.push(`${key}.${zone}`);
    }
  }
  return missed;
}

function reset() {
  resetControls();
  clearErrors();
  setStatus("", null);
  $("whatif-result").hidden = true;
  asked += 1; // an answer still on its way is not shown
  $("whatif-submit").disabled = false;
}

// --- the answer -----------------------------------------------------------------------------------

// A difference in the figure's own unit, "no change" when there is none.
function delta(before, after, write) {
  if (before === null || before === undefined || after === null || after === undefined) return { text: "–" };
  const d = after - before;
  if (Math.abs(d) < 1e-12) return { text: "no change" };
  // Lower is better for every figure shown: crossing, dropping, overload and cost.
  return { text: `${d > 0 ? "+" : MINUS}${write(Math.abs(d))}`, kind: d > 0 ? "worse" : "better" };
}

const points = (d) => `${(d * 100).toFixed(1)} pts`;

function figureRows(before, after) {
  const limit = page.overloadLimit;
  const rows = [["cross-zone", "Cross-zone", "crossZoneFraction", pct, points]];
  if (before.crossRegionFraction > 0 || after.crossRegionFraction > 0) {
    rows.push(["cross-region", "Cross-region", "crossRegionFraction", pct, points]);
  }
  rows.push(
    ["dropped", "Dropped", "dropped", pct, points],
    ["overload", `Max overload (limit ${limit}×)`, "maxOverload", times, times],
    ["cost", "Cost per GB", "costPerGb", perGb, perGb],
  );
  if (after.monthlyCost !== null && after.monthlyCost !== undefined) rows.push(["monthly", "A month", "monthlyCost", usd, usd]);
  return rows.map(([id, label, key, write, writeDelta]) => {
    const change = delta(before[key], after[key], writeDelta);
    const over = (value) => key === "maxOverload" && value > limit;
    return h(
      "tr",
      { dataset: { figure: id } },
      h("th", { scope: "row" }, label),
      h("td", { class: over(before[key]) ? "num warn" : "num", dataset: { col: "before" }, "data-label": "Before" }, write(before[key])),
      h("td", { class: over(after[key]) ? "num warn" : "num", dataset: { col: "after" }, "data-label": "After" }, write(after[key])),
      h("td", { class: change.kind ? `num delta delta--${change.kind}` : "num delta", dataset: { col: "delta" }, "data-label": "Change" }, change.text),
    );
  });
}

function figuresTable(answer) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "whatif-figures", id: "whatif-figures" },
      h("caption", { class: "visually-hidden" }, `Headline figures of snapshot ${answer.snapshot} as it is and with the change`),
      h("thead", {}, h("tr", {}, ["Figure", "Before", "After", "Change"].map((label, i) => h("th", { scope: "col", class: i ? "num" : null }, label)))),
      h("tbody", {}, figureRows(answer.before, answer.after)),
    ),
  );
}

function eventList(report) {
  const events = (report.controller && report.controller.events) || [];
  if (!events.length) return h("p", { class: "muted small", id: "whatif-events" }, "None: the controller reports nothing.");
  return h("ul", { class: "whatif-lines", id: "whatif-events" }, events.map((e) => h("li", {}, `${e.type} ${e.reason}: ${e.message}`)));
}

// The merge patch of the Service fields in `body`, or null when it changes none.
function mergePatch(body) {
  const patch = {};
  if ("topologyMode" in body) patch.metadata = { annotations: { [TOPOLOGY_MODE]: body.topologyMode, [TOPOLOGY_HINTS]: null } };
  const spec = {};
  if ("trafficDistribution" in body) spec.trafficDistribution = body.trafficDistribution;
  if ("internalTrafficPolicy" in body) spec.internalTrafficPolicy = body.internalTrafficPolicy;
  if (Object.keys(spec).length) patch.spec = spec;
  return Object.keys(patch).length ? patch : null;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

// How to get there: a kubectl patch for the Service's own fields; for endpoints and CPU what is
// needed in words (the workload behind the Service and the node pools are not known here).
function applySteps(body) {
  const steps = [];
  const patch = mergePatch(body);
  if (patch) {
    const command = kubectlPatchService(page.namespace, page.name, patch);
    steps.push(
      h(
        "div",
        { class: "change-block" },
        h(
          "div",
          { class: "change-block__head" },
          h("span", { id: "whatif-command-label" }, "Patch the Service with kubectl"),
          h("button", { type: "button", class: "button button--secondary", dataset: { whatifCopy: "whatif-command" }, "aria-describedby": "whatif-command-label" }, "Copy command"),
        ),
        h("pre", { class: "change", id: "whatif-command" }, wrappable(command)),
      ),
    );
  }
  if (body.replicasPerZone) {
    steps.push(
      h("p", {}, "Ready endpoints to run (scale the Service's workload and spread it over the zones; the workload is not known here, so there is no command):"),
      h(
        "ul",
        { class: "whatif-lines", id: "whatif-apply-replicas" },
        Object.entries(body.replicasPerZone).map(([zone, n]) => h("li", { dataset: { zone } }, `${zone}: ${plural(n, "ready endpoint")}`)),
      ),
    );
  }
  if (body.cpuPerZone) {
    steps.push(
      h("p", {}, "Give the worker nodes of these zones this much allocatable CPU in all (add, remove or resize nodes):"),
      h(
        "ul",
        { class: "whatif-lines", id: "whatif-apply-cpu" },
        Object.entries(body.cpuPerZone).map(([zone, cpu]) => h("li", { dataset: { zone } }, `${zone}: ${cpu} CPU`)),
      ),
    );
  }
  steps.push(h("p", { class: "copy-status", id: "whatif-copy-status", role: "status", "aria-live": "polite" }));
  return steps;
}

function renderResult(body, answer) {
  const report = answer.report;
  const box = $("whatif-result");
  fill(
    box,
    h("h4", { id: "whatif-result-heading" }, `Snapshot ${answer.snapshot}: as it is, and with the change`),
    h(
      "div",
      { class: "whatif-result__grid" },
      figuresTable(answer),
      h(
        "div",
        {},
        h("h5", {}, "What the change does"),
        h("ul", { class: "whatif-lines", id: "whatif-changes" }, answer.changes.map((line) => h("li", {}, line))),
        h("h5", {}, "Controller events after it"),
        eventList(report),
      ),
    ),
    h(
      "div",
      { class: "svc-grid" },
      h(
        "section",
        { class: "card svc-card", "aria-labelledby": "whatif-proxy-heading" },
        h("h5", { id: "whatif-proxy-heading" }, "What kube-proxy would do"),
        h("ul", { class: "proxy-list", id: "whatif-proxy" }, page.proxyItems(report)),
      ),
      h(
        "section",
        { class: "card svc-card", "aria-labelledby": "whatif-flow-heading" },
        h("h5", { id: "whatif-flow-heading" }, "Where the traffic would go"),
        h("div", { class: "sankey whatif-sankey", id: "whatif-sankey", role: "img", "aria-label": "Flow from client zones to endpoint zones after the change" }),
        h("p", { class: "empty", id: "whatif-flow-empty", hidden: true }, "No traffic would be forwarded: nothing to draw."),
      ),
    ),
    h("section", { class: "card whatif-apply", "aria-labelledby": "whatif-apply-heading" }, h("h5", { id: "whatif-apply-heading" }, "Apply it"), applySteps(body)),
  );
  box.hidden = false; // before drawing: ECharts measures its container
  drawSankey(report);
}

function drawSankey(report) {
  drawnReport = report;
  const el = $("whatif-sankey");
  const option = page.sankeyOption(report);
  const empty = !option.series[0].links.length;
  $("whatif-flow-empty").hidden = !empty;
  el.hidden = empty;
  if (chart) chart.dispose(); // its old container was replaced with the rest of the answer
  chart = null;
  if (empty) return;
  chart = window.echarts.init(el, chartTheme(), { renderer: "svg" });
  chart.setOption(option, { notMerge: true });
  el.setAttribute("aria-label", `${page.sankeyWords(option)} (after the change)`);
}

onThemeChange(() => {
  if (chart && drawnReport) drawSankey(drawnReport);
});

async function copyCommand(button) {
  const source = $(button.dataset.whatifCopy);
  const status = $("whatif-copy-status");
  status.textContent = (await copyText(source.textContent, source))
    ? "Command copied to the clipboard."
    : "The browser refused the clipboard: the text is selected, copy it with Ctrl+C.";
}

// --- set-up, from service.js -------------------------------------------------------------------------

// Start the panel: `options` holds cluster, namespace, name, seq, overloadLimit, detail (the
// Service's report) and the page's renderers proxyItems(report), sankeyOption(report) and
// sankeyWords(option). Nothing happens on a viewer's page, which has no form.
export function initWhatIf(options) {
  const form = $("whatif-form");
  if (!form) return;
  page = { ...options };
  buildZones();
  markCurrent();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitWhatIf();
  });
  $("whatif-reset").addEventListener("click", reset);
  $("whatif-result").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-whatif-copy]");
    if (button) copyCommand(button);
  });
  window.addEventListener("resize", () => {
    if (chart) chart.resize();
  });
  form.dataset.ready = "true";
}

// A new snapshot: questions start from it, and its zones get inputs (what was typed stays).
export function updateWhatIf(detail, seq) {
  if (!page) return;
  page.detail = detail;
  page.seq = seq;
  $("whatif-seq").textContent = String(seq);
  buildZones();
  markCurrent();
}
