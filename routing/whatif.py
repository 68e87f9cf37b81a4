"""What-if: apply a hypothetical change to one Service's objects and analyse the result.

The input is the list of kubectl-shaped objects a Service's analysis reads (Nodes, the Service,
its EndpointSlices, maybe Pods: routing.reports.service_objects). `apply_changes` returns edited
copies and never touches its input; `report_entry` analyses a list the way the Service detail
does. Nothing here reads or writes the database.

After every edit the Service's EndpointSlice hints are rewritten as the EndpointSlice controller
would write them (the engine's `controller.simulate` under the Service's declared policy, the
same function the simulated cluster uses). Any change here is one the controller reacts to: a
Service update, Pods coming and going, a node pool being replaced. Without this, the "observed"
flows would follow hints the real controller wrote for the old state: a cloned endpoint would
carry its template's zone, a removed zone's hints would linger.
"""

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from routing.engine import Options, analyze_cluster, build_cluster, controller
from routing.engine.model import (
    CONTROLLER_NAME,
    DEPRECATED_HINTS_ANNOTATION,
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
    TOPOLOGY_MODE_ANNOTATION,
    Cluster,
    Endpoint,
    Hint,
    Node,
    Service,
)
from routing.engine.quantity import milli_value
from routing.engine.topology import zone_ratios

MAX_REPLICAS = 1000  # per zone; far above what a what-if needs, small enough to analyse quickly
MAX_PER_SLICE = 100  # kube-controller-manager's default --max-endpoints-per-slice
# Synthetic addresses come from the benchmarking ranges (RFC 2544, RFC 5180): no real Pod has one.
SYNTHETIC_NETWORKS = {
    "IPv4": ipaddress.ip_network("198.18.0.0/15"),
    "IPv6": ipaddress.ip_network("2001:2::/48"),
}
_READY = {"ready": True, "serving": True, "terminating": False}
# Fields of a cloned endpoint that describe the original Pod, not the new one.
_IDENTITY = ("addresses", "hints", "hostname", "topology", "deprecatedTopology", "targetRef")


