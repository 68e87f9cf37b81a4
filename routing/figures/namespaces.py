"""The Services of one snapshot rolled up by namespace: what each namespace's cross-zone traffic
costs and how much of it crosses, as an allocation view (Kubecost's, by namespace) would show it.

Weighted as the flow map (routing.figures.traffic.flow_map) weighs Services, so that the
namespaces' figures add up to the cluster's: a Service with a volume weighs its monthly GB;
without any volume in the cluster all weigh 1; with some, a Service without one weighs the
mean of the known volumes (1 if that mean is 0).
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models.fields.json import KT

from routing.models import ServiceSummary, Snapshot
from routing.snapshots.write import gc_paused
from routing.volumes.lookup import SnapshotVolumes


@dataclass
class _Sums:
    services: int = 0
    with_volume: int = 0
    monthly_gb: float = 0.0
    monthly_cost: float = 0.0
    weight: float = 0.0
    forwarded: float = 0.0  # weighted share not dropped
    crossing: float = 0.0  # weighted share that crosses zones
    cost: float = 0.0  # weighted cost per GB
    dropping: int = 0
    overloaded: int = 0
    recommended: int = 0


# Every Service's row is kept while summed: the collector stays off until they are freed, on
# return (routing.figures.runs.read_runs says why).
@gc_paused()
def namespace_rollup(snapshot: Snapshot, volumes: SnapshotVolumes | None = None) -> dict[str, Any]:
    """Per namespace of the snapshot: Services, volume and monthly cost (where volumes exist),
    weighted cost per GB and cross-zone share, Services dropping traffic or overloaded."""
    volumes = volumes or SnapshotVolumes(snapshot)
    rows = sorted(
        ServiceSummary.objects.at(snapshot.cluster_id, snapshot.seq).values_list(
            "namespace",
            "name",
            "cross_zone_fraction",
            "dropped",
            "max_overload",
            "cost_per_gb",
            KT("recommendation__policy"),  # only whether there is one: not the whole JSON
        )
    )  # a fixed order, so that the float sums are the same on every read
    found = {key: volume.gb for key, volume in volumes.get().items()} if volumes.any() else {}
    known = [found[(ns, name)] for ns, name, *_ in rows if (ns, name) in found]
    weighting = "equal" if not known else "volume" if len(known) == len(rows) else "mixed"
    fill = (sum(known) / len(known) if known else 0.0) or 1.0
    limit = settings.TRAFFICLENS_OVERLOAD_LIMIT

    sums: dict[str, _Sums] = {}
    for ns, name, cross, dropped, overload, cost, recommended in rows:
        s = sums.setdefault(ns, _Sums())
        gb = found.get((ns, name))
        weight = fill if gb is None else gb
        s.services += 1
        if gb is not None:
            s.with_volume += 1
            s.monthly_gb += gb
            s.monthly_cost += cost * gb
        s.weight += weight
        s.forwarded += weight * (1.0 - dropped)
        s.crossing += weight * (1.0 - dropped) * cross
        s.cost += weight * cost
        s.dropping += dropped > 0
        s.overloaded += overload > limit
        s.recommended += bool(recommended)

    namespaces = [_figures(ns, s) for ns, s in sums.items()]
    # Largest monthly cost first once volumes exist (namespaces without one last), else the
    # dearest per GB; ties by name.
    namespaces.sort(key=lambda n: n["namespace"])
    namespaces.sort(key=lambda n: n["costPerGbMean"], reverse=True)
    if known:
        namespaces.sort(key=lambda n: (n["monthlyCost"] is None, -(n["monthlyCost"] or 0.0)))
    return {"weighting": weighting, "count": len(namespaces), "namespaces": namespaces}


def _figures(namespace: str, s: _Sums) -> dict[str, Any]:
    has_volume = s.with_volume > 0
    return {
        "namespace": namespace,
        "services": s.services,
        "servicesWithVolume": s.with_volume,
        "monthlyGb": s.monthly_gb if has_volume else None,
        "monthlyCost": s.monthly_cost if has_volume else None,
        "costPerGbMean": s.cost / s.weight if s.weight else 0.0,
        "crossZoneFraction": s.crossing / s.forwarded if s.forwarded else 0.0,
        "droppingServices": s.dropping,
        "overloadedServices": s.overloaded,
        "recommendedServices": s.recommended,
    }
