"""Turn Kubernetes object dicts into the engine's model, defaulting fields as the API does."""

import ipaddress
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

from .errors import InputError
from .loader import Items, label_of
from .model import (
    CONTROL_PLANE_LABELS,
    CONTROLLER_NAME,
    DEPRECATED_HINTS_ANNOTATION,
    MANAGED_BY_LABEL,
    REGION_LABEL,
    SERVICE_NAME_LABEL,
    TOPOLOGY_MODE_ANNOTATION,
    UNKNOWN_ZONE,
    ZONE_LABEL,
    Cluster,
    Endpoint,
    Hint,
    Node,
    PortKey,
    Service,
    ServicePort,
    SlicePorts,
)
from .quantity import milli_value

_PROVIDERS = {"aws": "aws", "gce": "gcp", "azure": "azure", "oci": "oracle"}
_EMPTY: dict[str, Any] = {}
_HINTS: dict[Hint, Hint] = {}
_ONE_ZONE: dict[str, Hint] = {}  # the interned hint for one zone alone, by the zone's name
_SLICE_PORTS: dict[SlicePorts, SlicePorts] = {}  # interned: most slices of a cluster share ports
_NO_PORTS = SlicePorts(frozenset(), ())
# Endpoints already read, by id of their dict: (the endpoint dict, its slice dict, the Endpoint).
KnownEndpoints = Mapping[int, tuple[dict[str, Any], dict[str, Any], Endpoint]]


class SharedNodes:
    """Nodes parsed once for many builds of small clusters over them (a fix search analyses
    one Service dozens of times over the same Nodes): `build_cluster(items, shared)` then costs
    what the items cost, not what the Nodes do. The Node dicts must not change meanwhile (edit
    copies, and share those instead)."""

    def __init__(self, objects: Iterable[dict[str, Any]]):
        self.objects = list(objects)  # the Node dicts, in input order
        self.nodes = [_node(label_of("items", i), obj) for i, obj in enumerate(self.objects)]
        self.by_name = {n.name: n for n in self.nodes}
        self._named: dict[str, list[Node]] = {}  # every node of a name (a dump may repeat one)
        for node in self.nodes:
            self._named.setdefault(node.name, []).append(node)
        self.warnings = _node_warnings(self.nodes)
        self.facts: dict[Any, Any] = {}  # see from_nodes
        self._counts: dict[str, int] = {}  # the running Pods per name the last build set

    def cluster(self, services: list[Service], has_pods: bool = False) -> Cluster:
        """A Cluster of these Nodes and `services` (no warnings: build_cluster adds them)."""
        return Cluster(
            nodes=self.nodes,
            services=services,
            warnings=[],
            has_pods=has_pods,
            nodes_by_name=self.by_name,
            node_facts=self.facts,
        )

    def count_running(self, running: dict[str, int]) -> None:
        """Set running_pods as a build of its own would (0 on nodes without a running Pod),
        touching only the nodes whose count differs from the last build's (builds over Pods
        read once count nearly the same Pods every time: routing.engine.parse.SharedPods)."""
        last = self._counts
        if running == last:
            return
        for name, _ in running.items() ^ last.items():  # (a changed count: both, set twice)
            count = running.get(name, 0)
            for node in self._named.get(name, ()):
                node.running_pods = count
        self._counts = dict(running)


class SharedPods:
    """Pods read once for many builds of single Services over them (a fix search whose clients
    are weighted by Pods reads every Pod for every candidate otherwise): `build_cluster(items,
    shared, known, pods)` reads as a build of the items and these Pods, which the items then
    hold none of. Pods only weigh client nodes: counted here once, as the build counts them."""

    def __init__(self, pods: Iterable[dict[str, Any]]):
        self.objects = list(pods)
        self.running: dict[str, int] = {}  # running Pods per node name
        for obj in self.objects:
            _count_running_pod(obj, self.running)
        self.facts: dict[Any, Any] = {}  # derived from these Pods alone, by who derives them


