"""The simulated cluster's state machine: Nodes, Services, workloads and Pods, and their changes.

Every public method takes the world lock, changes records, then `_flush()` writes what changed
to the store in the order a real cluster would: Nodes, Services and Pods first, then the
workloads' status that counts those Pods (apps.py), then the EndpointSlices the controller
derives from them.
"""

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial

import orjson

from routing.engine.parse import build_cluster
from routing.engine.topology import ZoneRatios, zone_ratios

from . import slices
from .apps import REVISION_HISTORY_LIMIT, render_workload
from .endpoints import changed_endpoints
from .events import ControllerEvents
from .ids import Ids
from .objects import (
    DAEMON_SET,
    DEPLOYMENT,
    SYSTEM_NAMESPACES,
    TOPOLOGY_MODE,
    NodeRec,
    PodRec,
    Revision,
    Workload,
    endpoint_key,
    render_namespace,
    render_node,
    render_pod,
    stamp,
)
from .selectors import selects
from .slices import ServiceRec, SliceRec
from .state import Store

Key = tuple[str, str]
DAY = 86400.0
# A second seed for the workloads' own uids and times, so that adding them left the names and
# addresses every seed gave before unchanged (tests and screenshots name them); a third, for the
# same reason, for namespaces, Endpoints and Events.
_APPS_SEED = 1_000_003
_META_SEED = 2_000_003


