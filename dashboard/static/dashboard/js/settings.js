// Settings: save the cluster's price overrides (PATCH prices/), its traffic source (PUT / DELETE
// traffic-source/, admins; "Refresh now" POSTs volumes/refresh/, editors; the latest fetches from
// volumes/fetches/) and each Service's monthly volume set by hand (PUT / DELETE
// services/{ns}/{name}/volume/), one row at a time or pasted in bulk, with the API's validation
// messages next to the field they concern. Each row shows the volume in use and where it came
// from: set by hand wins over measured, and clearing it falls back to the measured one.

import { api, clusterApi } from "./api.js";
import { fill, h, pageData } from "./dom.js";
import { ago, count, gb, NO_TRAFFIC, sourceWord, staleSince, usd, volumeLabel, when } from "./format.js";

const cluster = document.body.dataset.cluster;
const data = pageData("settings-data");
const totals = { ...data.totals };

function volumeUrl(namespace, name) {
  return clusterApi(cluster, `services/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/volume/`);
}

function deleteVolume(namespace, name) {
  return api.delete(volumeUrl(namespace, name));
}

function setStatus(el, text, ok) {
  el.textContent = text;
  el.className = `${el.className.replace(/\s*status--(ok|error)/g, "")} ${ok ? "status--ok" : "status--error"}`;
}

function fieldError(input, el, message) {
  el.textContent = message || "";
  el.hidden = !message;
  input.setAttribute("aria-invalid", message ? "true" : "false");
}

// --- totals -----------------------------------------------------------------------------------

// "3 measured, 1 set by hand": how many of the Services with a volume got it from where.
function sourcesText(bySource) {
  return ["measured", "simulated", "manual"]
    .filter((kind) => bySource && bySource[kind] > 0)
    .map((kind) => `${count(bySource[kind])} ${sourceWord(kind)}`)
    .join(", ");
}

function renderTotals() {
  document.getElementById("total-with").textContent = `${count(totals.withVolume)} of ${count(totals.services)}`;
  document.getElementById("total-sources").textContent = totals.withVolume ? sourcesText(totals.bySource) : NO_TRAFFIC;
  document.getElementById("total-gb").textContent = totals.withVolume ? count(Math.round(totals.monthlyGb * 1000) / 1000) : "–";
  document.getElementById("total-cost").textContent = totals.withVolume ? usd(totals.monthlyCost) : "–";
}

// --- prices -----------------------------------------------------------------------------------

const pricesForm = document.getElementById("prices-form");
const priceFields = [
  ["priceCrossZone", document.getElementById("price-zone"), document.getElementById("price-zone-error")],
  ["priceCrossRegion", document.getElementById("price-region"), document.getElementById("price-region-error")],
];

pricesForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!data.canEdit) return;
  const status = document.getElementById("prices-status");
  const body = {};
  for (const [key, input, error] of priceFields) {
    fieldError(input, error, "");
    body[key] = input.value.trim() === "" ? null : input.value.trim();
  }
  if (priceFields.some(([, input]) => input.validity.badInput)) {
    for (const [, input, error] of priceFields) {
      if (input.validity.badInput) fieldError(input, error, "Enter a number of dollars, e.g. 0.01.");
    }
    setStatus(status, "Not saved: fix the field marked.", false);
    return;
  }
  const button = document.getElementById("save-prices");
  button.disabled = true;
  try {
    const saved = await api.patch(clusterApi(cluster, "prices/"), body);
    for (const [key, input] of priceFields) input.value = saved[key] === null ? "" : String(saved[key]);
    const overridden = priceFields.some(([key]) => saved[key] !== null);
    setStatus(status, overridden ? "Saved: your prices replace the list prices." : "Saved: the list prices apply.", true);
  } catch (err) {
    let placed = false;
    for (const [key, input, error] of priceFields) {
      const messages = err.details && err.details[key];
      if (messages) {
        fieldError(input, error, messages[0]);
        placed = true;
      }
    }
    setStatus(status, placed ? "Not saved: fix the field marked." : `Not saved: ${err.message}`, false);
  } finally {
    button.disabled = false;
  }
});

// --- where clients run (PATCH the cluster's `clients`) ------------------------------------------

