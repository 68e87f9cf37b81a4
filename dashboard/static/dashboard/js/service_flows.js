// A Service's traffic, zone to zone, as rows: the one list that the Service page's sankey draws
// as links, that its tooltips read and that "Flows as a table" shows, so the three cannot
// disagree. Pure (no DOM, no colours).
//
// Shares are the report's matrix (fractions of all client traffic, dropped included). A monthly
// volume is what reaches the endpoints, so it is split over the delivering flows only, in
// proportion to their shares; each flow is priced as the engine prices it (routing/engine/cost.py:
// same zone free, a zone crossed at the cross-zone price, a region crossed at the cross-region
// price, a zone unknown never counted as crossing), so the flows' dollars add up to the report's
// monthlyCost.

import { UNKNOWN } from "./proxy_words.js";

export const DROPPED = "dropped";

// The cost classes, as the table and the tooltips name them.
export const CLASS_WORDS = {
  local: "same zone",
  zone: "cross-zone",
  region: "cross-region",
  unknown: "zone unknown",
  dropped: "dropped",
};

function regionOf(d, zone) {
  const zones = (d.cluster && d.cluster.zones) || {};
  return zones[zone] ? zones[zone].region : null;
}

// local, zone, region or unknown (the engine's rules: routing/engine/flows.py).
export function flowClass(d, src, dst) {
  if (src === UNKNOWN || dst === UNKNOWN) return "unknown";
  if (src === dst) return "local";
  const a = regionOf(d, src);
  const b = regionOf(d, dst);
  return a && b && a !== b ? "region" : "zone";
}

function priceOf(d, cls) {
  if (cls === "local") return 0;
  if (cls === "zone") return d.cost.pricePerGbCrossZone;
  if (cls === "region") return d.cost.pricePerGbCrossRegion;
  return null; // zone unknown: not counted as crossing; dropped: nothing delivered
}

function known(value) {
  return value !== null && value !== undefined;
}

// [{from, to, share, cls, perGb, monthlyGb, monthlyUsd}]: `to` is a zone or DROPPED; perGb null
// where the class has no price; monthlyGb and monthlyUsd null without a volume (or not delivered).
export function flowRows(d) {
  const matrix = d.flows.matrix || {};
  const rows = [];
  let forwarded = 0;
  for (const row of Object.values(matrix)) for (const value of Object.values(row)) if (value > 0) forwarded += value;
  const volume = known(d.cost.monthlyGb) ? d.cost.monthlyGb : null;
  for (const from of Object.keys(matrix).sort()) {
    for (const to of Object.keys(matrix[from]).sort()) {
      const share = matrix[from][to];
      if (!(share > 0)) continue;
      const cls = flowClass(d, from, to);
      const perGb = priceOf(d, cls);
      const monthlyGb = volume === null ? null : (share / forwarded) * volume;
      const monthlyUsd = monthlyGb === null || perGb === null ? null : monthlyGb * perGb;
      rows.push({ from, to, share, cls, perGb, monthlyGb, monthlyUsd });
    }
  }
  // What a zone's clients send nowhere (iTP Local without a local endpoint, rejects). A Service
  // with measured callers has its own zone weights; the others share the cluster's, whose key
  // for nodes without a zone label is "" where the matrix says "unknown".
  if (d.flows.dropped > 1e-9) {
    const weights = d.flows.clientZoneWeights || (d.cluster && d.cluster.clientZoneWeights) || {};
    const byZone = new Map();
    for (const [zone, weight] of Object.entries(weights)) byZone.set(zone || UNKNOWN, (byZone.get(zone || UNKNOWN) || 0) + weight);
    for (const from of [...byZone.keys()].sort()) {
      const sent = Object.values(matrix[from] || {}).reduce((a, b) => a + b, 0);
      const lost = byZone.get(from) - sent;
      if (lost > 1e-9) rows.push({ from, to: DROPPED, share: lost, cls: "dropped", perGb: null, monthlyGb: null, monthlyUsd: null });
    }
  }
  return rows;
}

// The rows' totals: share (1 when every client is counted), and GB and USD a month (null without
// a volume).
export function flowTotals(rows, d) {
  const volume = known(d.cost.monthlyGb);
  const sum = (pick) => rows.reduce((a, r) => a + (pick(r) || 0), 0);
  return {
    share: sum((r) => r.share),
    monthlyGb: volume ? sum((r) => r.monthlyGb) : null,
    monthlyUsd: volume ? sum((r) => r.monthlyUsd) : null,
  };
}
