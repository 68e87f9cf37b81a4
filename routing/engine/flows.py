"""Who calls a Service and where their traffic lands: client weights, zone matrix, load."""

from collections.abc import Mapping
from dataclasses import dataclass

from .model import UNKNOWN_ZONE, Cluster, Endpoint, Service
from .proxy import FORWARD, Outcome, ProxyPlan

_EPSILON = 1e-12
# Two zone matrices route alike when no share differs by more than this: runs with different
# hints but the same routing give the same shares up to float noise.
SAME_SHARE = 1e-9


@dataclass(frozen=True, slots=True)
class Clients:
    """Client nodes (Ready, not control-plane) and their share of all client traffic."""

    basis: str
    by_node: dict[str, tuple[str, float]]  # node -> (zone label or "", weight fraction)
    zone_weight: dict[str, float]  # zone label or "" -> summed fraction
    zone_count: dict[str, int]


# Not frozen: made for every simulation (see controller.ControllerResult).
@dataclass(slots=True, init=False)
class Flows:
    matrix: dict[str, dict[str, float]]
    dropped: float
    cross_zone: float
    cross_region: float
    load: dict[int, float]  # endpoint index -> share of all client traffic
    max_overload: float

    def __init__(
        self,
        matrix: dict[str, dict[str, float]],
        dropped: float,
        cross_zone: float,
        cross_region: float,
        load: dict[int, float],
        max_overload: float,
    ) -> None:
        # (init=False and this __init__: see model.Endpoint)
        self.matrix, self.dropped, self.cross_zone = matrix, dropped, cross_zone
        self.cross_region, self.load, self.max_overload = cross_region, load, max_overload


def same_routing(
    a: Mapping[str, Mapping[str, float]], b: Mapping[str, Mapping[str, float]]
) -> bool:
    """Whether two zone matrices send the same shares between the same zones (within
    SAME_SHARE; a missing cell is a share of 0)."""
    if a == b:
        return True
    for src in a.keys() | b.keys():
        row_a, row_b = a.get(src, {}), b.get(src, {})
        for dst in row_a.keys() | row_b.keys():
            if abs(row_a.get(dst, 0.0) - row_b.get(dst, 0.0)) > SAME_SHARE:
                return False
    return True


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
    service: Service,
    plan: ProxyPlan,
    indices: list[int],
    clients: Clients,
    regions: dict[str, str],
    ready: list[int] | None = None,
) -> Flows:
    """Send each client's weight through its node's outcome and add up where it lands.
    `ready`: proxy.ready_endpoints(service, indices), when known."""
    eps = service.endpoints
    load = dict.fromkeys(indices, 0.0)  # endpoint index -> share of all client traffic
    matrix: dict[str, dict[str, float]] = {}
    dropped = forwarded = 0.0
    generic_weight = clients.zone_weight
    generic_count = clients.zone_count
    if plan.by_node:
        generic_weight = dict(generic_weight)
        generic_count = dict(generic_count)
        client_of = clients.by_node
        # Each node's outcome is its own and its clients are in one zone: added up at once, in
        # the order and with the very float operations the zones' outcomes below are.
        for node, outcome in plan.by_node.items():
            client = client_of.get(node)
            if client is None:
                continue
            zone, weight = client
            generic_count[zone] -= 1
            generic_weight[zone] -= weight
            total = 0.0 + weight  # (the sum of one source)
            if outcome.action != FORWARD:
                dropped += total
                continue
            forwarded += total
            src = zone or UNKNOWN_ZONE  # (flow_zone, inlined)
            members = outcome.endpoints
            if len(members) == 1:  # (nearly always: one endpoint per node)
                row = matrix.get(src)
                if row is None:
                    row = matrix[src] = {}
                load[members[0]] += total  # (total / 1 is total)
                dst = eps[members[0]].flow_zone
                row[dst] = row.get(dst, 0.0) + total  # (total * 1 / 1 is total)
            else:
                _spread(load, matrix, eps, members, {src: total}, total)
    by_zone, default = plan.by_zone, plan.default
    # The other clients by zone; zones sharing an outcome (the default) are added up together.
    contributions: dict[int, tuple[Outcome, dict[str, float]]] = {}
    for zone, count in generic_count.items():
        if count > 0:  # a count, not the float difference, says whether anyone is left
            outcome = by_zone.get(zone, default)
            entry = contributions.get(id(outcome))
            if entry is None:
                entry = contributions[id(outcome)] = (outcome, {})
            sources = entry[1]
            src = zone or UNKNOWN_ZONE  # (flow_zone, inlined)
            sources[src] = sources.get(src, 0.0) + generic_weight[zone]
    for outcome, sources in contributions.values():
        total = sum(sources.values())
        if outcome.action != FORWARD:
            dropped += total
        else:
            forwarded += total
            _spread(load, matrix, eps, outcome.endpoints, sources, total)
    cross_zone = cross_region = 0.0
    for src, row in matrix.items():
        if src == UNKNOWN_ZONE:
            continue
        rs = regions.get(src, "")
        for dst, w in row.items():
            if dst in (UNKNOWN_ZONE, src):
                continue
            cross_zone += w
            rd = regions.get(dst, "")
            if rs and rd and rs != rd:
                cross_region += w
    if forwarded > _EPSILON:
        cross_zone /= forwarded
        cross_region /= forwarded
    else:
        cross_zone = cross_region = 0.0
    # Ready endpoints share the traffic, else serving terminating ones (kube-proxy's fallback).
    # (Endpoint.proxy_ready and proxy_serving_terminating, inlined.)
    usable = len(ready) if ready is not None else sum([eps[i].ready is not False for i in indices])
    if not usable:
        usable = sum([eps[i].serving is not False and eps[i].terminating is True for i in indices])
    fair = (1.0 - dropped) / usable if usable else 0.0
    busiest = max(load.values(), default=0.0)
    max_overload = busiest / fair if fair > _EPSILON and forwarded > _EPSILON else 0.0
    return Flows(matrix, dropped, cross_zone, cross_region, load, max_overload)


def _spread(
    load: dict[int, float],
    matrix: dict[str, dict[str, float]],
    eps: list[Endpoint],
    members: tuple[int, ...],
    sources: dict[str, float],
    total: float,
) -> None:
    """`sources` (zone -> weight, summing to `total`) spread evenly over `members`."""
    n = len(members)
    share = total / n
    histogram: dict[str, int] = {}
    for i in members:
        load[i] += share
        z = eps[i].flow_zone
        histogram[z] = histogram.get(z, 0) + 1
    for src, w in sources.items():
        row = matrix.get(src)
        if row is None:
            row = matrix[src] = {}
        for dst, count in histogram.items():
            row[dst] = row.get(dst, 0.0) + w * count / n