const clientsForm = document.getElementById("clients-form");
clientsForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!data.isAdmin) return;
  const select = document.getElementById("clients-basis");
  const error = document.getElementById("clients-error");
  const status = document.getElementById("clients-status");
  const button = document.getElementById("save-clients");
  fieldError(select, error, "");
  button.disabled = true;
  try {
    const saved = await api.patch(clusterApi(cluster, ""), { clients: select.value });
    select.value = saved.clients;
    setStatus(status, `Saved: ${saved.clients}, from the next snapshot.`, true);
  } catch (err) {
    const messages = err.details && err.details.clients;
    if (messages) fieldError(select, error, messages[0]);
    setStatus(status, `Not saved: ${messages ? "fix the field marked" : err.message}.`, false);
  } finally {
    button.disabled = false;
  }
});

// --- when to flag a Service (PATCH the cluster's `crossZoneAlert`, a share 0..1) ----------------

const alertForm = document.getElementById("alert-form");
alertForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!data.isAdmin) return;
  const input = document.getElementById("cross-zone-alert");
  const error = document.getElementById("cross-zone-alert-error");
  const status = document.getElementById("alert-status");
  const button = document.getElementById("save-alert");
  fieldError(input, error, "");
  const percent = input.value.trim() === "" ? NaN : Number(input.value);
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    fieldError(input, error, "A percentage from 0 to 100.");
    setStatus(status, "Not saved: fix the field marked.", false);
    return;
  }
  button.disabled = true;
  try {
    const saved = await api.patch(clusterApi(cluster, ""), { crossZoneAlert: percent / 100 });
    input.value = String(Math.round(saved.crossZoneAlert * 1e6) / 1e4);
    setStatus(status, `Saved: Services above ${input.value}% cross-zone are flagged.`, true);
  } catch (err) {
    const messages = err.details && err.details.crossZoneAlert;
    if (messages) fieldError(input, error, messages[0]);
    setStatus(status, `Not saved: ${messages ? "fix the field marked" : err.message}.`, false);
  } finally {
    button.disabled = false;
  }
});

// --- volumes, row by row ------------------------------------------------------------------------

function rowFor(namespace, name) {
  return [...document.querySelectorAll("#volume-table tbody tr")].find(
    (tr) => tr.dataset.namespace === namespace && tr.dataset.name === name,
  );
}

function number(text) {
  return text === undefined || text === "" ? null : Number(text);
}

// The "Volume in use" cell: GB, where it came from (a tag, titled with the whole label) and
// when, or "no traffic measured".
function showInUse(td, value, source, label, note) {
  td.dataset.source = source || "";
  if (value === null) {
    fill(td, h("span", { class: "no-volume" }, NO_TRAFFIC));
    return;
  }
  fill(
    td,
    h("strong", { class: "in-use__gb" }, gb(value)),
    h("span", { class: `source-tag source-tag--${source}`, title: label }, sourceWord(source)),
    " ",
    h("span", { class: "in-use__label small muted" }, note),
  );
}

// A volume set by hand's short word: its note and when (settings_page.py's in_use_note).
function manualNote(volume) {
  return volume.source ? `${volume.source}, set ${ago(volume.updatedAt)}` : `set ${ago(volume.updatedAt)}`;
}

// Update a row and the totals after its volume set by hand became `volume` (null: cleared, so
// the measured one, if any, is in use again).
function showVolume(tr, volume) {
  const cost = Number(tr.dataset.cost);
  const inUse = tr.querySelector(".in-use");
  const before = number(tr.dataset.inUse);
  const beforeSource = inUse.dataset.source;
  const manual = volume ? Number(volume.monthlyGb) : null;
  const measured = number(tr.dataset.measuredGb);
  const after = manual !== null ? manual : measured;
  const afterSource = manual !== null ? "manual" : measured !== null ? tr.dataset.measuredSource : "";
  totals.bySource = { measured: 0, simulated: 0, manual: 0, ...totals.bySource };
  if (before !== null) {
    totals.withVolume -= 1;
    totals.monthlyGb -= before;
    totals.monthlyCost -= before * cost;
    if (beforeSource) totals.bySource[beforeSource] -= 1;
  }
  if (after !== null) {
    totals.withVolume += 1;
    totals.monthlyGb += after;
    totals.monthlyCost += after * cost;
    if (afterSource) totals.bySource[afterSource] += 1;
  }
  tr.dataset.gb = manual === null ? "" : String(manual);
  tr.dataset.inUse = after === null ? "" : String(after);
  tr.querySelector("input").value = manual === null ? "" : String(manual);
  tr.querySelector(".monthly-cost").textContent = after === null ? "–" : usd(after * cost);
  const label = manual !== null ? volumeLabel("manual", volume.source, volume.updatedAt) : tr.dataset.measuredLabel;
  const note = manual !== null ? manualNote(volume) : tr.dataset.measuredNote;
  showInUse(inUse, after, afterSource, label, note);
  const clear = tr.querySelector("[data-action=clear]");
  if (clear) clear.hidden = manual === null;
  const meta = tr.querySelector(".volume-meta");
  const overrides = measured !== null ? ` · overrides the ${tr.dataset.measuredSource} ${gb(measured)}` : "";
  meta.textContent = volume ? `${volume.source ? `${volume.source} · ` : ""}set by ${volume.updatedBy || "you"} just now${overrides}` : "";
  renderTotals();
}

