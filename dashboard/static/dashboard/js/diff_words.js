// What changed between two snapshots, in words: GET .../snapshots/{seq}/diff/'s answer as one
// line per Service that changed, then the Services added and removed, the object counts and the
// cluster's mean cost. Shared by the timeline (each snapshot against the one before) and the
// comparison page (any two snapshots), so both say it the same way.

import { h } from "./dom.js";
import { count, pct, perGb } from "./format.js";

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
    lines.push({ text: `Mean cost per GB (Services weighted equally): ${perGb(meanFrom)} → ${perGb(meanTo)}` });
  }
  return lines;
}

// The lines as a list, each Service's name a link (serviceUrl(service) gives its page).
export function diffList(diff, serviceUrl) {
  const lines = describeDiff(diff);
  const routing = lines.filter((l) => l.service);
  return [
    routing.length ? null : h("p", { class: "diff__none" }, "No Service's routing, hints or cost changed."),
    h(
      "ul",
      { class: "diff" },
      lines.map((line) => {
        const name = line.service ? `${line.service.namespace}/${line.service.name}` : null;
        return h(
          "li",
          { class: line.service ? "diff__service" : "diff__other" },
          line.service ? [h("a", { href: serviceUrl(line.service) }, name), line.text.slice(name.length)] : line.text,
        );
      }),
    ),
  ];
}
