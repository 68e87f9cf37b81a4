"""The `large` scenario: thousands of Services over many nodes, shaped like a real fleet.

Proportions follow benchmarks/gen_cluster.py (policy and type mixes, skewed endpoint counts,
a few single-zone Deployments, about 1% unready or terminating Pods), but every object is
built through the world, so the slices and their hints are what the controller would write.
"""

import math
from itertools import accumulate

from .objects import NodeRec
from .scenarios import CONTROL_PLANE, DAY, REGION, make_node, make_service
from .world import World

# (instance type, allocatable cpu, capacity cpu, memory Ki, weight)
INSTANCE_TYPES = (
    ("m5.xlarge", "3920m", "4", 14_879_132, 40),
    ("m5.2xlarge", "8", "8", 31_391_908, 30),
    ("c5.4xlarge", "15890m", "16", 31_235_284, 15),
    ("r5.xlarge", "3500m", "4", 31_391_908, 15),
)
POLICY_MIX = (
    ("none", 40),
    ("PreferClose", 15),
    ("PreferSameZone", 20),
    ("PreferSameNode", 10),
    ("Auto", 15),
)
TYPE_MIX = (("ClusterIP", 90), ("NodePort", 5), ("LoadBalancer", 5))
NAMESPACES = """payments checkout catalog search auth billing orders inventory shipping
notifications analytics ingest media users profile ads recommendations reviews pricing cart
gateway monitoring logging tracing ml-serving feature-store data-pipeline reporting fraud risk
ledger identity sessions messaging email sms webhooks cms assets frontend""".split()  # noqa: SIM905
WORDS = "api web worker grpc cache queue search admin metrics gateway auth sync export".split()  # noqa: SIM905
PREFIXES = "core edge public internal batch realtime legacy shared mobile partner".split()  # noqa: SIM905
PORTS = (
    [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
    [{"name": "grpc", "port": 9090, "protocol": "TCP", "targetPort": 9090, "appProtocol": "grpc"}],
    [{"port": 443, "protocol": "TCP", "targetPort": 8443}],
)


def apportion(n: int, mix: tuple[tuple[str, int], ...], world: World) -> list[str]:
    """Exactly n labels in the proportions of mix, shuffled."""
    total = sum(w for _, w in mix)
    counts = [n * w // total for _, w in mix]
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    labels = [label for (label, _), c in zip(mix, counts, strict=True) for _ in range(c)]
    world.rng.shuffle(labels)
    return labels


def sizes(services: int, endpoints: int, world: World) -> list[int]:
    """Skewed per-Service endpoint counts summing to `endpoints`; ~1% of Services get none."""
    if not services:
        return []
    rng = world.rng
    empty = set(rng.sample(range(services), services // 100)) if endpoints >= services else set()
    active = [i for i in range(services) if i not in empty]
    counts = [0] * services
    if endpoints < len(active):
        for i in rng.sample(active, endpoints):
            counts[i] = 1
        return counts
    weights = [rng.lognormvariate(0.0, 1.3) for _ in active]
    spare, total = endpoints - len(active), sum(weights)
    extra = [math.floor(w * spare / total) for w in weights]
    for k in range(spare - sum(extra)):
        extra[k % len(extra)] += 1
    for k, i in enumerate(active):
        counts[i] = 1 + extra[k]
    return counts


def _millis(cpu: str) -> int:
    return int(cpu[:-1]) if cpu.endswith("m") else int(cpu) * 1000


def _nodes(world: World, count: int, zones: list[str]) -> list[NodeRec]:
    rng = world.rng
    control = min(3, count // 2)
    workers = count - control
    not_ready = set(rng.sample(range(workers), max(1, workers // 100))) if workers > 1 else set()
    out = []
    for i in range(count):
        z = i % len(zones)
        ip = f"10.{z * 16 + i // 65000}.{(i // 254) % 256}.{i % 254 + 1}"
        name = f"ip-{ip.replace('.', '-')}.ec2.internal"
        if i < control:
            make_node(world, name, ip, zones[z], CONTROL_PLANE, control_plane=True)
            continue
        itype = rng.choices(INSTANCE_TYPES, [t[4] for t in INSTANCE_TYPES])[0]
        ready = (i - control) not in not_ready
        out.append(make_node(world, name, ip, zones[z], itype[:4], ready=ready))
    return out


def large(
    world: World, *, services: int = 10_000, endpoints: int = 100_000, nodes: int = 1_000,
    zones: int = 3,
) -> None:  # fmt: skip
    """Populate the world; Pods land on workers in proportion to their CPU."""
    if min(services, endpoints, nodes) < 0 or not 1 <= zones <= 26:
        raise ValueError("counts must not be negative and zones must be 1..26")
    rng = world.rng
    zone_names = [f"{REGION}{chr(ord('a') + z)}" for z in range(zones)]
    workers = _nodes(world, max(nodes, 2), zone_names)
    if endpoints and not workers:
        raise ValueError("endpoints need at least one worker node")
    pools: dict[str | None, tuple[list[NodeRec], list[int]]] = {
        None: (workers, list(accumulate(_millis(n.cpu) for n in workers)))
    }
    for zone in zone_names:
        members = [n for n in workers if n.zone == zone]
        if members:
            pools[zone] = (members, list(accumulate(_millis(n.cpu) for n in members)))
    types = apportion(services, TYPE_MIX, world)
    policies = apportion(services, POLICY_MIX, world)
    local = set(rng.sample(range(services), round(services * 0.03)))
    pinned = set(rng.sample(range(services), services // 20))
    counts = sizes(services, endpoints, world)
    cluster_ips = rng.sample(range(2, 1 << 20), services)
    weights = [1 / (k + 1) ** 0.5 for k in range(len(NAMESPACES))]
    taken: set[tuple[str, str]] = set()
    for i in range(services):
        ns = rng.choices(NAMESPACES, weights)[0]
        base = name = f"{rng.choice(PREFIXES)}-{rng.choice(WORDS)}"
        k = 1
        while (ns, name) in taken:
            k += 1
            name = f"{base}-{k}"
        taken.add((ns, name))
        selector = {"app.kubernetes.io/name": name}
        c, policy = cluster_ips[i], policies[i]
        make_service(
            world, ns, name, cluster_ip=f"10.{96 + (c >> 16)}.{(c >> 8) & 255}.{c & 255}",
            selector=selector, ports=PORTS[i % len(PORTS)],
            td=policy if policy not in ("none", "Auto") else None, auto=policy == "Auto",
            itp="Local" if i in local else "Cluster", svc_type=types[i],
            etp="Local" if rng.random() < 0.3 else "Cluster",
        )  # fmt: skip
        workload = world.add_workload(ns, name, selector, ports=[8080])
        if i in pinned:
            members, cum = pools[rng.choice([z for z in zone_names if z in pools])]
        else:
            members, cum = pools[None]
        for node in rng.choices(members, cum_weights=cum, k=counts[i]):
            pod = world.add_pod(workload, node.name, age=30 * DAY)
            roll = rng.random()
            if roll < 0.01:
                pod.deleted = world.ago(0, -29)  # terminating; still serving
            elif roll < 0.02:
                pod.ready = False
