"""Full analysis reports for one Service of a stored snapshot, without loading the whole cluster.

A Service's report depends only on the Nodes, its own Service object and EndpointSlices (and on
Pods only when clients are weighted by Pods), so that is all this reads: about a thousand small
rows for a thousand-node cluster instead of every object of the snapshot.
"""

from typing import Any

from routing.engine import analyze_cluster, build_cluster
from routing.models import ObjectVersion, Snapshot
from routing.snapshots import cluster_options, decode
from routing.trim import KINDS

_SERVICE_NAME_LABEL = "kubernetes.io/service-name"


def _objects(snapshot: Snapshot, **filters: Any) -> list[dict[str, Any]]:
    rows = ObjectVersion.objects.at(snapshot.cluster_id, snapshot.seq).filter(**filters)
    return [decode(data) for data in rows.values_list("data", flat=True).iterator(chunk_size=2000)]


def service_objects(snapshot: Snapshot, namespace: str, name: str, *, pods: bool) -> list[dict]:
    """The objects a Service's analysis reads at `snapshot` (kubectl-shaped, trimmed)."""
    services = _objects(snapshot, kind="Service", namespace=namespace, name=name)
    if not services:
        return []
    # Slices are matched by their service-name label, as kube-proxy does; the name is not enough
    # (hand-made and mirrored slices are named freely), so the namespace's slices are decoded.
    slices = [
        s
        for s in _objects(snapshot, kind="EndpointSlice", namespace=namespace)
        if ((s.get("metadata") or {}).get("labels") or {}).get(_SERVICE_NAME_LABEL) == name
    ]
    found = _objects(snapshot, kind="Node") + services + slices
    if pods:
        found += _objects(snapshot, kind="Pod")
    found.sort(key=lambda o: KINDS.index(o["kind"]))
    return found


def service_detail(snapshot: Snapshot, namespace: str, name: str) -> dict[str, Any] | None:
    """The report entry (docs/analysis-report.md) for one Service, or None if it is not there."""
    options = cluster_options(
        snapshot.cluster, proxy_detail="auto", services=frozenset({(namespace, name)})
    )
    objects = service_objects(snapshot, namespace, name, pods=options.clients == "pods")
    if not objects:
        return None
    items = [("items", i, obj) for i, obj in enumerate(objects)]
    report = analyze_cluster(build_cluster(items), options)
    if not report["services"]:
        return None
    entry: dict[str, Any] = report["services"][0]
    entry["cluster"] = report["cluster"]
    return entry