async function saveRow(tr) {
  const input = tr.querySelector("input");
  const status = tr.querySelector(".status");
  const { namespace, name } = tr.dataset;
  const value = input.value.trim();
  input.setAttribute("aria-invalid", "false");
  if (value === "" || input.validity.badInput) {
    input.setAttribute("aria-invalid", "true");
    setStatus(status, value === "" && !input.validity.badInput ? "Enter GB a month, or use Clear." : "Enter a number of GB.", false);
    input.focus();
    return;
  }
  try {
    const volume = await api.put(volumeUrl(namespace, name), { monthlyGb: value });
    showVolume(tr, volume);
    setStatus(status, tr.dataset.measuredGb ? `Saved: overrides the ${tr.dataset.measuredSource} volume` : "Saved", true);
  } catch (err) {
    input.setAttribute("aria-invalid", "true");
    const messages = err.details && err.details.monthlyGb;
    setStatus(status, messages ? messages[0] : err.message, false);
    input.focus();
  }
}

function clearedText(tr) {
  return tr.dataset.measuredGb ? `Cleared: back to the ${tr.dataset.measuredSource} volume` : "Cleared";
}

async function clearRow(tr) {
  const status = tr.querySelector(".status");
  try {
    await deleteVolume(tr.dataset.namespace, tr.dataset.name);
    showVolume(tr, null);
    setStatus(status, clearedText(tr), true);
  } catch (err) {
    if (err.status === 404) {
      showVolume(tr, null); // someone else cleared it already
      setStatus(status, clearedText(tr), true);
    } else {
      setStatus(status, err.message, false);
    }
  }
}

const table = document.getElementById("volume-table");
if (table) {
  for (const tr of table.querySelectorAll("tbody tr")) tr.dataset.gb = tr.querySelector("input").value;
  table.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const tr = button.closest("tr");
    if (button.dataset.action === "save") saveRow(tr);
    else clearRow(tr);
  });
  table.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("input") && data.canEdit) {
      event.preventDefault();
      saveRow(event.target.closest("tr"));
    }
  });
}

// --- volumes in bulk: "namespace/name GB" lines ------------------------------------------------

const LINE = /^\s*([^\s/]+)\/([^\s,;:=]+)[\s,;:=]+([0-9]+(?:\.[0-9]+)?)\s*(?:GB)?\s*$/i;

const bulkForm = document.getElementById("bulk-form");
if (bulkForm) {
  bulkForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = document.getElementById("bulk-result");
    const source = document.getElementById("bulk-source").value.trim();
    const lines = document.getElementById("bulk-lines").value.split("\n");
    const problems = [];
    const work = [];
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      const match = line.match(LINE);
      if (match) work.push({ line: i + 1, namespace: match[1], name: match[2], gb: match[3] });
      else problems.push(`Line ${i + 1}: “${line.trim()}” is not “namespace/name GB”.`);
    });
    if (!work.length && !problems.length) {
      fill(out, h("p", { class: "status status--error" }, "Paste at least one line."));
      return;
    }
    const button = document.getElementById("bulk-save");
    button.disabled = true;
    let saved = 0;
    for (const item of work) {
      try {
        const volume = await api.put(volumeUrl(item.namespace, item.name), { monthlyGb: item.gb, source });
        saved += 1;
        const tr = rowFor(item.namespace, item.name);
        if (tr) showVolume(tr, volume);
      } catch (err) {
        const messages = err.details && (err.details.monthlyGb || err.details.source);
        problems.push(`Line ${item.line} (${item.namespace}/${item.name}): ${messages ? messages[0] : err.message}`);
      }
    }
    button.disabled = false;
    fill(
      out,
      h("p", { class: `status ${problems.length ? "status--error" : "status--ok"}` },
        `Saved ${count(saved)} volume${saved === 1 ? "" : "s"}${problems.length ? `; ${count(problems.length)} line${problems.length === 1 ? "" : "s"} not saved:` : "."}`),
      problems.length ? h("ul", { class: "small" }, problems.map((p) => h("li", {}, p))) : null,
    );
  });
}

