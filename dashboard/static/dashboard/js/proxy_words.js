// What kube-proxy does with a Service's ClusterIP traffic, as sentences: one per group of zones
// whose nodes get the same outcome ("Every zone (a, b and c) falls back to all 5 endpoints …"),
// then one per group of nodes that differ from their zone, their names capped ("… and 480 more").
// The rules are docs/kubernetes-semantics.md §4. Pure (no DOM): service.js turns the sentences
// into list items, and tests/pages/test_proxy_words_js.py runs this module in Node on reports of
// hundreds of nodes.

export const UNKNOWN = "unknown";
// Names written out in one sentence before "and N more"; the page lists them all on request.
export const NAME_CAP = 8;

export function plural(n, word, many = `${word}s`) {
  return `${n} ${n === 1 ? word : many}`;
}

export function listWords(items, conjunction = "and") {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${conjunction} ${items[items.length - 1]}`;
}

// "a, b, c and 480 more": a long list of names is cut after `cap` of them.
export function cappedWords(names, cap = NAME_CAP) {
  if (names.length <= cap) return listWords(names);
  return `${names.slice(0, cap).join(", ")} and ${names.length - cap} more`;
}

function endpointZones(d) {
  return new Map(d.endpoints.map((ep) => [ep.ip, ep.zone || UNKNOWN]));
}

// --- why a node does no topology filtering (kube-proxy, §4.1) ------------------------------------

// Returns {key, text(zones)}: the key groups nodes that fall back for the same reason; the text
// may name the zones concerned.
function fallbackReason(d, zone) {
  const ready = d.endpoints.filter((ep) => ep.ready);
  const zoneHinted = ready.filter((ep) => ep.hints && (ep.hints.forZones || []).length);
  const fixed = (key, text) => ({ key, text: () => text });
  if (!ready.length) return fixed("not-ready", "no endpoint is ready, so kube-proxy uses the serving ones that are terminating and ignores hints");
  if (!zoneHinted.length) {
    if (d.policy.mechanism === "none") return fixed("no-policy", "the Service declares no topology policy, so no endpoint carries a hint");
    if (d.policy.mechanism === "topologyAuto") return fixed("auto-off", "Auto is off: the EndpointSlice controller wrote no hints (see the diagnostics)");
    if (ready.every((ep) => !ep.zone)) return fixed("no-zones", "no endpoint has a zone, so none carries a zone hint");
    return fixed("no-hints", "no endpoint carries a zone hint yet (see the diagnostics)");
  }
  if (zoneHinted.length < ready.length) {
    const missing = ready.filter((ep) => !zoneHinted.includes(ep)).map((ep) => ep.ip);
    return fixed(
      `missing:${missing.join()}`,
      `${cappedWords(missing)} ${missing.length === 1 ? "has" : "have"} no zone hint, and one endpoint without a hint turns zone filtering off everywhere`,
    );
  }
  // Every ready endpoint is hinted: zone mode is off only where no hint names the node's zone,
  // and always on a node without a zone label.
  if (zone === UNKNOWN) return fixed("unlabelled", "a node without a zone label cannot use zone hints");
  return { key: "unhinted", text: (zones) => `no endpoint is hinted for ${listWords(zones.filter((z) => z !== UNKNOWN), "or")}` };
}

// --- one node's (or zone's) outcome, classified -------------------------------------------------

// The outcome's class: nodes whose classes share a key are described by one sentence.
function classify(d, zone, outcome, zonesOf) {
  const used = outcome.endpoints;
  const n = used.length;
  const local = used.filter((ip) => (zonesOf.get(ip) || UNKNOWN) === zone).length;
  const kind = local === n ? "local" : "zone";
  if (outcome.action === "reject") return { key: "reject", type: "reject", n, kind: "drop" };
  if (outcome.action === "drop") return { key: "drop", type: "drop", n, kind: "drop" };
  if (d.headless) return { key: `headless|${used.join()}`, type: "headless", n, kind };
  if (d.policy.internalTrafficPolicy === "Local") return { key: `itp|${n}`, type: "itp", n, kind: "local" };
  if (outcome.mode === "PreferSameNode") return { key: `node|${n}`, type: "node", n, kind: "local" };
  if (outcome.mode === "PreferSameZone") {
    // Hints lent to another zone (Auto follows the zones' CPU) make each zone's outcome its own.
    if (local === n) return { key: "zone-local", type: "zone", n, local, kind };
    return { key: `lent|${zone}`, type: "lent", n, local, kind };
  }
  const reason = fallbackReason(d, zone);
  return { key: `fallback|${used.join()}|${reason.key}`, type: "fallback", n, local, kind, reason };
}

// Per zone: the outcome most of its nodes get, and the nodes that differ ([node, outcome, class]),
// from either form of the report (proxyByZone plus the nodes that differ, or one entry a node).
export function zoneOutcomes(d) {
  const zonesOf = endpointZones(d);
  const zones = new Map();
  const entry = (zone) => {
    if (!zones.has(zone)) zones.set(zone, { outcome: null, cls: null, nodes: [] });
    return zones.get(zone);
  };
  const byNode = Object.entries(d.proxy || {}).sort(([a], [b]) => a.localeCompare(b));
  if (d.proxyByZone) {
    for (const [zone, outcome] of Object.entries(d.proxyByZone)) {
      Object.assign(entry(zone), { outcome, cls: classify(d, zone, outcome, zonesOf) });
    }
    for (const [node, outcome] of byNode) {
      const zone = outcome.zone || UNKNOWN;
      const cls = classify(d, zone, outcome, zonesOf);
      const it = entry(zone);
      if (!it.cls || it.cls.key !== cls.key) it.nodes.push([node, outcome, cls]); // else said by the zone
    }
    // A zone whose every node is listed has no "other nodes" to describe.
    for (const [zone, it] of zones) {
      const total = d.cluster?.zones?.[zone]?.nodes;
      if (it.outcome && total && it.nodes.length >= total) Object.assign(it, { outcome: null, cls: null });
    }
  } else {
    const grouped = new Map();
    for (const [node, outcome] of byNode) {
      const zone = outcome.zone || UNKNOWN;
      if (!grouped.has(zone)) grouped.set(zone, []);
      grouped.get(zone).push([node, outcome, classify(d, zone, outcome, zonesOf)]);
    }
    const overall = new Map();
    for (const nodes of grouped.values()) for (const [, , cls] of nodes) overall.set(cls.key, (overall.get(cls.key) || 0) + 1);
    for (const [zone, nodes] of grouped) {
      // The most common class speaks for the zone, on a tie the one most common in the cluster
      // (so that zones merge), then the first node's; the other nodes are described with the
      // nodes that differ.
      const counts = new Map();
      for (const [, , cls] of nodes) counts.set(cls.key, (counts.get(cls.key) || 0) + 1);
      const ahead = (x, y) => (counts.get(x.key) - counts.get(y.key) || overall.get(x.key) - overall.get(y.key)) > 0;
      const [, first, best] = nodes.reduce((a, b) => (ahead(b[2], a[2]) ? b : a));
      Object.assign(entry(zone), { outcome: first, cls: best, nodes: nodes.filter(([, , cls]) => cls.key !== best.key) });
    }
  }
  return new Map([...zones.entries()].sort(([a], [b]) => (a === UNKNOWN) - (b === UNKNOWN) || a.localeCompare(b)));
}

// --- sentences -----------------------------------------------------------------------------------

const VERBS = {
  send: ["sends", "send"],
  fall: ["falls", "fall"],
  drop: ["drops", "drop"],
  reject: ["rejects", "reject"],
  forward: ["forwards", "forward"],
  keep: ["keeps", "keep"],
};

function verb(one, name) {
  return VERBS[name][one ? 0 : 1];
}

function endpointsWord(n) {
  return n === 1 ? "the endpoint" : `the ${n} endpoints`;
}

// How the endpoints kube-proxy uses spread over zones: "2 in us-east-1a, 1 in us-east-1b".
function spreadWords(used, zonesOf) {
  const counts = new Map();
  for (const ip of used) {
    const zone = zonesOf.get(ip) || UNKNOWN;
    counts.set(zone, (counts.get(zone) || 0) + 1);
  }
  const order = [...counts.keys()].sort((a, b) => (a === UNKNOWN) - (b === UNKNOWN) || a.localeCompare(b));
  return order.map((zone) => `${counts.get(zone)} in ${zone === UNKNOWN ? "an unknown zone" : zone}`).join(", ");
}

// One zone's (or one node's) outcome in full; `one`: the subject is a single node.
function singleWords(d, subject, zone, outcome, cls, one, zonesOf) {
  const used = outcome.endpoints;
  const { n } = cls;
  switch (cls.type) {
    case "reject":
    case "drop":
    case "headless":
      return sharedWords(d, subject, cls, one);
    case "itp":
      return `${subject} ${verb(one, "forward")} only to ${endpointsWord(n)} on the same node (internalTrafficPolicy Local).`;
    case "node":
      return `${subject} ${verb(one, "send")} to ${endpointsWord(n)} hinted for the node (same node).`;
    case "zone":
    case "lent": {
      const where = zone === UNKNOWN ? "nodes without a zone" : zone;
      if (cls.type === "zone") return `${subject} ${verb(one, "send")} to ${endpointsWord(n)} hinted for ${where} (same zone).`;
      return `${subject} ${verb(one, "send")} to the ${plural(n, "endpoint")} hinted for ${where}: ${cls.local} in the zone, ${n - cls.local} in another zone (hints lent to follow the zones' CPU).`;
    }
    default: {
      const reason = cls.reason.text([zone]);
      if (n === 1) {
        const where = zonesOf.get(used[0]) || UNKNOWN;
        const same = where === zone && zone !== UNKNOWN ? ", the same zone" : where === UNKNOWN ? ", zone unknown" : "";
        return `${subject} ${verb(one, "send")} everything to the one endpoint kube-proxy can use, ${used[0]} in ${where === UNKNOWN ? "an unknown zone" : where}${same}, because ${reason}.`;
      }
      return `${subject} ${verb(one, "fall")} back to all ${n} endpoints cluster-wide (${spreadWords(used, zonesOf)}), because ${reason}.`;
    }
  }
}

