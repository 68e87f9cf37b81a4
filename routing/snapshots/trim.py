"""Trim Kubernetes objects to what routing reads, so unchanged objects compare equal.

Pure functions shared by ingestion (trimming as lists and watch events arrive) and storage
(hashing what is kept). Each trimmer keeps what the engine reads plus a little identity
(creationTimestamp), and copies any value of an unexpected type unchanged, so the engine still
reports it as broken.

The apps/v1 workloads (ReplicaSet, Deployment, StatefulSet, DaemonSet) are read by
routing.workloads, not the engine: which workload owns a Service's Pods, so a fix can name what
to scale or spread. They keep only what that needs: identity and the owner chain (metadata name,
namespace, uid, labels, ownerReferences), the size (spec.replicas; status replicas and ready
replicas, or a DaemonSet's scheduled and ready counts), the selector, and of the Pod template
only its labels and the fields that decide where its Pods may run (topologySpreadConstraints,
nodeSelector, tolerations, affinity). Containers, images, environment, probes, annotations,
conditions and generations are dropped: they are most of a workload's bytes and change with
every rollout, which would store a new version for nothing a fix reads. Pods keep their
ownerReferences and Nodes their taints for the same reader (who owns a Pod; which nodes a
DaemonSet's tolerations keep it off).
"""

from collections.abc import Callable
from typing import Any

# Kinds kept, in the order objects_at() returns them (the order kubectl lists them in).
KINDS = (
    "Node",
    "Service",
    "EndpointSlice",
    "Pod",
    "ReplicaSet",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
)

_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_SERVICE_SPEC = (
    "type",
    "clusterIP",
    "clusterIPs",
    "ipFamilies",
    "selector",
    "ports",
    "internalTrafficPolicy",
    "externalTrafficPolicy",
    "trafficDistribution",
    "externalIPs",
    "publishNotReadyAddresses",
)
_ENDPOINT_KEYS = ("addresses", "conditions", "nodeName", "zone", "hints", "topology")
_OWNER_KEYS = ("apiVersion", "kind", "name", "uid", "controller")
_TAINT_KEYS = ("key", "value", "effect")  # not timeAdded: the node controller rewrites it
_WORKLOAD_META = ("name", "namespace", "uid", "labels", "ownerReferences")
_WORKLOAD_SPEC = ("replicas", "selector")
_PLACEMENT = ("topologySpreadConstraints", "nodeSelector", "tolerations", "affinity")
_WORKLOAD_STATUS = ("replicas", "readyReplicas")
_DAEMON_SET_STATUS = ("desiredNumberScheduled", "currentNumberScheduled", "numberReady")


def _pick(src: dict, keys: tuple[str, ...]) -> dict:
    # A plain loop: a comprehension is a function call of its own, and this runs ~5x per object.
    out = {}
    for k in keys:
        if k in src:
            out[k] = src[k]
    return out


def _head(obj: dict, meta: Any) -> dict:
    out = _pick(obj, ("apiVersion", "kind"))
    if "metadata" in obj:
        out["metadata"] = meta
    return out


def _meta(obj: dict, keys: tuple[str, ...], namespaced: bool) -> Any:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return meta
    out = _pick(meta, keys)
    if namespaced and not out.get("namespace"):
        out["namespace"] = "default"  # what the API server and the engine assume
    return out


def _each(items: Any, keys: tuple[str, ...]) -> Any:
    """A list of dicts with only `keys` kept in each (anything else unchanged)."""
    if not isinstance(items, list):
        return items
    return [_pick(item, keys) if isinstance(item, dict) else item for item in items]


def _with_owners(meta: Any) -> Any:
    if isinstance(meta, dict) and "ownerReferences" in meta:
        meta["ownerReferences"] = _each(meta["ownerReferences"], _OWNER_KEYS)
    return meta


def _trim_node(obj: dict) -> dict:
    out = _head(obj, _meta(obj, ("name", "labels", "creationTimestamp"), False))
    spec = obj.get("spec")
    if isinstance(spec, dict):
        out["spec"] = _pick(spec, ("providerID",))
        if "taints" in spec:
            out["spec"]["taints"] = _each(spec["taints"], _TAINT_KEYS)
    elif spec is not None:
        out["spec"] = spec
    status = obj.get("status")
    if isinstance(status, dict):
        kept = _pick(status, ("allocatable",))
        conditions = status.get("conditions")
        if isinstance(conditions, list):
            # Heartbeat and transition times change every few seconds on a live node.
            kept["conditions"] = [
                _pick(c, ("type", "status")) if isinstance(c, dict) else c for c in conditions
            ]
        elif conditions is not None:
            kept["conditions"] = conditions
        out["status"] = kept
    elif status is not None:
        out["status"] = status
    return out


