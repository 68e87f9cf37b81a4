"""The Services whose crossing costs most, as observed or under a what-if policy, and how many
Services that policy would change: the topology page's top table (GET .../top-services/).

Nothing is simulated here. The engine ran every policy for every Service when the snapshot was
analysed, and each summary row stores those runs (`what_if`: crossZoneFraction, dropped,
maxOverload, costPerGb and the zone matrix), as the flow map's what-if views read them
(routing.figures.traffic.flow_map); this module sets them beside the observed figures of the
same row. Monthly figures are a per-GB figure times the Service's volume (routing.volumes.lookup),
under either routing: a policy changes where bytes go, not how many there are.

It reads one row per Service, so it is linear in the snapshot's Services; whether a run's zone
matrix routes as the observed one does was settled when the row was written (`sameRouting`;
the matrices of rows written before that are compared here), and only the rows shown are built
in full (docs/benchmarks.md).
"""

import heapq
from typing import Any

import orjson
from django.db.models import TextField
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Cast

from routing.engine.flows import SAME_SHARE, same_routing
from routing.figures.runs import COST, FIGURES, OBSERVED, Run, read_runs
from routing.models import ServiceSummary, Snapshot
from routing.snapshots.write import gc_paused
from routing.volumes.lookup import SnapshotVolumes, Volume

TOP_SERVICES = 10
# Two runs are the same outcome when no figure differs by more than this (nor, same_routing,
# any zone-to-zone share): runs with different hints but the same routing give the same figures
# up to float noise.
SAME = SAME_SHARE


@gc_paused()  # until the runs it reads are freed, on return (routing.figures.runs says why)
def policy_services(
    snapshot: Snapshot,
    policy: str = OBSERVED,
    volumes: dict[tuple[str, str], Volume] | None = None,
    limit: int = TOP_SERVICES,
    runs: list[Run] | None = None,
) -> dict[str, Any]:
    """The `limit` Services of the snapshot whose crossing costs most under `policy`, each with
    its figures under the policy, the observed ones and the difference, plus how many of all
    the snapshot's Services the policy would change.

    Ranked as the observed table always was, by the figures under `policy`: monthly cost where
    a volume is known (those first), then cost per GB, then namespace and name. `policy` is
    "observed" (figures as the cluster routes now: nothing changes) or one of the engine's
    what-if policies (routing.engine.controller.POLICIES), every Service as if it declared it.
    `runs`: the snapshot's rows as read for `policy`, or for another one when `policy` is
    "observed" (each row holds the observed figures too); read here when not given.
    """
    if volumes is None:
        volumes = SnapshotVolumes(snapshot).get()
    if runs is None:
        runs = read_runs(snapshot, policy, matrices=False)
    observed = policy == OBSERVED

    def under(run: Run) -> tuple[float, ...]:
        return run.observed if observed else run.under

    changed: set[int] = set()
    if not observed:
        unsure = []  # the same figures, written before runs said whether they route the same
        for run in runs:
            if run.same_routing is False or (
                run.under != run.observed
                and any(abs(u - o) > SAME for u, o in zip(run.under, run.observed, strict=True))
            ):
                changed.add(run.pk)
            elif run.same_routing is None:
                unsure.append(run.pk)
        if unsure:
            summaries = ServiceSummary.objects.at(snapshot.cluster_id, snapshot.seq)
            changed |= _moved(summaries, policy, unsure)
    # Ranked by monthly cost where a volume is known (those first), then cost per GB, then
    # namespace and name; the row's position last, so that no two keys compare equal.
    ranked = []
    with_volume = 0
    for at, run in enumerate(runs):
        cost = under(run)[COST]
        volume = volumes.get((run.namespace, run.name))
        if volume is None:
            ranked.append((True, 0.0, -cost, run.namespace, run.name, at))
        else:
            with_volume += 1
            ranked.append((False, -cost * volume.gb, -cost, run.namespace, run.name, at))
    top = []
    for *_, at in heapq.nsmallest(limit, ranked):  # in order, as sorted()[:limit]
        run = runs[at]
        volume = volumes.get((run.namespace, run.name))
        top.append(_row(run, under(run), run.pk in changed, volume))
    return {
        "policy": policy,
        "services": len(runs),
        "changedServices": len(changed),
        "servicesWithVolume": with_volume,
        "topServices": top,
    }


def _moved(summaries, policy: str, pks: list[int]) -> set[int]:
    """Of the rows `pks`, those whose zone matrix under the policy does not route as the
    observed one (routing.engine.flows.same_routing; a row without a stored what-if matrix: its
    figures, the same, decide)."""
    run_matrix = KeyTransform("matrix", KeyTransform(policy, "what_if"))
    rows = (
        summaries.filter(pk__in=pks)
        .annotate(  # as text, parsed with orjson (runs.py says why)
            observed_text=Cast("matrix", TextField()), run_text=Cast(run_matrix, TextField())
        )
        .values_list("pk", "observed_text", "run_text")
    )
    return {
        pk
        for pk, observed, run in rows
        if run is not None and not same_routing(orjson.loads(observed), orjson.loads(run))
    }


def _row(
    run: Run, under_figures: tuple[float, ...], changed: bool, volume: Volume | None
) -> dict[str, Any]:
    gb = volume.gb if volume else None
    observed: dict[str, Any] = dict(zip(FIGURES, run.observed, strict=True))
    under: dict[str, Any] = dict(zip(FIGURES, under_figures, strict=True))
    observed["monthlyCost"] = _monthly(observed["costPerGb"], gb)
    under["monthlyCost"] = _monthly(under["costPerGb"], gb)
    return {
        "namespace": run.namespace,
        "name": run.name,
        "policy": run.declared,
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