// --- traffic source ---------------------------------------------------------------------------

const traffic = data.traffic;
let source = traffic.source; // as GET traffic-source/ answers, or null
let fetches = traffic.fetches; // as GET volumes/fetches/ lists them, newest first
const FETCHES = 10; // fetches listed (settings_page.py's FETCHES)
const sourceUrl = clusterApi(cluster, "traffic-source/");
const $ = (id) => document.getElementById(id);

// Seconds as a PromQL range: 7d, 1h, 90s (routing.volumes.presets.duration).
function durationText(seconds) {
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]]) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

// "7d", "12h", "30m", "90s" or plain seconds -> seconds; null when it is none of those.
function parseDuration(text) {
  const match = text.trim().match(/^(\d+)\s*([dhms]?)$/i);
  if (!match || Number(match[1]) <= 0) return null;
  return Number(match[1]) * { d: 86400, h: 3600, m: 60, s: 1, "": 1 }[match[2].toLowerCase()];
}

function labelOf(choices, key) {
  return (choices.find((c) => c.key === key) || { label: key }).label;
}

function moment(iso) {
  return iso ? [h("time", { datetime: iso }, when(iso)), ` (${ago(iso)})`] : "never";
}

// The cluster pages' banner (base.html): shown while the source is failing.
function showStale(status) {
  const banner = $("volumes-stale-banner");
  if (!banner) return;
  const headline = staleSince(status);
  banner.hidden = !headline;
  $("volumes-stale-since").textContent = headline;
  $("volumes-stale-error").textContent = headline ? status.error || "" : "";
}

function renderSource() {
  const view = $("source-view");
  if (!source) {
    fill(
      view,
      h(
        "p",
        { class: "empty", id: "source-none" },
        `No traffic source yet: ${NO_TRAFFIC}. Monthly figures come only from volumes set by hand below.`,
      ),
    );
    showStale(null);
    return;
  }
  const st = source.status;
  const badge = { ok: "ok", failing: "error", never: "warning" }[st.state] || "warning";
  const credentials =
    source.auth === "none"
      ? "none"
      : `${labelOf(traffic.auths, source.auth)}, from ${source.credentialsEnv ? `the environment variable ${source.credentialsEnv}` : `the file ${source.credentialsFile}`}`;
  const rows = [
    [
      "Status",
      [
        h("span", { class: `badge badge--${badge}`, id: "source-state", dataset: { state: st.state } }, st.state),
        st.state === "failing" ? [" ", h("span", { class: "source-error", id: "source-error" }, st.error || "")] : null,
        st.state === "never" ? h("span", { class: "muted" }, " no refresh yet") : null,
      ],
    ],
    ["Preset", [h("strong", {}, source.preset), ` ${labelOf(traffic.presets, source.preset)}`]],
    ["Prometheus URL", source.url ? h("code", { class: "source-url" }, source.url) : "–"],
    source.preset === "custom" ? ["Query", h("code", { class: "source-url" }, source.query)] : null,
    ["Window", `${durationText(source.windowSeconds)} (the rate's range)`],
    ["Refresh", source.enabled ? `every ${durationText(source.refreshInterval)}` : `not scheduled (enabled is off; every ${durationText(source.refreshInterval)} when on)`],
    ["Credentials", credentials],
    ["Last success", moment(st.lastSuccessAt)],
    ["Last attempt", moment(st.lastAttemptAt)],
    st.state === "failing" ? ["Stale since", st.staleSince ? moment(st.staleSince) : "never fetched"] : null,
  ].filter(Boolean);
  fill(
    view,
    h(
      "table",
      { class: "defaults source-table", id: "source-table" },
      h("caption", { class: "visually-hidden" }, `The traffic source of ${cluster}`),
      h("tbody", {}, rows.map(([label, value]) => h("tr", { dataset: { field: label } }, h("th", { scope: "row" }, label), h("td", {}, value)))),
    ),
  );
  showStale(st);
}

