"""The engine's hot functions as first written, before they were tuned for speed (issue 16):
kube-proxy's endpoints and plan, the flows, the controller's hints for the non-Auto policies.
They are the readable statement of what the tuned ones compute; tests/engine/test_fast_paths.py
checks that both give the same figures, to the last bit of every float and in the same order."""

from dataclasses import dataclass, field

from routing.engine.flows import Clients
from routing.engine.model import NO_HINT, UNKNOWN_ZONE, Hint, Service, ServicePort

FORWARD, DROP, REJECT = "forward", "drop", "reject"
NODE_MODE, ZONE_MODE = "PreferSameNode", "PreferSameZone"
_EPSILON = 1e-12


@dataclass(frozen=True)
class Outcome:
    action: str
    mode: str | None
    endpoints: tuple[int, ...] = ()


@dataclass
class Plan:
    default: Outcome
    by_zone: dict[str, Outcome] = field(default_factory=dict)
    by_node: dict[str, Outcome] = field(default_factory=dict)


def proxy_endpoints(service: Service, port: ServicePort | None = None) -> list[int]:
    family = service.ip_families[0] if service.ip_families else "IPv4"
    if port is None and service.ports:
        port = service.ports[0]
    serving = _slices_serving(service, port)
    chosen: dict[str, int] = {}
    for i, ep in enumerate(service.endpoints):
        if ep.address_type != family:
            continue
        if serving is not None and ep.slice_name not in serving:
            continue
        if ep.ip not in chosen or ep.terminating is not True:
            chosen[ep.ip] = i
    return list(chosen.values())


def _slices_serving(service: Service, port: ServicePort | None) -> set[str] | None:
    if port is None or service.headless:
        return None
    key = port.key
    slices = service.slice_ports
    serving = {name for name, ports in slices.items() if key in ports.usable}
    return None if len(serving) == len(slices) else serving


def plan(service: Service, hints: list[Hint], indices: list[int]) -> Plan:
    eps = service.endpoints
    if service.internal_traffic_policy == "Local" and not service.headless:
        return _local_plan(service, indices)
    ready = [i for i in indices if eps[i].proxy_ready]
    if not ready:
        fallback = tuple(i for i in indices if eps[i].proxy_serving_terminating)
        if not fallback or service.headless:
            return Plan(Outcome(REJECT, None))
        return Plan(Outcome(FORWARD, None, fallback))
    result = Plan(Outcome(FORWARD, None, tuple(ready)))
    if service.headless:
        return result
    if all(hints[i][1] for i in ready):
        for node, members in _group(ready, hints, 1).items():
            result.by_node[node] = Outcome(FORWARD, NODE_MODE, members)
    if all(hints[i][0] for i in ready):
        for zone, members in _group(ready, hints, 0).items():
            result.by_zone[zone] = Outcome(FORWARD, ZONE_MODE, members)
    return result


def _group(ready: list[int], hints: list[Hint], which: int) -> dict[str, tuple[int, ...]]:
    groups: dict[str, list[int]] = {}
    for i in ready:
        names = hints[i][which]
        for name in names if len(names) == 1 else dict.fromkeys(names):
            groups.setdefault(name, []).append(i)
    return {name: tuple(members) for name, members in groups.items()}


def _local_plan(service: Service, indices: list[int]) -> Plan:
    eps = service.endpoints
    by_node: dict[str, list[int]] = {}
    usable = False
    for i in indices:
        ep = eps[i]
        if ep.proxy_ready or ep.proxy_serving_terminating:
            usable = True
            if ep.node_name:
                by_node.setdefault(ep.node_name, []).append(i)
    result = Plan(Outcome(DROP if usable else REJECT, None))
    for node, members in by_node.items():
        ready = tuple(i for i in members if eps[i].proxy_ready)
        result.by_node[node] = Outcome(FORWARD, None, ready or tuple(members))
    return result