class WhatIfError(ValueError):
    """A change that cannot apply to this Service (the API answers 400 naming `field`)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Edited:
    """The edited objects and one line per change applied, for people."""

    objects: list[dict[str, Any]]
    changes: list[str]


def apply_changes(
    objects: list[dict[str, Any]], namespace: str, name: str, changes: Mapping[str, Any]
) -> Edited:
    """Apply the changes of a what-if request to copies of `objects`.

    `changes` uses the API's names: trafficDistribution, topologyMode (value or None: remove),
    internalTrafficPolicy, replicasPerZone (zone -> count) and cpuPerZone (zone -> CPU quantity).
    Raises WhatIfError when a change cannot apply (an unknown zone, a Service without a selector).
    """
    copied: list[dict[str, Any]] = orjson.loads(orjson.dumps(objects))  # deep, and fast
    notes: list[str] = []
    service = _service_object(copied, namespace, name)
    _edit_policy(service, changes, notes)
    if "cpuPerZone" in changes:
        _edit_cpu(copied, changes["cpuPerZone"], notes)
    if "replicasPerZone" in changes:
        _edit_replicas(copied, namespace, name, changes["replicasPerZone"], notes)
    rewritten, svc = reconcile_hints(copied, namespace, name)
    if rewritten:
        notes.append(
            f"EndpointSlice hints rewritten on {rewritten} endpoint(s), as the controller "
            f"would under policy {controller.declared_policy(svc)}"
        )
    policy_edited = "trafficDistribution" in changes or "topologyMode" in changes
    if policy_edited and controller.mechanism(svc) == "topologyAuto" and svc.traffic_distribution:
        notes.append(
            "note: the topology annotation (Auto) takes precedence over trafficDistribution "
            f"{svc.traffic_distribution}"
        )
    return Edited(copied, notes)


def report_entry(objects: list[dict[str, Any]], options: Options) -> dict[str, Any] | None:
    """The Service's report entry plus the cluster section, as the Service detail gives it.

    `options.services` names the one Service; None when it is not among the objects.
    """
    items = [("items", i, obj) for i, obj in enumerate(objects)]
    report = analyze_cluster(build_cluster(items), options)
    if not report["services"]:
        return None
    entry: dict[str, Any] = report["services"][0]
    entry["cluster"] = report["cluster"]
    return entry


def headline(entry: dict[str, Any]) -> dict[str, Any]:
    """The figures a what-if compares: observed flows and their cost."""
    flows, cost = entry["flows"], entry["cost"]
    return {
        "crossZoneFraction": flows["crossZoneFraction"],
        "crossRegionFraction": flows["crossRegionFraction"],
        "dropped": flows["dropped"],
        "maxOverload": flows["maxOverload"],
        "costPerGb": cost["costPerGb"],
        "monthlyCost": cost["monthlyCost"],
    }


# --- reading the objects as the engine does ---------------------------------------------------

Slot = tuple[Endpoint, dict[str, Any], int]  # a parsed endpoint, its slice dict and index there


def _parse(objects: list[dict[str, Any]]) -> Cluster:
    return build_cluster([("items", i, obj) for i, obj in enumerate(objects)])


def _model(cluster: Cluster, namespace: str, name: str) -> Service:
    for svc in cluster.services:
        if (svc.namespace, svc.name) == (namespace, name):
            return svc
    raise WhatIfError("service", f"there is no Service {namespace}/{name} to change")


def _key(obj: dict[str, Any]) -> tuple[str, Any]:
    meta = obj.get("metadata") or {}
    return meta.get("namespace") or "default", meta.get("name")


def _service_object(objects: list[dict[str, Any]], namespace: str, name: str) -> dict[str, Any]:
    for obj in objects:
        if obj["kind"] == "Service" and _key(obj) == (namespace, name):
            return obj
    raise WhatIfError("service", f"there is no Service {namespace}/{name}")


def _slices(objects: list[dict[str, Any]], namespace: str, name: str) -> list[dict[str, Any]]:
    """The Service's slices in the order the parser reads them (stable sort by name)."""
    found = [
        obj
        for obj in objects
        if obj["kind"] == "EndpointSlice"
        and _key(obj)[0] == namespace
        and (obj["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == name
    ]
    return sorted(found, key=lambda s: s["metadata"]["name"])


def _slots(slices: list[dict[str, Any]], svc: Service) -> list[Slot]:
    """Each parsed endpoint with the slice dict and index it was read from."""
    places = [
        (s, i)
        for s in slices
        if s.get("addressType") != "FQDN"  # the parser skips FQDN slices
        for i in range(len(s.get("endpoints") or []))
    ]
    out = []
    for ep, (s, i) in zip(svc.endpoints, places, strict=True):
        assert ep.slice_name == s["metadata"]["name"]  # the same order as the parser's
        out.append((ep, s, i))
    return out


def _managed(slice_obj: dict[str, Any], svc: Service) -> bool:
    labels = slice_obj["metadata"].get("labels") or {}
    return svc.has_selector and labels.get(MANAGED_BY_LABEL) in (CONTROLLER_NAME, None)


def _zones(nodes: list[Node]) -> set[str]:
    return {n.zone for n in nodes if n.zone}


def _check_zone(field: str, zone: str, known: set[str]) -> None:
    if zone not in known:
        listed = ", ".join(sorted(known)) or "none"
        raise WhatIfError(field, f"no node is in zone {zone!r} (zones: {listed})")


# --- the Service's policy ---------------------------------------------------------------------


def _edit_policy(service: dict[str, Any], changes: Mapping[str, Any], notes: list[str]) -> None:
    spec = service.setdefault("spec", {})
    if "trafficDistribution" in changes:
        value = changes["trafficDistribution"]
        old = spec.pop("trafficDistribution", None)
        if value is not None:
            spec["trafficDistribution"] = value
        notes.append(f"trafficDistribution: {old or 'unset'} -> {value or 'unset'}")
    if "internalTrafficPolicy" in changes:
        old = spec.get("internalTrafficPolicy") or "Cluster"
        spec["internalTrafficPolicy"] = changes["internalTrafficPolicy"]
        notes.append(f"internalTrafficPolicy: {old} -> {changes['internalTrafficPolicy']}")
    if "topologyMode" in changes:
        _edit_topology_mode(service, changes["topologyMode"], notes)


def _edit_topology_mode(service: dict[str, Any], value: str | None, notes: list[str]) -> None:
    meta = service.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    old = annotations.pop(TOPOLOGY_MODE_ANNOTATION, None)
    if value is not None:
        annotations[TOPOLOGY_MODE_ANNOTATION] = value
    notes.append(f"annotation {TOPOLOGY_MODE_ANNOTATION}: {old or 'unset'} -> {value or 'unset'}")
    # The deprecated key decides whenever present, so it goes too: removing topology-mode would
    # leave it deciding, and setting Auto beside, say, "Disabled" would change nothing.
    if DEPRECATED_HINTS_ANNOTATION in annotations:
        removed = annotations.pop(DEPRECATED_HINTS_ANNOTATION)
        notes.append(f"annotation {DEPRECATED_HINTS_ANNOTATION} ({removed!r}) removed")
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)  # as the API shows an object without annotations


# --- node CPU ---------------------------------------------------------------------------------


def _edit_cpu(objects: list[dict[str, Any]], cpu: Mapping[str, Any], notes: list[str]) -> None:
    node_dicts = [o for o in objects if o["kind"] == "Node"]
    nodes = _parse(node_dicts).nodes  # same order as node_dicts
    known = _zones(nodes)
    for zone in sorted(cpu):
        _check_zone("cpuPerZone", zone, known)
        # Control-plane nodes are left alone: Auto's ratios and client weights leave them out.
        workers = [(d, n) for d, n in zip(node_dicts, nodes, strict=True) if n.zone == zone]
        workers = [(d, n) for d, n in workers if not n.control_plane]
        if not workers:
            raise WhatIfError("cpuPerZone", f"zone {zone!r} has only control-plane nodes")
        total = cpu_millis(cpu[zone], zone)
        old = sum(n.cpu_millis or 0 for _, n in workers)
        shares = split_millis(total, [n.cpu_millis or 0 for _, n in workers])
        for (node, _), millis in zip(workers, shares, strict=True):
            status = node.get("status")
            if not isinstance(status, dict):
                status = node["status"] = {}
            allocatable = status.get("allocatable")
            if not isinstance(allocatable, dict):
                allocatable = status["allocatable"] = {}
            allocatable["cpu"] = f"{millis}m"
        notes.append(
            f"allocatable CPU of zone {zone}: {format_millis(old)} -> "
            f"{format_millis(total)} over {len(workers)} node(s)"
        )


def cpu_millis(quantity: Any, zone: str = "") -> int:
    """A CPU quantity ("64", "64000m", 64, 0.5) in millicores; WhatIfError if it is none."""
    try:
        return milli_value(quantity)
    except ValueError as exc:
        where = f"{zone}: " if zone else ""
        raise WhatIfError("cpuPerZone", f"{where}{exc}") from None


def split_millis(total: int, current: list[int]) -> list[int]:
    """Split `total` in proportion to `current` (equally if all are 0), summing exactly.

    Each part is rounded down; the millis left over go to the largest remainders, first nodes
    first on ties.
    """
    weights = current if any(current) else [1] * len(current)
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    left = total - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: -(total * weights[i] % whole))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def format_millis(millis: int) -> str:
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"