function renderFetches() {
  const box = $("fetches");
  if (!fetches.length) {
    fill(box, h("p", { class: "empty", id: "fetches-none" }, `No fetch yet: ${NO_TRAFFIC}.`));
    return;
  }
  fill(
    box,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "fetches", id: "fetch-table" },
        h("caption", { class: "visually-hidden" }, "The latest volume fetches, newest first"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Fetched", "From", "Services matched", "Unmatched series", "GB a month", "Monthly cost", "Notes"].map((label, i) =>
              h("th", { scope: "col", class: i >= 2 && i <= 5 ? "num" : null }, label),
            ),
          ),
        ),
        h(
          "tbody",
          {},
          fetches.map((f) =>
            h(
              "tr",
              { dataset: { id: String(f.id) } },
              h("th", { scope: "row" }, h("time", { datetime: f.fetchedAt }, when(f.fetchedAt)), h("span", { class: "small muted" }, ` ${ago(f.fetchedAt)}`)),
              h(
                "td",
                { "data-label": "From" },
                h("span", { class: `source-tag source-tag--${f.preset === "simulation" ? "simulated" : "measured"}` }, f.preset === "simulation" ? "simulated" : "measured"),
                " ",
                h("span", { class: "small fetch-source" }, f.source),
              ),
              h("td", { class: "num", "data-label": "Services matched", dataset: { col: "services" } }, count(f.services)),
              h("td", { class: "num", "data-label": "Unmatched series", dataset: { col: "unmatched" } }, `${count(f.unmatchedSeries)} of ${count(f.series)}`),
              h("td", { class: "num", "data-label": "GB a month", dataset: { col: "gb" } }, gb(f.totalGb)),
              h("td", { class: "num", "data-label": "Monthly cost", dataset: { col: "cost" } }, usd(f.monthlyCost)),
              h(
                "td",
                { "data-label": "Notes", class: "fetch-notes" },
                f.notes.length ? h("ul", { class: "small" }, f.notes.map((n) => h("li", {}, n))) : h("span", { class: "muted small" }, "none"),
                f.unmatched.length
                  ? h(
                      "details",
                      { class: "small" },
                      h("summary", {}, `${count(f.unmatched.length)} unmatched series (sample)`),
                      h("ul", {}, f.unmatched.map((labels) => h("li", {}, h("code", {}, JSON.stringify(labels))))),
                    )
                  : null,
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

// --- the form (admins) -------------------------------------------------------------------------

const sourceForm = $("source-form");
const FIELDS = {
  url: "source-url",
  preset: "source-preset",
  windowSeconds: "source-window",
  refreshInterval: "source-interval",
  query: "source-query",
  auth: "source-auth",
  credentialsEnv: "source-env",
  credentialsFile: "source-file",
  caFile: "source-ca",
  timeoutSeconds: "source-timeout",
};
const DEFAULTS = { url: "", preset: "cadvisor", query: "", auth: "none", credentialsEnv: "", credentialsFile: "", caFile: "", timeoutSeconds: 30, windowSeconds: 7 * 86400, refreshInterval: 3600, verifyTls: true, enabled: true };

function fillForm() {
  if (!sourceForm) return;
  const s = source || DEFAULTS;
  const select = (el, choices) => {
    if (!el.options.length) for (const c of choices) el.append(h("option", { value: c.key }, c.key));
  };
  select($("source-preset"), traffic.presets);
  select($("source-auth"), traffic.auths);
  $("source-url").value = s.url;
  $("source-preset").value = s.preset;
  presetHint();
  $("source-query").value = s.query;
  $("source-auth").value = s.auth;
  $("source-env").value = s.credentialsEnv;
  $("source-file").value = s.credentialsFile;
  $("source-ca").value = s.caFile;
  $("source-timeout").value = String(s.timeoutSeconds);
  $("source-window").value = durationText(s.windowSeconds);
  $("source-interval").value = durationText(s.refreshInterval);
  $("source-verify").checked = s.verifyTls;
  $("source-enabled").checked = s.enabled;
  $("source-remove").hidden = !source;
  $("source-edit-summary").textContent = source ? "Change the traffic source" : "Set a traffic source";
  const actions = $("source-actions");
  if (actions) actions.hidden = !source;
}

// What the chosen preset queries, under the list.
function presetHint() {
  $("source-preset-hint").textContent = labelOf(traffic.presets, $("source-preset").value);
}

function clearFieldErrors() {
  for (const id of Object.values(FIELDS)) fieldError($(id), $(`${id}-error`), "");
}

if (sourceForm) {
  $("source-preset").addEventListener("change", presetHint);
  sourceForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("source-status");
    clearFieldErrors();
    const body = {
      url: $("source-url").value.trim(),
      preset: $("source-preset").value,
      query: $("source-query").value,
      auth: $("source-auth").value,
      credentialsEnv: $("source-env").value.trim(),
      credentialsFile: $("source-file").value.trim(),
      caFile: $("source-ca").value.trim(),
      verifyTls: $("source-verify").checked,
      enabled: $("source-enabled").checked,
    };
    const problems = [];
    for (const [key, id] of [["windowSeconds", "source-window"], ["refreshInterval", "source-interval"]]) {
      const seconds = parseDuration($(id).value);
      if (seconds === null) problems.push([id, "Use a duration such as 7d, 12h, 30m or 90s."]);
      else body[key] = seconds;
    }
    const timeout = $("source-timeout");
    if (timeout.value.trim() === "" || timeout.validity.badInput) problems.push(["source-timeout", "Enter the seconds to wait, e.g. 30."]);
    else body.timeoutSeconds = Number(timeout.value);
    if (problems.length) {
      for (const [id, message] of problems) fieldError($(id), $(`${id}-error`), message);
      setStatus(status, "Not saved: fix the fields marked.", false);
      return;
    }
    const button = $("source-save");
    button.disabled = true;
    try {
      source = await api.put(sourceUrl, body);
      fillForm();
      renderSource();
      setStatus(status, "Saved. Refresh now to measure the volumes at once, or wait for the schedule.", true);
    } catch (err) {
      let placed = false;
      for (const [key, id] of Object.entries(FIELDS)) {
        const messages = err.details && err.details[key];
        if (messages) {
          fieldError($(id), $(`${id}-error`), messages[0]);
          placed = true;
        }
      }
      setStatus(status, placed ? "Not saved: fix the fields marked." : `Not saved: ${err.message}`, false);
    } finally {
      button.disabled = false;
    }
  });

  $("source-remove").addEventListener("click", async () => {
    const status = $("source-status");
    try {
      await api.delete(sourceUrl);
    } catch (err) {
      if (err.status !== 404) {
        setStatus(status, `Not removed: ${err.message}`, false);
        return;
      }
    }
    source = null;
    fillForm();
    renderSource();
    setStatus(status, "Removed: nothing more will be fetched; the volumes already fetched stay in use.", true);
  });
}

// --- refresh now (editors) ---------------------------------------------------------------------

async function reloadSource() {
  try {
    source = await api.get(sourceUrl);
  } catch (err) {
    if (err.status === 404) source = null;
    else throw err;
  }
  renderSource();
}

const refreshButton = $("refresh-now");
if (refreshButton) {
  refreshButton.addEventListener("click", async () => {
    const status = $("refresh-status");
    refreshButton.disabled = true;
    setStatus(status, "Refreshing…", true);
    status.classList.remove("status--ok");
    try {
      const made = await api.post(clusterApi(cluster, "volumes/refresh/"));
      fetches = [made, ...fetches].slice(0, FETCHES);
      renderFetches();
      setStatus(
        status,
        `Fetched: ${count(made.services)} Service${made.services === 1 ? "" : "s"} matched, ` +
          `${count(made.unmatchedSeries)} unmatched series, ${gb(made.totalGb)} a month` +
          (made.monthlyCost === null ? ". " : `, ${usd(made.monthlyCost)} a month crossing zones. `),
        true,
      );
      // The volumes table below was served before this fetch: a reload shows the new volumes.
      status.append(h("a", { href: `${location.pathname}${location.search}#volumes` }, "Show the new volumes"));
    } catch (err) {
      const message = err.status === 409 ? "Another refresh of this cluster is running; try again in a moment." : `Not refreshed: ${err.message}`;
      setStatus(status, message, false);
    } finally {
      refreshButton.disabled = false;
      await reloadSource().catch((err) => console.warn(`traffic source: ${err.message}`));
    }
  });
}

fillForm();
renderSource();
renderFetches();

// A new snapshot may bring other Services or costs: offer to show them (a reload keeps edits
// from being overwritten under the user's cursor).
document.addEventListener("tl:snapshot", (event) => {
  if (event.detail.cluster !== cluster) return;
  const note = document.getElementById("settings-update");
  fill(
    note,
    `Snapshot ${event.detail.seq} arrived; its Services and costs may differ. `,
    h("a", { href: location.pathname + location.search + "#volumes" }, "Show them"),
  );
  note.hidden = false;
});

renderTotals();
