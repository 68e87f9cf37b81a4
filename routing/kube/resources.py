"""The Kubernetes resources TrafficLens reads, and where the API serves them."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Resource:
    """A listable, watchable resource type (cluster-wide path)."""

    kind: str
    api_version: str
    path: str
    # Routing works without it (Pods only weight clients; the apps/v1 workloads only name the
    # owner a fix should scale): a 403/404 means "not granted" (or not served), not down.
    optional: bool = False

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def group(self) -> str:
        """The API group ("" for the core group), as RBAC rules name it."""
        return self.api_version.rpartition("/")[0]

    @property
    def plural(self) -> str:
        """The resource name in URLs and RBAC rules (the path's last segment)."""
        return self.path.rsplit("/", 1)[-1]


NODES = Resource("Node", "v1", "/api/v1/nodes")
SERVICES = Resource("Service", "v1", "/api/v1/services")
ENDPOINT_SLICES = Resource(
    "EndpointSlice", "discovery.k8s.io/v1", "/apis/discovery.k8s.io/v1/endpointslices"
)
PODS = Resource("Pod", "v1", "/api/v1/pods", optional=True)
# The workloads that own Pods (routing.workloads): which Deployment to scale or spread.
REPLICA_SETS = Resource("ReplicaSet", "apps/v1", "/apis/apps/v1/replicasets", optional=True)
DEPLOYMENTS = Resource("Deployment", "apps/v1", "/apis/apps/v1/deployments", optional=True)
STATEFUL_SETS = Resource("StatefulSet", "apps/v1", "/apis/apps/v1/statefulsets", optional=True)
DAEMON_SETS = Resource("DaemonSet", "apps/v1", "/apis/apps/v1/daemonsets", optional=True)

RESOURCES = (
    NODES,
    SERVICES,
    ENDPOINT_SLICES,
    PODS,
    REPLICA_SETS,
    DEPLOYMENTS,
    STATEFUL_SETS,
    DAEMON_SETS,
)


# What the watcher may do with each of RESOURCES and nothing else: it lists and watches (get is
# granted alongside so that a person holding the same role can `kubectl get` one object).
# deploy/kubernetes/base/rbac.yaml grants exactly this; tests/deploy/test_rbac.py checks it.
READ_VERBS = ("get", "list", "watch")


def object_key(obj: dict) -> tuple[str, str, str]:
    """(kind, namespace, name): the identity of an object within one cluster."""
    meta = obj.get("metadata") or {}
    return (obj.get("kind", ""), meta.get("namespace") or "", meta.get("name") or "")