@dataclass(frozen=True)
class Flows:
    matrix: dict[str, dict[str, float]]
    dropped: float
    cross_zone: float
    cross_region: float
    load: dict[int, float]
    max_overload: float


def compute_flows(
    service: Service, plan: Plan, indices: list[int], clients: Clients, regions: dict[str, str]
) -> Flows:
    contributions: dict[int, tuple[Outcome, dict[str, float]]] = {}
    generic_weight = dict(clients.zone_weight)
    generic_count = dict(clients.zone_count)
    for node, outcome in plan.by_node.items():
        client = clients.by_node.get(node)
        if client is None:
            continue
        zone, weight = client
        _add(contributions, outcome, zone, weight)
        generic_count[zone] -= 1
        generic_weight[zone] -= weight
    for zone, count in generic_count.items():
        if count > 0:
            _add(contributions, plan.by_zone.get(zone, plan.default), zone, generic_weight[zone])
    return _tally(service, contributions, indices, regions)


def _add(
    acc: dict[int, tuple[Outcome, dict[str, float]]], outcome: Outcome, zone: str, w: float
) -> None:
    entry = acc.get(id(outcome))
    if entry is None:
        entry = acc[id(outcome)] = (outcome, {})
    src = zone or UNKNOWN_ZONE
    entry[1][src] = entry[1].get(src, 0.0) + w


def _tally(
    service: Service,
    contributions: dict[int, tuple[Outcome, dict[str, float]]],
    indices: list[int],
    regions: dict[str, str],
) -> Flows:
    eps = service.endpoints
    load = dict.fromkeys(indices, 0.0)
    matrix: dict[str, dict[str, float]] = {}
    dropped = forwarded = 0.0
    for outcome, sources in contributions.values():
        total = sum(sources.values())
        if outcome.action != FORWARD:
            dropped += total
            continue
        forwarded += total
        n = len(outcome.endpoints)
        share = total / n
        histogram: dict[str, int] = {}
        for i in outcome.endpoints:
            load[i] += share
            z = eps[i].flow_zone
            histogram[z] = histogram.get(z, 0) + 1
        for src, w in sources.items():
            row = matrix.setdefault(src, {})
            for dst, count in histogram.items():
                row[dst] = row.get(dst, 0.0) + w * count / n
    cross_zone = cross_region = 0.0
    for src, row in matrix.items():
        if src == UNKNOWN_ZONE:
            continue
        for dst, w in row.items():
            if dst in (UNKNOWN_ZONE, src):
                continue
            cross_zone += w
            rs, rd = regions.get(src, ""), regions.get(dst, "")
            if rs and rd and rs != rd:
                cross_region += w
    if forwarded > _EPSILON:
        cross_zone /= forwarded
        cross_region /= forwarded
    else:
        cross_zone = cross_region = 0.0
    usable = sum(1 for i in indices if eps[i].proxy_ready) or sum(
        1 for i in indices if eps[i].proxy_serving_terminating
    )
    fair = (1.0 - dropped) / usable if usable else 0.0
    busiest = max(load.values(), default=0.0)
    max_overload = busiest / fair if fair > _EPSILON and forwarded > _EPSILON else 0.0
    return Flows(matrix, dropped, cross_zone, cross_region, load, max_overload)


def simulate_hints(service: Service, policy: str) -> list[Hint]:
    """The controller's hints under "none", "PreferSameZone" or "PreferSameNode"."""
    endpoints = service.endpoints
    hints = [ep.hint for ep in endpoints]
    if not service.has_selector:
        return hints
    same_node = policy == "PreferSameNode"
    by_zone = policy in ("PreferSameZone", "PreferSameNode")
    for i, ep in enumerate(endpoints):
        if not ep.managed:
            continue
        if not by_zone or not ep.controller_ready:
            hints[i] = NO_HINT
            continue
        zones = (ep.zone,) if ep.zone else ()
        nodes = (ep.node_name,) if same_node and ep.node_name else ()
        hints[i] = (zones, nodes) if zones or nodes else NO_HINT
    return hints
