"""The resource types the simulated API serves, and its discovery documents."""

from dataclasses import dataclass

import orjson

SERVER_VERSION = {
    "major": "1",
    "minor": "35",
    "emulationMajor": "1",
    "emulationMinor": "35",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "34",
    "gitVersion": "v1.35.0",
    "gitCommit": "66452049f3d692768c39c797b21b793dce80314e",
    "gitTreeState": "clean",
    "buildDate": "2025-12-17T12:32:06Z",
    "goVersion": "go1.25.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}
READ_VERBS = ("get", "list", "watch")


@dataclass(frozen=True, slots=True)
class Kind:
    """One served resource: where it lives in the URL space and how it is named."""

    plural: str
    kind: str
    group: str  # "" for the core group
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    singular: str = ""
    # The store table holding its objects when another kind owns them: events.k8s.io/v1
    # Events are the core Events seen through another version, as in the real API server.
    stored_as: str = ""
    warning: str = ""  # a deprecation the API server sends in a `Warning` header
    verbs: tuple[str, ...] = READ_VERBS
    categories: tuple[str, ...] = ()  # "all" makes `kubectl get all` include it

    @property
    def table(self) -> str:
        return self.stored_as or self.plural

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def prefix(self) -> bytes:
        """Opening bytes of a full object: kind and apiVersion, then the stored item's fields."""
        return orjson.dumps({"kind": self.kind, "apiVersion": self.api_version})[:-1] + b","


NODES = Kind("nodes", "Node", "", "v1", False, ("no",), "node")
ALL = ("all",)
SERVICES = Kind("services", "Service", "", "v1", True, ("svc",), "service", categories=ALL)
PODS = Kind("pods", "Pod", "", "v1", True, ("po",), "pod", categories=ALL)
NAMESPACES = Kind("namespaces", "Namespace", "", "v1", False, ("ns",), "namespace")
# The controller's events about the Services (sim/events.py), e.g. TopologyAwareHintsDisabled.
EVENTS = Kind("events", "Event", "", "v1", True, ("ev",), "event")
# Mirrored from the slices for clients that still read them (kubectl <= 1.30 `describe svc`).
ENDPOINTS = Kind(
    "endpoints", "Endpoints", "", "v1", True, ("ep",), "endpoints",
    warning="v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice",
)  # fmt: skip
ENDPOINT_SLICES = Kind(
    "endpointslices", "EndpointSlice", "discovery.k8s.io", "v1", True, (), "endpointslice"
)
EVENTS_V1 = Kind(
    "events", "Event", "events.k8s.io", "v1", True, ("ev",), "event", stored_as="events"
)
# The workloads behind the Pods (sim/apps.py renders them from the world's records).
REPLICA_SETS = Kind(
    "replicasets", "ReplicaSet", "apps", "v1", True, ("rs",), "replicaset", categories=ALL
)
DEPLOYMENTS = Kind(
    "deployments", "Deployment", "apps", "v1", True, ("deploy",), "deployment", categories=ALL
)
STATEFUL_SETS = Kind(
    "statefulsets", "StatefulSet", "apps", "v1", True, ("sts",), "statefulset", categories=ALL
)
DAEMON_SETS = Kind(
    "daemonsets", "DaemonSet", "apps", "v1", True, ("ds",), "daemonset", categories=ALL
)
KINDS = (
    NODES,
    SERVICES,
    PODS,
    NAMESPACES,
    EVENTS,
    ENDPOINTS,
    ENDPOINT_SLICES,
    EVENTS_V1,
    REPLICA_SETS,
    DEPLOYMENTS,
    STATEFUL_SETS,
    DAEMON_SETS,
)
BY_PATH = {(k.group, k.version, k.plural): k for k in KINDS}
# Answered, never stored: `kubectl auth can-i` asks these (sim/reviews.py).
ACCESS_REVIEWS = Kind(
    "selfsubjectaccessreviews", "SelfSubjectAccessReview", "authorization.k8s.io", "v1", False,
    singular="selfsubjectaccessreview", verbs=("create",),
)  # fmt: skip
RULES_REVIEWS = Kind(
    "selfsubjectrulesreviews", "SelfSubjectRulesReview", "authorization.k8s.io", "v1", False,
    singular="selfsubjectrulesreview", verbs=("create",),
)  # fmt: skip
REVIEWS = (ACCESS_REVIEWS, RULES_REVIEWS)
SERVED = KINDS + REVIEWS
GROUPS = {
    "apps": "v1",
    "authorization.k8s.io": "v1",
    "discovery.k8s.io": "v1",
    "events.k8s.io": "v1",
}


def _resource(k: Kind) -> dict:
    entry = {
        "name": k.plural,
        "singularName": k.singular,
        "namespaced": k.namespaced,
        "kind": k.kind,
        "verbs": list(k.verbs),
    }
    if k.short_names:
        entry["shortNames"] = list(k.short_names)
    if k.categories:
        entry["categories"] = list(k.categories)
    return entry


def resource_list(group: str, version: str) -> dict | None:
    """The APIResourceList of one group version, or None when nothing is served there."""
    kinds = [k for k in SERVED if k.group == group and k.version == version]
    if not kinds:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": [_resource(k) for k in kinds],
    }


def api_versions(server_address: str) -> dict:
    """The legacy core group's versions (`/api`)."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def api_group(name: str) -> dict:
    gv = {"groupVersion": f"{name}/{GROUPS[name]}", "version": GROUPS[name]}
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": name,
        "versions": [gv],
        "preferredVersion": gv,
    }


def api_group_list() -> dict:
    """`/apis`: the named groups (the core group is not listed there, as upstream)."""
    groups = []
    for name in sorted(GROUPS):
        group = api_group(name)
        del group["kind"], group["apiVersion"]
        groups.append(group)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