def _trim_service(obj: dict) -> dict:
    meta = _meta(obj, ("name", "namespace", "labels", "annotations", "creationTimestamp"), True)
    if isinstance(meta, dict) and isinstance(meta.get("annotations"), dict):
        # kubectl apply's copy of the whole manifest: large, and never read by routing.
        kept = {k: v for k, v in meta["annotations"].items() if k != _LAST_APPLIED}
        if kept:
            meta["annotations"] = kept
        else:
            del meta["annotations"]  # as the API prints an object that never had any
    out = _head(obj, meta)
    if "spec" in obj:
        spec = obj["spec"]
        out["spec"] = _pick(spec, _SERVICE_SPEC) if isinstance(spec, dict) else spec
    return out


def _trim_endpoint(ep: Any) -> Any:
    if not isinstance(ep, dict):
        return ep
    out = _pick(ep, _ENDPOINT_KEYS)
    ref = ep.get("targetRef")
    if isinstance(ref, dict) and "name" in ref:
        out["targetRef"] = {"name": ref["name"]}
    return out


def _trim_slice(obj: dict) -> dict:
    out = _head(obj, _meta(obj, ("name", "namespace", "labels", "creationTimestamp"), True))
    out.update(_pick(obj, ("addressType", "ports")))
    if "endpoints" in obj:
        eps = obj["endpoints"]
        out["endpoints"] = [_trim_endpoint(ep) for ep in eps] if isinstance(eps, list) else eps
    return out


def _trim_pod(obj: dict) -> dict:
    meta = _meta(obj, ("name", "namespace", "labels", "ownerReferences", "deletionTimestamp"), True)
    out = _head(obj, _with_owners(meta))
    spec = obj.get("spec")
    if spec is not None:
        out["spec"] = _pick(spec, ("nodeName",)) if isinstance(spec, dict) else spec
    status = obj.get("status")
    if isinstance(status, dict):
        kept = _pick(status, ("phase", "podIP"))
        conditions = status.get("conditions")
        if isinstance(conditions, list):
            kept["conditions"] = [
                _pick(c, ("type", "status"))
                for c in conditions
                if isinstance(c, dict) and c.get("type") == "Ready"
            ]
        out["status"] = kept
    elif status is not None:
        out["status"] = status
    return out


def _trim_template(template: Any) -> Any:
    if not isinstance(template, dict):
        return template
    out = {}
    meta = template.get("metadata")
    if isinstance(meta, dict):
        out["metadata"] = _pick(meta, ("labels",))
    elif meta is not None:
        out["metadata"] = meta
    spec = template.get("spec")
    if spec is not None:
        out["spec"] = _pick(spec, _PLACEMENT) if isinstance(spec, dict) else spec
    return out


def _trim_workload(obj: dict) -> dict:
    """A ReplicaSet, Deployment, StatefulSet or DaemonSet (see the module docstring)."""
    out = _head(obj, _with_owners(_meta(obj, _WORKLOAD_META, True)))
    spec = obj.get("spec")
    if isinstance(spec, dict):
        kept = _pick(spec, _WORKLOAD_SPEC)
        if "template" in spec:
            kept["template"] = _trim_template(spec["template"])
        out["spec"] = kept
    elif spec is not None:
        out["spec"] = spec
    status = obj.get("status")
    if isinstance(status, dict):
        keys = _DAEMON_SET_STATUS if obj.get("kind") == "DaemonSet" else _WORKLOAD_STATUS
        out["status"] = _pick(status, keys)
    elif status is not None:
        out["status"] = status
    return out


TRIMMERS: dict[str, Callable[[dict], dict]] = {
    "Node": _trim_node,
    "Service": _trim_service,
    "EndpointSlice": _trim_slice,
    "Pod": _trim_pod,
    "ReplicaSet": _trim_workload,
    "Deployment": _trim_workload,
    "StatefulSet": _trim_workload,
    "DaemonSet": _trim_workload,
}


def trim_object(obj: dict) -> dict:
    """The part of an object of one of KINDS that routing reads, as a new dict.

    Volatile metadata (resourceVersion, managedFields, generation, heartbeat times, Pod
    container statuses...) is dropped (uid too, but a workload's, which its owners' references
    match and which never changes in its life), so two reads of an unchanged object give equal
    results.
    Namespaced objects without a namespace get "default". Raises ValueError for other kinds.
    """
    trimmer = TRIMMERS.get(obj.get("kind", ""))
    if trimmer is None:
        raise ValueError(f"cannot trim kind {obj.get('kind')!r}; only {', '.join(KINDS)}")
    return trimmer(obj)
