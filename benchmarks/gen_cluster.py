"""Deterministic synthetic cluster as `kubectl get nodes,services,endpointslices,pods -o json`
(no apps/v1 workloads: the benchmarks measure routing, which does not read them)."""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
import uuid
from collections import Counter
from itertools import accumulate
from random import Random

import orjson

try:
    from benchmarks import cluster_objects as k8s
except ImportError:  # run as `python benchmarks/gen_cluster.py`: its own folder is on sys.path
    import cluster_objects as k8s  # type: ignore[no-redef]

# Kubernetes' utilrand alphabet (no vowels or look-alikes), for generateName and pod-template-hash.
NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
NOW = 1748779200  # 2025-06-01T12:00:00Z, fixed so that the output never depends on the clock
DAY = 86400
MAX_PER_SLICE = 100  # the EndpointSlice controller's default --max-endpoints-per-slice
SAME_ZONE = ("PreferClose", "PreferSameZone", "PreferSameNode")
POLICY_MIX = (
    ("none", 40),
    ("PreferClose", 15),
    ("PreferSameZone", 20),
    ("PreferSameNode", 10),
    ("Auto", 15),
)
TYPE_MIX = (("ClusterIP", 90), ("NodePort", 5), ("LoadBalancer", 5))
# Word lists as prose: one name per line would triple the module for no gain.
NAMESPACES = """payments checkout catalog search auth billing orders inventory shipping
notifications analytics ingest media users profile ads recommendations reviews pricing cart
gateway monitoring logging tracing ml-serving feature-store data-pipeline reporting fraud risk
ledger identity sessions messaging email sms webhooks cms assets frontend backend platform
infra ops security compliance support chat video maps""".split()  # noqa: SIM905
# A few big namespaces and a long tail.
NS_WEIGHTS = [1 / (k + 1) ** 0.5 for k in range(len(NAMESPACES))]
APP_PREFIXES = "core edge public internal batch realtime legacy shared mobile partner".split()  # noqa: SIM905
APP_WORDS = """api web worker grpc cache queue search admin metrics gateway auth sync export import
render notify stream index store proxy""".split()  # noqa: SIM905


def apportion(n: int, mix: tuple[tuple[str, int], ...], rng: Random) -> list[str]:
    """Exactly n labels in the proportions of mix (largest remainder), shuffled."""
    # Quotas rather than independent draws: even a 50-Service cluster then holds every kind.
    total = sum(w for _, w in mix)
    exact = [n * w / total for _, w in mix]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(mix)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    labels = [label for (label, _), c in zip(mix, counts, strict=True) for _ in range(c)]
    rng.shuffle(labels)
    return labels


