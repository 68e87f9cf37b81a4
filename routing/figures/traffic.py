"""Figures over many Services or many snapshots, computed on read from the stored summaries:
the cluster's flow map, its ranked recommendations, and time series bucketed for charts.

Monthly figures multiply a summary's per-GB figure by the Service's volume (routing.volumes.lookup:
set by hand, else measured in force for the snapshot), where there is one; per-GB figures are
those of the snapshot (priced when it was analysed).
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, NamedTuple, overload

import orjson
import yaml
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from routing.engine.shell import merge_patch_of
from routing.figures.runs import COST, DROPPED, OBSERVED, Run, read_runs
from routing.models import Cluster, ServiceSummary, Snapshot
from routing.snapshots.write import gc_paused
from routing.volumes.lookup import SnapshotVolumes, Volume

_BY_NAME = attrgetter("namespace", "name")  # a Run's key within a snapshot
UNKNOWN_ZONE = "unknown"  # the engine's name for an endpoint or client without a zone
TARGET_POINTS = 500  # default resolution: at most this many buckets
MAX_POINTS = 10_000  # an explicit resolution may not ask for more


# --- flow map ---------------------------------------------------------------------------------


# The runs read here stay alive while they are summed: the collector stays off until they are
# freed, when the call returns (routing.figures.runs.read_runs says why).
@gc_paused()
def flow_map(
    snapshot: Snapshot,
    policy: str = OBSERVED,
    runs: list[Run] | None = None,
    at_snapshot: SnapshotVolumes | None = None,
) -> dict:
    """The zone-to-zone matrix over all Services of the snapshot, weighted by monthly GB.

    Each Service's matrix sums to its forwarded share (1 − dropped). Services with a volume
    weigh their monthly GB; without any volume all weigh 1; with some, a Service without one
    weighs the mean of the known volumes (1 if that mean is 0). The result is the weighted mean
    of the matrices, so it too sums to the (weighted) forwarded share.

    `policy` is "observed" (as the cluster routes now) or one of the engine's what-if policies
    ("PreferSameNode", "PreferSameZone", "Auto", "none"): every Service as if it used that one.
    `runs` (the snapshot's rows under that policy with their matrices,
    routing.figures.runs.read_runs) and its volumes (`at_snapshot`) are read here unless the
    caller has them.
    """
    if runs is None:
        runs = read_runs(snapshot, policy, matrices=True)
    # Floating-point sums depend on their order: add the rows up in one fixed order (namespace,
    # name), not in whatever order the database returns them, so the same snapshot always gives
    # the same figures to the last digit.
    rows = sorted(runs, key=_BY_NAME)
    if at_snapshot is None:
        at_snapshot = SnapshotVolumes(snapshot)
    found = at_snapshot.get()
    used = [found.get((run.namespace, run.name)) for run in rows]  # in the rows' order
    known = [volume.gb for volume in used if volume is not None]
    if not known:
        weighting = "equal"
    elif len(known) == len(rows):
        weighting = "volume"
    else:
        weighting = "mixed"
    fill = (sum(known) / len(known) if known else 0.0) or 1.0
    weights = [fill if volume is None else volume.gb for volume in used]
    total_weight = sum(weights)

    matrix: dict[str, dict[str, float]] = {}
    dropped = cost_mean = 0.0
    monthly_cost = 0.0
    for run, weight, volume in zip(rows, weights, used, strict=True):
        share = weight / total_weight if total_weight else 0.0
        for src, cells in (run.matrix or {}).items():
            target = matrix.get(src)
            if target is None:
                target = matrix[src] = {}
            for dst, value in cells.items():
                target[dst] = target.get(dst, 0.0) + value * share
        figures = run.under
        dropped += figures[DROPPED] * share
        cost_mean += figures[COST] * share
        if volume is not None:
            monthly_cost += figures[COST] * volume.gb

    by_source: list[dict[str, Any]] = []
    cross_total = 0.0
    for src in sorted(matrix):
        row = matrix[src]
        total = sum(row.values())
        cross = sum(v for dst, v in row.items() if _crosses(src, dst))
        cross_total += cross
        by_source.append(
            {
                "zone": src,
                "total": total,
                "sameZone": row.get(src, 0.0),
                "crossZone": cross,
            }
        )
    forwarded = sum(item["total"] for item in by_source)
    return {
        "services": len(rows),
        "servicesWithVolume": len(known),
        "weighting": weighting,
        "monthlyGb": sum(known) if known else None,
        "matrix": {src: dict(sorted(matrix[src].items())) for src in sorted(matrix)},
        "bySourceZone": by_source,
        "forwarded": forwarded,
        "dropped": dropped,
        "crossZoneFraction": cross_total / forwarded if forwarded else 0.0,
        "costPerGbMean": cost_mean if rows else None,
        "monthlyCost": monthly_cost if known else None,
        "volumes": volume_summary(at_snapshot, [volume for volume in used if volume is not None]),
        "policy": policy,
        "zones": zone_figures(snapshot),
    }


def volume_summary(volumes: SnapshotVolumes, used: list[Volume]) -> dict[str, Any]:
    """Where the volumes behind the monthly figures came from: how many Services each source
    gave, and the fetch in force (its time and what it was)."""
    counts = dict.fromkeys(("measured", "simulated", "manual"), 0)
    for volume in used:
        counts[volume.source] += 1
    fetch = volumes.fetch if counts["measured"] or counts["simulated"] else None
    return {
        **counts,
        "fetchedAt": fetch.fetched_at if fetch else None,
        "source": fetch.source if fetch else None,
    }


def zone_figures(snapshot: Snapshot) -> list[dict]:
    """Per zone: region, nodes (all, ready), ready endpoints and share of client traffic."""
    report = snapshot.cluster_report or {}
    ready = snapshot.ready_endpoints_by_zone  # None for snapshots from before it existed
    weights = report.get("clientZoneWeights")
    return [
        {
            "zone": zone,
            "region": figures.get("region"),
            "nodes": figures.get("nodes", 0),
            "readyNodes": figures.get("readyNodes", 0),
            "readyEndpoints": ready.get(zone, 0) if ready is not None else None,
            "clientWeight": weights.get(zone, 0.0) if weights is not None else None,
        }
        for zone, figures in sorted((report.get("zones") or {}).items())
    ]


def _crosses(src: str, dst: str) -> bool:
    return src != dst and UNKNOWN_ZONE not in (src, dst)


# --- recommendations --------------------------------------------------------------------------


class _Ranked(NamedTuple):
    """What ranking a recommendation takes; the whole item is built when it is read."""

    namespace: str
    name: str
    policy: str
    rec: dict | None  # the policy switch, unless the best fix is another kind of fix
    fixes: list[dict]
    volume: Volume | None
    per_gb: float  # the headline's saving per GB
    monthly: float | None


class Recommendations(Sequence[dict]):
    """The ranked recommendations of a snapshot: a sequence of items, each built when read.
    A page shows 20 of thousands, and building an item (a copy of each of its fixes) cost more
    than ranking them all (docs/benchmarks.md)."""

    def __init__(self, ranked: list[_Ranked]) -> None:
        self._ranked = ranked

    def __len__(self) -> int:
        return len(self._ranked)

    @overload
    def __getitem__(self, index: int) -> dict: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict]: ...

    def __getitem__(self, index: int | slice) -> dict | list[dict]:
        if isinstance(index, slice):
            return [_item(r) for r in self._ranked[index]]
        return _item(self._ranked[index])

    def monthly_savings(self) -> list[float]:
        """The monthly saving of every item that has one (a volume is known)."""
        return [r.monthly for r in self._ranked if r.monthly is not None]

    def volume_sources(self) -> list[str]:
        """Where each item's volume came from, for the items that have one."""
        return [r.volume.source for r in self._ranked if r.volume is not None]


