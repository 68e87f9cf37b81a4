"""Assemble the analysis report (docs/analysis-report.md) for every Service of a cluster."""

from dataclasses import dataclass, replace
from typing import Any

from .controller import POLICIES, ControllerResult, declared_policy, mechanism, simulate
from .cost import Prices, cost_per_gb, detect_provider, prices_for
from .diagnostics import diagnose
from .flows import (
    MEASURED,
    Clients,
    Flows,
    client_weights,
    compute_flows,
    flow_zone,
    measured_clients,
)
from .model import Cluster, Hint, Service
from .options import AUTO_PROXY_NODE_LIMIT, Options
from .ports import port_indices, ports_json
from .proxy import Outcome, ProxyPlan, plan, proxy_endpoints, ready_endpoints
from .recommend import recommend
from .topology import ZoneRatios, zone_ratios


@dataclass(frozen=True, slots=True)
class Context:
    """Cluster-wide facts every Service's analysis reads."""

    cluster: Cluster
    options: Options
    ratios: ZoneRatios
    clients: Clients
    regions: dict[str, str]
    prices: Prices
    per_node_proxy: bool
    warnings: tuple[str, ...]  # this analysis's own, beside the cluster's parse warnings
    zone_labels: tuple[str, ...]  # every node zone label, "" for unlabelled nodes
    hint_json: dict[Hint, dict[str, list[str]] | None]  # one JSON form per distinct hint
    # Why no traffic can be simulated (an input missing a kind it needs); None when it can.
    not_simulated: str | None = None


# Not frozen: made for every simulation (see controller.ControllerResult).
@dataclass(slots=True, init=False)
class Simulation:
    """One run of controller (or observed hints) -> proxy -> flows."""

    hints: list[Hint]
    plan: ProxyPlan
    flows: Flows
    cost_per_gb: float

    def __init__(self, hints: list[Hint], plan: ProxyPlan, flows: Flows, cost_per_gb: float):
        # (init=False and this __init__: see model.Endpoint)
        self.hints, self.plan, self.flows, self.cost_per_gb = hints, plan, flows, cost_per_gb


def analyze_cluster(cluster: Cluster, options: Options) -> dict[str, Any]:
    """The full report for a cluster, as plain JSON-ready data."""
    ctx = _context(cluster, options)
    services = cluster.services
    if options.service is not None:
        services = [s for s in services if (s.namespace, s.name) == options.service]
    if options.services is not None:
        services = [s for s in services if (s.namespace, s.name) in options.services]
    return {
        "cluster": _cluster_section(ctx),
        "services": [service_report(svc, ctx) for svc in services],
    }