// The outcomes said the same of one zone or node as of several.
function sharedWords(d, subject, cls, one) {
  if (cls.type === "reject") return `${subject} ${verb(one, "reject")} connections: the Service has no endpoint that can take traffic.`;
  if (cls.type === "drop") return `${subject} ${verb(one, "drop")} the traffic${dropWhy(d)}.`;
  return `${subject}: DNS hands out the ${plural(cls.n, "ready address", "ready addresses")}; kube-proxy does not route headless Services.`;
}

function dropWhy(d) {
  return d.policy.internalTrafficPolicy === "Local" ? " (internalTrafficPolicy Local: no endpoint of this Service runs on the client's own node)" : "";
}

// Several zones or nodes with one outcome; `one`: the subject is grammatically singular
// ("Every zone (…)"), `perNode`: the subject names zones, so "each node" says who picks.
function mergedWords(d, subject, members, one, perNode, zonesOf) {
  const { cls, outcome } = members[0];
  const { n } = cls;
  switch (cls.type) {
    case "reject":
    case "drop":
    case "headless":
      return sharedWords(d, subject, cls, one);
    case "itp":
      return `${subject}: each ${perNode ? "node " : ""}forwards only to ${n === 1 ? "the endpoint" : `the ${n} endpoints`} on its own node (internalTrafficPolicy Local).`;
    case "node":
      return `${subject}: each ${perNode ? "node " : ""}sends to ${n === 1 ? "the endpoint" : `the ${n} endpoints`} hinted for it (same node).`;
    case "zone": {
      // Every node of a zone uses the same hinted endpoints: one count a zone.
      const perZone = [...new Map(members.map((m) => [m.zone, m.cls.n]))];
      const spread = perZone.every(([, c]) => c === perZone[0][1])
        ? `${plural(perZone[0][1], "endpoint")} each`
        : listWords(perZone.map(([zone, c], i) => `${i ? c : plural(c, "endpoint")} in ${zone}`));
      return `${subject} ${verb(one, "keep")} traffic in ${one ? "its" : "their"} zone: ${spread}.`;
    }
    case "lent": // its key names the zone: the nodes of one zone
      return singleWords(d, subject, members[0].zone, outcome, cls, one, zonesOf);
    default: {
      const zones = [...new Set(members.map((m) => m.zone))];
      const reason = cls.reason.text(zones);
      const used = outcome.endpoints;
      if (n === 1) {
        const where = zonesOf.get(used[0]) || UNKNOWN;
        return `${subject} ${verb(one, "send")} everything to the one endpoint kube-proxy can use, ${used[0]} in ${where === UNKNOWN ? "an unknown zone" : where}, because ${reason}.`;
      }
      return `${subject} ${verb(one, "fall")} back to all ${n} endpoints cluster-wide (${spreadWords(used, zonesOf)}), because ${reason}.`;
    }
  }
}

