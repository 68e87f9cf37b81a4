"""What changed for routing between two snapshots of a cluster: Services, policies, hints, cost.

Only the intervals that opened or closed between the two seqs are read (and only the versions
alive at one of the two ends are decoded), so the cost follows the amount of change, not the
size of the cluster.
"""

from collections import defaultdict
from typing import Any

from django.db.models import Q

from routing.engine.model import SERVICE_NAME_LABEL, ZONE_LABEL
from routing.models import ObjectVersion, ServiceSummary, Snapshot
from routing.snapshots.read import decode
from routing.snapshots.trim import KINDS

TOPOLOGY_MODE = "service.kubernetes.io/topology-mode"
TOPOLOGY_AWARE_HINTS = "service.kubernetes.io/topology-aware-hints"
EXAMPLES = 5  # endpoints listed per Service whose hints changed

Key = tuple[str, str, str]
# An endpoint's zone and node hints, by name (None where a hint has no name).
Hint = tuple[tuple[str | None, ...], tuple[str | None, ...]]


def _alive_at_either_end(low: int, high: int) -> Q:
    # Alive at low and closed by high, or opened after low and still alive at high.
    return Q(first_seq__lte=low, last_seq__gt=low, last_seq__lte=high) | (
        Q(first_seq__gt=low, first_seq__lte=high)
        & (Q(last_seq__isnull=True) | Q(last_seq__gt=high))
    )


def _ends(model, a: Snapshot, b: Snapshot, fields: list[str]) -> tuple[dict, dict]:
    """Rows that differ between a and b: ({key: row at a}, {key: row at b})."""
    low, high = sorted((a.seq, b.seq))
    at_a: dict = {}
    at_b: dict = {}
    if low == high:
        return at_a, at_b
    rows = model.objects.filter(cluster_id=a.cluster_id).filter(_alive_at_either_end(low, high))
    key_fields = ["kind", "namespace", "name"] if model is ObjectVersion else ["namespace", "name"]
    for row in rows.values(*key_fields, "first_seq", *fields).iterator(chunk_size=2000):
        key = tuple(row[f] for f in key_fields)
        at_low = row["first_seq"] <= low
        (at_a if at_low == (a.seq == low) else at_b)[key] = row
    return at_a, at_b


def _ref(snapshot: Snapshot) -> dict[str, Any]:
    return {"id": snapshot.pk, "seq": snapshot.seq, "takenAt": snapshot.taken_at.isoformat()}


def diff_snapshots(a: Snapshot, b: Snapshot) -> dict[str, Any]:
    """Changes from snapshot a to snapshot b of one cluster (b may be the older one)."""
    if a.cluster_id != b.cluster_id:
        raise ValueError("snapshots of different clusters cannot be compared")
    old, new = _ends(ObjectVersion, a, b, ["data"])
    old_objs = {k: decode(r["data"]) for k, r in old.items()}
    new_objs = {k: decode(r["data"]) for k, r in new.items()}
    return {
        "from": _ref(a),
        "to": _ref(b),
        "objects": _object_counts(old_objs, new_objs),
        "services": _services(old_objs, new_objs),
        "policyChanges": _policy_changes(old_objs, new_objs),
        **_endpoint_changes(old_objs, new_objs),
        "cost": _cost(a, b),
    }


def _name(key: Key | tuple[str, str]) -> dict[str, str]:
    return {"namespace": key[-2], "name": key[-1]}


def _object_counts(old: dict[Key, dict], new: dict[Key, dict]) -> dict[str, dict[str, int]]:
    counts = {kind: {"added": 0, "removed": 0, "changed": 0} for kind in KINDS}
    for key in old.keys() | new.keys():
        what = "changed" if key in old and key in new else "added" if key in new else "removed"
        counts[key[0]][what] += 1
    return counts


def _services(old: dict[Key, dict], new: dict[Key, dict]) -> dict[str, list[dict[str, str]]]:
    old_svcs = {k for k in old if k[0] == "Service"}
    new_svcs = {k for k in new if k[0] == "Service"}
    return {
        "added": [_name(k) for k in sorted(new_svcs - old_svcs)],
        "removed": [_name(k) for k in sorted(old_svcs - new_svcs)],
    }


