"""Node, Service, EndpointSlice and Pod objects shaped as `kubectl get -o json` prints them."""

from __future__ import annotations

ZONE_LABEL = "topology.kubernetes.io/zone"
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
MANAGED_BY = "endpointslice-controller.k8s.io"
TOPOLOGY_MODE = "service.kubernetes.io/topology-mode"

# (instance type, capacity cpu, allocatable cpu, allocatable memory KiB, pods, weight as a worker).
# Allocatable CPU appears both as whole cores and as millicores, the two forms kubelet prints.
INSTANCE_TYPES = (
    ("m5.large", "2", "1930m", 7134904, "29", 0),  # control plane only
    ("m5.xlarge", "4", "3920m", 14879132, "110", 40),
    ("m5.2xlarge", "8", "8", 31391908, "110", 30),
    ("c5.4xlarge", "16", "15890m", 31235284, "234", 15),
    ("r5.xlarge", "4", "3500m", 31391908, "110", 15),
)

# (Service ports, EndpointSlice ports). An unnamed single port is common; slices show it as name "".
PORT_SETS = (
    (
        [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
        [{"name": "", "port": 8080, "protocol": "TCP"}],
    ),
    (
        [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}],
        [{"name": "http", "port": 8080, "protocol": "TCP"}],
    ),
    (
        [
            {
                "appProtocol": "grpc",
                "name": "grpc",
                "port": 9090,
                "protocol": "TCP",
                "targetPort": 9090,
            },
            {"name": "metrics", "port": 9100, "protocol": "TCP", "targetPort": 9100},
        ],
        [
            {"appProtocol": "grpc", "name": "grpc", "port": 9090, "protocol": "TCP"},
            {"name": "metrics", "port": 9100, "protocol": "TCP"},
        ],
    ),
    (
        [
            {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 5353},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 5353},
        ],
        [
            {"name": "dns", "port": 5353, "protocol": "UDP"},
            {"name": "dns-tcp", "port": 5353, "protocol": "TCP"},
        ],
    ),
)

_NODE_CONDITIONS = (
    ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
)
_NODE_INFO = {
    "architecture": "amd64",
    "containerRuntimeVersion": "containerd://1.7.27",
    "kernelVersion": "6.1.134-152.225.amzn2023.x86_64",
    "kubeProxyVersion": "v1.33.1",
    "kubeletVersion": "v1.33.1-eks-b9c6f7f",
    "operatingSystem": "linux",
    "osImage": "Amazon Linux 2023.7.20250512",
}


def node(
    m: dict, kind: tuple, control_plane: bool, ready: bool, instance_id: str, heartbeat: str
) -> dict:
    """A Node; m holds name, ip, zone, region, uid, resourceVersion, created, transition."""
    itype, capacity_cpu, cpu, memory, pods, _ = kind
    name, ip, zone = m["name"], m["ip"], m["zone"]
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": itype,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": itype,
        "topology.kubernetes.io/region": m["region"],
        ZONE_LABEL: zone,
    }
    spec: dict = {"providerID": f"aws:///{zone}/{instance_id}"}
    if control_plane:
        labels[CONTROL_PLANE] = ""
        spec["taints"] = [{"effect": "NoSchedule", "key": CONTROL_PLANE}]
    times = {"lastHeartbeatTime": heartbeat, "lastTransitionTime": m["transition"]}
    conditions = [
        times | {"message": message, "reason": reason, "status": "False", "type": type_}
        for type_, reason, message in _NODE_CONDITIONS
    ]
    if ready:
        state = {
            "message": "kubelet is posting ready status",
            "reason": "KubeletReady",
            "status": "True",
        }
    else:
        message = "container runtime network not ready: NetworkReady=false"
        state = {"message": message, "reason": "KubeletNotReady", "status": "False"}
    conditions.append(times | state | {"type": "Ready"})
    allocatable = {
        "cpu": cpu,
        "ephemeral-storage": "95551679124",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": f"{memory}Ki",
        "pods": pods,
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "annotations": {
                "alpha.kubernetes.io/provided-node-ip": ip,
                "node.alpha.kubernetes.io/ttl": "0",
            },
            "creationTimestamp": m["created"],
            "labels": labels,
            "name": name,
            "resourceVersion": m["resourceVersion"],
            "uid": m["uid"],
        },
        "spec": spec,
        "status": {
            "addresses": [
                {"address": ip, "type": "InternalIP"},
                {"address": f"{name}.ec2.internal", "type": "InternalDNS"},
                {"address": f"{name}.ec2.internal", "type": "Hostname"},
            ],
            "allocatable": allocatable,
            "capacity": allocatable | {"cpu": capacity_cpu, "memory": f"{memory + 1017856}Ki"},
            "conditions": conditions,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": dict(_NODE_INFO),
        },
    }


