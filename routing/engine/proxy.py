"""kube-proxy's choice of endpoints for ClusterIP traffic on each node.

Rules: docs/kubernetes-semantics.md §4.

Nodes are not simulated one by one: every node of a zone gets the same answer unless a hint
names it (PreferSameNode) or, under internalTrafficPolicy Local, it hosts an endpoint. So a plan
holds one outcome per zone plus the few nodes that differ, and its cost grows with endpoints and
zones, not with nodes.
"""

from dataclasses import dataclass

from .model import Hint, Service, ServicePort

FORWARD, DROP, REJECT = "forward", "drop", "reject"
NODE_MODE, ZONE_MODE = "PreferSameNode", "PreferSameZone"


# Not frozen: made for every zone and hinted node of every simulation (see
# controller.ControllerResult).
@dataclass(slots=True, init=False)
class Outcome:
    """What kube-proxy does: forward to these endpoint indices, or drop, or reject."""

    action: str
    mode: str | None
    endpoints: tuple[int, ...]

    def __init__(self, action: str, mode: str | None, endpoints: tuple[int, ...] = ()) -> None:
        # (init=False and this __init__: see model.Endpoint)
        self.action, self.mode, self.endpoints = action, mode, endpoints


_REJECT = Outcome(REJECT, None)
_DROP = Outcome(DROP, None)


@dataclass(slots=True, init=False)
class ProxyPlan:
    """Outcome per zone ("" = node without zone label) and per exceptional node."""

    default: Outcome
    by_zone: dict[str, Outcome]
    by_node: dict[str, Outcome]

    def __init__(
        self,
        default: Outcome,
        by_zone: dict[str, Outcome] | None = None,
        by_node: dict[str, Outcome] | None = None,
    ) -> None:
        # (init=False and this __init__: see model.Endpoint)
        self.default = default
        self.by_zone = {} if by_zone is None else by_zone
        self.by_node = {} if by_node is None else by_node

    def for_node(self, name: str, zone: str) -> Outcome:
        outcome = self.by_node.get(name)
        if outcome is not None:
            return outcome
        return self.by_zone.get(zone, self.default)


def proxy_endpoints(service: Service, port: ServicePort | None = None) -> list[int]:
    """Indices of the endpoints kube-proxy sees for one Service port (the first one unless
    `port` is given) in the Service's primary IP family.

    Only slices listing a port of that name and protocol with a number count
    (pkg/proxy/endpointslicecache.go). A headless Service is answered by DNS, which lists the
    addresses of every slice whatever its ports, and a Service given without ports (not valid in
    the API, but trimmed inputs have them) counts every slice too. kube-proxy uses the first
    address only, and where one IP appears in two slices (an endpoint moving between slices) a
    non-terminating copy replaces a terminating one.
    """
    family = service.ip_families[0] if service.ip_families else "IPv4"
    if port is None and service.ports:
        port = service.ports[0]
    serving = _slices_serving(service, port)
    eps = service.endpoints
    if (
        serving is None
        and [ep.address_type for ep in eps].count(family) == len(eps)
        and len({ep.ip for ep in eps}) == len(eps)
    ):
        # Every endpoint counts and no address repeats (nearly always): all of them, in order,
        # as the loop below would find, for a fraction of its cost.
        return list(range(len(eps)))
    chosen: dict[str, int] = {}
    for i, ep in enumerate(eps):
        if ep.address_type != family:
            continue
        if serving is not None and ep.slice_name not in serving:
            continue
        if ep.ip not in chosen or ep.terminating is not True:
            chosen[ep.ip] = i
    return list(chosen.values())


def _slices_serving(service: Service, port: ServicePort | None) -> set[str] | None:
    """Names of the slices whose endpoints serve `port`; None when every slice does."""
    if port is None or service.headless:
        return None
    key = port.key
    slices = service.slice_ports
    if all(key in ports.usable for ports in slices.values()):
        return None  # (nearly always: no set to build)
    return {name for name, ports in slices.items() if key in ports.usable}


