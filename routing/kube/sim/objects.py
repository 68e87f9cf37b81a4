"""The simulated cluster's records, and how the API shows them (Node, Service, Pod dicts).

Records hold only what the simulation changes; `render_*` builds the object the real API would
return for them (without kind/apiVersion, which lists leave out).
"""

import time
from dataclasses import dataclass, field
from typing import Any

ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
TOPOLOGY_MODE = "service.kubernetes.io/topology-mode"
KUBELET_VERSION = "v1.35.0-eks-4096722"

# Endpoint as the controller derives it from a Pod:
# (ip, nodeName, zone, ready, serving, terminating, pod name, pod uid)
EndpointKey = tuple[str, str, str, bool, bool, bool, str, str]


def stamp(seconds: float) -> str:
    """RFC 3339 in UTC with second precision, as metadata timestamps are written."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


@dataclass(slots=True)
class NodeRec:
    name: str
    zone: str  # "" when the node carries no zone label
    region: str
    ip: str
    instance_type: str
    cpu: str  # allocatable
    capacity_cpu: str
    memory_ki: int
    instance_id: str
    control_plane: bool
    ready: bool
    uid: str
    created: str
    changed: str  # the Ready condition's lastTransitionTime
    # The zone the cloud reports in spec.providerID, which it always knows even when the zone
    # label is missing (a node whose label was removed or never written).
    provider_zone: str = ""
    # The node group (EKS managed node group label), "" for none: the demo's DaemonSet selects
    # one group, which keeps it off the other group's nodes.
    node_group: str = ""


DEPLOYMENT = "Deployment"
DAEMON_SET = "DaemonSet"
NODE_GROUP_LABEL = "eks.amazonaws.com/nodegroup"


@dataclass(slots=True)
class Revision:
    """The pod template of one rollout: a Deployment's ReplicaSet, a DaemonSet's
    ControllerRevision. `labels` are those its Pods carry (the selector plus the hash)."""

    name: str
    uid: str
    labels: dict[str, str]
    template_hash: str = ""
    number: int = 1  # deployment.kubernetes.io/revision, or the DaemonSet's template generation
    created: str = ""


@dataclass(slots=True)
class Workload:
    """A Deployment (or DaemonSet) behind one Service; its Pods carry `selector` plus the
    template hash."""

    namespace: str
    name: str
    selector: dict[str, str]
    image: str
    ports: list[int]
    revision: Revision
    churn: bool = True  # whether random churn may scale or roll it
    pods: dict[str, "PodRec"] = field(default_factory=dict)
    kind: str = DEPLOYMENT
    uid: str = ""
    created: str = ""
    node_selector: dict[str, str] = field(default_factory=dict)  # the Pod template's
    history: list[Revision] = field(default_factory=list)  # older revisions, oldest first


@dataclass(slots=True)
class PodRec:
    namespace: str
    name: str
    uid: str
    created: str
    workload: Workload
    revision: Revision
    node: str
    ip: str
    ready: bool  # the containers' readiness; the node's health is applied on top
    changed: str  # when readiness last changed
    deleted: str | None = None  # deletionTimestamp: the Pod is terminating

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


def node_labels(n: NodeRec) -> dict[str, str]:
    """The labels the kubelet and the cloud write on the node."""
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": n.instance_type,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": n.name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": n.instance_type,
    }
    if n.region:
        labels[REGION_LABEL] = n.region
    if n.zone:
        labels[ZONE_LABEL] = n.zone
    if n.node_group:
        labels[NODE_GROUP_LABEL] = n.node_group
    if n.control_plane:
        labels[CONTROL_PLANE_LABEL] = ""
    return labels


def node_taints(n: NodeRec) -> list[dict[str, str]]:
    return [{"effect": "NoSchedule", "key": CONTROL_PLANE_LABEL}] if n.control_plane else []


def render_node(n: NodeRec) -> dict[str, Any]:
    labels = node_labels(n)
    spec: dict[str, Any] = {
        "providerID": f"aws:///{n.zone or n.provider_zone or n.region}/{n.instance_id}"
    }
    if n.control_plane:
        spec["taints"] = node_taints(n)
    times = {"lastHeartbeatTime": n.changed, "lastTransitionTime": n.created}
    conditions = [
        times | {"message": msg, "reason": reason, "status": "False", "type": kind}
        for kind, reason, msg in (
            ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory"),
            ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        )
    ]
    if n.ready:
        ready = {"status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready"}
    else:
        msg = "Kubelet stopped posting node status."
        ready = {"status": "Unknown", "reason": "NodeStatusUnknown", "message": msg}
    conditions.append({"lastHeartbeatTime": n.changed, "lastTransitionTime": n.changed} | ready)
    conditions[-1]["type"] = "Ready"
    allocatable = {
        "cpu": n.cpu,
        "ephemeral-storage": "95551679124",
        "memory": f"{n.memory_ki}Ki",
        "pods": "110",
    }
    return {
        "metadata": {
            "name": n.name,
            "uid": n.uid,
            "creationTimestamp": n.created,
            "labels": labels,
            "annotations": {"alpha.kubernetes.io/provided-node-ip": n.ip},
        },
        "spec": spec,
        "status": {
            "capacity": allocatable | {"cpu": n.capacity_cpu},
            "allocatable": allocatable,
            "conditions": conditions,
            "addresses": [
                {"type": "InternalIP", "address": n.ip},
                {"type": "Hostname", "address": f"{n.name}.ec2.internal"},
            ],
            "nodeInfo": {
                "machineID": n.uid.replace("-", ""),
                "systemUUID": "ec2" + n.uid[3:],
                "bootID": n.uid[::-1],
                "architecture": "amd64",
                "containerRuntimeVersion": "containerd://2.1.4",
                "kernelVersion": "6.12.40-64.114.amzn2023.x86_64",
                "kubeProxyVersion": KUBELET_VERSION,
                "kubeletVersion": KUBELET_VERSION,
                "operatingSystem": "linux",
                "osImage": "Amazon Linux 2023.8.20250818",
            },
        },
    }


def owner_reference(kind: str, name: str, uid: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "name": name,
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def pod_owner(w: Workload, rev: Revision) -> dict[str, Any]:
    """A Deployment's Pods belong to its ReplicaSet; a DaemonSet's to the DaemonSet itself."""
    if w.kind == DEPLOYMENT:
        return owner_reference("ReplicaSet", rev.name, rev.uid)
    return owner_reference(w.kind, w.name, w.uid)


def render_pod(p: PodRec, node: NodeRec | None) -> dict[str, Any]:
    ready = p.ready and (node is None or node.ready)
    w, rev = p.workload, p.revision
    meta: dict[str, Any] = {
        "name": p.name,
        "generateName": f"{rev.name if w.kind == DEPLOYMENT else w.name}-",
        "namespace": p.namespace,
        "uid": p.uid,
        "generation": 1,
        "creationTimestamp": p.created,
        "labels": rev.labels,
        "ownerReferences": [pod_owner(w, rev)],
    }
    if p.deleted:
        meta["deletionTimestamp"] = p.deleted
        meta["deletionGracePeriodSeconds"] = 30
    flag = "True" if ready else "False"
    conditions = [
        {"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": p.created},
        {"type": "Initialized", "status": "True", "lastTransitionTime": p.created},
        {"type": "Ready", "status": flag, "lastTransitionTime": p.changed},
        {"type": "ContainersReady", "status": flag, "lastTransitionTime": p.changed},
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": p.created},
    ]
    host_ip = node.ip if node is not None else ""
    return {
        "metadata": meta,
        "spec": {
            "containers": [
                {
                    "name": w.name,
                    "image": w.image,
                    "ports": [{"containerPort": port, "protocol": "TCP"} for port in w.ports],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                }
            ],
            "nodeName": p.node,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 30,
        },
        "status": {
            "phase": "Running",
            "conditions": conditions,
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "podIP": p.ip,
            "podIPs": [{"ip": p.ip}],
            "startTime": p.created,
            "qosClass": "Burstable",
            "containerStatuses": [
                {
                    "name": w.name,
                    "image": w.image,
                    "imageID": f"{w.image.rsplit(':', 1)[0]}@sha256:{rev.uid.replace('-', '') * 2}",
                    "ready": ready,
                    "restartCount": 0,
                    "started": True,
                    "state": {"running": {"startedAt": p.created}},
                }
            ],
        },
    }


# Every cluster has these; the others exist because something in them does.
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")


def render_namespace(name: str, uid: str, created: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "uid": uid,
            "creationTimestamp": created,
            "labels": {"kubernetes.io/metadata.name": name},
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def endpoint_key(p: PodRec, node: NodeRec | None) -> EndpointKey:
    """The endpoint the EndpointSlice controller writes for a Pod (publishNotReadyAddresses off)."""
    serving = p.ready and (node is None or node.ready)
    terminating = p.deleted is not None
    zone = node.zone if node is not None else ""
    return (p.ip, p.node, zone, serving and not terminating, serving, terminating, p.name, p.uid)


def render_endpoint(key: EndpointKey, namespace: str) -> dict[str, Any]:
    ip, node, zone, ready, serving, terminating, pod, uid = key
    ep: dict[str, Any] = {
        "addresses": [ip],
        "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
        "nodeName": node,
        "targetRef": {"kind": "Pod", "name": pod, "namespace": namespace, "uid": uid},
    }
    if zone:
        ep["zone"] = zone
    return ep