def service(m: dict, spec: dict, annotations: dict, lb_hostname: str | None) -> dict:
    """A Service; m holds name, namespace, uid, resourceVersion, created, labels."""
    metadata = {
        k: m[k]
        for k in ("creationTimestamp", "labels", "name", "namespace", "resourceVersion", "uid")
    }
    if annotations:
        metadata["annotations"] = annotations
    ingress = {"ingress": [{"hostname": lb_hostname}]} if lb_hostname else {}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata,
        "spec": spec,
        "status": {"loadBalancer": ingress},
    }


def endpoint(
    ip: str,
    node_name: str,
    zone: str,
    conditions: dict,
    pod_name: str,
    namespace: str,
    pod_uid: str,
) -> dict:
    """One EndpointSlice endpoint for a Pod, without hints."""
    return {
        "addresses": [ip],
        "conditions": conditions,
        "nodeName": node_name,
        "targetRef": {"kind": "Pod", "name": pod_name, "namespace": namespace, "uid": pod_uid},
        "zone": zone,
    }


def endpoint_slice(m: dict, service: dict, endpoints: list[dict], ports: list[dict]) -> dict:
    """An EndpointSlice owned by service; m holds name, uid, resourceVersion, changed."""
    svc = service["metadata"]
    labels = svc["labels"] | {
        "endpointslice.kubernetes.io/managed-by": MANAGED_BY,
        "kubernetes.io/service-name": svc["name"],
    }
    owner = {"apiVersion": "v1", "blockOwnerDeletion": True, "controller": True, "kind": "Service"}
    return {
        "addressType": "IPv4",
        "apiVersion": "discovery.k8s.io/v1",
        # A Service selecting no Pod keeps one placeholder slice, whose empty lists print as null.
        "endpoints": endpoints or None,
        "kind": "EndpointSlice",
        "metadata": {
            "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": m["changed"]},
            "creationTimestamp": m["changed"],
            "generateName": f"{svc['name']}-",
            "generation": 1,
            "labels": labels,
            "name": m["name"],
            "namespace": svc["namespace"],
            "ownerReferences": [owner | {"name": svc["name"], "uid": svc["uid"]}],
            "resourceVersion": m["resourceVersion"],
            "uid": m["uid"],
        },
        "ports": ports if endpoints else None,
    }


def pod(m: dict, ep: dict, deleted: str | None) -> dict:
    """A trimmed Pod behind endpoint ep; m holds created."""
    # Only what routing analysis reads (node, phase, IP, deletion). Real Pods also carry containers,
    # volumes, conditions and statuses: they would more than double the file and the memory needed
    # to parse it without exercising anything the engine uses.
    ref = ep["targetRef"]
    metadata = {
        "creationTimestamp": m["created"],
        "name": ref["name"],
        "namespace": ref["namespace"],
        "uid": ref["uid"],
    }
    if deleted:
        metadata |= {"deletionGracePeriodSeconds": 30, "deletionTimestamp": deleted}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"nodeName": ep["nodeName"]},
        "status": {"phase": "Running", "podIP": ep["addresses"][0]},
    }