def recommendations(snapshot: Snapshot) -> Recommendations:
    """Every Service of the snapshot with a recommendation or a verified fix, best saving first.

    Ranked by monthly saving where a volume is known (those come first), then by per-GB
    saving, then by namespace and name. Each row leads with the Service's best fix: a policy
    switch (the recommendation's fields), or another fix (say, more endpoints in a zone) with
    `recommendedPolicy` null and that fix's figures.
    """
    # The JSON leaves the database as text for orjson (routing.figures.runs says why).
    rows = (
        ServiceSummary.objects.at(snapshot.cluster_id, snapshot.seq)
        .annotate(
            rec_text=Cast("recommendation", TextField()), fixes_text=Cast("fixes", TextField())
        )
        .values_list("namespace", "name", "policy", "rec_text", "fixes_text")
    )
    volumes = SnapshotVolumes(snapshot).get()
    with gc_paused():  # tens of thousands of parsed dicts, all kept: collections scan in vain
        return Recommendations(_ranked(rows, volumes))


def _ranked(rows, volumes: dict[tuple[str, str], Volume]) -> list[_Ranked]:
    ranked = []
    for namespace, name, policy, rec_text, fixes_text in rows:
        rec = orjson.loads(rec_text) if rec_text else None
        fixes = orjson.loads(fixes_text) if fixes_text else []
        if not rec and not fixes:
            continue
        best = fixes[0] if fixes else None
        # The headline is the best fix; a policy switch keeps the recommendation's own fields.
        if best is not None and best["kind"] != "set-policy":
            rec = None
        if rec:
            per_gb = rec["costPerGbSaved"]
        else:
            assert best is not None  # a row has a recommendation or a fix
            per_gb = best["costPerGbSaved"]
        volume = volumes.get((namespace, name))
        monthly = per_gb * volume.gb if volume is not None else None
        ranked.append(_Ranked(namespace, name, policy, rec, fixes, volume, per_gb, monthly))
    # Rounded so that float noise between equal savings (2/3 x 0.02 reached two ways) does not
    # decide the order: equal savings go by name.
    ranked.sort(
        key=lambda r: (
            r.monthly is None,
            -round(r.monthly or 0.0, 9),
            -round(r.per_gb, 12),
            r.namespace,
            r.name,
        )
    )
    return ranked


