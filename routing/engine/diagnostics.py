"""Plain-language findings: why hints are absent or ignored, and what would change that."""

from collections.abc import Callable
from itertools import islice
from typing import TYPE_CHECKING

from .controller import TRAFFIC_DISTRIBUTIONS, ControllerResult, declared_policy, mechanism
from .model import DEPRECATED_HINTS_ANNOTATION, NO_HINT, Service
from .ports import port_diagnostics
from .proxy import ZONE_MODE
from .topology import (
    INSUFFICIENT_NODE_INFO,
    INSUFFICIENT_NUMBER_OF_ENDPOINTS,
    MIN_ALLOCATION_EXCEEDS_OVERLOAD_THRESHOLD,
    NO_ZONE_SPECIFIED,
    allocations,
)

if TYPE_CHECKING:  # pragma: no cover
    from .report import Context, Simulation

Diagnostic = dict[str, str]
_ORDER = {"error": 0, "warning": 1, "info": 2}
Add = Callable[[str, str, str], None]
_SHOW = 3  # endpoints or nodes named in one message before "and N more"


def diagnose(
    svc: Service,
    ctx: "Context",
    indices: list[int],
    observed: "Simulation",
    what_if: dict[str, "Simulation"],
    what_if_ctl: dict[str, ControllerResult],
    per_port: list[list[int]],
    ready: list[int] | None = None,
) -> list[Diagnostic]:
    """All findings, most important first (errors, then warnings, then info; stable within each).
    `per_port`: the endpoint indices of each Service port (`indices` is the first's); `ready`:
    proxy.ready_endpoints(svc, indices), when known."""
    found: list[Diagnostic] = []
    if ready is None:
        ready = [i for i in indices if svc.endpoints[i].ready is not False]  # (proxy_ready)

    def add(severity: str, code: str, message: str) -> None:
        found.append({"severity": severity, "code": code, "message": message})

    eps = svc.endpoints
    mech = mechanism(svc)
    port_diagnostics(svc, per_port, add)
    # A first port left without endpoints by its slices' ports has said why already; an input
    # without EndpointSlices says so once, at cluster level.
    if ctx.not_simulated is None and not any(d["code"] == "port-without-endpoints" for d in found):
        _endpoint_health(svc, indices, ready, add)
    _declaration(svc, mech, add)
    if svc.headless:
        add(
            "info",
            "headless-service",
            "headless Service: kube-proxy does not route it and clients "
            "connect to the addresses DNS returns, so hints have no effect",
        )
    if not svc.has_selector and mech != "none":
        add(
            "warning",
            "policy-without-selector",
            "the Service has no selector, so the EndpointSlice controller manages none of its "
            "slices: its trafficDistribution or Auto annotation changes no hint",
        )
    elif svc.has_selector and eps and not any(ep.managed for ep in eps):
        add(
            "info",
            "slices-not-managed",
            "its EndpointSlices are not managed by the EndpointSlice "
            "controller: trafficDistribution and Auto do not change their hints",
        )
    if mech == "topologyAuto":
        _auto(svc, ctx, indices, what_if_ctl["Auto"], add)
    _observed_hints(svc, ctx, ready, observed, mech, add)
    if mech != "none" and svc.has_selector:
        declared = declared_policy(svc)
        _pending_hints(svc, declared, what_if_ctl[declared], observed, what_if[declared], add)
    _local_policy(svc, ctx, observed, mech, add)
    flows = observed.flows
    if flows.max_overload > ctx.options.overload_limit:
        busiest = max(indices, key=lambda i: flows.load[i])
        add(
            "warning",
            "endpoint-overload",
            f"endpoint {eps[busiest].ip} receives "
            f"{flows.max_overload:.2f}x its fair share (limit {ctx.options.overload_limit:g}x): "
            "hints send a whole zone's clients to too few endpoints",
        )
    if flows.cross_region > 0:
        add(
            "warning",
            "cross-region-traffic",
            f"{flows.cross_region:.0%} of forwarded traffic crosses "
            "regions: Kubernetes never uses topology.kubernetes.io/region to keep traffic close",
        )
    if len(found) > 1:
        found.sort(key=lambda d: _ORDER[d["severity"]])
    return found


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOW])
    return shown if len(items) <= _SHOW else f"{shown} and {len(items) - _SHOW} more"


def _endpoint_health(svc: Service, indices: list[int], ready: list[int], add: Add) -> None:
    eps = svc.endpoints
    if not indices:
        add(
            "error",
            "no-endpoints",
            "the Service has no endpoints: kube-proxy rejects its connections",
        )
        return
    if ready:
        return
    fallback = [eps[i].ip for i in indices if eps[i].proxy_serving_terminating]
    if fallback and not svc.headless:
        add(
            "error",
            "no-ready-endpoints",
            f"no ready endpoint: kube-proxy sends all traffic to "
            f"{len(fallback)} terminating endpoint(s) still serving ({_names(fallback)}), "
            "ignoring hints",
        )
    else:
        add(
            "error",
            "no-ready-endpoints",
            "no ready endpoint: connections to the Service are rejected",
        )


