"""replicasPerZone: remove or add ready endpoints per zone, keeping Pods in step.

`Prepared.plan` works out what goes and what is missing from the parsed Service;
`_edit_replicas` writes that into the objects: new endpoints are clones of existing ones
(`_template`), built and placed by new_endpoints. (read_replicas.py reads the same plan
without writing objects.)
"""

from collections.abc import Mapping
from functools import partial
from typing import Any

from routing.engine.model import Cluster, Endpoint, Node, Service
from routing.engine.parse import KnownEndpoints, SharedNodes, from_nodes

from .errors import WhatIfError
from .new_endpoints import SYNTHETIC_NETWORKS, _clone, _clone_base, _Fresh, _Placer
from .objects import Slot, _check_zone, _known, _managed, _model, _parse, _slices, _slots, _zones

MAX_REPLICAS = 1000  # per zone; far above what a what-if needs, small enough to analyse quickly


class Prepared:
    """A Service's objects as every replicasPerZone edit of them reads them first: worked out
    once per edit here, once per Service for a search that reads many (read_replicas.py).
    `before`: the Service as the engine reads `objects` over `shared`, when known (then they
    are not parsed again). Reads the objects only."""

    def __init__(
        self,
        objects: list[dict[str, Any]],
        namespace: str,
        name: str,
        shared: SharedNodes | None = None,
        before: Service | None = None,
    ):
        if before is None or shared is None:
            cluster = _parse(objects, shared)
            svc = _model(cluster, namespace, name)
        else:
            cluster, svc = shared.cluster([before]), before
        self.objects, self.namespace, self.name = objects, namespace, name
        self.cluster, self.svc = cluster, svc
        self.slices = _slices(objects, namespace, name)  # in the parser's order
        self.slots: list[Slot] = _slots(self.slices, svc)
        # Each managed endpoint with its zone, worked out once for every zone and family.
        self.managed = [
            (ep, s, i, _zone_of(cluster, ep)) for ep, s, i in self.slots if _managed(s, svc)
        ]
        self.families = _families(svc, self.slices)
        # The ready ones (kube-proxy's reading; the controller writes it) by zone and family.
        self.ready: dict[tuple[str, str], list[tuple[dict[str, Any], int]]] = {}
        for ep, s, i, zone in self.managed:
            if ep.ready is not False:
                self.ready.setdefault((zone, ep.address_type), []).append((s, i))

    def plan(
        self, wanted: Mapping[str, int], notes: list[str]
    ) -> tuple[list[tuple[dict[str, Any], int]], list[tuple[str, str, int]]]:
        """(slice, index) of the endpoints that go, and (zone, family, endpoints to add; <= 0:
        none) for each zone and family: what the edit does, before anything is written."""
        svc = self.svc
        if not svc.has_selector:
            raise WhatIfError(
                "replicasPerZone",
                f"Service {svc.namespace}/{svc.name} has no selector: its endpoints are not "
                "Pods the EndpointSlice controller manages",
            )
        known = from_nodes(self.cluster, "zones", _zones)
        for zone in wanted:
            _check_zone("replicasPerZone", zone, known)
        removed: list[tuple[dict[str, Any], int]] = []
        short: list[tuple[str, str, int]] = []
        for zone in sorted(wanted):  # removals first, so additions can use the room they leave
            counts = []
            for family in self.families:
                ready = self.ready.get((zone, family), [])
                counts.append(str(len(ready)))
                removed.extend(ready[wanted[zone] :])  # the last ones go
                short.append((zone, family, wanted[zone] - len(ready)))
            notes.append(f"ready endpoints in zone {zone}: {', '.join(counts)} -> {wanted[zone]}")
        return removed, short

    def placement(self, zone: str) -> list[str]:
        """The nodes new endpoints of `zone` go to, round-robin (WhatIfError when none)."""
        nodes = from_nodes(self.cluster, ("placement", zone), partial(_placement_nodes, zone=zone))
        if not nodes:
            raise WhatIfError(
                "replicasPerZone", f"zone {zone!r} has no ready worker node for new endpoints"
            )
        return nodes


def _edit_replicas(
    objects: list[dict[str, Any]],
    namespace: str,
    name: str,
    wanted: Mapping[str, int],
    notes: list[str],
    shared: SharedNodes | None = None,
    before: Service | None = None,
    taken: frozenset[Any] | None = None,
) -> KnownEndpoints:
    """Returns the endpoints as read before the edit, for the next parse to reuse (the edit
    removes and adds endpoint dicts but changes none). `before`: the Service as the engine
    reads `objects` over `shared`, when known (then they are not parsed again). `taken`:
    `new_endpoints.in_use(objects)`, when known."""
    prepared = Prepared(objects, namespace, name, shared, before)
    removed, short = prepared.plan(wanted, notes)
    read = _known(prepared.slots)  # before the edit replaces entries of the slices' lists
    originals = [(ep, z, s["endpoints"][i]) for ep, s, i, z in prepared.managed]  # to clone
    fresh = _Fresh(objects, name, taken)  # before removals: no new Pod reuses a leaving one's name
    gone: set[Any] = set()  # Pod names of removed endpoints (None: no targetRef)
    for s, i in removed:
        gone.add((s["endpoints"][i].get("targetRef") or {}).get("name"))
        s["endpoints"][i] = None  # dropped below, so indices stay valid meanwhile
    for s in prepared.slices:
        s["endpoints"] = [ep for ep in s.get("endpoints") or [] if ep is not None]
    placer = _Placer(objects, prepared.slices, prepared.svc)
    for zone, family, missing in short:
        if missing <= 0:
            continue  # nothing to add: no node or template needed
        nodes = prepared.placement(zone)
        base = _clone_base(_template(originals, family, zone))
        for k in range(missing):
            pod, node = fresh.pod(zone, k), nodes[k % len(nodes)]
            placer.add(family, _clone(base, fresh.address(family, pod, node), pod, node, zone))
    _sync_pods(objects, prepared.svc, gone, fresh.pods)
    return read


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
    originals: list[tuple[Endpoint, str, dict[str, Any]]], family: str, zone: str
) -> dict[str, Any] | None:
    """The endpoint to clone: a ready one of this zone, else a ready one, else any one (the
    first of equals). `originals`: each endpoint with its zone (_zone_of) and its dict."""
    best = min(
        (
            (ep.ready is False, ep_zone != zone, n)
            for n, (ep, ep_zone, _) in enumerate(originals)
            if ep.address_type == family
        ),
        default=None,
    )
    return originals[best[2]][2] if best else None  # None: built from scratch


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