class World(Ids):
    """Records of one simulated cluster, kept consistent with the store."""

    def __init__(self, store: Store, seed: int = 1, now: Callable[[], float] = time.time):
        super().__init__(seed, now)
        self.store = store
        self.lock = threading.RLock()
        self.nodes: dict[str, NodeRec] = {}
        self.services: dict[Key, ServiceRec] = {}
        self.workloads: dict[Key, Workload] = {}
        self.pods: dict[Key, PodRec] = {}
        self._by_label: dict[tuple[str, str, str], set[str]] = {}
        self._by_node: dict[str, set[Key]] = {}
        self._by_namespace: dict[str, list[ServiceRec]] = {}
        self._ratios: ZoneRatios | None = None
        self._dirty_nodes: set[str] = set()
        self._dirty_services: set[Key] = set()
        self._dirty_pods: set[Key] = set()
        self._service_writes: set[Key] = set()
        self._dirty_workloads: set[Key] = set()
        self._dropped_replica_sets: list[Key] = []
        # What was last written of each apps object, (plural, namespace, name) -> JSON: a Pod
        # change that leaves its workload's counts alone must not write (nor send) an event.
        self._apps_written: dict[tuple[str, str, str], bytes] = {}
        self.apps_ids = Ids(seed + _APPS_SEED, now)
        self.meta_ids = Ids(seed + _META_SEED, now)
        self.events = ControllerEvents(store, self.meta_ids)
        self.born = self.meta_ids.rng.uniform(410 * DAY, 420 * DAY)  # seconds before now
        self.namespaces: dict[str, dict] = {}
        self.loading = True
        for name in SYSTEM_NAMESPACES:
            self._namespace(name)
        self._batch = 0

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group several changes: the store sees them together, slices are written once."""
        with self.lock:
            self._batch += 1
            try:
                yield
            finally:
                self._batch -= 1
                self._flush()

    # -- building -----------------------------------------------------------------------------

    def add_node(self, node: NodeRec) -> NodeRec:
        with self.lock:
            self.nodes[node.name] = node
            self._by_node.setdefault(node.name, set())
            self._dirty_nodes.add(node.name)
            self._flush()
            return node

    def add_service(self, obj: dict) -> ServiceRec:
        with self.lock:
            svc = ServiceRec(obj)
            self._namespace(svc.namespace)
            key = (svc.namespace, svc.name)
            self.services[key] = svc
            self._by_namespace.setdefault(svc.namespace, []).append(svc)
            self._service_writes.add(key)
            self._dirty_services.add(key)
            self._flush()
            return svc

    def add_workload(
        self,
        namespace: str,
        name: str,
        selector: dict[str, str],
        *,
        ports: list[int],
        churn=True,
        kind: str = DEPLOYMENT,
        node_selector: dict[str, str] | None = None,
    ) -> Workload:
        """A Deployment (or with `kind`, a DaemonSet: its Pods still go where add_pod puts
        them; `node_selector` is what its template says)."""
        with self.lock:
            self._namespace(namespace)
            image = f"registry.example.com/{namespace}/{name}:1.0"
            created = self.apps_ids.ago(400 * DAY, 30 * DAY)
            revision = self._revision(name, selector, kind, 1, created)
            workload = Workload(
                namespace, name, dict(selector), image, ports, revision, churn, kind=kind,
                uid=self.apps_ids.uid(), created=created, node_selector=dict(node_selector or {}),
            )  # fmt: skip
            self.workloads[(namespace, name)] = workload
            self._workload_changed(workload)
            self._flush()
            return workload

    def _revision(
        self, name: str, selector: dict[str, str], kind: str, number: int, created: str
    ) -> Revision:
        template_hash = self.suffix(10)
        if kind == DAEMON_SET:  # a ControllerRevision's hash, and the template's generation
            extra = {
                "controller-revision-hash": template_hash,
                "pod-template-generation": str(number),
            }
        else:
            extra = {"pod-template-hash": template_hash}
        labels = dict(selector) | extra
        return Revision(
            f"{name}-{template_hash}", self.uid(), labels, template_hash, number, created
        )

    def new_revision(self, workload: Workload) -> Revision:
        """A rollout: a new ReplicaSet (or DaemonSet template generation); Pods added later use
        it. A Deployment keeps its old ReplicaSets, up to its revisionHistoryLimit."""
        with self.lock:
            old = workload.revision
            workload.revision = self._revision(
                workload.name, workload.selector, workload.kind, old.number + 1, stamp(self.now())
            )
            if workload.kind == DEPLOYMENT:
                workload.history.append(old)
                while len(workload.history) > REVISION_HISTORY_LIMIT:
                    gone = workload.history.pop(0)
                    self._dropped_replica_sets.append((workload.namespace, gone.name))
            self._workload_changed(workload)
            self._flush()
            return workload.revision

    def add_pod(self, workload: Workload, node: str, *, ready: bool = True, age: float = 0):
        with self.lock:
            rev = workload.revision
            # generateName: a ReplicaSet's name for a Deployment's Pods, the DaemonSet's own.
            base = rev.name if workload.kind == DEPLOYMENT else workload.name
            name = f"{base}-{self.suffix(5)}"
            while (workload.namespace, name) in self.pods:
                name = f"{base}-{self.suffix(5)}"
            created = self.ago(age, age / 10) if age else stamp(self.now())
            pod = PodRec(
                workload.namespace, name, self.uid(), created, workload, rev, node, self.pod_ip(),
                ready, created,
            )  # fmt: skip
            self.pods[pod.key] = pod
            workload.pods[name] = pod
            for k, v in rev.labels.items():
                self._by_label.setdefault((pod.namespace, k, v), set()).add(name)
            self._by_node.setdefault(node, set()).add(pod.key)
            self._pod_changed(pod)
            self._flush()
            return pod

    # -- changes ------------------------------------------------------------------------------

    def set_pod_ready(self, pod: PodRec, ready: bool) -> None:
        with self.lock:
            if pod.key in self.pods and pod.ready != ready:
                pod.ready, pod.changed = ready, stamp(self.now())
                self._pod_changed(pod)
                self._flush()

    def terminate_pod(self, pod: PodRec) -> None:
        """Start a graceful deletion: the Pod stays, terminating, until `delete_pod`."""
        with self.lock:
            if pod.key in self.pods and pod.deleted is None:
                pod.deleted = stamp(self.now() + 30)
                self._pod_changed(pod)
                self._flush()

    def delete_pod(self, pod: PodRec) -> None:
        with self.lock:
            if self.pods.pop(pod.key, None) is None:
                return
            pod.workload.pods.pop(pod.name, None)
            for k, v in pod.revision.labels.items():
                self._by_label.get((pod.namespace, k, v), set()).discard(pod.name)
            self._by_node.get(pod.node, set()).discard(pod.key)
            self._pod_changed(pod)
            self._flush()

    def set_node_ready(self, name: str, ready: bool) -> None:
        """A node fails (its Pods become unready, as the node lifecycle controller marks them)."""
        with self.lock:
            node = self.nodes[name]
            if node.ready == ready:
                return
            node.ready, node.changed = ready, stamp(self.now())
            self._dirty_nodes.add(name)
            for key in self._by_node.get(name, ()):
                self._pod_changed(self.pods[key])
            self._flush()

    def update_service(self, namespace: str, name: str, change: Callable[[dict], None]) -> None:
        with self.lock:
            svc = self.services[(namespace, name)]
            change(svc.obj)
            self._service_writes.add((namespace, name))
            self._dirty_services.add((namespace, name))
            self._flush()

    # -- reading ------------------------------------------------------------------------------

    def zone_of(self, pod: PodRec) -> str:
        node = self.nodes.get(pod.node)
        return node.zone if node is not None else ""

    def ready_workers(self, zone: str | None = None) -> list[NodeRec]:
        return [
            n
            for n in sorted(self.nodes.values(), key=lambda n: n.name)
            if n.ready and not n.control_plane and (zone is None or n.zone == zone)
        ]

    def zones(self) -> list[str]:
        return sorted({n.zone for n in self.nodes.values() if n.zone and not n.control_plane})

    def ratios(self) -> ZoneRatios:
        if self._ratios is None:
            items = [
                ("items", i, {"kind": "Node", **render_node(n)})
                for i, n in enumerate(self.nodes.values())
            ]
            self._ratios = zone_ratios(build_cluster(items).nodes)
        return self._ratios

    # -- writing ------------------------------------------------------------------------------

    def _namespace(self, name: str) -> None:
        """Create the namespace the first time something is put in it."""
        if name in self.namespaces:
            return
        # The system namespaces are the cluster's first objects; the others follow its set-up.
        age = self.born - (0 if name in SYSTEM_NAMESPACES else self.meta_ids.rng.uniform(60, DAY))
        obj = render_namespace(name, self.meta_ids.uid(), stamp(self.now() - age))
        self.namespaces[name] = obj
        if not self.loading:
            self.store.put("namespaces", obj)

    def _workload_changed(self, workload: Workload) -> None:
        if not self.loading:
            self._dirty_workloads.add((workload.namespace, workload.name))

    def _pod_changed(self, pod: PodRec) -> None:
        if self.loading:
            return  # finish_loading derives everything once
        self._dirty_pods.add(pod.key)
        self._workload_changed(pod.workload)
        for svc in self._by_namespace.get(pod.namespace, ()):
            if svc.managed and selects(svc.selector, pod.revision.labels):
                self._dirty_services.add((svc.namespace, svc.name))

    def _desired(self, svc: ServiceRec) -> dict:
        ns, names = svc.namespace, None
        for k, v in svc.selector.items():
            found = self._by_label.get((ns, k, v), set())
            names = set(found) if names is None else names & found
        out = {}
        for name in sorted(names or ()):
            pod = self.pods[(ns, name)]
            out[name] = endpoint_key(pod, self.nodes.get(pod.node))
        return out

    def _new_slice(self, svc: ServiceRec) -> SliceRec:
        name = f"{svc.name}-{self.suffix(5)}"
        while name in svc.slices:
            name = f"{svc.name}-{self.suffix(5)}"
        meta = svc.obj["metadata"]
        created = meta["creationTimestamp"] if self.loading else stamp(self.now())
        return SliceRec(name, self.uid(), created)

    def _reconcile(
        self, keys: set[Key], changed_at: str, reconciled: slices.Reconciled
    ) -> tuple[list[ServiceRec], Iterator, list[tuple[str, str]]]:
        """Lay out the Services' slices: (the Services, the changed slices rendered as the
        iterator runs, the slices dropped)."""
        todo = [self.services[k] for k in sorted(keys) if k in self.services]
        dropped = []
        for svc in todo:
            if svc.managed:
                names = slices.layout(svc, self._desired(svc), partial(self._new_slice, svc))
                dropped += [(svc.namespace, n) for n in names]
        return todo, slices.render(todo, self.ratios(), changed_at, reconciled), dropped

    def _flush(self) -> None:
        if self.loading or self._batch:
            return
        store = self.store
        if self._dirty_nodes:
            old = self._ratios
            self._ratios = None
            if self.ratios() != old:  # zone CPU shares moved: every Auto Service re-allocates
                self._dirty_services.update(
                    k for k, svc in self.services.items() if _annotated(svc.obj)
                )
            for name in sorted(self._dirty_nodes):
                store.put("nodes", render_node(self.nodes[name]))
        for key in sorted(self._service_writes):
            store.put("services", self.services[key].obj)
        for key in sorted(self._dirty_pods):
            pod = self.pods.get(key)
            if pod is None:
                store.delete("pods", *key)
            else:
                store.put("pods", render_pod(pod, self.nodes.get(pod.node)))
        self._write_workloads()
        changed_at = stamp(self.now())
        reconciled: slices.Reconciled = []
        todo, rendered, dropped = self._reconcile(self._dirty_services, changed_at, reconciled)
        for _svc, _rec, obj in rendered:
            store.put("endpointslices", obj)
        for ns, name in dropped:
            store.delete("endpointslices", ns, name)
        for obj in changed_endpoints(todo, changed_at, self.meta_ids.uid):
            store.put("endpoints", obj)
        for svc, policy, emitted in reconciled:  # the controller records them after its writes
            self.events.reconciled(svc.obj, policy, emitted)
        self._dirty_nodes.clear()
        self._service_writes.clear()
        self._dirty_pods.clear()
        self._dirty_services.clear()

    def _write_workloads(self) -> None:
        """Put the apps objects of the workloads that changed, skipping those that render as
        before (a Pod whose readiness flapped back changes no count)."""
        store, written = self.store, self._apps_written
        for key in sorted(self._dirty_workloads):
            workload = self.workloads.get(key)
            for plural, obj in render_workload(workload, self.nodes) if workload else ():
                at = (plural, key[0], obj["metadata"]["name"])
                body = orjson.dumps(obj)
                if written.get(at) != body:
                    written[at] = body
                    store.put(plural, obj)
        for namespace, name in self._dropped_replica_sets:
            written.pop(("replicasets", namespace, name), None)
            store.delete("replicasets", namespace, name)
        self._dirty_workloads.clear()
        self._dropped_replica_sets.clear()

    def finish_loading(self) -> None:
        """Derive every slice and load all objects into the store, without watch events."""
        with self.lock:
            self._ratios = None
            keys = {k for k, s in self.services.items() if s.managed}
            changed_at = stamp(self.now())
            reconciled: slices.Reconciled = []
            todo, rendered, _ = self._reconcile(keys, changed_at, reconciled)
            store = self.store
            store.load("nodes", (render_node(self.nodes[n]) for n in sorted(self.nodes)))
            store.load("services", (self.services[k].obj for k in sorted(self.services)))
            store.load(
                "pods",
                (render_pod(p, self.nodes.get(p.node)) for _, p in sorted(self.pods.items())),
            )
            store.load("endpointslices", (obj for _, _, obj in rendered))
            apps: dict[str, list[dict]] = {
                p: [] for p in ("replicasets", "deployments", "daemonsets")
            }
            for key in sorted(self.workloads):
                for plural, obj in render_workload(self.workloads[key], self.nodes):
                    name = obj["metadata"]["name"]
                    self._apps_written[(plural, key[0], name)] = orjson.dumps(obj)
                    apps[plural].append(obj)
            for plural, objs in apps.items():
                store.load(plural, objs)
            store.load("statefulsets", ())  # served, and empty: no simulated workload is one
            # Loaded after the rest, which keeps the resourceVersions those had before.
            store.load("endpoints", changed_endpoints(todo, changed_at, self.meta_ids.uid))
            for svc, policy, emitted in reconciled:
                self.events.reconciled(svc.obj, policy, emitted)
            store.load("events", self.events.loaded())
            store.load("namespaces", (self.namespaces[n] for n in sorted(self.namespaces)))
            self.loading = False
            self._dirty_nodes.clear()
            self._service_writes.clear()
            self._dirty_pods.clear()
            self._dirty_services.clear()
            self._dirty_workloads.clear()
            self._dropped_replica_sets.clear()


def _annotated(obj: dict) -> bool:
    annotations = obj["metadata"].get("annotations") or {}
    return (
        TOPOLOGY_MODE in annotations or "service.kubernetes.io/topology-aware-hints" in annotations
    )
