"""Topology Aware Routing (`topology-mode: Auto`): the controller's ProportionalZoneCPU hints.

Restates upstream's topologycache (docs/kubernetes-semantics.md §3.3) with the same float64
arithmetic and the same event texts. Where upstream iterates a Go map (random order) we iterate
zones sorted by name, which keeps upstream's per-zone counts and makes the output reproducible.
"""

import math
from dataclasses import dataclass

from .model import NO_HINT, Endpoint, Hint, Node

OVERLOAD_THRESHOLD = 0.2
# Go folds the constant 1/(1+0.2) exactly and rounds once; Python's 1/(1+0.2) gives the same double.
_MIN_FACTOR = 1 / (1 + OVERLOAD_THRESHOLD)

INSUFFICIENT_NODE_INFO = (
    "Insufficient Node information: allocatable CPU or zone not specified on one or more nodes"
)
NODES_READY_IN_ONE_ZONE_ONLY = "Nodes only ready in one zone"
INSUFFICIENT_NUMBER_OF_ENDPOINTS = "Insufficient number of endpoints"
MIN_ALLOCATION_EXCEEDS_OVERLOAD_THRESHOLD = (
    "Unable to allocate minimum required endpoints to each zone without exceeding "
    "overload threshold"
)
NO_ZONE_SPECIFIED = "One or more endpoints do not have a zone specified"
NO_ALLOCATED_HINTS_FOR_ZONES = "No hints allocated for zones"
HINTS_ENABLED = "Topology Aware Hints has been enabled"
HINTS_DISABLED_REASON = "TopologyAwareHintsDisabled"
HINTS_ENABLED_REASON = "TopologyAwareHintsEnabled"

Event = dict[str, str]


@dataclass(frozen=True, slots=True)
class ZoneRatios:
    """The cluster-wide CPU share of each zone (TopologyCache.SetNodes).

    `ratios` is None when Auto cannot run anywhere; `bad_nodes` then names the eligible nodes
    without a zone label or allocatable CPU, for diagnostics.
    """

    ratios: dict[str, float] | None
    bad_nodes: tuple[str, ...]
    eligible_zones: tuple[str, ...]


# Not frozen: made for every zone of every Auto simulation (see controller.ControllerResult).
@dataclass(slots=True)
class Allocation:
    minimum: int
    desired: float
    maximum: int


def zone_ratios(nodes: list[Node]) -> ZoneRatios:
    """Compute zone CPU ratios from Ready, non-control-plane nodes, as SetNodes does."""
    cpu_by_zone: dict[str, int] = {}
    total = 0
    bad: list[str] = []
    for node in nodes:
        if node.control_plane or not node.ready:
            continue
        if not node.zone or not node.cpu_millis:
            bad.append(node.name)  # upstream stops at the first; we name them all
            continue
        cpu_by_zone[node.zone] = cpu_by_zone.get(node.zone, 0) + node.cpu_millis
        total += node.cpu_millis
    zones = tuple(sorted(cpu_by_zone))
    if bad or total == 0 or len(cpu_by_zone) < 2:
        return ZoneRatios(None, tuple(bad), zones)
    ratios = {zone: float(cpu) / float(total) for zone, cpu in sorted(cpu_by_zone.items())}
    return ZoneRatios(ratios, (), zones)


def allocations(
    n: int, ratios: dict[str, float] | None
) -> tuple[dict[str, Allocation] | None, str | None]:
    """getAllocations: per-zone minimum/desired/maximum for n endpoints, or why not."""
    if ratios is None:
        return None, INSUFFICIENT_NODE_INFO
    zones = len(ratios)
    if zones < 2:
        return None, NODES_READY_IN_ONE_ZONE_ONLY
    if zones > n:
        return None, f"{INSUFFICIENT_NUMBER_OF_ENDPOINTS} ({n} endpoints, {zones} zones)"
    remaining = n
    min_total = 0
    partial: dict[str, tuple[int, float]] = {}
    for zone, ratio in ratios.items():
        desired = ratio * float(n)
        minimum = math.ceil(desired * _MIN_FACTOR)
        partial[zone] = (minimum, max(desired, float(minimum)))
        min_total += minimum
        remaining -= minimum
        if remaining < 0:
            return (
                None,
                f"{MIN_ALLOCATION_EXCEEDS_OVERLOAD_THRESHOLD} ({n} endpoints, {zones} zones)",
            )
    return {
        zone: Allocation(minimum, desired, minimum + n - min_total)
        for zone, (minimum, desired) in partial.items()
    }, None


