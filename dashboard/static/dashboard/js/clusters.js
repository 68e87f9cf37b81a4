// Clusters overview: each card's figures follow its cluster live. On tl:snapshot the card
// re-reads the cluster (status, last contact), its newest snapshot (Services) and its flow map
// (share of forwarded traffic crossing zones, as the topology page's headline; zones; monthly
// cost with where its volumes came from, or mean cost per GB); on tl:status its badge.

import { api, clusterApi } from "./api.js";
import { fill, flash, h } from "./dom.js";
import { NO_TRAFFIC, perGb, pct, usd, volumesSummary, when } from "./format.js";

const list = document.getElementById("cluster-list");

function card(name) {
  if (!list) return null;
  return [...list.querySelectorAll(".cluster-card")].find((el) => el.dataset.cluster === name) || null;
}

function part(el, role) {
  return el.querySelector(`[data-role="${role}"]`);
}

// A card's figure; one a new snapshot changed flashes (the first paint's own figures do not).
function setValue(el, value, text) {
  const changed = el.textContent !== text && el.textContent.trim() !== "";
  el.dataset.value = value === null || value === undefined ? "" : String(value);
  el.textContent = text;
  if (changed) flash(el);
}

function showStatus(el, status, message, lastContactAt) {
  const badge = part(el, "status");
  badge.textContent = status.replace(/-/g, " ");
  badge.className = `badge badge--${status}`;
  badge.dataset.status = status;
  if (message !== undefined) part(el, "status-message").textContent = message || "";
  if (lastContactAt !== undefined) {
    part(el, "contact").hidden = !lastContactAt;
    const time = part(el, "contact-time");
    time.setAttribute("datetime", lastContactAt || "");
    time.textContent = when(lastContactAt);
  }
}

function zoneGroups(zones) {
  const regions = new Map();
  for (const zone of zones) {
    const key = zone.region ?? null;
    if (!regions.has(key)) regions.set(key, []);
    regions.get(key).push(zone.zone);
  }
  const keys = [...regions.keys()].sort((a, b) => (a === null) - (b === null) || String(a).localeCompare(String(b)));
  if (!keys.length) return [h("li", { class: "muted" }, "No zone labels on the nodes.")];
  return keys.map((region) =>
    h(
      "li",
      { dataset: { region: region ?? "" } },
      h("span", { class: "zone-groups__region" }, region ?? "no region label"),
      " ",
      regions.get(region).sort().flatMap((zone) => [h("span", { class: "tag", dataset: { zone } }, zone), " "]),
    ),
  );
}

// The monthly cost of crossing (the flow map's, over the Services with a volume) and where its
// volumes came from; with none, the mean cost per GB and "no traffic measured".
function costItem(el, flows) {
  const item = part(el, "cost");
  if (flows.monthlyCost !== null && flows.monthlyCost !== undefined) {
    item.dataset.kind = "monthly";
    fill(
      item,
      h("span", { class: "stats__value", dataset: { role: "cost-value", value: String(flows.monthlyCost) } }, usd(flows.monthlyCost)),
      "a month crossing zones ",
      h("span", { class: "stat-source", dataset: { role: "cost-source" } }, volumesSummary(flows.volumes)),
    );
  } else {
    item.dataset.kind = "per-gb";
    const value = flows.costPerGbMean;
    fill(
      item,
      h("span", { class: "stats__value", dataset: { role: "cost-value", value: value === null ? "" : String(value) } }, perGb(value)),
      "mean per GB crossing, Services weighted equally ",
      h(
        "span",
        { class: "stat-source", dataset: { role: "cost-source" } },
        h("span", { class: "stat-source--none" }, NO_TRAFFIC),
        " · ",
        h("a", { href: `${el.dataset.settingsUrl}#traffic-source` }, "measure or set volumes in Settings"),
      ),
    );
  }
}

