"""Small hand-built objects for the workloads tests, shaped as kubectl prints them."""

from typing import Any

ZONE = "topology.kubernetes.io/zone"


def ref(kind: str, name: str, uid: str = "", controller: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"apiVersion": "apps/v1", "kind": kind, "name": name}
    if uid:
        out["uid"] = uid
    if controller:
        out["controller"] = True
    return out


def pod(name: str, *owners: dict[str, Any], namespace: str = "shop") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": {"app": "web"}}
    if owners:
        meta["ownerReferences"] = list(owners)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"nodeName": "n1"}}


def workload(
    kind: str,
    name: str,
    *owners: dict[str, Any],
    namespace: str = "shop",
    uid: str = "",
    replicas: int | None = 3,
    labels: dict[str, str] | None = None,
    pod_spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if uid:
        meta["uid"] = uid
    if owners:
        meta["ownerReferences"] = list(owners)
    spec: dict[str, Any] = {
        "selector": {"matchLabels": labels or {"app": name}},
        "template": {"metadata": {"labels": labels or {"app": name}}, "spec": pod_spec or {}},
    }
    if replicas is not None and kind != "DaemonSet":
        spec["replicas"] = replicas
    obj = {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}
    if status is not None:
        obj["status"] = status
    return obj


def node(name: str, labels: dict[str, str] | None = None, taints=None) -> dict[str, Any]:
    obj: dict[str, Any] = {"kind": "Node", "metadata": {"name": name, "labels": labels or {}}}
    if taints:
        obj["spec"] = {"taints": taints}
    return obj
