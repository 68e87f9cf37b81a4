"""A workload as a fix needs to know it: what it is, how big, and where its Pods may run.

Built from an apps/v1 object dict as kubectl prints it or as routing.snapshots.trim keeps it.
Objects come from clusters and uploads, so every field is checked for its type: a field of the
wrong type reads as absent, never as an exception.
"""

from dataclasses import dataclass, field
from typing import Any

ZONE_LABEL = "topology.kubernetes.io/zone"
REPLICA_SET = "ReplicaSet"
DEPLOYMENT = "Deployment"
STATEFUL_SET = "StatefulSet"
DAEMON_SET = "DaemonSet"
KINDS = (REPLICA_SET, DEPLOYMENT, STATEFUL_SET, DAEMON_SET)


@dataclass(frozen=True)
class Workload:
    """The controller that owns a Service's Pods.

    Equal (and hashed) by kind, namespace, name and the figures; the maps and lists below are
    left out of both (they are not hashable) and must not be changed.
    """

    kind: str  # one of KINDS
    namespace: str
    name: str
    replicas: int | None  # spec.replicas; None for a DaemonSet (one per eligible node) or unknown
    ready: int | None  # status.readyReplicas (a DaemonSet's numberReady); None when unknown
    spread_by_zone: bool  # the Pod template spreads over topology.kubernetes.io/zone already
    node_selector: dict[str, str] = field(default_factory=dict, compare=False)
    tolerations: list[dict[str, Any]] = field(default_factory=list, compare=False)
    # The Pod template's labels (what a spread constraint selects its Pods by), its spread
    # constraints as they are (a merge patch replaces the whole list, so it must repeat them)
    # and its required node affinity terms (which nodes a DaemonSet may run on).
    template_labels: dict[str, str] = field(default_factory=dict, compare=False)
    spread_constraints: list[dict[str, Any]] = field(default_factory=list, compare=False)
    node_affinity_terms: list[dict[str, Any]] | None = field(default=None, compare=False)

    @property
    def scalable(self) -> bool:
        """Whether `kubectl scale` applies: not to a DaemonSet, which runs one Pod per node."""
        return self.kind != DAEMON_SET

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


def at_path(obj: Any, *path: str) -> Any:
    """obj[path[0]][path[1]]..., or None where a step is missing or not a dict."""
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _count(value: Any) -> int | None:
    # bool is an int to Python but never a count to Kubernetes.
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _string_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _affinity_terms(pod_spec: Any) -> list[dict[str, Any]] | None:
    required = at_path(
        pod_spec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if not isinstance(required, dict):
        return None
    return _dicts(required.get("nodeSelectorTerms"))


def workload_of(obj: dict[str, Any]) -> Workload | None:
    """The Workload an apps/v1 object describes; None for another kind or one without a name."""
    kind = obj.get("kind")
    meta = obj.get("metadata")
    if kind not in KINDS or not isinstance(meta, dict):
        return None
    name = meta.get("name")
    namespace = meta.get("namespace") or "default"
    if not isinstance(name, str) or not name or not isinstance(namespace, str):
        return None
    pod_spec = at_path(obj, "spec", "template", "spec")
    constraints = _dicts(at_path(pod_spec, "topologySpreadConstraints"))
    status = obj.get("status")
    ready = at_path(status, "numberReady" if kind == DAEMON_SET else "readyReplicas")
    if ready is None and isinstance(status, dict):
        ready = 0  # the API leaves zero counts out
    return Workload(
        kind=kind,
        namespace=namespace,
        name=name,
        replicas=None if kind == DAEMON_SET else _count(at_path(obj, "spec", "replicas")),
        ready=_count(ready),
        spread_by_zone=any(c.get("topologyKey") == ZONE_LABEL for c in constraints),
        node_selector=_string_map(at_path(pod_spec, "nodeSelector")),
        tolerations=_dicts(at_path(pod_spec, "tolerations")),
        template_labels=_string_map(at_path(obj, "spec", "template", "metadata", "labels")),
        spread_constraints=constraints,
        node_affinity_terms=_affinity_terms(pod_spec),
    )