def _item(r: _Ranked) -> dict:
    gb = r.volume.gb if r.volume is not None else None
    fixes = [
        {**fix, "monthlySaved": fix["costPerGbSaved"] * gb if gb is not None else None}
        for fix in r.fixes
    ]
    rec = r.rec
    if rec:
        lead, reason = rec, rec["reason"]
    else:
        lead, reason = fixes[0]["after"], fixes[0]["summary"]
    return {
        "namespace": r.namespace,
        "name": r.name,
        "currentPolicy": r.policy,
        "recommendedPolicy": rec["policy"] if rec else None,
        "costPerGbSaved": r.per_gb,
        "monthlyGb": gb,
        "volumeSource": r.volume.source if r.volume is not None else None,
        "monthlySaved": r.monthly,
        "crossZoneFraction": lead["crossZoneFraction"],
        "maxOverload": lead["maxOverload"],
        "overloadLimit": rec["overloadLimit"] if rec else None,
        "reason": reason,
        "change": rec["change"] if rec else None,
        "fixes": fixes,
    }


def with_yaml(items: list[dict]) -> list[dict]:
    """The items with their change as a YAML merge patch too ("yaml"): for the page being
    shown only, since dumping YAML for every recommendation of a large cluster is slow."""
    return [
        {**item, "yaml": patch_yaml(item["change"]) if item["change"] else None} for item in items
    ]


def patch_yaml(change: str) -> str:
    """The merge patch of a `kubectl patch ... -p '{...}'` one-liner, as a YAML document."""
    patch = orjson.loads(merge_patch_of(change))
    return yaml.safe_dump(patch, sort_keys=False, default_flow_style=False)


# --- time series ------------------------------------------------------------------------------


@dataclass
class Point:
    seq: int
    taken_at: datetime
    cross_zone: float | None
    cost: float | None
    extra: dict


def default_resolution(first: datetime, last: datetime) -> int:
    """Seconds per bucket so that [first, last] falls into at most TARGET_POINTS buckets."""
    span = (last - first).total_seconds()
    return max(1, math.ceil(span / (TARGET_POINTS - 2)))