def count_running_pod(obj: dict[str, Any], running: dict[str, int]) -> None:
    """Add the Pod to `running` (per node name) if the build counts it as running there."""
    _count_running_pod(obj, running)


T = TypeVar("T")


def from_nodes(cluster: Cluster, fact: Hashable, compute: Callable[[list[Node]], T]) -> T:
    """`compute(cluster.nodes)`, computed once per SharedNodes when the cluster was built over
    them. `fact` names what is computed (and its arguments); `compute` must read only what
    parsing sets, not `running_pods`, which every build sets again."""
    facts = cluster.node_facts
    if facts is None:
        return compute(cluster.nodes)
    try:
        found: T = facts[fact]
    except KeyError:
        found = facts[fact] = compute(cluster.nodes)
    return found


def build_cluster(
    items: Items,
    shared: SharedNodes | None = None,
    known: KnownEndpoints | None = None,
    pods: SharedPods | None = None,
) -> Cluster:
    """Build a Cluster from loaded objects; objects of other kinds are ignored.

    With `shared`, the cluster's Nodes are those (their running_pods set from the items' Pods)
    and the items must hold no Node. `known`: endpoints read before from these very dicts, in
    these very slices, over Nodes with the same zones, none changed since; they are reused, not
    read again (a what-if edit reads a Service again after adding a few endpoints to it). The
    Endpoints are then shared between the clusters, so they must not be changed. `pods`: Pods
    read with the items, which hold none of them (SharedPods).
    """
    nodes: list[Node] = []
    services: dict[tuple[str, str], Service] = {}
    slices: list[tuple[str, dict[str, Any]]] = []
    running: dict[str, int] = dict(pods.running) if pods is not None else {}
    has_pods = pods is not None and bool(pods.objects)
    for prefix, index, obj in items:
        kind = obj["kind"]
        if kind == "Pod":
            has_pods = True
            _count_running_pod(obj, running)
        elif kind == "EndpointSlice":
            slices.append((label_of(prefix, index), obj))
        elif kind == "Service":
            svc = _service(label_of(prefix, index), obj)
            if svc is not None:
                services[(svc.namespace, svc.name)] = svc
        elif kind == "Node":
            if shared is not None:
                raise ValueError("a build over shared Nodes takes no Node of its own")
            nodes.append(_node(label_of(prefix, index), obj))
    if shared is None:
        for node in nodes:
            node.running_pods = running.get(node.name, 0)
        cluster = Cluster(nodes=nodes, services=[], warnings=[], has_pods=has_pods)
        node_warnings = _node_warnings(nodes)
    else:
        shared.count_running(running)
        cluster = shared.cluster([], has_pods)
        node_warnings = shared.warnings
    cluster.has_slices = bool(slices)
    _attach_slices(slices, services, cluster, known or {})
    cluster.services = [services[k] for k in sorted(services)]
    cluster.warnings[:0] = node_warnings
    return cluster


def _what(label: str, kind: str, meta: Any) -> str:
    if isinstance(meta, dict):
        name = meta.get("name")
        ns = meta.get("namespace")
        if isinstance(name, str) and name:
            return f"{kind} {ns}/{name}" if isinstance(ns, str) and ns else f"{kind} {name}"
    return f"{label} ({kind})"


