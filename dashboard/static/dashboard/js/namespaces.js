// The Services page's "By namespace" section: the snapshot's Services rolled up by namespace
// (GET /api/v1/clusters/<name>/namespaces/), read when the section is first opened, so the
// page's own answer stays as fast as before. A namespace's button filters the table to it.

import { api, clusterApi } from "./api.js";
import { count, NO_TRAFFIC, pct, perGb, usd } from "./format.js";
import { fill, h } from "./dom.js";

const WEIGHTING = {
  volume: "Shares weighted by each Service's monthly GB, as the flow map.",
  mixed: "Shares weighted by monthly GB; Services without a volume weigh the mean known volume.",
  equal: "No traffic measured: Services weighted equally.",
};

function row(item, choose) {
  return h(
    "tr",
    { dataset: { namespace: item.namespace } },
    h("th", { scope: "row" }, h("button", { type: "button", class: "link-button", title: `Show the Services of ${item.namespace}`, onclick: () => choose(item.namespace) }, item.namespace)),
    h("td", { class: "num", "data-label": "Services" }, count(item.services)),
    h("td", { class: "num", "data-label": "Cross-zone" }, pct(item.crossZoneFraction)),
    h("td", { class: "num", "data-label": "USD/GB" }, perGb(item.costPerGbMean)),
    h("td", { class: "num", "data-label": "Monthly" }, item.monthlyCost === null ? h("span", { class: "no-volume small" }, NO_TRAFFIC) : usd(item.monthlyCost)),
    h("td", { class: "num", "data-label": "Dropping" }, count(item.droppingServices)),
    h("td", { class: item.overloadedServices ? "num warn" : "num", "data-label": "Overloaded" }, count(item.overloadedServices)),
  );
}

// Wire the section; `choose(namespace)` filters the table. Returns a function that reads the
// roll-up again (after a new snapshot) if the section has been opened.
export function initNamespaces(cluster, choose) {
  const section = document.getElementById("ns-rollup");
  if (!section) return () => {};
  const status = document.getElementById("ns-rollup-status");
  const table = document.getElementById("ns-table");
  let loaded = false;

  async function load() {
    loaded = true;
    status.textContent = "Loading…";
    try {
      const answer = await api.get(clusterApi(cluster, "namespaces/"));
      fill(document.getElementById("ns-rows"), answer.namespaces.map((item) => row(item, choose)));
      table.hidden = answer.count === 0;
      status.textContent = `${count(answer.count)} namespaces in snapshot ${answer.snapshot}. ${WEIGHTING[answer.weighting] || ""}`;
    } catch (error) {
      status.textContent = `Could not load the namespaces: ${error.message}`;
    }
  }

  section.addEventListener("toggle", () => {
    if (section.open && !loaded) load();
  });
  return () => {
    if (loaded) load();
  };
}
