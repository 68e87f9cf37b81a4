"""Who calls a Service and where their traffic lands: client weights, zone matrix, load."""

from collections.abc import Mapping
from dataclasses import dataclass

from .model import UNKNOWN_ZONE, Cluster, Service
from .proxy import FORWARD, Outcome, ProxyPlan

_EPSILON = 1e-12


@dataclass(frozen=True, slots=True)
class Clients:
    """Client nodes (Ready, not control-plane) and their share of all client traffic."""

    basis: str
    by_node: dict[str, tuple[str, float]]  # node -> (zone label or "", weight fraction)
    zone_weight: dict[str, float]  # zone label or "" -> summed fraction
    zone_count: dict[str, int]


@dataclass(frozen=True, slots=True)
class Flows:
    matrix: dict[str, dict[str, float]]
    dropped: float
    cross_zone: float
    cross_region: float
    load: dict[int, float]  # endpoint index -> share of all client traffic
    max_overload: float


def flow_zone(zone: str) -> str:
    return zone or UNKNOWN_ZONE


def client_weights(cluster: Cluster, basis: str) -> tuple[Clients, str | None]:
    """Weigh client nodes by `basis` ("cpu", "uniform" or "pods").

    Returns the clients and a warning when the basis had to change (pods asked, none given).
    """
    clients = [n for n in cluster.nodes if n.ready and not n.control_plane]
    warning = None
    if basis == "pods" and not cluster.has_pods:
        basis, warning = "cpu", "no Pods in the input, so clients are weighted by allocatable CPU"
    elif basis == "pods" and clients and not any(n.running_pods for n in clients):
        basis = "cpu"
        warning = "no Running Pods on any client node, so clients are weighted by allocatable CPU"
    if basis == "uniform":
        raw = [1.0] * len(clients)
    elif basis == "pods":
        raw = [float(n.running_pods) for n in clients]
    else:
        reported = [float(n.cpu_millis) for n in clients if n.cpu_millis]
        mean = sum(reported) / len(reported) if reported else 1.0
        raw = [float(n.cpu_millis) if n.cpu_millis else mean for n in clients]
    total = sum(raw)
    by_node: dict[str, tuple[str, float]] = {}
    zone_weight: dict[str, float] = {}
    zone_count: dict[str, int] = {}
    for node, w in zip(clients, raw, strict=True):
        share = w / total if total > 0 else 0.0
        by_node[node.name] = (node.zone, share)
        zone_weight[node.zone] = zone_weight.get(node.zone, 0.0) + share
        zone_count[node.zone] = zone_count.get(node.zone, 0) + 1
    return Clients(basis, by_node, zone_weight, zone_count), warning


MEASURED = "measured"


def measured_clients(base: Clients, zone_share: Mapping[str, float]) -> Clients | None:
    """The client nodes re-weighted so each zone carries its measured share of a Service's
    client traffic; within a zone, nodes keep their relative `base` weights.

    Zones measured but without a client node are left out and the rest scaled back up to one
    (the clients' pods run somewhere the engine cannot route from); nodes in zones with no
    measured traffic are not clients of this Service. None when no measured zone has a client
    node: the caller keeps `base`.
    """
    usable = {z: s for z, s in zone_share.items() if s > 0 and base.zone_count.get(z)}
    total = sum(usable.values())
    if total <= 0:
        return None
    by_node: dict[str, tuple[str, float]] = {}
    zone_weight: dict[str, float] = {}
    zone_count: dict[str, int] = {}
    for node, (zone, weight) in base.by_node.items():
        share = usable.get(zone)
        if share is None:
            continue
        in_zone = base.zone_weight[zone]
        # A zone whose nodes all weigh 0 (no CPU reported) splits its share evenly.
        part = weight / in_zone if in_zone > 0 else 1.0 / base.zone_count[zone]
        w = part * share / total
        by_node[node] = (zone, w)
        zone_weight[zone] = zone_weight.get(zone, 0.0) + w
        zone_count[zone] = zone_count.get(zone, 0) + 1
    return Clients(MEASURED, by_node, zone_weight, zone_count)


def compute_flows(
    service: Service, plan: ProxyPlan, indices: list[int], clients: Clients, regions: dict[str, str]
) -> Flows:
    """Send each client's weight through its node's outcome and add up where it lands."""
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
        if count > 0:  # a count, not the float difference, says whether anyone is left
            _add(contributions, plan.by_zone.get(zone, plan.default), zone, generic_weight[zone])
    return _tally(service, contributions, indices, regions)


def _add(
    acc: dict[int, tuple[Outcome, dict[str, float]]], outcome: Outcome, zone: str, w: float
) -> None:
    entry = acc.get(id(outcome))
    if entry is None:
        entry = acc[id(outcome)] = (outcome, {})
    src = flow_zone(zone)
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