def _get(obj: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _policy(svc: dict) -> dict[str, Any]:
    annotations = _get(svc, "metadata", "annotations") or {}
    return {
        "trafficDistribution": _get(svc, "spec", "trafficDistribution"),
        "topologyMode": annotations.get(TOPOLOGY_MODE),
        "topologyAwareHints": annotations.get(TOPOLOGY_AWARE_HINTS),
        "internalTrafficPolicy": _get(svc, "spec", "internalTrafficPolicy") or "Cluster",
    }


def _policy_changes(old: dict[Key, dict], new: dict[Key, dict]) -> list[dict[str, Any]]:
    out = []
    for key in sorted(k for k in old.keys() & new.keys() if k[0] == "Service"):
        before, after = _policy(old[key]), _policy(new[key])
        for field, value in before.items():
            if after[field] != value:
                out.append({**_name(key), "field": field, "from": value, "to": after[field]})
    return out


def _hint(ep: dict) -> Hint | None:
    hints = ep.get("hints")
    if not isinstance(hints, dict):
        return None
    zones = tuple(h.get("name") for h in hints.get("forZones") or () if isinstance(h, dict))
    nodes = tuple(h.get("name") for h in hints.get("forNodes") or () if isinstance(h, dict))
    return (zones, nodes) if zones or nodes else None


def _hint_json(hint: Hint | None) -> dict | None:
    return None if hint is None else {"forZones": list(hint[0]), "forNodes": list(hint[1])}


def _endpoints(objs: dict[Key, dict]) -> dict[tuple[str, str], dict[str, dict]]:
    """Endpoints of the given slices per Service, by first address."""
    out: dict[tuple[str, str], dict[str, dict]] = defaultdict(dict)
    for (kind, namespace, _), obj in objs.items():
        service = _get(obj, "metadata", "labels", SERVICE_NAME_LABEL)
        if kind != "EndpointSlice" or not isinstance(service, str):
            continue
        eps = out[(namespace, service)]
        for ep in obj.get("endpoints") or ():
            addresses = ep.get("addresses") if isinstance(ep, dict) else None
            if addresses:
                eps[addresses[0]] = ep
    return out


def _zone(ep: dict) -> str | None:
    return ep.get("zone") or _get(ep, "topology", ZONE_LABEL) or None


def _endpoint_changes(old: dict[Key, dict], new: dict[Key, dict]) -> dict[str, list]:
    # Endpoints in slices that did not change are the same at both ends, so the changed slices
    # alone show every endpoint whose hints or zone differ.
    old_eps, new_eps = _endpoints(old), _endpoints(new)
    hint_changes, zone_moves = [], []
    for service in sorted(old_eps.keys() | new_eps.keys()):
        before, after = old_eps.get(service, {}), new_eps.get(service, {})
        counts = {"appeared": 0, "disappeared": 0, "changed": 0}
        examples: list[dict[str, Any]] = []
        for ip in sorted(before.keys() & after.keys()):
            h0, h1 = _hint(before[ip]), _hint(after[ip])
            if h0 != h1:
                what = "appeared" if h0 is None else "disappeared" if h1 is None else "changed"
                counts[what] += 1
                if len(examples) < EXAMPLES:
                    examples.append({"ip": ip, "from": _hint_json(h0), "to": _hint_json(h1)})
            z0, z1 = _zone(before[ip]), _zone(after[ip])
            if z0 != z1:
                zone_moves.append({**_name(service), "ip": ip, "from": z0, "to": z1})
        if any(counts.values()):
            hint_changes.append(
                {
                    **_name(service),
                    **counts,
                    "endpointsAdded": len(after.keys() - before.keys()),
                    "endpointsRemoved": len(before.keys() - after.keys()),
                    "examples": examples,
                }
            )
    return {"hintChanges": hint_changes, "zoneMoves": zone_moves}


def _cost(a: Snapshot, b: Snapshot) -> dict[str, Any]:
    old, new = _ends(ServiceSummary, a, b, ["cost_per_gb", "cross_zone_fraction"])
    services: list[dict[str, Any]] = []
    total = 0.0
    for key in old.keys() | new.keys():
        c0 = old[key]["cost_per_gb"] if key in old else None
        c1 = new[key]["cost_per_gb"] if key in new else None
        if c0 == c1:
            continue
        delta = (c1 or 0.0) - (c0 or 0.0)
        total += delta
        services.append(
            {
                **_name(key),
                "from": c0,
                "to": c1,
                "delta": delta,
                "crossZoneFrom": old[key]["cross_zone_fraction"] if key in old else None,
                "crossZoneTo": new[key]["cross_zone_fraction"] if key in new else None,
            }
        )
    services.sort(key=lambda s: (-abs(s["delta"]), s["namespace"], s["name"]))
    mean_from, mean_to = a.cost_per_gb_mean, b.cost_per_gb_mean
    return {
        "services": services,
        # Sum of the per-Service changes: what moving one GB through each Service now costs
        # more (or less); a Service that appeared counts from 0, one that went away to 0.
        "delta": total,
        "meanFrom": mean_from,
        "meanTo": mean_to,
        "meanDelta": None if mean_from is None or mean_to is None else mean_to - mean_from,
    }
