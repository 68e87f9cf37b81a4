"""kube-proxy's choice of endpoints for ClusterIP traffic on each node.

Rules: docs/kubernetes-semantics.md §4.

Nodes are not simulated one by one: every node of a zone gets the same answer unless a hint
names it (PreferSameNode) or, under internalTrafficPolicy Local, it hosts an endpoint. So a plan
holds one outcome per zone plus the few nodes that differ, and its cost grows with endpoints and
zones, not with nodes.
"""

from dataclasses import dataclass, field

from .model import Hint, Service, ServicePort

FORWARD, DROP, REJECT = "forward", "drop", "reject"
NODE_MODE, ZONE_MODE = "PreferSameNode", "PreferSameZone"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What kube-proxy does: forward to these endpoint indices, or drop, or reject."""

    action: str
    mode: str | None
    endpoints: tuple[int, ...] = ()


_REJECT = Outcome(REJECT, None)
_DROP = Outcome(DROP, None)


@dataclass(slots=True)
class ProxyPlan:
    """Outcome per zone ("" = node without zone label) and per exceptional node."""

    default: Outcome
    by_zone: dict[str, Outcome] = field(default_factory=dict)
    by_node: dict[str, Outcome] = field(default_factory=dict)

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
    """Names of the slices whose endpoints serve `port`; None when every slice does."""
    if port is None or service.headless:
        return None
    key = port.key
    slices = service.slice_ports
    serving = {name for name, ports in slices.items() if key in ports.usable}
    return None if len(serving) == len(slices) else serving


def plan(service: Service, hints: list[Hint], indices: list[int]) -> ProxyPlan:
    """Compute kube-proxy's outcome on every node for ClusterIP traffic under `hints`."""
    eps = service.endpoints
    if service.internal_traffic_policy == "Local" and not service.headless:
        return _local_plan(service, indices)
    ready = [i for i in indices if eps[i].proxy_ready]
    if not ready:
        fallback = tuple(i for i in indices if eps[i].proxy_serving_terminating)
        # Headless Services are resolved by DNS, which lists ready addresses only.
        if not fallback or service.headless:
            return ProxyPlan(_REJECT)
        return ProxyPlan(Outcome(FORWARD, None, fallback))
    result = ProxyPlan(Outcome(FORWARD, None, tuple(ready)))
    if service.headless:
        return result  # kube-proxy does not route headless Services: clients pick from DNS
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