# --- replicas ---------------------------------------------------------------------------------


def _edit_replicas(
    objects: list[dict[str, Any]],
    namespace: str,
    name: str,
    wanted: Mapping[str, int],
    notes: list[str],
) -> None:
    cluster = _parse(objects)
    svc = _model(cluster, namespace, name)
    if not svc.has_selector:
        raise WhatIfError(
            "replicasPerZone",
            f"Service {namespace}/{name} has no selector: its endpoints are not Pods the "
            "EndpointSlice controller manages",
        )
    known = _zones(cluster.nodes)
    for zone in wanted:
        _check_zone("replicasPerZone", zone, known)
    slices = _slices(objects, namespace, name)
    managed = [slot for slot in _slots(slices, svc) if _managed(slot[1], svc)]
    families = _families(svc, slices)
    originals = [(ep, s["endpoints"][i]) for ep, s, i in managed]  # templates to clone
    fresh = _Fresh(objects, name)  # before removals: no new Pod reuses a leaving one's name
    gone: set[Any] = set()  # Pod names of removed endpoints (None: no targetRef)
    short: list[tuple[str, str, int]] = []  # (zone, family, endpoints to add)
    for zone in sorted(wanted):  # removals first, so additions can use the room they leave
        counts = []
        for family in families:
            ready = [
                (s, i)
                for ep, s, i in managed
                if ep.address_type == family
                and ep.ready is not False  # kube-proxy's reading; the controller writes it
                and _zone_of(cluster, ep) == zone
            ]
            counts.append(str(len(ready)))
            for s, i in ready[wanted[zone] :]:  # the last ones go
                gone.add((s["endpoints"][i].get("targetRef") or {}).get("name"))
                s["endpoints"][i] = None  # dropped below, so indices stay valid meanwhile
            short.append((zone, family, wanted[zone] - len(ready)))
        notes.append(f"ready endpoints in zone {zone}: {', '.join(counts)} -> {wanted[zone]}")
    for s in slices:
        s["endpoints"] = [ep for ep in s.get("endpoints") or [] if ep is not None]
    placer = _Placer(objects, slices, svc)
    for zone, family, missing in short:
        nodes = _placement_nodes(cluster.nodes, zone)
        if missing > 0 and not nodes:
            raise WhatIfError(
                "replicasPerZone", f"zone {zone!r} has no ready worker node for new endpoints"
            )
        template = _template(cluster, originals, family, zone)
        for k in range(missing):
            pod, node = fresh.pod(zone, k), nodes[k % len(nodes)]
            placer.add(family, _clone(template, fresh.address(family, pod, node), pod, node, zone))
    _sync_pods(objects, svc, gone, fresh.pods)