def ready_endpoints(service: Service, indices: list[int]) -> list[int]:
    """The indices whose endpoints kube-proxy counts as ready (Endpoint.proxy_ready, inlined:
    this runs for every endpoint of every simulation)."""
    eps = service.endpoints
    return [i for i in indices if eps[i].ready is not False]


def plan(
    service: Service, hints: list[Hint], indices: list[int], ready: list[int] | None = None
) -> ProxyPlan:
    """Compute kube-proxy's outcome on every node for ClusterIP traffic under `hints`.
    `ready`: ready_endpoints(service, indices), when known (the same under every policy)."""
    eps = service.endpoints
    if service.internal_traffic_policy == "Local" and not service.headless:
        return _local_plan(service, indices)
    if ready is None:
        ready = ready_endpoints(service, indices)
    if not ready:
        fallback = tuple(i for i in indices if eps[i].proxy_serving_terminating)
        # Headless Services are resolved by DNS, which lists ready addresses only.
        if not fallback or service.headless:
            return ProxyPlan(_REJECT)
        return ProxyPlan(Outcome(FORWARD, None, fallback))
    result = ProxyPlan(Outcome(FORWARD, None, tuple(ready)))
    if service.headless:
        return result  # kube-proxy does not route headless Services: clients pick from DNS
    by_node, by_zone = _groups(ready, hints)
    if by_node is not None:
        for node, members in by_node.items():
            result.by_node[node] = Outcome(FORWARD, NODE_MODE, tuple(members))
    if by_zone is not None:
        for zone, members in by_zone.items():
            result.by_zone[zone] = Outcome(FORWARD, ZONE_MODE, tuple(members))
    return result


Groups = dict[str, list[int]]


def _groups(ready: list[int], hints: list[Hint]) -> tuple[Groups | None, Groups | None]:
    """The ready endpoints per node and per zone their hints name, each None unless every ready
    endpoint has such a hint (kube-proxy ignores a kind of hint that one endpoint lacks).
    Both in one pass, in order of first mention; a name repeated in one hint counts once."""
    nodes: Groups | None = {}
    zones: Groups | None = {}
    for i in ready:
        for_zones, for_nodes = hints[i]
        if nodes is not None:
            if not for_nodes:
                nodes = None
            elif len(for_nodes) == 1:  # (nearly always: inlined)
                members = nodes.get(for_nodes[0])
                if members is None:
                    nodes[for_nodes[0]] = [i]
                else:
                    members.append(i)
            else:
                _add_member(nodes, for_nodes, i)
        if zones is not None:
            if not for_zones:
                zones = None
            elif len(for_zones) == 1:
                members = zones.get(for_zones[0])
                if members is None:
                    zones[for_zones[0]] = [i]
                else:
                    members.append(i)
            else:
                _add_member(zones, for_zones, i)
        if nodes is None and zones is None:
            break
    return nodes, zones


def _add_member(groups: Groups, names: tuple[str, ...], i: int) -> None:
    for name in dict.fromkeys(names):
        members = groups.get(name)
        if members is None:
            groups[name] = [i]
        else:
            members.append(i)


def _local_plan(service: Service, indices: list[int]) -> ProxyPlan:
    # iTP=Local never looks at hints: local ready endpoints, else local serving+terminating ones,
    # else drop (reject only when the Service has no usable endpoint at all).
    eps = service.endpoints
    by_node: dict[str, list[int]] = {}
    usable = False
    for i in indices:
        ep = eps[i]
        if ep.proxy_ready or ep.proxy_serving_terminating:
            usable = True
            if ep.node_name:
                by_node.setdefault(ep.node_name, []).append(i)
    result = ProxyPlan(_DROP if usable else _REJECT)
    for node, members in by_node.items():
        ready = tuple(i for i in members if eps[i].proxy_ready)
        result.by_node[node] = Outcome(FORWARD, None, ready or tuple(members))
    return result
