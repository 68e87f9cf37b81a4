"""Zones and regions of a stored snapshot, from its Node objects (one small row per Node)."""

from collections import Counter
from typing import Any

from routing.engine.model import REGION_LABEL, ZONE_LABEL
from routing.models import ObjectVersion, Snapshot
from routing.snapshots import decode


def _label(node: dict, key: str) -> str | None:
    labels = (node.get("metadata") or {}).get("labels")
    value = labels.get(key) if isinstance(labels, dict) else None
    return value if isinstance(value, str) and value else None


def _most_common(counts: Counter[str] | None) -> str | None:
    # Ties go to the first name in order, so the answer does not depend on row order.
    return max(sorted(counts), key=counts.__getitem__) if counts else None


def snapshot_topology(snapshot: Snapshot | None) -> dict[str, Any]:
    """Zones (with their region and node count), regions, unzoned nodes and endpoint count.

    A zone's region is the one most of its nodes carry. Everything is zero or empty before the
    first snapshot.
    """
    if snapshot is None:
        return {"zones": [], "regions": [], "without_zone": 0, "endpoints": 0}
    rows = ObjectVersion.objects.at(snapshot.cluster_id, snapshot.seq).filter(kind="Node")
    zones: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    zone_regions: dict[str, Counter[str]] = {}
    without_zone = 0
    for data in rows.values_list("data", flat=True).iterator(chunk_size=2000):
        node = decode(data)
        zone, region = _label(node, ZONE_LABEL), _label(node, REGION_LABEL)
        if region:
            regions[region] += 1
        if not zone:
            without_zone += 1
            continue
        zones[zone] += 1
        if region:
            zone_regions.setdefault(zone, Counter())[region] += 1
    return {
        "zones": [
            {
                "name": zone,
                "region": _most_common(zone_regions.get(zone)),
                "nodes": count,
            }
            for zone, count in sorted(zones.items())
        ],
        "regions": [{"name": r, "nodes": n} for r, n in sorted(regions.items())],
        "without_zone": without_zone,
        "endpoints": snapshot.endpoints,
    }
