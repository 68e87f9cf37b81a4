"""The Services whose crossing costs most, as observed or under a what-if policy, and how many
Services that policy would change: the topology page's top table (GET .../top-services/).

Nothing is simulated here. The engine ran every policy for every Service when the snapshot was
analysed, and each summary row stores those runs (`what_if`: crossZoneFraction, dropped,
maxOverload, costPerGb and the zone matrix), as the flow map's what-if views read them
(routing.figures.traffic.flow_map); this module sets them beside the observed figures of the
same row. Monthly figures are a per-GB figure times the Service's volume (routing.volumes.lookup),
under either routing: a policy changes where bytes go, not how many there are.

It reads one row per Service, so it is linear in the snapshot's Services; the zone matrices
are compared in the database (only rows it cannot settle come back), and only the rows shown
are built in full (docs/benchmarks.md).
"""

import heapq
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.db.models.fields.json import KeyTransform

from routing.figures.traffic import OBSERVED
from routing.models import ServiceSummary, Snapshot
from routing.volumes.lookup import SnapshotVolumes, Volume

TOP_SERVICES = 10
# Two runs are the same outcome when no figure and no zone-to-zone share differs by more than
# this: runs with different hints but the same routing give the same figures up to float noise.
SAME = 1e-9
FIGURES = ("crossZoneFraction", "dropped", "maxOverload", "costPerGb")
COLUMNS = ("cross_zone_fraction", "dropped", "max_overload", "cost_per_gb")  # the same, stored
KEY = ("pk", "namespace", "name", "policy")
Matrix = dict[str, dict[str, float]]


def policy_services(
    snapshot: Snapshot,
    policy: str = OBSERVED,
    volumes: dict[tuple[str, str], Volume] | None = None,
    limit: int = TOP_SERVICES,
) -> dict[str, Any]:
    """The `limit` Services of the snapshot whose crossing costs most under `policy`, each with
    its figures under the policy, the observed ones and the difference, plus how many of all
    the snapshot's Services the policy would change.

    Ranked as the observed table always was, by the figures under `policy`: monthly cost where
    a volume is known (those first), then cost per GB, then namespace and name. `policy` is
    "observed" (figures as the cluster routes now: nothing changes) or one of the engine's
    what-if policies (routing.engine.controller.POLICIES), every Service as if it declared it.
    """
    if volumes is None:
        volumes = SnapshotVolumes(snapshot).get()
    summaries = ServiceSummary.objects.at(snapshot.cluster_id, snapshot.seq)
    # Each row: pk, namespace, name, declared policy and the observed figures (FIGURES' order);
    # under a what-if policy then its figures and whether its matrix is the observed one.
    n = len(FIGURES)
    observed_at = under_at = len(KEY)  # observed: the figures under it are the observed ones
    if policy == OBSERVED:
        rows = list(summaries.values_list(*KEY, *COLUMNS))
    else:
        # The policy's run (figures and matrix) leaves the database, as for the flow map, with
        # whether its matrix equals the observed one, compared there: equal is the common case.
        # (Each extraction reads the row's whole what-if JSON again: two, not one per figure.)
        same = ExpressionWrapper(
            Q(matrix=KeyTransform("matrix", KeyTransform(policy, "what_if"))),
            output_field=BooleanField(),
        )
        runs = summaries.annotate(run=KeyTransform(policy, "what_if"), same_matrix=same)
        rows = [
            (*row[:-2], *[row[-2][key] for key in FIGURES], row[-1])
            for row in runs.values_list(*KEY, *COLUMNS, "run", "same_matrix")
        ]
        under_at = observed_at + n
    cost_at = under_at + FIGURES.index("costPerGb")

    def rank(row: tuple) -> tuple:
        volume = volumes.get((row[1], row[2]))
        monthly = row[cost_at] * volume.gb if volume is not None else None
        return (monthly is None, -(monthly or 0.0), -row[cost_at], row[1], row[2])

    changed: set[int] = set()
    if policy != OBSERVED:
        unsure = []  # the same figures, matrices not equal (or not stored): the shares decide
        for row in rows:
            observed, under = row[observed_at:under_at], row[under_at : under_at + n]
            if any(abs(u - o) > SAME for u, o in zip(under, observed, strict=True)):
                changed.add(row[0])
            elif not row[-1]:
                unsure.append(row[0])
        if unsure:
            changed |= _moved(summaries, policy, unsure)
    top = [
        _row(
            row[1],
            row[2],
            row[3],
            row[observed_at : observed_at + n],
            row[under_at : under_at + n],
            row[0] in changed,
            volumes.get((row[1], row[2])),
        )
        for row in heapq.nsmallest(limit, rows, key=rank)  # in order, as sorted()[:limit]
    ]
    return {
        "policy": policy,
        "services": len(rows),
        "changedServices": len(changed),
        "servicesWithVolume": sum(1 for row in rows if (row[1], row[2]) in volumes),
        "topServices": top,
    }


def _moved(summaries, policy: str, pks: list[int]) -> set[int]:
    """Of the rows `pks`, those whose zone matrix under the policy differs from the observed one
    by more than SAME in any share (a row without a stored what-if matrix: its figures, the
    same, decide)."""
    rows = (
        summaries.filter(pk__in=pks)
        .annotate(run_matrix=KeyTransform("matrix", KeyTransform(policy, "what_if")))
        .values_list("pk", "matrix", "run_matrix")
    )
    return {pk for pk, observed, run in rows if run is not None and _differ(observed, run)}


def _differ(before: Matrix, after: Matrix) -> bool:
    for src in before.keys() | after.keys():
        a, b = before.get(src, {}), after.get(src, {})
        for dst in a.keys() | b.keys():
            if abs(b.get(dst, 0.0) - a.get(dst, 0.0)) > SAME:
                return True
    return False


def _row(
    namespace: str,
    name: str,
    declared: str,
    observed_figures: tuple,
    under_figures: tuple,
    changed: bool,
    volume: Volume | None,
) -> dict[str, Any]:
    gb = volume.gb if volume else None
    observed: dict[str, Any] = dict(zip(FIGURES, observed_figures, strict=True))
    under: dict[str, Any] = dict(zip(FIGURES, under_figures, strict=True))
    observed["monthlyCost"] = _monthly(observed["costPerGb"], gb)
    under["monthlyCost"] = _monthly(under["costPerGb"], gb)
    return {
        "namespace": namespace,
        "name": name,
        "policy": declared,
        **under,
        "monthlyGb": gb,
        "volumeSource": volume.source if volume else None,
        "observed": observed,
        "delta": {key: _minus(value, observed[key]) for key, value in under.items()},
        "changed": changed,
    }


def _monthly(cost_per_gb: float, gb: float | None) -> float | None:
    return cost_per_gb * gb if gb is not None else None


def _minus(value: float | None, base: float | None) -> float | None:
    """value − base; None (no monthly figure without a volume) stays None."""
    return None if value is None or base is None else value - base
