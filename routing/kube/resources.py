"""The Kubernetes resources TrafficLens reads, and where the API serves them."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Resource:
    """A listable, watchable resource type (cluster-wide path)."""

    kind: str
    api_version: str
    path: str
    # Routing works without it (Pods only weight clients): a 403/404 means "not granted", not down.
    optional: bool = False

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"


NODES = Resource("Node", "v1", "/api/v1/nodes")
SERVICES = Resource("Service", "v1", "/api/v1/services")
ENDPOINT_SLICES = Resource(
    "EndpointSlice", "discovery.k8s.io/v1", "/apis/discovery.k8s.io/v1/endpointslices"
)
PODS = Resource("Pod", "v1", "/api/v1/pods", optional=True)

RESOURCES = (NODES, SERVICES, ENDPOINT_SLICES, PODS)


def object_key(obj: dict) -> tuple[str, str, str]:
    """(kind, namespace, name): the identity of an object within one cluster."""
    meta = obj.get("metadata") or {}
    return (obj.get("kind", ""), meta.get("namespace") or "", meta.get("name") or "")
