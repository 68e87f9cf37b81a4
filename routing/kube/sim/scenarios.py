"""Scenarios: the clusters a simulation starts from (`demo`, `demo-nozone`, `large`)."""

from typing import Any

from .objects import DAEMON_SET, NODE_GROUP_LABEL, TOPOLOGY_MODE, NodeRec, Workload
from .world import World

DAY = 86400.0
REGION = "us-east-1"
DEMO_ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
WORKER = ("m5.xlarge", "3920m", "4", 15_335_000)  # (type, allocatable cpu, capacity, memory Ki)
CONTROL_PLANE = ("m5.large", "1930m", "2", 7_134_904)
DEMO_NODE_GROUPS = ("general", "general", "batch")  # each zone's three workers, in order


def make_node(
    world: World,
    name: str,
    ip: str,
    zone: str,
    shape: tuple,
    *,
    control_plane=False,
    ready=True,
    provider_zone: str = "",
    node_group: str = "",
) -> NodeRec:
    itype, cpu, capacity, memory = shape
    created = world.ago(90 * DAY, 10 * DAY)
    return world.add_node(
        NodeRec(
            name, zone, REGION, ip, itype, cpu, capacity, memory,
            f"i-{world.rng.getrandbits(68):017x}", control_plane, ready, world.uid(), created,
            created, provider_zone, node_group,
        )
    )  # fmt: skip


