"""add-endpoints and spread-workload: endpoints counted and placed where the clients are.

With a topology policy, each zone's clients use the endpoints hinted for their zone. A zone
without enough of them (none, fewer than Auto's minimum, or too few for its share of the
traffic) sends its clients elsewhere or overloads what it has. spread-workload moves the
endpoints the Service already has to the zones that lack them (same count, no new Pods);
add-endpoints runs more, fewest added first. Both are verified through the what-if API's
`replicasPerZone`, and name the owning workload's commands when the input has it (owners.py).
"""

import math
from collections.abc import Iterator
from itertools import islice

from routing.whatif import MAX_REPLICAS

from .case import Case, Fix
from .owners import more_pods, placement_advice

_MAX_ADD_TRIES = 8  # endpoint layouts tried per Service, fewest added first
# Findings that say endpoints placed or counted otherwise may help (placement_may_help).
_PLACEMENT_CODES = frozenset({"zone-without-endpoints", "endpoint-overload", "auto-disabled"})


def add_endpoints(case: Case, forced: bool = False) -> Iterator[Fix]:
    """`forced`: search whatever the diagnostics say (another fix's objects, e.g. labelled)."""
    if not placement_may_help(case, forced):
        return
    ready = case.ready_per_zone()
    weights = case.client_zone_weights()
    if not weights:
        return
    for layout in islice(_layouts(ready, weights), _MAX_ADD_TRIES):
        changes = {"replicasPerZone": layout}
        outcome = case.verify(changes)
        if case.helps(outcome):
            assert outcome is not None
            yield _endpoints_fix(case, layout, ready, outcome)
            return


def placement_may_help(case: Case, forced: bool = False) -> bool:
    """Whether endpoints placed or counted otherwise could help: a topology policy whose hints
    leave a zone without endpoints, overload one or are off (Auto), or leave cross-zone
    traffic once the controller has synced (a hint not written yet can hide a zone without
    endpoints). `forced`: whatever the diagnostics say (another fix's objects, e.g. labelled)."""
    policy = case.entry["controller"]["policy"]
    if policy == "none":
        return False  # without a topology policy every endpoint takes a share
    settled = case.entry["whatIf"][policy]
    if not (
        forced
        or case.codes() & _PLACEMENT_CODES
        or settled["crossZoneFraction"] > 1e-9
        or settled["maxOverload"] > case.options.overload_limit + 1e-9
    ):
        return False
    # (every fix of these kinds must pass case.helps)
    return bool(case.own) and case.has_selector() and case.can_improve()


def _layouts(ready: dict[str, int], weights: dict[str, float]) -> Iterator[dict[str, int]]:
    """Endpoint counts per zone to try, fewest added first: each client zone gets at least its
    share of a growing total (never fewer than it has), so hints can follow the clients."""
    have = sum(ready.values())
    seen: set[tuple[tuple[str, int], ...]] = set()
    for total in range(max(have, len(weights)), have + 4 * len(weights) + 1):
        target = {
            zone: min(MAX_REPLICAS, max(ready.get(zone, 0), math.ceil(w * total - 1e-9), 1))
            for zone, w in weights.items()
        }
        layout = {z: n for z, n in sorted(target.items()) if n != ready.get(z, 0)}
        frozen = tuple(sorted(layout.items()))
        if layout and frozen not in seen:
            seen.add(frozen)
            yield layout


def _endpoints_fix(case: Case, layout: dict[str, int], ready: dict[str, int], outcome) -> Fix:
    added = {z: n - ready.get(z, 0) for z, n in layout.items()}
    more = sum(added.values())
    where = ", ".join(f"{n} in {z}" for z, n in sorted(added.items()))
    how = more_pods(case, more)
    return Fix(
        "add-endpoints",
        f"Run {more} more ready endpoint(s) ({where}) so each client zone has enough "
        "endpoints for its hints: "
        + ", ".join(f"{z}: {ready.get(z, 0)} -> {n}" for z, n in sorted(layout.items()))
        + f". {how.said}",
        outcome,
        how.commands,
        f"{more} more Pod(s) to run",
        {"replicasPerZone": layout},
        more,
    )


def spread_workload(case: Case) -> Iterator[Fix]:
    """The endpoints the Service has, moved to the zones its clients are in (none added)."""
    if not placement_may_help(case):
        return
    ready = case.ready_per_zone()
    weights = case.client_zone_weights()
    have = sum(ready.values())
    if not weights or have < len(weights):
        return  # too few to give each client zone one: add-endpoints
    target = _spread(have, weights)
    layout = {
        zone: target.get(zone, 0)
        for zone in sorted(set(target) | set(ready))
        if target.get(zone, 0) != ready.get(zone, 0)
    }
    if not layout:
        return
    changes = {"replicasPerZone": layout}
    outcome = case.verify(changes)
    if not case.helps(outcome):
        return
    assert outcome is not None
    how = placement_advice(case)
    moves = ", ".join(f"{z}: {ready.get(z, 0)} -> {n}" for z, n in layout.items())
    yield Fix(
        "spread-workload",
        f"The Service's {have} ready endpoints are enough for its client zones but placed "
        f"unevenly: {moves}. {how.said}",
        outcome,
        how.commands,
        "none: as many Pods as now, in other zones (Pods are replaced as they move)",
        changes,
        0,
    )


def _spread(total: int, weights: dict[str, float]) -> dict[str, int]:
    """`total` endpoints over the client zones in proportion to their weights, at least one
    each (largest remainder; `max` keeps the first of equals and zones are in name order, so
    the answer never depends on the weights' order)."""
    scale = sum(weights.values())
    share = {zone: weights[zone] / scale * total for zone in sorted(weights)}
    counts = {zone: max(1, math.floor(s)) for zone, s in share.items()}
    while sum(counts.values()) > total:  # the minimum of one each took too many
        zone = max((z for z in counts if counts[z] > 1), key=lambda z: counts[z] - share[z])
        counts[zone] -= 1
    while sum(counts.values()) < total:
        zone = max(counts, key=lambda z: share[z] - counts[z])  # the first of equals
        counts[zone] += 1
    return counts
