// Settings: save the cluster's price overrides (PATCH prices/) and each Service's monthly volume
// (PUT / DELETE services/{ns}/{name}/volume/), one row at a time or pasted in bulk, with the
// API's validation messages next to the field they concern.

import { api, clusterApi } from "./api.js";
import { fill, h, pageData } from "./dom.js";
import { count, usd } from "./format.js";

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

function money(value) {
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function renderTotals() {
  document.getElementById("total-with").textContent = `${count(totals.withVolume)} of ${count(totals.services)}`;
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

// --- volumes, row by row ------------------------------------------------------------------------

function rowFor(namespace, name) {
  return [...document.querySelectorAll("#volume-table tbody tr")].find(
    (tr) => tr.dataset.namespace === namespace && tr.dataset.name === name,
  );
}

// Update a row and the totals after its volume became `gb` (null: cleared).
function showVolume(tr, volume) {
  const cost = Number(tr.dataset.cost);
  const before = tr.dataset.gb === undefined || tr.dataset.gb === "" ? null : Number(tr.dataset.gb);
  const gb = volume ? Number(volume.monthlyGb) : null;
  if (before !== null) {
    totals.withVolume -= 1;
    totals.monthlyGb -= before;
    totals.monthlyCost -= before * cost;
  }
  if (gb !== null) {
    totals.withVolume += 1;
    totals.monthlyGb += gb;
    totals.monthlyCost += gb * cost;
  }
  tr.dataset.gb = gb === null ? "" : String(gb);
  tr.querySelector("input").value = gb === null ? "" : String(gb);
  tr.querySelector(".monthly-cost").textContent = gb === null ? "–" : money(gb * cost);
  const clear = tr.querySelector("[data-action=clear]");
  if (clear) clear.hidden = gb === null;
  const meta = tr.querySelector(".volume-meta");
  meta.textContent = volume ? `${volume.source ? `${volume.source} · ` : ""}set by ${volume.updatedBy || "you"} just now` : "";
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
    setStatus(status, "Saved", true);
  } catch (err) {
    input.setAttribute("aria-invalid", "true");
    const messages = err.details && err.details.monthlyGb;
    setStatus(status, messages ? messages[0] : err.message, false);
    input.focus();
  }
}

async function clearRow(tr) {
  const status = tr.querySelector(".status");
  try {
    await deleteVolume(tr.dataset.namespace, tr.dataset.name);
    showVolume(tr, null);
    setStatus(status, "Cleared", true);
  } catch (err) {
    if (err.status === 404) {
      showVolume(tr, null); // someone else cleared it already
      setStatus(status, "Cleared", true);
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