def make_service(
    world: World,
    namespace: str,
    name: str,
    *,
    cluster_ip: str,
    selector: dict[str, str] | None,
    ports: list[dict[str, Any]],
    td: str | None = None,
    auto: bool = False,
    itp: str = "Cluster",
    svc_type: str = "ClusterIP",
    etp: str = "Cluster",
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Service object as the API returns it, defaults filled in; added to the world."""
    meta: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": world.uid(),
        "creationTimestamp": world.ago(400 * DAY, 30 * DAY),
        "labels": labels or {"app.kubernetes.io/name": name},
    }
    if auto:
        meta["annotations"] = {TOPOLOGY_MODE: "Auto"}
    spec: dict[str, Any] = {
        "type": svc_type,
        "clusterIP": cluster_ip,
        "clusterIPs": [cluster_ip],
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "ports": [dict(p) for p in ports],
        "sessionAffinity": "None",
        "internalTrafficPolicy": itp,
    }
    if selector:
        spec["selector"] = dict(selector)
    if td:
        spec["trafficDistribution"] = td
    status: dict[str, Any] = {"loadBalancer": {}}
    if svc_type in ("NodePort", "LoadBalancer"):
        spec["externalTrafficPolicy"] = etp
        for p in spec["ports"]:
            p["nodePort"] = 30000 + world.rng.randrange(2768)
    if svc_type == "LoadBalancer":
        spec["allocateLoadBalancerNodePorts"] = True
        host = f"a{world.rng.getrandbits(128):032x}-{world.rng.randrange(10**9)}"
        status["loadBalancer"] = {"ingress": [{"hostname": f"{host}.elb.{REGION}.amazonaws.com"}]}
    obj = {"metadata": meta, "spec": spec, "status": status}
    world.add_service(obj)
    return obj


HTTP = [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]

# (namespace, name, policy, pods per zone a/b/c, extras) for the demo shop.
DEMO_SERVICES: tuple[tuple[str, str, str, tuple[int, int, int], dict[str, Any]], ...] = (
    ("shop", "cart", "PreferClose", (2, 2, 2), {}),
    # One replica tolerates the control plane's taint; that node has no zone label, so its
    # endpoint gets no hint and kube-proxy ignores the Service's hints on every node.
    ("shop", "checkout", "PreferSameZone", (2, 1, 1), {"control_plane": 1}),
    ("shop", "catalog", "none", (2, 2, 2), {}),
    ("shop", "search", "Auto", (3, 3, 3), {}),
    ("shop", "payments", "Auto", (2, 1, 1), {}),  # 4 endpoints, 3 zones: Auto stays off
    ("shop", "sessions", "PreferSameNode", (1, 1, 1), {}),
    ("shop", "recommendations", "PreferSameZone", (2, 2, 0), {}),  # no endpoint in zone c
    # A DaemonSet whose nodeSelector picks the general node group: the batch nodes (one per
    # zone) run none, and with internalTrafficPolicy Local their clients' traffic is dropped.
    (
        "monitoring",
        "node-exporter",
        "none",
        (2, 2, 2),
        {"itp": "Local", "churn": False, "daemon_set": {NODE_GROUP_LABEL: "general"}},
    ),
    ("shop", "frontend", "PreferSameZone", (1, 1, 1), {"type": "LoadBalancer", "etp": "Local"}),
    ("shop", "inventory", "PreferSameZone", (1, 3, 1), {}),  # overloads zones a and c
    ("shop", "legacy-db", "none", (1, 0, 0), {"stuck": True, "churn": False}),
    ("shop", "email", "none", (1, 1, 1), {}),
)


def demo(world: World, *, unlabelled_worker: bool = False) -> None:
    """A three-zone shop whose twelve Services show each routing situation, built from Pods.

    With `unlabelled_worker`, one more Ready worker lacks a zone label, which turns
    `topology-mode: Auto` off for every Service in the cluster.
    """
    world.pod_network = (10 << 24) | (1 << 16)  # 10.1.0.0/16
    workers: dict[str, list[str]] = {}
    for z, zone in enumerate(DEMO_ZONES):
        for i in range(3):
            host = 16 * z + i
            ip = f"10.0.{host}.{world.rng.randrange(10, 250)}"
            name = f"ip-{ip.replace('.', '-')}.ec2.internal"
            make_node(world, name, ip, zone, WORKER, node_group=DEMO_NODE_GROUPS[i])
            workers.setdefault(zone, []).append(name)
    # Without a zone label, though its providerID names its zone as AWS always does.
    control = make_node(
        world,
        "ip-10-0-99-10.ec2.internal",
        "10.0.99.10",
        "",
        CONTROL_PLANE,
        control_plane=True,
        provider_zone=DEMO_ZONES[0],
    )
    if unlabelled_worker:
        make_node(
            world, "ip-10-0-98-10.ec2.internal", "10.0.98.10", "", WORKER,
            provider_zone=DEMO_ZONES[1],
        )  # fmt: skip
    hosts = world.rng.sample(range(1, 4094), len(DEMO_SERVICES))
    for (ns, name, policy, per_zone, extra), h in zip(DEMO_SERVICES, hosts, strict=True):
        selector = {"app": name}
        make_service(
            world,
            ns,
            name,
            cluster_ip=f"10.100.{h >> 8}.{h & 255}",
            selector=selector,
            ports=HTTP,
            td=policy if policy not in ("none", "Auto") else None,
            auto=policy == "Auto",
            itp=extra.get("itp", "Cluster"),
            svc_type=extra.get("type", "ClusterIP"),
            etp=extra.get("etp", "Cluster"),
            labels={"app": name},
        )
        daemon_set = extra.get("daemon_set")
        workload = world.add_workload(
            ns,
            name,
            selector,
            ports=[8080],
            churn=extra.get("churn", True),
            **({"kind": DAEMON_SET, "node_selector": daemon_set} if daemon_set else {}),
        )
        for zone, count in zip(DEMO_ZONES, per_zone, strict=True):
            for k in range(count):
                pod = world.add_pod(workload, workers[zone][k % 3], age=20 * DAY)
                if extra.get("stuck"):
                    _stuck(world, workload, pod.name)
        for _ in range(extra.get("control_plane", 0)):
            world.add_pod(workload, control.name, age=20 * DAY)


def _stuck(world: World, workload: Workload, name: str) -> None:
    # A Pod stuck terminating (a finalizer that never clears): neither ready nor serving.
    pod = workload.pods[name]
    pod.ready = False
    pod.deleted = world.ago(2 * DAY, DAY)


SCENARIOS = ("demo", "demo-nozone", "large")


def build(world: World, scenario: str, **options: Any) -> None:
    """Populate `world` with a scenario and load it into the store."""
    if scenario == "demo":
        demo(world)
    elif scenario == "demo-nozone":
        demo(world, unlabelled_worker=True)
    elif scenario == "large":
        from .large import large

        large(world, **options)
    else:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    world.finish_loading()
