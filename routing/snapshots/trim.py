"""Trim Kubernetes objects to what routing reads, so unchanged objects compare equal.

Pure functions shared by ingestion (trimming as lists and watch events arrive) and storage
(hashing what is kept). Each trimmer keeps what the engine reads plus a little identity
(creationTimestamp), and copies any value of an unexpected type unchanged, so the engine still
reports it as broken.
"""

from collections.abc import Callable
from typing import Any

# Kinds kept, in the order objects_at() returns them (the order kubectl lists them in).
KINDS = ("Node", "Service", "EndpointSlice", "Pod")

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


def _trim_node(obj: dict) -> dict:
    out = _head(obj, _meta(obj, ("name", "labels", "creationTimestamp"), False))
    spec = obj.get("spec")
    if spec is not None:
        out["spec"] = _pick(spec, ("providerID",)) if isinstance(spec, dict) else spec
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
    out = _head(obj, _meta(obj, ("name", "namespace", "labels", "deletionTimestamp"), True))
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


TRIMMERS: dict[str, Callable[[dict], dict]] = {
    "Node": _trim_node,
    "Service": _trim_service,
    "EndpointSlice": _trim_slice,
    "Pod": _trim_pod,
}


def trim_object(obj: dict) -> dict:
    """The part of a Node, Service, EndpointSlice or Pod that routing reads, as a new dict.

    Volatile metadata (resourceVersion, managedFields, generation, uid, heartbeat times, Pod
    container statuses...) is dropped, so two reads of an unchanged object give equal results.
    Namespaced objects without a namespace get "default". Raises ValueError for other kinds.
    """
    trimmer = TRIMMERS.get(obj.get("kind", ""))
    if trimmer is None:
        raise ValueError(f"cannot trim kind {obj.get('kind')!r}; only {', '.join(KINDS)}")
    return trimmer(obj)