def _zone_of(cluster: Cluster, ep: Endpoint) -> str:
    """The endpoint's own zone field, else its node's zone label ("" when neither)."""
    if ep.zone:
        return ep.zone
    node = cluster.nodes_by_name.get(ep.node_name)
    return node.zone if node is not None else ""


def _families(svc: Service, slices: list[dict[str, Any]]) -> list[str]:
    """Address families the controller writes slices for: the Service's, then any it has."""
    families = [f for f in svc.ip_families if f in SYNTHETIC_NETWORKS]
    for s in slices:
        family = s.get("addressType")
        if family in SYNTHETIC_NETWORKS and family not in families and _managed(s, svc):
            families.append(family)
    return families


def _placement_nodes(nodes: list[Node], zone: str) -> list[str]:
    """Where new Pods go: the zone's ready worker nodes, by name (round-robin over them)."""
    return sorted(n.name for n in nodes if n.zone == zone and n.ready and not n.control_plane)


def _template(
    cluster: Cluster, originals: list[tuple[Endpoint, dict[str, Any]]], family: str, zone: str
) -> dict[str, Any] | None:
    """The endpoint to clone: a ready one of this zone, else a ready one, else any one."""
    ranked = sorted(
        (ep.ready is False, _zone_of(cluster, ep) != zone, n)
        for n, (ep, _) in enumerate(originals)
        if ep.address_type == family
    )
    return originals[ranked[0][2]][1] if ranked else None  # None: built from scratch


def _clone(
    template: dict[str, Any] | None, ip: str, pod: str, node: str, zone: str
) -> dict[str, Any]:
    endpoint = {k: v for k, v in (template or {}).items() if k not in _IDENTITY}
    endpoint.update(
        addresses=[ip],
        conditions=dict(_READY),
        nodeName=node,
        zone=zone,
        targetRef={"kind": "Pod", "name": pod},
    )
    return orjson.loads(orjson.dumps(endpoint))  # shares nothing with the template


class _Placer:
    """Puts new endpoints into the Service's managed slices of their family that have room, in
    name order as the controller fills them, and opens a new slice when all are full."""

    def __init__(self, objects: list[dict[str, Any]], slices: list[dict[str, Any]], svc: Service):
        self.objects, self.slices, self.svc = objects, slices, svc
        self.open: dict[str, tuple[list[dict[str, Any]], int]] = {}  # family -> slices, cursor

    def add(self, family: str, endpoint: dict[str, Any]) -> None:
        ours, i = self.open.get(family) or (
            [s for s in self.slices if s.get("addressType") == family and _managed(s, self.svc)],
            0,
        )
        while i < len(ours) and len(ours[i]["endpoints"]) >= MAX_PER_SLICE:
            i += 1  # full: slices before the cursor stay full, as nothing is removed now
        if i == len(ours):
            ours.append(self._new_slice(family, ours[0] if ours else None))
        ours[i]["endpoints"].append(endpoint)
        self.open[family] = (ours, i)

    def _new_slice(self, family: str, sibling: dict[str, Any] | None) -> dict[str, Any]:
        taken = {s["metadata"]["name"] for s in self.slices}
        name = next(
            n
            for n in (f"{self.svc.name}-whatif-{i}" for i in range(len(taken) + 1))
            if n not in taken
        )
        labels = {SERVICE_NAME_LABEL: self.svc.name, MANAGED_BY_LABEL: CONTROLLER_NAME}
        created = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": name, "namespace": self.svc.namespace, "labels": labels},
            "addressType": family,
            "endpoints": [],
            "ports": orjson.loads(orjson.dumps((sibling or {}).get("ports") or [])),
        }
        self.objects.append(created)
        self.slices.append(created)
        return created