class ServiceAnalyzer:
    """Headline figures of single Services of clusters that share their Nodes (a fix search
    analyses one Service again and again over the same Nodes): the cluster-wide part of the
    analysis (client weights, zone ratios, regions, prices) is built once per set of Nodes."""

    def __init__(self, options: Options):
        self.options = options
        self._ctx: Context | None = None

    def headline(self, cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
        """The figures a what-if compares (routing.whatif.headline of the Service's report
        entry), computed without the rest of the entry; None when the Service is not there."""
        svc = next(
            (s for s in cluster.services if (s.namespace, s.name) == (namespace, name)), None
        )
        if svc is None:
            return None
        return observed_headline(svc, self._context(cluster))

    def headline_under(self, cluster: Cluster, svc: Service, hints: list[Hint]) -> dict[str, Any]:
        """`headline` of `svc` (one of the cluster's Services) had its endpoints these hints, as
        the parser would read them once written: for a caller that has the hints but has not
        given them to the endpoints (the figures read nothing else that writing them changes)."""
        return observed_headline(svc, self._context(cluster), hints)

    def _context(self, cluster: Cluster) -> Context:
        ctx = self._ctx
        if ctx is None or not _same_nodes(ctx.cluster, cluster):
            ctx = self._ctx = _context(cluster, self.options)
        elif self.options.clients == "pods":
            # Pods weight clients by the Pods of this very cluster: the clients are its own,
            # what was read of the Nodes alone is the same.
            ctx = self._ctx = _context(cluster, self.options, ctx)
        # ctx.cluster is another build over the same Nodes: the figures read only its Nodes.
        return ctx


def _same_nodes(a: Cluster, b: Cluster) -> bool:
    return a.nodes is b.nodes or (
        len(a.nodes) == len(b.nodes) and all(x is y for x, y in zip(a.nodes, b.nodes, strict=True))
    )


def _context(cluster: Cluster, options: Options, same_nodes: Context | None = None) -> Context:
    """`same_nodes`: a context, of these options, for a cluster of these very Nodes: what it
    read of the Nodes alone (zone ratios, regions, prices, zone labels) is taken as it is."""
    clients, basis_warning = client_weights(cluster, options.clients)
    detail = options.proxy_detail
    if detail == "auto":
        pairs = len(cluster.nodes) * max(1, len(cluster.services) if options.service is None else 1)
        detail = "nodes" if pairs <= AUTO_PROXY_NODE_LIMIT else "zones"
    if same_nodes is None:
        provider = options.provider or detect_provider(cluster.nodes)
        ratios, regions = zone_ratios(cluster.nodes), _regions(cluster)
        prices = prices_for(provider, options.price_cross_zone, options.price_cross_region)
        zone_labels = tuple(sorted({n.zone for n in cluster.nodes}))
    else:
        ratios, regions, prices = same_nodes.ratios, same_nodes.regions, same_nodes.prices
        zone_labels = same_nodes.zone_labels
    return Context(
        cluster=cluster,
        options=options,
        ratios=ratios,
        clients=clients,
        regions=regions,
        prices=prices,
        per_node_proxy=detail == "nodes",
        warnings=(basis_warning,) if basis_warning else (),
        zone_labels=zone_labels,
        hint_json={},
        not_simulated=not_simulated(cluster),
    )


def not_simulated(cluster: Cluster) -> str | None:
    """Why the input cannot be simulated: a dump that forgot Nodes or EndpointSlices would
    otherwise read as perfect figures or as every Service broken."""
    if not cluster.services:
        return None
    if not cluster.nodes:
        return (
            "not simulated: the input holds no Nodes, so no client or endpoint zone can be "
            "known (add nodes to the kubectl get)"
        )
    if not cluster.has_slices:
        return (
            "not simulated: the input holds no EndpointSlices, so no Service's endpoints are "
            "known (add endpointslices to the kubectl get); no Service is reported as broken"
        )
    return None


def _regions(cluster: Cluster) -> dict[str, str]:
    votes: dict[str, dict[str, int]] = {}
    for node in cluster.nodes:
        if node.zone and node.region:
            counts = votes.setdefault(node.zone, {})
            counts[node.region] = counts.get(node.region, 0) + 1
    return {zone: max(sorted(c), key=lambda r: c[r]) for zone, c in votes.items()}


def _cluster_section(ctx: Context) -> dict[str, Any]:
    zones: dict[str, dict[str, Any]] = {}
    for node in ctx.cluster.nodes:
        if not node.zone:
            continue
        z = zones.setdefault(
            node.zone,
            {
                "region": ctx.regions.get(node.zone),
                "nodes": 0,
                "readyNodes": 0,
                "allocatableCpuMillis": 0,
            },
        )
        z["nodes"] += 1
        z["readyNodes"] += node.ready
        z["allocatableCpuMillis"] += node.cpu_millis or 0
    gap = [ctx.not_simulated] if ctx.not_simulated else []
    warnings = [*gap, *ctx.cluster.warnings, *ctx.warnings]
    if not ctx.per_node_proxy and ctx.options.proxy_detail == "auto":
        warnings.append(
            "proxy lists per zone plus the nodes that differ (large cluster); "
            "use --proxy-detail nodes for one entry per node"
        )
    return {
        "zones": zones,
        "provider": ctx.prices.provider,
        "clientWeights": ctx.clients.basis,
        "clientNodes": len(ctx.clients.by_node),
        # Each zone's share of client traffic (sums to 1 over zones with client nodes).
        "clientZoneWeights": dict(sorted(ctx.clients.zone_weight.items())),
        "proxyDetail": "nodes" if ctx.per_node_proxy else "zones",
        "autoZoneRatios": ctx.ratios.ratios,
        "notSimulated": ctx.not_simulated,
        "warnings": warnings,
    }


def service_report(svc: Service, ctx: Context) -> dict[str, Any]:
    """The report entry for one Service."""
    ctx = _service_context(svc, ctx)
    indices = proxy_endpoints(svc)
    ready = ready_endpoints(svc, indices)  # the same under every policy
    runs: list[Simulation] = []
    what_if_ctl: dict[str, ControllerResult] = {}
    what_if: dict[str, Simulation] = {}
    for policy in POLICIES:
        ctl = simulate(svc, policy, ctx.ratios)
        what_if_ctl[policy] = ctl
        what_if[policy] = _simulate_flows(svc, ctl.hints, indices, ctx, runs, ready)
    observed = _simulate_flows(svc, [ep.hint for ep in svc.endpoints], indices, ctx, runs, ready)
    declared = declared_policy(svc)
    declared_ctl = what_if_ctl[declared]
    report: dict[str, Any] = {
        "namespace": svc.namespace,
        "name": svc.name,
        "type": svc.type,
        "headless": svc.headless,
        "policy": _policy(svc),
        "endpoints": [
            {
                "ip": ep.ip,
                "nodeName": ep.node_name or None,
                "zone": ep.zone or None,
                "ready": ep.ready,
                "serving": ep.serving,
                "terminating": ep.terminating,
                "hints": _hint_json(ctx, ep.hint) if ep.has_hints_field else None,
                "addressType": ep.address_type,
                "slice": ep.slice_name,
            }
            for ep in svc.endpoints
        ],
        "controller": {
            "policy": declared,
            "hints": {
                ep.ip: _hint_json(ctx, h)
                for ep, h in zip(svc.endpoints, declared_ctl.hints, strict=True)
                if ep.managed and ep.ready is True  # (controller_ready, inlined)
            },
            "events": declared_ctl.events,
        },
        "flows": _flows_json(svc, observed.flows, indices, ctx.clients),
        "cost": _cost_json(ctx, observed.cost_per_gb),
        "whatIf": {
            policy: _what_if_json(ctx, what_if[policy], what_if_ctl[policy]) for policy in POLICIES
        },
    }
    report.update(_proxy_json(svc, observed.plan, ctx))
    per_port = port_indices(svc, indices)
    report["ports"] = ports_json(
        svc, per_port, lambda port: _port_figures(svc, port, indices, observed, ctx)
    )
    report["diagnostics"] = diagnose(
        svc, ctx, indices, observed, what_if, what_if_ctl, per_port, ready
    )
    report["recommendation"] = recommend(svc, declared, observed, what_if, ctx)
    return report


def observed_headline(
    svc: Service, ctx: Context, hints: list[Hint] | None = None
) -> dict[str, Any]:
    """The observed flows' figures of `service_report`'s entry, by the same computation (there
    the observed run may reuse a policy's run with equal hints, which gives the same figures).
    `hints`: the endpoints' hints, when they are to be read from here instead."""
    ctx = _service_context(svc, ctx)
    if hints is None:
        hints = [ep.hint for ep in svc.endpoints]
    run = _simulate_flows(svc, hints, proxy_endpoints(svc), ctx, [])
    flows = run.flows
    return {
        "crossZoneFraction": flows.cross_zone,
        "crossRegionFraction": flows.cross_region,
        "dropped": flows.dropped,
        "maxOverload": flows.max_overload,
        "costPerGb": run.cost_per_gb,
        "monthlyCost": _monthly(ctx, run.cost_per_gb),
    }


def _port_figures(
    svc: Service, port: list[int], first: list[int], observed: Simulation, ctx: Context
) -> dict[str, Any]:
    """A port's observed headline figures: the first port's when it has the same endpoints."""
    run = observed
    if port != first:
        run = _simulate_flows(svc, observed.hints, port, ctx, [])
    return {
        "crossZoneFraction": run.flows.cross_zone,
        "dropped": run.flows.dropped,
        "maxOverload": run.flows.max_overload,
        "costPerGb": run.cost_per_gb,
    }


def _service_context(svc: Service, ctx: Context) -> Context:
    """The context with this Service's measured client zones, when the options have them."""
    measured = ctx.options.client_zones
    shares = measured.get((svc.namespace, svc.name)) if measured else None
    clients = measured_clients(ctx.clients, shares) if shares else None
    return ctx if clients is None else replace(ctx, clients=clients)


def _simulate_flows(
    svc: Service,
    hints: list[Hint],
    indices: list[int],
    ctx: Context,
    runs: list[Simulation],
    ready: list[int] | None = None,
) -> Simulation:
    """`ready`: proxy.ready_endpoints(svc, indices), when known."""
    # Policies often produce identical hints (and Local/headless Services ignore them), so
    # reuse an earlier run instead of recomputing proxy and flows.
    hint_free = svc.headless or svc.internal_traffic_policy == "Local"
    for run in runs:
        if hint_free or run.hints == hints:
            return run
    if ready is None:
        ready = ready_endpoints(svc, indices)
    proxy_plan = plan(svc, hints, indices, ready)
    flows = compute_flows(svc, proxy_plan, indices, ctx.clients, ctx.regions, ready)
    run = Simulation(
        hints, proxy_plan, flows, cost_per_gb(ctx.prices, flows.cross_zone, flows.cross_region)
    )
    runs.append(run)
    return run


def _policy(svc: Service) -> dict[str, Any]:
    return {
        "trafficDistribution": svc.traffic_distribution,
        "topologyMode": svc.topology_annotation,
        "topologyAnnotation": svc.topology_annotation_key,
        "internalTrafficPolicy": svc.internal_traffic_policy,
        "externalTrafficPolicy": svc.external_traffic_policy,
        "mechanism": mechanism(svc),
    }


def _hint_json(ctx: Context, hint: Hint) -> dict[str, list[str]] | None:
    # Clusters have few distinct hints, so build each JSON form once (read-only, shared).
    try:
        return ctx.hint_json[hint]
    except KeyError:
        value = (
            {"forZones": list(hint[0]), "forNodes": list(hint[1])} if hint[0] or hint[1] else None
        )
        ctx.hint_json[hint] = value
        return value


def _flows_json(svc: Service, flows: Flows, indices: list[int], clients: Clients) -> dict[str, Any]:
    eps = svc.endpoints
    measured = clients.basis == MEASURED
    return {
        "basis": "observed",
        "clientWeights": clients.basis,
        # Only when measured: otherwise the cluster section's clientZoneWeights apply.
        "clientZoneWeights": dict(sorted(clients.zone_weight.items())) if measured else None,
        "matrix": flows.matrix,
        "dropped": flows.dropped,
        "crossZoneFraction": flows.cross_zone,
        "crossRegionFraction": flows.cross_region,
        "endpointLoad": {eps[i].ip: flows.load[i] for i in indices},
        "maxOverload": flows.max_overload,
    }


def _monthly(ctx: Context, per_gb: float) -> float | None:
    gb = ctx.options.monthly_gb
    return None if gb is None else per_gb * gb


def _cost_json(ctx: Context, per_gb: float) -> dict[str, Any]:
    return {
        "provider": ctx.prices.provider,
        "pricePerGbCrossZone": ctx.prices.cross_zone,
        "pricePerGbCrossRegion": ctx.prices.cross_region,
        "priceSource": ctx.prices.source,
        "costPerGb": per_gb,
        "monthlyGb": ctx.options.monthly_gb,
        "monthlyCost": _monthly(ctx, per_gb),
    }


def _what_if_json(ctx: Context, run: Simulation, ctl: ControllerResult) -> dict[str, Any]:
    return {
        "events": ctl.events,
        "crossZoneFraction": run.flows.cross_zone,
        "crossRegionFraction": run.flows.cross_region,
        "dropped": run.flows.dropped,
        "maxOverload": run.flows.max_overload,
        "costPerGb": run.cost_per_gb,
        "monthlyCost": _monthly(ctx, run.cost_per_gb),
        "matrix": run.flows.matrix,
    }


def _proxy_json(svc: Service, proxy_plan: ProxyPlan, ctx: Context) -> dict[str, Any]:
    eps = svc.endpoints
    cache: dict[tuple[int, str], dict[str, Any]] = {}

    def entry(outcome: Outcome, zone: str) -> dict[str, Any]:
        key = (id(outcome), zone)
        found = cache.get(key)
        if found is None:
            found = cache[key] = {
                "zone": zone or None,
                "mode": outcome.mode,
                "action": outcome.action,
                "endpoints": [eps[i].ip for i in outcome.endpoints],
            }
        return found

    nodes = ctx.cluster.nodes
    if ctx.per_node_proxy:
        return {
            "proxy": {n.name: entry(proxy_plan.for_node(n.name, n.zone), n.zone) for n in nodes}
        }
    by_name = ctx.cluster.nodes_by_name
    zones = ctx.zone_labels
    return {
        "proxy": {
            name: entry(outcome, by_name[name].zone)
            for name, outcome in sorted(proxy_plan.by_node.items())
            if name in by_name
        },
        "proxyByZone": {
            flow_zone(z): entry(proxy_plan.by_zone.get(z, proxy_plan.default), z) for z in zones
        },
    }