def _declaration(svc: Service, mech: str, add: Add) -> None:
    td = svc.traffic_distribution
    if td is not None and td not in TRAFFIC_DISTRIBUTIONS:
        add(
            "error",
            "traffic-distribution-unknown",
            f"trafficDistribution {td!r} is not recognised "
            "(PreferSameZone, PreferSameNode or PreferClose): the controller removes all hints",
        )
    if td == "PreferClose" and mech == "trafficDistribution":
        add(
            "info",
            "prefer-close-deprecated",
            "`PreferClose` is deprecated: use `PreferSameZone` (it behaves the same)",
        )
    value = svc.topology_annotation
    if value is not None and value not in ("Auto", "auto") and value.lower() == "auto":
        add(
            "warning",
            "topology-mode-not-recognised",
            f"annotation value {value!r} does not enable "
            "Topology Aware Routing: only 'Auto' and 'auto' do",
        )
    if svc.topology_annotation_key == DEPRECATED_HINTS_ANNOTATION:
        mode_value = svc.topology_mode_value
        if mode_value is not None and mode_value != value:
            add(
                "warning",
                "deprecated-annotation-wins",
                f"the deprecated annotation "
                f"{DEPRECATED_HINTS_ANNOTATION}={value!r} overrides topology-mode={mode_value!r}: "
                "remove it",
            )
        else:
            add(
                "info",
                "deprecated-annotation",
                f"annotation {DEPRECATED_HINTS_ANNOTATION} is "
                "deprecated: use service.kubernetes.io/topology-mode",
            )
    if mech == "topologyAuto" and td in TRAFFIC_DISTRIBUTIONS:
        add(
            "warning",
            "auto-overrides-traffic-distribution",
            f"topology-mode Auto overrides "
            f"trafficDistribution {td}: remove the annotation to use the field",
        )


def _auto(
    svc: Service, ctx: "Context", indices: list[int], ctl: ControllerResult, add: Add
) -> None:
    for event in ctl.events:
        if event["type"] != "Warning":
            continue
        message = event["message"]
        advice = _auto_advice(svc, ctx, message)
        lead = f"Auto is off; {advice}" if advice else "Auto is off"
        add("warning", "auto-disabled", f"{lead}. The controller reports: {message}")
    donated = [
        ep.ip
        for ep, hint in zip(svc.endpoints, ctl.hints, strict=True)
        if ep.controller_ready and hint[0] and ep.zone and hint[0][0] != ep.zone
    ]
    if donated:
        add(
            "info",
            "auto-cross-zone-hints",
            f"Auto hints {len(donated)} endpoint(s) ({_names(donated)}) "
            "for a zone other than their own, to balance endpoints with each zone's CPU",
        )


def _auto_advice(svc: Service, ctx: "Context", message: str) -> str:
    ratios = ctx.ratios.ratios
    if message.startswith(INSUFFICIENT_NODE_INFO):
        if ctx.ratios.bad_nodes:
            return (
                f"Ready worker node(s) {_names(list(ctx.ratios.bad_nodes))} lack a zone label or "
                "allocatable CPU, which disables Auto for every Service"
            )
        return "Ready worker nodes with allocatable CPU exist in fewer than two zones"
    if message.startswith(NO_ZONE_SPECIFIED):
        zoneless = [
            ep.ip for ep in svc.endpoints if ep.managed and ep.controller_ready and not ep.zone
        ]
        return f"ready endpoint(s) {_names(zoneless)} have no zone"
    if ratios and message.startswith(
        (INSUFFICIENT_NUMBER_OF_ENDPOINTS, MIN_ALLOCATION_EXCEEDS_OVERLOAD_THRESHOLD)
    ):
        return _more_endpoints_advice(svc, ratios)
    return ""


def _more_endpoints_advice(svc: Service, ratios: dict[str, float]) -> str:
    have: dict[str, int] = {}
    n = 0
    for ep in svc.endpoints:
        if ep.managed and ep.controller_ready:
            n += 1
            have[ep.zone] = have.get(ep.zone, 0) + 1
    for extra in range(1, 4 * len(ratios) + 8):
        allocs, _ = allocations(n + extra, ratios)
        if allocs is None:
            continue
        # Put the new endpoints where the zone is furthest below its CPU share, so Auto
        # would not need to hint endpoints across zones.
        short = {z: a.desired - have.get(z, 0) for z, a in allocs.items()}
        placed: dict[str, int] = {}
        for _ in range(extra):
            zone = max(sorted(short), key=lambda z: short[z])
            placed[zone] = placed.get(zone, 0) + 1
            short[zone] -= 1
        where = ", ".join(f"{count} in {zone}" for zone, count in sorted(placed.items()))
        word = "one more ready endpoint" if extra == 1 else f"{extra} more ready endpoints"
        return f"{word} ({where}) would allow Auto"
    return ""