class _Fresh:
    """Synthetic Pod names and addresses that collide with nothing in the objects.

    A name depends only on the zone and the count, so both address families of a dual-stack
    Service name (and place) the same new Pods.
    """

    def __init__(self, objects: list[dict[str, Any]], service: str):
        self.service = service
        self.taken: set[Any] = set()  # Pod names and IPs already in use
        for obj in objects:
            if obj["kind"] == "Pod":
                self.taken.add((obj.get("metadata") or {}).get("name"))
                self.taken.add(_canonical((obj.get("status") or {}).get("podIP")))
            for ep in obj.get("endpoints") or [] if obj["kind"] == "EndpointSlice" else []:
                if isinstance(ep, dict):
                    self.taken.update(_canonical(a) for a in ep.get("addresses") or [])
                    self.taken.add((ep.get("targetRef") or {}).get("name"))
        self.pods: dict[str, tuple[str, str]] = {}  # new Pod -> (node, first address)
        self._names: dict[str, list[str]] = {}
        self._counter = 0
        self._hosts = {f: net.hosts() for f, net in SYNTHETIC_NETWORKS.items()}

    def pod(self, zone: str, k: int) -> str:
        names = self._names.setdefault(zone, [])
        while len(names) <= k:
            name = f"{self.service}-whatif-{self._counter}"
            self._counter += 1
            if name not in self.taken:
                names.append(name)
        return names[k]

    def address(self, family: str, pod: str, node: str) -> str:
        for ip in self._hosts[family]:
            if str(ip) not in self.taken:
                self.pods.setdefault(pod, (node, str(ip)))
                return str(ip)
        raise WhatIfError("replicasPerZone", "no synthetic address left")  # pragma: no cover


def _canonical(address: Any) -> Any:
    """One spelling per address ("2001:2:0::1" is "2001:2::1"), so collisions are seen."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


def _sync_pods(
    objects: list[dict[str, Any]], svc: Service, gone: set[Any], added: dict[str, tuple[str, str]]
) -> None:
    """Keep Pods in step with the endpoints when the input has Pods (they weight clients)."""
    if not any(o["kind"] == "Pod" for o in objects):
        return

    def removed(obj: dict[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace") or "default"
        return obj["kind"] == "Pod" and ns == svc.namespace and meta.get("name") in gone

    objects[:] = [o for o in objects if not removed(o)]
    for name, (node, ip) in added.items():
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": svc.namespace},
                "spec": {"nodeName": node},
                "status": {
                    "phase": "Running",
                    "podIP": ip,
                    "conditions": [{"type": "Ready", "status": "True"}],
                },
            }
        )


# --- hints ------------------------------------------------------------------------------------


def reconcile_hints(
    objects: list[dict[str, Any]], namespace: str, name: str
) -> tuple[int, Service]:
    """Rewrite the Service's managed endpoints' hints in place as the controller would.

    Uses the engine's controller simulation under the declared policy and the nodes' CPU ratios.
    Endpoints of slices the controller does not manage keep theirs. Returns how many endpoints'
    hints changed, and the Service as the engine read it (before the rewrite).
    """
    cluster = _parse(objects)
    svc = _model(cluster, namespace, name)
    result = controller.simulate(svc, controller.declared_policy(svc), zone_ratios(cluster.nodes))
    slots = _slots(_slices(objects, namespace, name), svc)
    changed = 0
    for (ep, s, i), hint in zip(slots, result.hints, strict=True):
        if ep.managed:
            changed += hint != ep.hint
            _write_hint(s["endpoints"][i], hint)  # also drops an empty `hints: {}`
    return changed, svc


def _write_hint(endpoint: dict[str, Any], hint: Hint) -> None:
    zones, nodes = hint
    if not zones and not nodes:
        endpoint.pop("hints", None)
        return
    written: dict[str, Any] = {}
    if zones:
        written["forZones"] = [{"name": z} for z in zones]
    if nodes:
        written["forNodes"] = [{"name": n} for n in nodes]
    endpoint["hints"] = written