def endpoint_counts(services: int, endpoints: int, rng: Random) -> list[int]:
    """Skewed per-Service endpoint counts summing exactly to endpoints."""
    if services == 0:
        if endpoints:
            raise ValueError("endpoints need at least one Service")
        return []
    counts = [0] * services
    # About 1% of Services select no Pod (scaled to zero), so placeholder slices exist too.
    empty = set(rng.sample(range(services), services // 100)) if endpoints >= services else set()
    active = [i for i in range(services) if i not in empty]
    if endpoints < len(active):
        for i in rng.sample(active, endpoints):
            counts[i] = 1
        return counts
    # Log-normal weights: most Services get a handful of endpoints, a few get hundreds.
    weights = [rng.lognormvariate(0.0, 1.3) for _ in active]
    spare = endpoints - len(active)
    exact = [w * spare / sum(weights) for w in weights]
    extra = [int(x) for x in exact]
    by_remainder = sorted(range(len(active)), key=lambda k: exact[k] - extra[k], reverse=True)
    for k in by_remainder[: spare - sum(extra)]:
        extra[k] += 1
    for k, i in enumerate(active):
        counts[i] = 1 + extra[k]
    return counts


def _millis(cpu: str) -> int:
    return int(cpu[:-1]) if cpu.endswith("m") else int(cpu) * 1000


class _Builder:
    """Holds the random source and the counters shared by every object."""

    def __init__(self, seed: int, region: str, pods: bool) -> None:
        self.rng = Random(seed)
        self.region = region
        self.with_pods = pods
        self.rv = 4_000_000
        self.pod_ips = 0
        self.taken: set[tuple[str, str]] = set()  # (namespace, name) of Services and slices
        self.pods: list[dict] = []
        self.node_ports: list[int] = []

    def meta(self, oldest: int, newest: int = 0) -> dict:
        """Fresh uid, resourceVersion and creation time, drawn in a fixed order."""
        self.rv += self.rng.randint(1, 40)
        uid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return {"uid": uid, "resourceVersion": str(self.rv), "created": self.stamp(oldest, newest)}

    def suffix(self, n: int) -> str:
        return "".join(self.rng.choices(NAME_CHARS, k=n))

    def unique(self, namespace: str, prefix: str) -> str:
        name = f"{prefix}{self.suffix(5)}"
        while (namespace, name) in self.taken:
            name = f"{prefix}{self.suffix(5)}"
        self.taken.add((namespace, name))
        return name

    def stamp(self, oldest: int, newest: int = 0) -> str:
        seconds_ago = self.rng.randint(newest, oldest)
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW - seconds_ago))

    def pod_ip(self) -> str:
        # 100.64.0.0/10 as with EKS custom networking; skipping .0 and .255 looks like real leases.
        i, self.pod_ips = self.pod_ips, self.pod_ips + 1
        net, host = divmod(i, 254)
        return f"100.{64 + net // 256}.{net % 256}.{host + 1}"

    def nodes(self, count: int, zones: list[str]) -> list[dict]:
        rng = self.rng
        control_plane = min(3, count // 2)  # leaves at least one worker to run Pods
        workers = list(range(control_plane, count))
        n_not_ready = max(1, round(len(workers) * 0.01)) if len(workers) > 1 else 0
        not_ready = set(rng.sample(workers, n_not_ready))
        kinds = k8s.INSTANCE_TYPES[1:]
        weights = [k[5] for k in kinds]
        # Each zone gets its own slice of 10.0.0.0/16, like one VPC subnet per availability zone.
        block = 256 // len(zones)
        per_zone = [len(range(z, count, len(zones))) for z in range(len(zones))]
        if max(per_zone) > block * 254:
            raise ValueError("too many nodes per zone for 10.0.0.0/16")
        hosts = [iter(rng.sample(range(block * 254), n)) for n in per_zone]
        out = []
        for i in range(count):
            z = i % len(zones)  # round-robin keeps zones within one node of each other
            h = next(hosts[z])
            ip = f"10.0.{z * block + h // 254}.{h % 254 + 1}"
            name = "ip-" + ip.replace(".", "-")
            m = self.meta(90 * DAY, DAY) | {"name": name, "ip": ip, "zone": zones[z]}
            m |= {"region": self.region, "transition": self.stamp(30 * DAY, 3600)}
            cp = i < control_plane
            kind = k8s.INSTANCE_TYPES[0] if cp else rng.choices(kinds, weights)[0]
            instance = f"i-{rng.getrandbits(68):017x}"
            out.append(k8s.node(m, kind, cp, i not in not_ready, instance, self.stamp(600)))
        return out

    def services(
        self, count: int, endpoints: int, nodes: list[dict], zones: list[str]
    ) -> tuple[list, list]:
        rng = self.rng
        workers = []
        for n in nodes:
            md, st = n["metadata"], n["status"]
            if k8s.CONTROL_PLANE not in md["labels"]:
                ready = st["conditions"][-1]["status"] == "True"
                ip, cpu = st["addresses"][0]["address"], _millis(st["allocatable"]["cpu"])
                workers.append((md["name"], ip, md["labels"][k8s.ZONE_LABEL], ready, cpu))
        if endpoints and not workers:
            raise ValueError("endpoints need at least one worker node")
        # Pods land on nodes in proportion to CPU: a scheduler spreading requests fills big nodes.
        pools = {None: (workers, list(accumulate(w[4] for w in workers)))}
        for z in zones:
            members = [w for w in workers if w[2] == z]
            if members:
                pools[z] = (members, list(accumulate(w[4] for w in members)))
        types = apportion(count, TYPE_MIX, rng)
        policies = apportion(count, POLICY_MIX, rng)
        local = set(rng.sample(range(count), round(count * 0.03)))
        autos = [i for i, p in enumerate(policies) if p == "Auto"]
        both = set(rng.sample(autos, max(1, len(autos) // 10))) if autos else set()
        # A few single-zone Deployments leave zones without endpoints, for hints to route around.
        pinned = set(rng.sample(range(count), count // 20))
        sizes = endpoint_counts(count, endpoints, rng)
        self.node_ports = rng.sample(range(30000, 32768), 2768)  # default range, cluster-unique
        cluster_ips = rng.sample(range(2, 1 << 20), count)  # 10.96.0.0/12, the kubeadm default
        services, slices, hinted = [], [], []
        for i in range(count):
            policy, field = policies[i], None
            if policy == "Auto" and i in both:
                field = rng.choice(SAME_ZONE)  # the annotation wins; the field is ignored
            elif policy not in ("Auto", "none"):
                field = policy
            c = cluster_ips[i]
            ip = f"10.{96 + (c >> 16)}.{(c >> 8) & 255}.{c & 255}"
            svc, slice_ports = self.service(ip, types[i], i in local, policy == "Auto", field)
            services.append(svc)
            pool = (
                pools[rng.choice([z for z in zones if z in pools])] if i in pinned else pools[None]
            )
            eps = self.backends(svc, rng.choices(pool[0], cum_weights=pool[1], k=sizes[i]))
            if self.hint(eps, "Auto" if policy == "Auto" else field, zones):
                hinted.append([ep for ep in eps if "hints" in ep])
            ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
            for start in range(0, max(1, len(eps)), MAX_PER_SLICE):
                sm = self.meta(30 * DAY, 60) | {"name": self.unique(ns, f"{name}-")}
                chunk = eps[start : start + MAX_PER_SLICE]
                slices.append(
                    k8s.endpoint_slice(sm | {"changed": sm["created"]}, svc, chunk, slice_ports)
                )
        # ~2% of hinted Services lose one ready endpoint's hint: kube-proxy then ignores them all.
        for eps in rng.sample(hinted, max(1, round(len(hinted) * 0.02)) if hinted else 0):
            del rng.choice(eps)["hints"]
        return services, slices

    def service(self, ip: str, type_: str, local: bool, auto: bool, field: str | None) -> tuple:
        """One Service with a unique name; returns it and the ports its slices carry."""
        rng = self.rng
        ns = rng.choices(NAMESPACES, weights=NS_WEIGHTS)[0]
        base = name = f"{rng.choice(APP_PREFIXES)}-{rng.choice(APP_WORDS)}"
        k = 1
        while (ns, name) in self.taken:
            k += 1
            name = f"{base}-{k}"
        self.taken.add((ns, name))
        m = self.meta(400 * DAY, 31 * DAY)
        m |= {"creationTimestamp": m["created"], "name": name, "namespace": ns}
        m["labels"] = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": ns}
        svc_ports, slice_ports = k8s.PORT_SETS[rng.randrange(len(k8s.PORT_SETS))]
        spec: dict = {
            "clusterIP": ip,
            "clusterIPs": [ip],
            "internalTrafficPolicy": "Local" if local else "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [dict(p) for p in svc_ports],
            "selector": {"app.kubernetes.io/name": name},
            "sessionAffinity": "None",
            # Once the NodePort range is used up, fall back rather than reuse a port.
            "type": type_ if len(self.node_ports) > len(svc_ports) else "ClusterIP",
        }
        annotations, lb_hostname = {}, None
        etp = "Local" if rng.random() < 0.3 else "Cluster"
        if spec["type"] != "ClusterIP":
            spec["externalTrafficPolicy"] = etp
            for p in spec["ports"]:
                p["nodePort"] = self.node_ports.pop()
        if spec["type"] == "LoadBalancer":
            spec["allocateLoadBalancerNodePorts"] = True
            if etp == "Local":
                spec["healthCheckNodePort"] = self.node_ports.pop()
            annotations["service.beta.kubernetes.io/aws-load-balancer-type"] = "nlb"
            lb_id = f"a{rng.getrandbits(128):032x}-{rng.randrange(10**9)}"
            lb_hostname = f"{lb_id}.elb.{self.region}.amazonaws.com"
        if auto:
            annotations[k8s.TOPOLOGY_MODE] = "Auto"
        if field:
            spec["trafficDistribution"] = field
        return k8s.service(m, spec, annotations, lb_hostname), slice_ports

    def backends(self, svc: dict, placed: list[tuple]) -> list[dict]:
        """Endpoints (and, when wanted, Pods) of one Deployment spread over the placed nodes."""
        rng, ns, name = self.rng, svc["metadata"]["namespace"], svc["metadata"]["name"]
        template_hash = self.suffix(10)
        eps, pod_names = [], set()
        for node_name, _, zone, node_ready, _ in placed:
            roll = rng.random()
            # Pods on a NotReady node fail readiness; elsewhere ~1% fail it and ~1% are terminating.
            terminating = node_ready and roll < 0.01
            serving = rng.random() < 0.5 if terminating else node_ready and roll >= 0.02
            ready = serving and not terminating
            conditions = {"ready": ready, "serving": serving, "terminating": terminating}
            pod_name = f"{name}-{template_hash}-{self.suffix(5)}"
            while pod_name in pod_names:
                pod_name = f"{name}-{template_hash}-{self.suffix(5)}"
            pod_names.add(pod_name)
            m = self.meta(30 * DAY, 120)
            ep = k8s.endpoint(self.pod_ip(), node_name, zone, conditions, pod_name, ns, m["uid"])
            eps.append(ep)
            # Grace period end, seconds ahead; drawn even without Pods so the slices stay the same.
            deleted = self.stamp(-1, -29) if terminating else None
            if self.with_pods:
                self.pods.append(k8s.pod(m, ep, deleted))
        return eps

    @staticmethod
    def hint(eps: list[dict], mechanism: str | None, zones: list[str]) -> bool:
        """Hint ready endpoints roughly as the controller would; True if any hint was written."""
        ready = [ep for ep in eps if ep["conditions"]["ready"]]
        if mechanism == "Auto":
            # Stand-in for ProportionalZoneCPU: own-zone hints when each zone has 3 ready endpoints.
            per_zone = Counter(ep["zone"] for ep in ready)
            if not ready or any(per_zone[z] < 3 for z in zones):
                return False
        elif mechanism not in SAME_ZONE or not ready:
            return False
        for ep in ready:
            ep["hints"] = {"forZones": [{"name": ep["zone"]}]}
            if mechanism == "PreferSameNode":
                ep["hints"]["forNodes"] = [{"name": ep["nodeName"]}]
        return True


def generate(
    services: int = 10000,
    endpoints: int = 100000,
    nodes: int = 1000,
    zones: int = 3,
    seed: int = 1,
    pods: bool = True,
    region: str = "us-east-1",
) -> dict:
    """The cluster as kubectl would print it: a v1 List of nodes, services, endpointslices, pods."""
    if not 1 <= zones <= 26:
        raise ValueError("zones must be between 1 and 26")
    if min(services, endpoints, nodes) < 0:
        raise ValueError("counts must not be negative")
    builder = _Builder(seed, region, pods)
    zone_names = [f"{region}{chr(ord('a') + z)}" for z in range(zones)]
    node_objs = builder.nodes(nodes, zone_names)
    svcs, slices = builder.services(services, endpoints, node_objs, zone_names)
    # The API server lists each kind in key order: by name, or by namespace then name.
    node_objs.sort(key=lambda n: n["metadata"]["name"])
    items = [node_objs, svcs, slices, builder.pods]
    for kind in items[1:]:
        kind.sort(key=lambda o: (o["metadata"]["namespace"], o["metadata"]["name"]))
    flat = [o for kind in items for o in kind]
    return {"apiVersion": "v1", "items": flat, "kind": "List", "metadata": {"resourceVersion": ""}}


_INDENT = re.compile(rb"^( +)", re.MULTILINE)


def dumps(doc: dict, indent: int = 4) -> bytes:
    """Serialise like kubectl: sorted keys (it prints unstructured maps), indent 4, end newline."""
    compact = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    if indent == 0:
        return compact + b"\n"
    data = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
    if indent == 4:
        # orjson indents by 2, Go's MarshalIndent by 4. If no string holds two spaces in a row, each
        # double space is indentation, and a plain replace doubles it 15x faster than the regex.
        data = data.replace(b"  ", b"    ") if b"  " not in compact else _INDENT.sub(rb"\1\1", data)
    return data + b"\n"


def stats(doc: dict) -> dict:
    """Object counts of a generated (or any kubectl List) document."""
    kinds = Counter(o["kind"] for o in doc["items"])
    services = [o for o in doc["items"] if o["kind"] == "Service"]
    slices = [o for o in doc["items"] if o["kind"] == "EndpointSlice"]
    policies = Counter(
        "Auto"
        if o["metadata"].get("annotations", {}).get(k8s.TOPOLOGY_MODE) == "Auto"
        else o["spec"].get("trafficDistribution", "none")
        for o in services
    )
    return {
        "nodes": kinds["Node"],
        "services": kinds["Service"],
        "endpointSlices": kinds["EndpointSlice"],
        "endpoints": sum(len(s["endpoints"] or ()) for s in slices),
        "pods": kinds["Pod"],
        "policies": dict(sorted(policies.items())),
        "types": dict(sorted(Counter(o["spec"]["type"] for o in services).items())),
    }


def add_size_arguments(parser: argparse.ArgumentParser, *, pods: bool = True) -> None:
    """The generated cluster's size and seed, as every benchmark takes them (defaults: the
    10,000-Service cluster the targets are stated for)."""
    parser.add_argument("--services", type=int, default=10000)
    parser.add_argument("--endpoints", type=int, default=100000)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--zones", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    if pods:
        parser.add_argument("--pods", action=argparse.BooleanOptionalAction, default=True)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    add_size_arguments(parser)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "--indent", type=int, choices=(0, 2, 4), default=4, help="4 is what kubectl prints"
    )
    parser.add_argument("-o", "--output", default="-", help="file to write, - for stdout")
    parser.add_argument("--meta", help="also write the counts, size and timing here as JSON")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    doc = generate(
        args.services, args.endpoints, args.nodes, args.zones, args.seed, args.pods, args.region
    )
    data = dumps(doc, args.indent)
    if args.output == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(args.output, "wb") as f:
            f.write(data)
    info = stats(doc) | {"bytes": len(data), "seconds": round(time.perf_counter() - started, 2)}
    counts = ", ".join(f"{k}={v}" for k, v in info.items() if k not in ("bytes", "seconds"))
    print(
        f"wrote {len(data) / 1e6:.1f} MB in {info['seconds']} s to {args.output}: {counts}",
        file=sys.stderr,
    )
    if args.meta:
        with open(args.meta, "wb") as f:
            f.write(orjson.dumps(info, option=orjson.OPT_INDENT_2))
    return info


if __name__ == "__main__":
    main()