def _observed_hints(
    svc: Service, ctx: "Context", ready: list[int], observed: "Simulation", mech: str, add: Add
) -> None:
    if svc.headless or svc.internal_traffic_policy == "Local":
        return
    eps = svc.endpoints
    zone_hinted = [i for i in ready if eps[i].hint[0]]
    node_hinted = [i for i in ready if eps[i].hint[1]]
    if zone_hinted and len(zone_hinted) < len(ready):
        missing = [eps[i].ip for i in ready if not eps[i].hint[0]]
        unset = [eps[i].ip for i in ready if not eps[i].hint[0] and eps[i].ready is None]
        add(
            "warning",
            "endpoint-without-zone-hint",
            f"endpoint {_names(missing)} has no zone hint, so "
            "kube-proxy ignores zone hints for this Service on every node",
        )
        if unset:
            add(
                "warning",
                "ready-condition-unset",
                f"endpoint {_names(unset)} has no ready condition: "
                "kube-proxy counts it as ready but the controller gives it no hint",
            )
    if node_hinted and len(node_hinted) < len(ready):
        missing = [eps[i].ip for i in ready if not eps[i].hint[1]]
        add(
            "warning",
            "endpoint-without-node-hint",
            f"endpoint {_names(missing)} has no node hint, so "
            "kube-proxy ignores node hints for this Service on every node",
        )
    if (zone_hinted or node_hinted) and mech == "none":
        add(
            "info",
            "hints-without-policy",
            "the EndpointSlices carry hints although the Service asks "
            "for none: kube-proxy follows them until the controller removes them",
        )
    plan = observed.plan
    if not plan.by_zone:
        return
    clients = ctx.clients
    blind = sorted(z for z in clients.zone_count if z and z not in plan.by_zone)
    for zone in blind:
        share = clients.zone_weight[zone]
        add(
            "warning",
            "zone-without-endpoints",
            f"zone {zone} has no ready endpoint hinted for it: its "
            f"clients ({share:.0%} of traffic) use all endpoints",
        )
    if "" in clients.zone_count:
        unlabelled = sorted(name for name, (zone, _) in clients.by_node.items() if not zone)
        add(
            "warning",
            "node-without-zone-label",
            f"node {_names(unlabelled)} has no zone label: "
            f"kube-proxy there cannot use {ZONE_MODE} hints and sends to all endpoints",
        )


def _pending_hints(
    svc: Service,
    declared: str,
    ctl: ControllerResult,
    observed: "Simulation",
    settled: "Simulation",
    add: Add,
) -> None:
    """Slices whose hints are not (yet) what the declared policy writes, e.g. right after a
    switch. Auto legitimately keeps earlier valid hints, so there only missing hints count."""
    pending = [
        ep.ip
        for ep, hint in zip(svc.endpoints, ctl.hints, strict=True)
        if ep.managed
        and ep.controller_ready
        and ep.hint != hint
        and (declared != "Auto" or (hint != NO_HINT and ep.hint == NO_HINT))
    ]
    if not pending:
        return
    now, then = observed.flows.cross_zone, settled.flows.cross_zone
    moves = abs(now - then) > 1e-9 or abs(observed.cost_per_gb - settled.cost_per_gb) > 1e-12
    effect = (
        f": once it does, cross-zone traffic goes from {now:.0%} to {then:.0%}" if moves else ""
    )
    add(
        "warning" if moves else "info",
        "hints-pending",
        f"endpoint {_names(pending)} does not carry the hints {declared} asks for yet "
        f"(the EndpointSlice controller rewrites them on its next sync){effect}",
    )


def _local_policy(
    svc: Service, ctx: "Context", observed: "Simulation", mech: str, add: Add
) -> None:
    if svc.internal_traffic_policy != "Local" or svc.headless:
        return
    if mech != "none":
        add(
            "info",
            "local-policy-ignores-topology",
            "internalTrafficPolicy Local ignores hints: "
            "trafficDistribution and Auto change nothing for ClusterIP traffic",
        )
    if observed.flows.dropped > 0:
        served = observed.plan.by_node
        clients = ctx.clients.by_node
        # Counted from the (few) nodes with endpoints, so the cost does not grow with the cluster.
        missing = len(clients) - sum(1 for name in served if name in clients)
        examples = list(islice((name for name in clients if name not in served), _SHOW))
        more = f" and {missing - len(examples)} more" if missing > len(examples) else ""
        add(
            "warning",
            "local-policy-drops",
            f"internalTrafficPolicy Local drops traffic from "
            f"{missing} of {len(clients)} client node(s) that run no endpoint "
            f"({observed.flows.dropped:.0%} of client traffic), e.g. {', '.join(examples)}{more}",
        )
