"""replicasPerZone read without writing: the Service as the engine reads the objects that
`replicas._edit_replicas` writes, made from the Service read before the edit.

The fix search verifies thousands of replica counts and keeps none of the objects; writing
clones into copies of the slices only to parse them again was most of its time. Here the same
plan (`replicas.Prepared`) removes the same endpoints, the same placer (`_Placer`) picks the
same slices and the new endpoints get the same addresses (`FreeAddresses`, as `_Fresh` gives
them); only they are made as the parser reads a clone instead of being parsed.
tests/fixes/test_fast_paths.py checks that both ways give equal Services.
"""

from collections.abc import Mapping
from typing import Any

from routing.engine.model import NO_HINT, Cluster, Endpoint, Service
from routing.engine.parse import (
    SharedNodes,
    SharedPods,
    _slice_ports,
    count_running_pod,
    endpoint_families,
    spec_families,
)
from routing.engine.report import ServiceAnalyzer

from .hints import Reconciled, controller_hints, note_reconciled, reconcile_read
from .new_endpoints import FreeAddresses, _Placer, in_use
from .objects import _service_object
from .replicas import Prepared


class ReplicasReader:
    """One Service's replicasPerZone edits, read without writing (`changed`): what does not
    depend on the counts is worked out once, for a search that reads many. `objects` hold no
    Pod and are only read; `before` is the Service as the engine reads them over `shared`, when
    known (it is not changed); `taken`: in_use(objects), when known; `pods`: the Pods read once
    (SharedPods), which the edit removes and adds to as it would in the objects."""

    def __init__(
        self,
        objects: list[dict[str, Any]],
        namespace: str,
        name: str,
        shared: SharedNodes,
        before: Service | None = None,
        taken: frozenset[Any] | None = None,
        pods: SharedPods | None = None,
    ):
        self.shared, self.pods = shared, pods
        self.prepared = Prepared(objects, namespace, name, shared, before)
        self.before = self.prepared.svc
        self._own_taken = taken
        self._free: FreeAddresses | None = None
        spec = _service_object(objects, namespace, name).get("spec") or {}
        self.spec_families = spec_families(spec)
        self.has_slices = any(o["kind"] == "EndpointSlice" for o in objects)
        # The endpoints each slice holds, in order (FQDN slices: none the parser reads).
        self.held: dict[int, list[Endpoint]] = {id(s): [] for s in self.prepared.slices}
        for ep, s, _ in self.prepared.slots:
            self.held[id(s)].append(ep)

    # Worked out when first read (an attribute set once, not functools.cached_property, whose
    # lock and descriptor cost more than the work on the search's many small Services).
    @property
    def own_taken(self) -> frozenset[Any]:
        """The Pod names and addresses in the objects (read when a Pod is first added)."""
        if self._own_taken is None:
            self._own_taken = in_use(self.prepared.objects)
        return self._own_taken

    @property
    def free(self) -> FreeAddresses:
        """The addresses new endpoints get, as _Fresh gives them."""
        if self._free is None:
            taken = self.own_taken
            either = taken if self.pods is None else _Either(taken, _pods_in_use(self.pods))
            self._free = FreeAddresses(either)
        return self._free

    def changed(self, changes: Mapping[str, Any]) -> tuple[Cluster, list[str]]:
        """routing.whatif.changed_cluster for a request of replicasPerZone alone."""
        notes: list[str] = []
        cluster = self._read(changes["replicasPerZone"], notes)
        done = reconcile_read(cluster.services[0], cluster)
        note_reconciled(done, changes, notes)
        return done.cluster, notes

    def headline(
        self, changes: Mapping[str, Any], analyzer: ServiceAnalyzer
    ) -> tuple[dict[str, Any], list[str]]:
        """`analyzer.headline` of what `changed` gives, and its notes, without giving the
        endpoints their new hints: the figures read them from the controller's hints."""
        notes: list[str] = []
        cluster = self._read(changes["replicasPerZone"], notes)
        svc = cluster.services[0]
        hints = controller_hints(cluster, svc)
        pairs = zip(svc.endpoints, hints, strict=True)
        rewritten = sum([ep.managed and hint != ep.hint for ep, hint in pairs])
        note_reconciled(Reconciled(rewritten, svc, cluster), changes, notes)
        return analyzer.headline_under(cluster, svc, hints), notes

    def _read(self, wanted: Mapping[str, int], notes: list[str]) -> Cluster:
        """The Service after the edit, its hints as the objects carry them before the
        controller rewrites them, over the shared Nodes as build_cluster would give it."""
        prepared, before = self.prepared, self.before
        removed, short = prepared.plan(wanted, notes)
        held = self.held
        if removed:
            going = {(id(s), i) for s, i in removed}
            held = {id(s): [] for s in prepared.slices}
            for ep, s, i in prepared.slots:
                if (id(s), i) not in going:
                    held[id(s)].append(ep)
        # Stand-ins for the slices, holding the Endpoints the parser would read from them:
        # the placer reads their metadata, type, ports and how many endpoints they hold.
        stand_ins = [
            {
                "metadata": s["metadata"],
                "addressType": s.get("addressType"),
                "ports": s.get("ports"),
                "endpoints": list(held[id(s)]),
            }
            for s in prepared.slices
        ]
        opened: list[dict[str, Any]] = []  # the slices the placer opens
        placer = _Placer(opened, stand_ins, before)
        used = dict.fromkeys(prepared.families, 0)  # new addresses given, by family
        new_pods: dict[str, int] = {}  # per zone: its families' endpoints share Pods
        for zone, family, missing in short:
            if missing <= 0:
                continue
            nodes = prepared.placement(zone)
            new_pods[zone] = max(new_pods.get(zone, 0), missing)
            first = used[family]
            addresses = self.free.first(family, first + missing)
            for k in range(missing):
                target = placer.slice_for(family)
                # A clone (new_endpoints._clone) as the parser reads it: ready, no hints, in a
                # known zone (never ""), also its flow zone; managed, as the placer puts it only
                # in slices the controller manages. (Its Pod's name is not read.)
                clone = Endpoint(
                    addresses[first + k],
                    nodes[k % len(nodes)],
                    zone,
                    True,
                    True,
                    False,
                    NO_HINT,
                    False,
                    target["metadata"]["name"],
                    family,
                    True,
                    zone,
                )
                target["endpoints"].append(clone)
            used[family] = first + missing
        if opened:  # the parser reads slices by name, ties in input order (new ones last)
            stand_ins.sort(key=lambda s: s["metadata"]["name"])
        endpoints = [ep for s in stand_ins for ep in s["endpoints"]]  # FQDN ones hold none
        ports = dict(before.slice_ports)
        for s in opened:
            name = s["metadata"]["name"]
            ports[name] = _slice_ports(s, f"EndpointSlice {name}")
        svc = before.with_endpoints(
            endpoints,
            before.slice_count + len(opened),
            ports,
            self.spec_families or endpoint_families(endpoints),
        )
        running, any_pod = self._pods_after(removed, new_pods)
        self.shared.count_running(running)  # as a build over the Nodes does
        cluster = self.shared.cluster([svc], any_pod)
        cluster.warnings.extend(self.shared.warnings)  # (per-object ones are not read again)
        cluster.has_slices = self.has_slices or bool(opened)
        return cluster

    def _pods_after(
        self, removed: list[tuple[dict[str, Any], int]], new_pods: dict[str, int]
    ) -> tuple[dict[str, int], bool]:
        """Running Pods per node and whether any Pod is left once the edit removed the Pods of
        the endpoints that go and added one per new endpoint (both families of a dual-stack
        Service share them), as replicas._sync_pods does in the objects (which have Pods)."""
        pods = self.pods
        if pods is None or not pods.objects:
            return {}, False
        running = dict(pods.running)
        left = len(pods.objects)
        gone = {(s["endpoints"][i].get("targetRef") or {}).get("name") for s, i in removed}
        named = _pods_by_name(pods)
        for name in gone:
            for pod in named.get((self.before.namespace, name), ()):
                counted: dict[str, int] = {}
                count_running_pod(pod, counted)
                for node, n in counted.items():
                    running[node] -= n
                left -= 1
        for zone, count in new_pods.items():
            nodes = self.prepared.placement(zone)
            for k in range(count):
                node = nodes[k % len(nodes)]
                running[node] = running.get(node, 0) + 1  # a Running Pod on its node
                left += 1
        return running, left > 0