def auto_hints(
    endpoints: list[Endpoint], indices: list[int], ratios: ZoneRatios, family: str
) -> tuple[dict[int, Hint], list[Event]]:
    """AddHints for one address family of one Service, every slice being rewritten.

    Returns the hint for each endpoint index and the events the controller would emit.
    """
    # (Endpoint.controller_ready inlined here and below: once per endpoint of every Service.)
    n = sum([endpoints[i].ready is True for i in indices])
    allocs, problem = allocations(n, ratios.ratios)
    if allocs is None:
        return _none(indices), [_warning(f"{problem}, addressType: {family}")]
    allocated: dict[str, int] = {}
    hints: dict[int, Hint] = {}
    own_zone: dict[str, Hint] = {}  # one hint per zone, shared by its endpoints
    for i in indices:  # step 1: every ready endpoint starts hinted for its own zone
        ep = endpoints[i]
        if ep.ready is not True:
            hints[i] = NO_HINT
            continue
        zone = ep.zone
        if not zone:
            return _none(indices), [_warning(f"{NO_ZONE_SPECIFIED}, addressType: {family}")]
        allocated[zone] = allocated.get(zone, 0) + 1
        hint = own_zone.get(zone)
        if hint is None:
            hint = own_zone[zone] = ((zone,), ())
        hints[i] = hint
    giving, receiving = _giving_and_receiving(allocs, allocated)
    _redistribute(endpoints, indices, hints, giving, receiving)
    if not allocated:
        return _none(indices), [_warning(f"{NO_ALLOCATED_HINTS_FOR_ZONES}, addressType: {family}")]
    enabled = {
        "type": "Normal",
        "reason": HINTS_ENABLED_REASON,
        "message": f"{HINTS_ENABLED}, addressType: {family}",
    }
    return hints, [enabled]


def _none(indices: list[int]) -> dict[int, Hint]:
    return dict.fromkeys(indices, NO_HINT)


def _warning(message: str) -> Event:
    return {"type": "Warning", "reason": HINTS_DISABLED_REASON, "message": message}


def _most(values: dict[str, float]) -> tuple[str, float]:
    zone, most = "", 0.0
    for z in sorted(values):  # first strictly larger wins: deterministic stand-in for Go map order
        if values[z] > most:
            zone, most = z, values[z]
    return zone, most


def _giving_and_receiving(
    allocs: dict[str, Allocation], allocated: dict[str, int]
) -> tuple[dict[str, int], dict[str, int]]:
    surplus: dict[str, float] = {}
    deficit: dict[str, float] = {}
    for zone, alloc in allocs.items():
        have = float(allocated.get(zone, 0))
        if have > alloc.desired:
            surplus[zone] = have - alloc.desired
        elif have < alloc.desired:
            deficit[zone] = alloc.desired - have
    giving: dict[str, int] = {}
    receiving: dict[str, int] = {}
    while True:
        donor, to_give = _most(surplus)
        taker, to_take = _most(deficit)
        if (
            not donor
            or not taker
            or (to_give < 1.0 and to_take < 1.0)
            or to_give < 0.5
            or to_take < 0.5
        ):
            return giving, receiving
        giving[donor] = giving.get(donor, 0) + 1
        surplus[donor] -= 1.0
        receiving[taker] = receiving.get(taker, 0) + 1
        deficit[taker] -= 1.0


def _redistribute(
    endpoints: list[Endpoint],
    indices: list[int],
    hints: dict[int, Hint],
    giving: dict[str, int],
    receiving: dict[str, int],
) -> None:
    for i in indices:
        ep = endpoints[i]
        if not ep.controller_ready:
            continue
        if not giving or not receiving:
            return
        left = giving.get(ep.zone, 0)
        if left <= 0:
            continue
        taker = min(receiving)  # receivers left in the map always still need endpoints
        hints[i] = ((taker,), ())
        if left == 1:
            del giving[ep.zone]
        else:
            giving[ep.zone] = left - 1
        if receiving[taker] == 1:
            del receiving[taker]
        else:
            receiving[taker] -= 1
