"""A snapshot's zones, for the Services list's `zone` filter and the Services page's zone note:
which zones there are, which Services have endpoints in one, and which Nodes it holds.

An endpoint's zone is the one its Service's report gives it (its `zone` field, else its Node's
label, else `unknown`: docs/analysis-report.md); a Node's zone is its topology.kubernetes.io/zone
label, `unknown` without one, the name the topology view gives the box of zone-less nodes.
"""

import zlib
from typing import Any

import orjson
from django.db.models import Q

from routing.engine.model import ZONE_LABEL
from routing.models import ObjectVersion, Snapshot
from routing.snapshots import decode

UNKNOWN = "unknown"
NODES_LISTED = 50  # Nodes named per zone on the Services page; the rest are counted


def snapshot_zones(snapshot: Snapshot) -> list[str]:
    """The zones of the snapshot's Nodes and endpoints by name, `unknown` last if there is one."""
    named = set((snapshot.cluster_report or {}).get("zones") or {})
    named |= set(snapshot.ready_endpoints_by_zone or {})
    unknown = UNKNOWN in named
    named.discard(UNKNOWN)
    return sorted(named) + ([UNKNOWN] if unknown else [])


def zone_error(snapshot: Snapshot, zone: str | None) -> str | None:
    """Why `zone` is not a valid filter for the snapshot, or None: refused rather than answered
    with an empty list, as an unknown policy is, so that a typo is not read as "nothing here"."""
    zones = snapshot_zones(snapshot)
    # `unknown` is always a name: of zone-less endpoints and nodes, which may be only clients.
    if zone is None or zone == UNKNOWN or zone in zones:
        return None
    known = ", ".join([*(z for z in zones if z != UNKNOWN), UNKNOWN])
    return f'"{zone}" is not a zone of snapshot {snapshot.seq} (its zones: {known}).'


def in_zone(zone: str) -> Q:
    """ServiceSummary rows with at least one endpoint (ready or not) in `zone`: one substring test
    on their `endpoint_zones` column; rows written before it had a value (null) are read from
    their report (services_in_zone)."""
    return Q(endpoint_zones__contains=f"|{zone}|")


def services_in_zone(rows, zone: str) -> list[int]:
    """The primary keys of the ServiceSummary `rows` with at least one endpoint (ready or not)
    in `zone`, read from each row's stored report: for rows without `endpoint_zones`. Rows
    written before reports were stored name the zones their traffic reaches."""
    keep = []
    for pk, report, matrix in rows.values_list("pk", "report", "matrix").iterator(chunk_size=500):
        if report is None:
            if any(zone in row for row in (matrix or {}).values()):
                keep.append(pk)
            continue
        entry = orjson.loads(zlib.decompress(report))
        if any((ep.get("zone") or UNKNOWN) == zone for ep in entry.get("endpoints") or ()):
            keep.append(pk)
    return keep


def _node_view(node: dict[str, Any]) -> tuple[str, str, bool]:
    meta = node.get("metadata") or {}
    zone = (meta.get("labels") or {}).get(ZONE_LABEL)
    conditions = (node.get("status") or {}).get("conditions") or []
    ready = any(
        isinstance(c, dict) and c.get("type") == "Ready" and c.get("status") == "True"
        for c in conditions
    )
    return (zone if isinstance(zone, str) and zone else UNKNOWN), str(meta.get("name")), ready


def zone_nodes(snapshot: Snapshot, listed: int = NODES_LISTED) -> dict[str, dict[str, Any]]:
    """Per zone of the snapshot's Nodes: `count`, `ready`, and `nodes`, the first `listed` by name
    as {"name", "ready"}."""
    rows = ObjectVersion.objects.at(snapshot.cluster_id, snapshot.seq).filter(
        kind=ObjectVersion.Kind.NODE
    )
    by_zone: dict[str, list[tuple[str, bool]]] = {}
    for data in rows.values_list("data", flat=True).iterator(chunk_size=2000):
        zone, name, ready = _node_view(decode(data))
        by_zone.setdefault(zone, []).append((name, ready))
    return {
        zone: {
            "count": len(nodes),
            "ready": sum(1 for _, ready in nodes if ready),
            "nodes": [{"name": n, "ready": r} for n, r in sorted(nodes)[:listed]],
        }
        for zone, nodes in sorted(by_zone.items())
    }