class _Either:
    """Whether a name or address is in either set (the Service's own, the Pods')."""

    def __init__(self, one: frozenset[Any], other: frozenset[Any]):
        self.one, self.other = one, other

    def __contains__(self, item: object) -> bool:
        return item in self.one or item in self.other


def _pods_in_use(pods: SharedPods) -> frozenset[Any]:
    """in_use of the Pods alone, once per SharedPods."""
    if "in use" not in pods.facts:
        pods.facts["in use"] = in_use(pods.objects)
    found: frozenset[Any] = pods.facts["in use"]
    return found


def _pods_by_name(pods: SharedPods) -> dict[tuple[Any, Any], list[dict[str, Any]]]:
    """The Pods by (namespace, name), as replicas._sync_pods matches the ones it removes. (A Pod
    whose metadata is no object, or whose name cannot be looked up, is never removed here; the
    objects' edit fails on it instead.)"""
    if "by name" not in pods.facts:
        named: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
        for pod in pods.objects:
            meta = pod.get("metadata") or {}
            if not isinstance(meta, dict):
                continue
            key = (meta.get("namespace") or "default", meta.get("name"))
            try:
                named.setdefault(key, []).append(pod)
            except TypeError:  # an unhashable name or namespace
                continue
        pods.facts["by name"] = named
    found: dict[tuple[Any, Any], list[dict[str, Any]]] = pods.facts["by name"]
    return found