def _dict(obj: dict[str, Any], key: str, what: str, path: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return _EMPTY
    if not isinstance(value, dict):
        raise InputError(f"{path} must be an object", obj=what)
    return value


def _opt_str(obj: dict[str, Any], key: str, what: str, path: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InputError(f"{path} must be a string", obj=what)


def _metadata(label: str, kind: str, obj: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    meta = obj.get("metadata")
    what = _what(label, kind, meta)
    if meta is None:
        raise InputError("has no metadata", obj=what)
    if not isinstance(meta, dict):
        raise InputError("metadata must be an object", obj=what)
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise InputError("metadata.name is missing", obj=what)
    _opt_str(meta, "namespace", what, "metadata.namespace")
    return what, meta


def _labels(meta: dict[str, Any], what: str) -> dict[str, Any]:
    # Label and annotation values are strings in the API; anything else is a broken object.
    labels = _dict(meta, "labels", what, "metadata.labels")
    for key, value in labels.items():
        if not isinstance(value, str):
            raise InputError(f"label {key!r} must have a string value", obj=what)
    return labels


def _node(label: str, obj: dict[str, Any]) -> Node:
    what, meta = _metadata(label, "Node", obj)
    labels = _labels(meta, what)
    spec = _dict(obj, "spec", what, "spec")
    status = _dict(obj, "status", what, "status")
    conditions = status.get("conditions") or []
    if not isinstance(conditions, list):
        raise InputError("status.conditions must be a list", obj=what)
    ready = any(
        isinstance(c, dict) and c.get("type") == "Ready" and c.get("status") == "True"
        for c in conditions
    )
    raw_cpu = _dict(status, "allocatable", what, "status.allocatable").get("cpu")
    cpu: int | None = None
    if raw_cpu is not None:
        try:
            cpu = milli_value(raw_cpu)
        except ValueError as exc:
            raise InputError(f"status.allocatable.cpu: {exc}", obj=what) from None
    provider_id = _opt_str(spec, "providerID", what, "spec.providerID") or ""
    scheme = provider_id.split("://", 1)[0] if "://" in provider_id else ""
    zone = labels.get(ZONE_LABEL)
    region = labels.get(REGION_LABEL)
    return Node(
        name=meta["name"],
        zone=zone if isinstance(zone, str) else "",
        region=region if isinstance(region, str) else "",
        ready=ready,
        control_plane=any(k in labels for k in CONTROL_PLANE_LABELS),
        cpu_millis=cpu,
        provider=_PROVIDERS.get(scheme),
    )


def _service(label: str, obj: dict[str, Any]) -> Service | None:
    what, meta = _metadata(label, "Service", obj)
    if "spec" not in obj or not isinstance(obj["spec"], dict):
        raise InputError(
            "has no spec" if obj.get("spec") is None else "spec must be an object", obj=what
        )
    spec = obj["spec"]
    svc_type = _opt_str(spec, "type", what, "spec.type") or "ClusterIP"
    if svc_type == "ExternalName":
        return None  # a DNS alias: no endpoints, nothing for kube-proxy to route
    annotations = _dict(meta, "annotations", what, "metadata.annotations")
    external_ips = spec.get("externalIPs") or []
    if not isinstance(external_ips, list):
        raise InputError("spec.externalIPs must be a list", obj=what)
    externally = svc_type in ("NodePort", "LoadBalancer") or bool(external_ips)
    itp = _opt_str(spec, "internalTrafficPolicy", what, "spec.internalTrafficPolicy") or "Cluster"
    etp = _opt_str(spec, "externalTrafficPolicy", what, "spec.externalTrafficPolicy") or "Cluster"
    if itp not in ("Cluster", "Local"):
        raise InputError(f"spec.internalTrafficPolicy {itp!r} is not Cluster or Local", obj=what)
    if etp == "Global":  # the pre-1.22 spelling of Cluster
        etp = "Cluster"
    if etp not in ("Cluster", "Local"):
        raise InputError(f"spec.externalTrafficPolicy {etp!r} is not Cluster or Local", obj=what)
    # The deprecated key wins whenever present, whatever its value (kubernetes-semantics.md §3.1).
    if DEPRECATED_HINTS_ANNOTATION in annotations:
        ann_key: str | None = DEPRECATED_HINTS_ANNOTATION
    elif TOPOLOGY_MODE_ANNOTATION in annotations:
        ann_key = TOPOLOGY_MODE_ANNOTATION
    else:
        ann_key = None
    ann_value = None if ann_key is None else str(annotations[ann_key])
    mode_value = annotations.get(TOPOLOGY_MODE_ANNOTATION)
    families = spec_families(spec, what)
    cluster_ip = _opt_str(spec, "clusterIP", what, "spec.clusterIP") or ""
    selector = spec.get("selector")
    return Service(
        namespace=meta.get("namespace") or "default",
        name=meta["name"],
        type=svc_type,
        headless=cluster_ip == "None",
        has_selector=isinstance(selector, dict) and bool(selector),
        internal_traffic_policy=itp,
        external_traffic_policy=etp if externally else None,
        externally_accessible=externally,
        traffic_distribution=_opt_str(
            spec, "trafficDistribution", what, "spec.trafficDistribution"
        ),
        topology_annotation=ann_value,
        topology_annotation_key=ann_key,
        topology_mode_value=str(mode_value) if mode_value is not None else None,
        ip_families=families,
        ports=_service_ports(spec, what),
    )


def spec_families(spec: dict[str, Any], what: str = "Service") -> tuple[str, ...]:
    """The IP families a Service's spec names, else its clusterIP's; () when neither (a trimmed
    dump, a headless Service): its endpoints decide then (endpoint_families)."""
    families = spec.get("ipFamilies") or []
    if not isinstance(families, list):
        raise InputError("spec.ipFamilies must be a list", obj=what)
    cluster_ip = _opt_str(spec, "clusterIP", what, "spec.clusterIP") or ""
    if not families and cluster_ip and cluster_ip != "None":
        families = ["IPv6" if ":" in cluster_ip else "IPv4"]
    return tuple(str(f) for f in families)


def endpoint_families(endpoints: list[Endpoint]) -> tuple[str, ...]:
    """The family of a Service whose spec gives none: IPv6 when its endpoints are all IPv6."""
    seen = [ep.address_type for ep in endpoints]
    return ("IPv6",) if seen and "IPv4" not in seen else ("IPv4",)


def _service_ports(spec: dict[str, Any], what: str) -> tuple[ServicePort, ...]:
    raw = spec.get("ports")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError("spec.ports must be a list", obj=what)
    ports = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise InputError(f"spec.ports[{i}] must be an object", obj=what)
        number = entry.get("port")
        if type(number) is not int:
            raise InputError(f"spec.ports[{i}].port must be a number", obj=what)
        name = _opt_str(entry, "name", what, f"spec.ports[{i}].name") or ""
        protocol = _opt_str(entry, "protocol", what, f"spec.ports[{i}].protocol") or "TCP"
        ports.append(ServicePort(name, protocol, number))
    return tuple(ports)


def _slice_ports(obj: dict[str, Any], what: str) -> SlicePorts:
    """The slice's ports as kube-proxy keys them; defaults as the API server writes them (a
    missing name is "", a missing protocol TCP)."""
    raw = obj.get("ports")
    if not raw:
        return _NO_PORTS
    if not isinstance(raw, list):
        raise InputError("ports must be a list", obj=what)
    usable: list[PortKey] = []
    ignored: list[str] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise InputError(f"ports[{i}] must be an object", obj=what)
        name = _opt_str(entry, "name", what, f"ports[{i}].name") or ""
        protocol = _opt_str(entry, "protocol", what, f"ports[{i}].protocol") or "TCP"
        number = entry.get("port")
        if number is not None and type(number) is not int:
            raise InputError(f"ports[{i}].port must be a number", obj=what)
        if number:
            usable.append((name, protocol))
        else:
            ignored.append(name)
    ports = SlicePorts(frozenset(usable), tuple(ignored))
    return _SLICE_PORTS.setdefault(ports, ports)


def _count_running_pod(obj: dict[str, Any], running: dict[str, int]) -> None:
    spec = obj.get("spec")
    status = obj.get("status")
    if not isinstance(spec, dict) or not isinstance(status, dict):
        return  # Pods only weight clients; one without spec or status simply does not count
    node = spec.get("nodeName")
    if isinstance(node, str) and status.get("phase") == "Running":
        running[node] = running.get(node, 0) + 1


def _attach_slices(
    slices: list[tuple[str, dict[str, Any]]],
    services: dict[tuple[str, str], Service],
    cluster: Cluster,
    known: KnownEndpoints,
) -> None:
    orphans = 0
    per_service: dict[tuple[str, str], list[tuple[str, str, dict[str, Any], Any]]] = {}
    for label, obj in slices:
        what, meta = _metadata(label, "EndpointSlice", obj)
        labels = _labels(meta, what)
        if obj.get("addressType") not in ("IPv4", "IPv6", "FQDN"):
            raise InputError(
                f"addressType {obj.get('addressType')!r} is not IPv4, IPv6 or FQDN", obj=what
            )
        key = (meta.get("namespace") or "default", labels.get(SERVICE_NAME_LABEL))
        if key not in services:
            orphans += 1
            continue
        per_service.setdefault(key, []).append(
            (meta["name"], what, obj, labels.get(MANAGED_BY_LABEL))
        )
    nodes = cluster.nodes_by_name
    for key, group in per_service.items():
        svc = services[key]
        group.sort(key=lambda g: g[0])  # upstream processes slices by name; keeps output stable
        for name, what, obj, managed_by in group:
            start = len(svc.endpoints)
            _add_slice(svc, name, what, obj, managed_by, nodes, known)
            bad = _bad_ips(svc.endpoints, start, obj["addressType"])
            if bad:
                cluster.warnings.append(_bad_addresses(what, obj["addressType"], bad))
    for svc in services.values():
        if not svc.ip_families:
            svc.ip_families = endpoint_families(svc.endpoints)
    if orphans:
        cluster.warnings.append(
            f"{orphans} EndpointSlice(s) belong to no Service in the input and were ignored"
        )


def _add_slice(
    svc: Service,
    name: str,
    what: str,
    obj: dict[str, Any],
    managed_by: Any,
    nodes: dict[str, Node],
    known: KnownEndpoints,
) -> None:
    """`managed_by`: the slice's managed-by label (its labels read by _labels already)."""
    address_type = obj["addressType"]
    endpoints = obj.get("endpoints") or []
    if not isinstance(endpoints, list):
        raise InputError("endpoints must be a list", obj=what)
    svc.slice_count += 1
    svc.slice_ports[name] = _slice_ports(obj, what)
    if address_type == "FQDN":
        return  # kube-proxy ignores FQDN slices and the controller never writes them
    # A dump with the label stripped still belongs to the controller when the Service selects pods.
    managed = svc.has_selector and managed_by in (CONTROLLER_NAME, None)
    out = svc.endpoints
    if not known:
        for i, ep in enumerate(endpoints):
            out.append(_endpoint(ep, i, name, what, address_type, managed, nodes))
        return
    for i, ep in enumerate(endpoints):
        hit = known.get(id(ep))
        # The identity checks: ids of freed dicts are reused; the slice decides `managed`.
        if hit is not None and hit[0] is ep and hit[1] is obj and hit[2].managed == managed:
            out.append(hit[2])
        else:
            out.append(_endpoint(ep, i, name, what, address_type, managed, nodes))


def _bad_ips(endpoints: list[Endpoint], start: int, family: str) -> list[str]:
    """The addresses from `start` on that are not addresses of the slice's family. (The cheap
    test of _is_address inlined for IPv4: this runs once per endpoint.)"""
    if family == "IPv4":
        return [
            ep.ip
            for ep in endpoints[start:]
            if not (ep.ip.count(".") == 3 and ep.ip.replace(".", "").isdigit())
            and not _is_address(ep.ip, family)
        ]
    return [ep.ip for ep in endpoints[start:] if not _is_address(ep.ip, family)]


def _is_address(ip: str, family: str) -> bool:
    """Whether `ip` is an address of the family, as the API server validates it. A cheap test
    first (this runs once per endpoint); the exact one only for what fails it."""
    if family == "IPv4":
        if ip.count(".") == 3 and ip.replace(".", "").isdigit():
            return True
    elif ":" in ip and not ip.strip("0123456789abcdefABCDEF:."):
        return True
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return parsed.version == (4 if family == "IPv4" else 6)


def _bad_addresses(what: str, family: str, bad: list[str]) -> str:
    shown = ", ".join(repr(ip) for ip in bad[:3])
    more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
    return (
        f"{what}: endpoint address {shown}{more} is not a valid {family} address (a placeholder "
        "left in?); the API server would refuse it and kube-proxy cannot route to it"
    )


def _endpoint(
    ep: Any,
    i: int,
    slice_name: str,
    what: str,
    address_type: str,
    managed: bool,
    nodes: dict[str, Node],
) -> Endpoint:
    if not isinstance(ep, dict):
        raise InputError(f"endpoints[{i}] must be an object", obj=what)
    get = ep.get  # (this runs once per endpoint: every lookup saved counts)
    addresses = get("addresses")
    if not isinstance(addresses, list) or not addresses or not isinstance(addresses[0], str):
        raise InputError(f"endpoints[{i}].addresses must be a non-empty list of strings", obj=what)
    cond = get("conditions") or _EMPTY
    if not isinstance(cond, dict):
        raise InputError(f"endpoints[{i}].conditions must be an object", obj=what)
    ready = cond.get("ready")
    serving = cond.get("serving")
    terminating = cond.get("terminating")
    # True, False or None each (bool has two instances): identity tests, the cheapest check.
    if not (
        (ready is True or ready is False or ready is None)
        and (serving is True or serving is False or serving is None)
        and (terminating is True or terminating is False or terminating is None)
    ):
        raise InputError(f"endpoints[{i}].conditions must be true, false or absent", obj=what)
    node_name = get("nodeName") or ""
    zone = get("zone")
    if zone is None:  # discovery.k8s.io/v1beta1 kept the zone in a topology map
        topology = get("topology")
        zone = topology.get(ZONE_LABEL) if isinstance(topology, dict) else None
    if not isinstance(node_name, str) or not (zone is None or isinstance(zone, str)):
        raise InputError(f"endpoints[{i}].nodeName and zone must be strings", obj=what)
    zone = zone or ""
    raw_hints = get("hints")
    hint = _hint(raw_hints, i, what) if raw_hints else ((), ())
    node = nodes.get(node_name)
    flow_zone = zone or (node.zone if node is not None and node.zone else UNKNOWN_ZONE)
    # Positional on purpose: this runs once per endpoint and keyword passing is measurably slower.
    return Endpoint(
        addresses[0],
        node_name,
        zone,
        ready,
        serving,
        terminating,
        hint,
        raw_hints is not None,
        slice_name,
        address_type,
        managed,
        flow_zone,
    )


def _hint(raw: Any, i: int, what: str) -> Hint:
    if not isinstance(raw, dict):
        raise InputError(f"endpoints[{i}].hints must be an object", obj=what)
    # Most hints name one zone and nothing else: read without the general loop (same result).
    zones = raw.get("forZones")
    if len(raw) == 1 and type(zones) is list and len(zones) == 1:
        entry = zones[0]
        name = entry.get("name") if type(entry) is dict else None
        if type(name) is str:
            one = _ONE_ZONE.get(name)
            if one is None:
                one = ((name,), ())
                one = _ONE_ZONE[name] = _HINTS.setdefault(one, one)
            return one
    hint = (_hint_names(raw, "forZones", i, what), _hint_names(raw, "forNodes", i, what))
    # Interned: equal hints share one tuple, which saves memory and makes comparisons cheap.
    return _HINTS.setdefault(hint, hint)


def _hint_names(raw: dict[str, Any], key: str, i: int, what: str) -> tuple[str, ...]:
    entries = raw.get(key) or []
    if not isinstance(entries, list):
        raise InputError(f"endpoints[{i}].hints.{key} must be a list", obj=what)
    names = []
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            raise InputError(f"endpoints[{i}].hints.{key} entries need a name", obj=what)
        names.append(name)
    return tuple(names)


def _node_warnings(nodes: list[Node]) -> list[str]:
    warnings = []
    for node in nodes:
        if not node.zone:
            warnings.append(f"node {node.name} has no {ZONE_LABEL} label")
        if node.ready and not node.control_plane and not node.cpu_millis:
            warnings.append(f"node {node.name} reports no allocatable CPU")
    return warnings
