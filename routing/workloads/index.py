"""Which workload owns a Pod: Pod -> ReplicaSet -> Deployment, Pod -> StatefulSet or DaemonSet.

Built once from a dump's (or a snapshot's) object dicts, the same ones the engine reads. The
owner chain follows each object's controller reference (the ownerReference with
`controller: true`, as `kubectl` and the garbage collector do). Anything the input does not
show is unknown, never guessed: a Pod whose owner is missing from the input (a dump made
without apps objects, or without permission to read them), a ReplicaSet owned by something that
is not a Deployment (an Argo Rollout, say, which would undo a scale of its ReplicaSet), a Job.
A ReplicaSet that nothing owns is itself the workload.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from .model import DAEMON_SET, DEPLOYMENT, KINDS, REPLICA_SET, STATEFUL_SET, Workload, workload_of

Key = tuple[str, str, str]  # (kind, namespace, name)
# Who may own a Pod directly, and who may own a ReplicaSet, as far as the index follows.
_POD_OWNERS = (REPLICA_SET, STATEFUL_SET, DAEMON_SET)


def _controller(meta: Any) -> dict[str, Any] | None:
    """The ownerReference marked as the controller; without a mark, the only reference."""
    refs = meta.get("ownerReferences") if isinstance(meta, dict) else None
    if not isinstance(refs, list):
        return None
    found: list[dict[str, Any]] = [r for r in refs if isinstance(r, dict)]
    marked = [r for r in found if r.get("controller") is True]
    if marked:
        return marked[0]
    return found[0] if len(found) == 1 else None


def _apps_ref(ref: dict[str, Any] | None) -> tuple[str, str, str] | None:
    """(kind, name, uid) of a reference to an apps/v1 workload ("" uid when absent)."""
    if ref is None:
        return None
    kind, name, uid = ref.get("kind"), ref.get("name"), ref.get("uid")
    version = ref.get("apiVersion")
    if kind not in KINDS or not isinstance(name, str) or not name:
        return None
    if isinstance(version, str) and version.split("/")[0] != "apps":
        return None  # a kind of the same name in another API group
    return kind, name, uid if isinstance(uid, str) else ""


class WorkloadIndex:
    """Pods' owners and the apps/v1 workloads of one input; never raises on odd objects."""

    def __init__(self, objects: Iterable[Any]):
        self._pods: dict[tuple[str, str], tuple[str, str, str] | None] = {}
        self._workloads: dict[Key, Workload] = {}
        self._uids: dict[Key, str] = {}
        self._controllers: dict[Key, dict[str, Any] | None] = {}  # a ReplicaSet's, as written
        for obj in objects:
            if isinstance(obj, dict):
                self.add(obj)

    def add(self, obj: dict[str, Any]) -> None:
        """Index one more object (a Pod replaces an earlier one of its name, as in the input
        order; routing.fixes.pod_owners adds Pods only as they are asked about)."""
        kind, meta = obj.get("kind"), obj.get("metadata")
        if not isinstance(meta, dict):
            return
        if kind == "Pod":
            name, namespace = meta.get("name"), meta.get("namespace") or "default"
            if isinstance(name, str) and isinstance(namespace, str):
                self._pods[(namespace, name)] = _apps_ref(_controller(meta))
            return
        workload = workload_of(obj)
        if workload is None:
            return
        key = (workload.kind, workload.namespace, workload.name)
        self._workloads[key] = workload
        uid = meta.get("uid")
        self._uids[key] = uid if isinstance(uid, str) else ""
        if workload.kind == REPLICA_SET:
            self._controllers[key] = _controller(meta)

    def _resolve(self, namespace: str, ref: tuple[str, str, str]) -> Workload | None:
        """The workload a reference names, if the input holds that very object."""
        kind, name, uid = ref
        key = (kind, namespace, name)
        found = self._workloads.get(key)
        if found is None:
            return None
        if uid and self._uids[key] and uid != self._uids[key]:
            return None  # a namesake: the owner was deleted and another made in its place
        return found

    def owner_of_pod(self, namespace: str, pod_name: str) -> Workload | None:
        """The workload to scale or spread for this Pod, or None when it is not known."""
        ref = self._pods.get((namespace, pod_name))
        if ref is None or ref[0] not in _POD_OWNERS:
            return None
        owner = self._resolve(namespace, ref)
        if owner is None or owner.kind != REPLICA_SET:
            return owner
        controller = self._controllers.get((REPLICA_SET, namespace, owner.name))
        if controller is None:
            return owner  # a bare ReplicaSet: it is the workload
        above = _apps_ref(controller)
        if above is None or above[0] != DEPLOYMENT:
            return None  # owned by something we do not read, which would undo a scale
        return self._resolve(namespace, above)

    def workload(self, kind: str, namespace: str, name: str) -> Workload | None:
        return self._workloads.get((kind, namespace, name))

    def workloads(self) -> list[Workload]:
        """Every workload of the input, by kind, namespace and name."""
        return [self._workloads[k] for k in sorted(self._workloads)]

    def knows_pod(self, namespace: str, pod_name: str) -> bool:
        return (namespace, pod_name) in self._pods


def owners_of_endpoints(
    index: WorkloadIndex, namespace: str, pod_names: Iterable[str]
) -> dict[Workload, list[str]]:
    """The workloads behind a Service's endpoints, each with its Pods (sorted), in the order of
    their first Pod; Pods whose owner is unknown are left out (see unowned_pods)."""
    owners: dict[Workload, list[str]] = {}
    for pod in sorted(set(pod_names)):
        owner = index.owner_of_pod(namespace, pod)
        if owner is not None:
            owners.setdefault(owner, []).append(pod)
    return owners


def unowned_pods(index: WorkloadIndex, namespace: str, pod_names: Iterable[str]) -> list[str]:
    """The Pods (sorted) whose owning workload the input does not show."""
    return sorted({p for p in pod_names if index.owner_of_pod(namespace, p) is None})


def sole_owner(index: WorkloadIndex, namespace: str, pod_names: Sequence[str]) -> Workload | None:
    """The one workload that owns every one of these Pods; None if any is unknown, or if they
    belong to several (say, two Deployments behind one Service: which to scale is a choice)."""
    if not pod_names:
        return None
    owners = owners_of_endpoints(index, namespace, pod_names)
    if len(owners) != 1:
        return None
    ((owner, pods),) = owners.items()
    return owner if len(pods) == len(set(pod_names)) else None


def endpoint_pods(slices: Iterable[Any]) -> list[str]:
    """The Pod names in EndpointSlices' endpoints (targetRef.name, which trimming keeps), sorted;
    an endpoint whose targetRef names another kind (a hand-made slice) is skipped."""
    pods: set[str] = set()
    for slice_ in slices:
        endpoints = slice_.get("endpoints") if isinstance(slice_, dict) else None
        for ep in endpoints if isinstance(endpoints, list) else ():
            ref = ep.get("targetRef") if isinstance(ep, dict) else None
            if not isinstance(ref, dict) or ref.get("kind", "Pod") != "Pod":
                continue
            if isinstance(ref.get("name"), str) and ref["name"]:
                pods.add(ref["name"])
    return sorted(pods)