async function refresh(name) {
  const el = card(name);
  if (!el) {
    // A cluster this page has not drawn (added since it loaded): the server lays out its card.
    window.location.reload();
    return;
  }
  el.setAttribute("aria-busy", "true");
  try {
    const [cluster, snapshots] = await Promise.all([
      api.get(clusterApi(name)),
      api.get(clusterApi(name, "snapshots/"), { page_size: 1 }),
    ]);
    showStatus(el, cluster.status, cluster.statusMessage, cluster.lastContactAt);
    const snapshot = snapshots.results[0];
    part(el, "waiting").hidden = Boolean(snapshot);
    part(el, "figures").hidden = !snapshot;
    if (!snapshot) return;
    const flows = await api.get(clusterApi(name, "flowmap/"), { snapshot: snapshot.seq });
    setValue(part(el, "services"), snapshot.counts.services, String(snapshot.counts.services));
    setValue(part(el, "cross-zone"), flows.crossZoneFraction, pct(flows.crossZoneFraction));
    part(el, "cross-zone-weighting").hidden = flows.weighting !== "equal";
    costItem(el, flows);
    setValue(part(el, "snapshot"), snapshot.seq, `#${snapshot.seq}`);
    const time = part(el, "snapshot-time");
    time.setAttribute("datetime", snapshot.takenAt);
    time.textContent = when(snapshot.takenAt);
    fill(part(el, "zones"), zoneGroups(flows.zones || []));
    el.dataset.seq = String(snapshot.seq);
  } catch (error) {
    console.warn(`cluster ${name}: ${error.message}`);
  } finally {
    el.removeAttribute("aria-busy");
  }
}

// --- the table (many clusters): sorting in the page, rows refreshed from the server ----------

const table = document.getElementById("clusters-table");

function sortRows(th, direction) {
  const index = [...th.parentElement.children].indexOf(th);
  const numeric = th.dataset.sort === "number";
  const body = table.tBodies[0];
  const value = (tr) => tr.children[index].dataset.value ?? "";
  const rows = [...body.rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === "" || y === "") return (x === "") - (y === ""); // no figure: last either way
    const order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
    return direction === "ascending" ? order : -order;
  });
  body.append(...rows);
  for (const other of th.parentElement.querySelectorAll("th[aria-sort]")) other.setAttribute("aria-sort", "none");
  th.setAttribute("aria-sort", direction);
}

function currentSort() {
  const th = table.querySelector('th[aria-sort="ascending"], th[aria-sort="descending"]');
  return th ? [th, th.getAttribute("aria-sort")] : null;
}

// A row's figures as the server lays them out now: the overview re-rendered, its row taken.
async function refreshRow(name) {
  const response = await fetch(window.location.pathname, { headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const html = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = [...html.querySelectorAll("#cluster-rows tr")].find((tr) => tr.dataset.cluster === name);
  const shown = [...table.tBodies[0].rows].find((tr) => tr.dataset.cluster === name);
  if (!fresh || !shown) {
    window.location.reload(); // a cluster added or removed: the server lays the table out
    return;
  }
  const row = document.importNode(fresh, true);
  const before = [...shown.cells].map((td) => td.textContent);
  shown.replaceWith(row);
  [...row.cells].forEach((td, i) => {
    if (before[i] !== undefined && before[i] !== td.textContent) flash(td);
  });
  const sort = currentSort();
  if (sort) sortRows(...sort);
}

if (table) {
  for (const th of table.querySelectorAll("th[data-sort]")) {
    th.querySelector("button").addEventListener("click", () => {
      // Text A to Z first, figures largest first; a second click turns it round.
      const first = th.dataset.sort === "number" ? "descending" : "ascending";
      const now = th.getAttribute("aria-sort");
      sortRows(th, now === first ? (first === "ascending" ? "descending" : "ascending") : first);
    });
  }
}

document.addEventListener("tl:snapshot", (event) => {
  if (table) refreshRow(event.detail.cluster).catch((error) => console.warn(`cluster ${event.detail.cluster}: ${error.message}`));
  else refresh(event.detail.cluster);
});

document.addEventListener("tl:status", (event) => {
  if (table) {
    // Only the badge: status events are frequent, a row's figures change with snapshots.
    const row = [...table.tBodies[0].rows].find((tr) => tr.dataset.cluster === event.detail.cluster);
    const badge = row && row.querySelector('[data-role="status"]');
    if (badge) {
      badge.textContent = event.detail.status;
      badge.className = `badge badge--${event.detail.status}`;
      badge.title = event.detail.message || "";
      badge.parentElement.dataset.value = event.detail.status;
    }
    return;
  }
  const el = card(event.detail.cluster);
  if (el) showStatus(el, event.detail.status, event.detail.message);
});