function zoneLabel(zone) {
  return zone === UNKNOWN ? "zone unknown" : zone;
}

// "in us-east-1a and us-east-1b", "without a zone label", "in us-east-1a, or without a zone label"
function whereWords(zones) {
  const known = zones.filter((z) => z !== UNKNOWN);
  const parts = known.length ? [`in ${listWords(known)}`] : [];
  if (known.length < zones.length) parts.push("without a zone label");
  return parts.join(", or ");
}

function worstKind(members) {
  const kinds = members.map((m) => m.cls.kind);
  return kinds.includes("drop") ? "drop" : kinds.includes("zone") ? "zone" : "local";
}

// The sentences: [{kind, text, zones, nodes}], zones first (groups in zone order, nodes without a
// zone label last), then the nodes that differ from their zone (groups in node-name order).
export function proxySentences(d) {
  const zonesOf = endpointZones(d);
  const zones = zoneOutcomes(d);
  if (!zones.size) return [{ kind: "none", text: "There is no client node: no kube-proxy routes this Service's traffic.", zones: [], nodes: [] }];
  const labelled = [...zones.keys()].filter((z) => z !== UNKNOWN);
  const zoneGroups = new Map();
  const nodeGroups = new Map();
  for (const [zone, { outcome, cls, nodes }] of zones) {
    if (outcome) {
      // Nodes without a zone label join the zones only where their outcome and its reason are
      // the same (a node without a zone label never uses zone hints: §4.1).
      if (!zoneGroups.has(cls.key)) zoneGroups.set(cls.key, []);
      zoneGroups.get(cls.key).push({ zone, outcome, cls, others: nodes.length > 0 });
    }
    for (const [node, nodeOutcome, nodeCls] of nodes) {
      if (!nodeGroups.has(nodeCls.key)) nodeGroups.set(nodeCls.key, []);
      nodeGroups.get(nodeCls.key).push({ node, zone, outcome: nodeOutcome, cls: nodeCls });
    }
  }
  const sentences = [];
  for (const members of zoneGroups.values()) {
    const names = members.map((m) => m.zone);
    const others = members.some((m) => m.others);
    let text;
    if (members.length === 1) {
      const { zone, outcome, cls } = members[0];
      const where = zone === UNKNOWN ? "without a zone label" : `in ${zone}`;
      text = singleWords(d, `${others ? "Other nodes" : "Nodes"} ${where}`, zone, outcome, cls, false, zonesOf);
    } else {
      const zoned = names.filter((z) => z !== UNKNOWN);
      const unlabelled = zoned.length < names.length;
      const every = zoned.length > 1 && labelled.length === zoned.length;
      let named = every ? `every zone (${listWords(zoned)})` : zoned.length > 1 ? `zones ${listWords(zoned)}` : `nodes in ${zoned[0]}`;
      if (unlabelled) named += " and the nodes without a zone label";
      const subject = others ? `Apart from the nodes named below, ${named}` : named.charAt(0).toUpperCase() + named.slice(1);
      text = mergedWords(d, subject, members, every && !unlabelled, true, zonesOf);
    }
    sentences.push({ kind: worstKind(members), text, zones: names, nodes: [] });
  }
  const byName = (a, b) => a.node.localeCompare(b.node);
  const nodeList = [...nodeGroups.values()].map((members) => members.sort(byName)).sort((a, b) => byName(a[0], b[0]));
  for (const members of nodeList) {
    const names = members.map((m) => m.node);
    const zoneNames = [...new Set(members.map((m) => m.zone))].sort((a, b) => (a === UNKNOWN) - (b === UNKNOWN) || a.localeCompare(b));
    let text;
    if (members.length === 1) {
      const { node, zone, outcome, cls } = members[0];
      text = singleWords(d, `Node ${node} (${zoneLabel(zone)})`, zone, outcome, cls, true, zonesOf);
    } else {
      text = mergedWords(d, `Nodes ${cappedWords(names)} (${whereWords(zoneNames)})`, members, false, false, zonesOf);
    }
    sentences.push({ kind: worstKind(members), text, zones: zoneNames, nodes: names });
  }
  return sentences;
}