def bucket_count(first: datetime, last: datetime, resolution: int) -> int:
    return int(last.timestamp() // resolution - first.timestamp() // resolution) + 1


def snapshots_between(cluster: Cluster, since: datetime | None, until: datetime | None):
    rows = Snapshot.objects.filter(cluster=cluster)
    if since is not None:
        rows = rows.filter(taken_at__gte=since)
    if until is not None:
        rows = rows.filter(taken_at__lte=until)
    return rows.order_by("seq")


def cluster_points(cluster: Cluster, since, until) -> list[Point]:
    rows = snapshots_between(cluster, since, until).values_list(
        "seq", "taken_at", "cross_zone_fraction", "cost_per_gb_mean", "services_with_diagnostics"
    )
    return [
        Point(seq, at, cz, cost, {"servicesWithDiagnostics": diag})
        for seq, at, cz, cost, diag in rows
    ]


def service_points(cluster: Cluster, namespace: str, name: str, since, until) -> list[Point] | None:
    """The Service's summary at each snapshot in range (None: no such Service, ever).

    Two queries: the snapshots in range, and the Service's summary intervals overlapping their
    seqs; both are walked in seq order.
    """
    snapshots = list(snapshots_between(cluster, since, until).values_list("seq", "taken_at"))
    summaries = ServiceSummary.objects.filter(cluster=cluster, namespace=namespace, name=name)
    rows: list = []
    if snapshots:
        low, high = snapshots[0][0], snapshots[-1][0]
        rows = list(
            summaries.filter(first_seq__lte=high)
            .filter(Q(last_seq__isnull=True) | Q(last_seq__gt=low))
            .order_by("first_seq")
            .values_list(
                "first_seq",
                "last_seq",
                "cross_zone_fraction",
                "cost_per_gb",
                "max_overload",
                "dropped",
                "policy",
            )
        )
    if not rows and not summaries.exists():
        return None
    points = []
    i = 0
    for seq, taken_at in snapshots:
        while i < len(rows) and rows[i][1] is not None and rows[i][1] <= seq:
            i += 1  # that interval closed at or before this seq
        if i == len(rows) or rows[i][0] > seq:
            continue  # the Service did not exist at this snapshot
        _, _, cz, cost, overload, dropped, policy = rows[i]
        extra = {"maxOverload": overload, "dropped": dropped, "policy": policy}
        points.append(Point(seq, taken_at, cz, cost, extra))
    return points


def bucketed(points: Iterable[Point], resolution: int, maxima: tuple[str, ...] = ()) -> list[dict]:
    """One entry per `resolution`-second bucket (aligned to the Unix epoch) holding a point:
    the last point's figures, the min and max of cross-zone share and cost per GB, and the max
    of each key in `maxima`."""
    out: list[dict] = []
    current: dict[str, Any] | None = None
    for p in points:
        key = int(p.taken_at.timestamp() // resolution)
        if current is None or key != current["key"]:
            current = {"key": key, "points": []}
            out.append(current)
        current["points"].append(p)
    return [_bucket(b["key"] * resolution, b["points"], maxima) for b in out]


def _bucket(start: float, points: list[Point], maxima: tuple[str, ...]) -> dict:
    last = points[-1]
    zones = [p.cross_zone for p in points if p.cross_zone is not None]
    costs = [p.cost for p in points if p.cost is not None]
    entry = {
        "start": datetime.fromtimestamp(start, tz=UTC),
        "takenAt": last.taken_at,
        "seq": last.seq,
        "snapshots": len(points),
        "crossZoneFraction": last.cross_zone,
        "crossZoneFractionMin": min(zones, default=None),
        "crossZoneFractionMax": max(zones, default=None),
        "costPerGb": last.cost,
        "costPerGbMin": min(costs, default=None),
        "costPerGbMax": max(costs, default=None),
        **last.extra,
    }
    for key in maxima:
        entry[f"{key}Max"] = max(p.extra[key] for p in points)
    return entry
