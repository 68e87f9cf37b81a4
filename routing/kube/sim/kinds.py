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
VERBS = ["get", "list", "watch"]


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
SERVICES = Kind("services", "Service", "", "v1", True, ("svc",), "service")
PODS = Kind("pods", "Pod", "", "v1", True, ("po",), "pod")
ENDPOINT_SLICES = Kind(
    "endpointslices", "EndpointSlice", "discovery.k8s.io", "v1", True, (), "endpointslice"
)
# The workloads behind the Pods (sim/apps.py renders them from the world's records).
REPLICA_SETS = Kind("replicasets", "ReplicaSet", "apps", "v1", True, ("rs",), "replicaset")
DEPLOYMENTS = Kind("deployments", "Deployment", "apps", "v1", True, ("deploy",), "deployment")
STATEFUL_SETS = Kind("statefulsets", "StatefulSet", "apps", "v1", True, ("sts",), "statefulset")
DAEMON_SETS = Kind("daemonsets", "DaemonSet", "apps", "v1", True, ("ds",), "daemonset")
KINDS = (
    NODES,
    SERVICES,
    PODS,
    ENDPOINT_SLICES,
    REPLICA_SETS,
    DEPLOYMENTS,
    STATEFUL_SETS,
    DAEMON_SETS,
)
BY_PATH = {(k.group, k.version, k.plural): k for k in KINDS}
GROUPS = {"apps": "v1", "discovery.k8s.io": "v1"}


def _resource(k: Kind) -> dict:
    entry = {
        "name": k.plural,
        "singularName": k.singular,
        "namespaced": k.namespaced,
        "kind": k.kind,
        "verbs": VERBS,
    }
    if k.short_names:
        entry["shortNames"] = list(k.short_names)
    return entry


def resource_list(group: str, version: str) -> dict | None:
    """The APIResourceList of one group version, or None when nothing is served there."""
    kinds = [k for k in KINDS if k.group == group and k.version == version]
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
