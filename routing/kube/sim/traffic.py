"""The simulation's traffic model: bytes per Service, split the way the engine routes them.

Each Service with a selector has a configured rate in bytes/s (`configured_rate`): the demo
Services a fixed, plausible one (DEMO_RATES), every other Service (the `large` scenario) a
pseudo-random one drawn from its namespace and name, so the same cluster always gets the same
rates. The rate is what the Service's endpoints *receive*: traffic kube-proxy drops (an
internalTrafficPolicy Local Service on a node without a local endpoint) never reaches a Pod, and
a Service with no endpoint that takes traffic carries none.

How the bytes spread comes from `routing.engine`, on the cluster as it is now: kube-proxy's plan
under the hints the simulated controller wrote (`proxy.plan`), then `flows.compute_flows` with
the analysis's default client weights (allocatable CPU). Each Pod gets the engine's per-endpoint
load (`Flows.load`) and each (source zone, destination zone) pair its share of the zone matrix
(`Flows.matrix`), both normalised by the traffic forwarded, so the shares of a Service add up to
one and the Pods of a zone get exactly what the matrix sends to that zone.

Counters integrate: `advance()` (every scrape of /metrics calls it) adds rate x elapsed time for
the time since the previous call, spread by the split computed *at that call*, so every byte of
the interval lands on a Pod that exists (the sum over a Service's series grows by exactly its
rate) and a change is reflected from the next scrape on. A Pod's counters start at 0 when it
appears and its series disappear with it; counters never go down.

Callers (for Istio's and Beyla's source labels): each Service has one or more client workloads
(the demo a small call graph, DEMO_CALLERS; any other Service is called by `loadgen`), sharing
its bytes evenly; every caller's bytes come from the source zones in the proportions of the
zone matrix's rows, as the engine weighs clients.

Each Pod's bytes are 20% received (requests) and 80% transmitted (responses).

/metrics (`Traffic.exposition`) shows three shapes of the same bytes:
- cAdvisor: container_network_{receive,transmit}_bytes_total per live Pod (interface eth0);
- Istio: istio_{request,response}_bytes histograms (+Inf bucket, _sum, _count), reporter
  "destination" only, one series per (Service, caller) with Istio's standard labels;
- Beyla: beyla_network_flow_bytes_total by owner (Deployment) and zone, with Beyla's Prometheus
  attribute names. A real flow metric counts each direction's packets under its own src/dst;
  here a conversation's request and response bytes both sit under caller -> Service, so a sum
  by destination owner is the Service's bytes (as the volume presets read it).
Summed per Service, each shape grows at the Service's configured rate.
"""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from random import Random

import orjson

from routing.engine.flows import Clients, client_weights, compute_flows
from routing.engine.model import UNKNOWN_ZONE
from routing.engine.options import Options
from routing.engine.parse import build_cluster
from routing.engine.proxy import plan, proxy_endpoints

from .slices import ServiceRec
from .state import Entry
from .world import World

Key = tuple[str, str]  # (namespace, name)

REQUEST_SHARE = 0.2  # of a Pod's bytes, received (requests); the rest is transmitted (responses)
RESPONSE_SHARE = 1.0 - REQUEST_SHARE
REQUEST_SIZE = 800.0  # mean bytes per request, for Istio's request counts
CLUSTER_NAME = "simcluster"
LOADGEN: Key = ("loadgen", "loadgen")  # the caller of every Service without a defined one
BATCH = 500  # Services per engine call when many are (re)computed at once
_EPSILON = 1e-12

# bytes/s each demo Service receives (requests and responses together).
DEMO_RATES: dict[Key, float] = {
    ("shop", "frontend"): 2_000_000.0,
    ("shop", "catalog"): 800_000.0,
    ("shop", "search"): 500_000.0,
    ("shop", "checkout"): 400_000.0,
    ("shop", "recommendations"): 350_000.0,
    ("shop", "cart"): 300_000.0,
    ("shop", "sessions"): 250_000.0,
    ("shop", "inventory"): 200_000.0,
    ("shop", "payments"): 150_000.0,
    ("monitoring", "node-exporter"): 60_000.0,
    ("shop", "email"): 30_000.0,
    ("shop", "legacy-db"): 20_000.0,
}

# Who calls each demo Service (client workloads as (namespace, name)); the rest: LOADGEN.
_SHOP = "shop"
DEMO_CALLERS: dict[Key, tuple[Key, ...]] = {
    ("shop", "frontend"): (LOADGEN,),
    ("shop", "catalog"): ((_SHOP, "frontend"), (_SHOP, "search"), (_SHOP, "recommendations")),
    ("shop", "search"): ((_SHOP, "frontend"),),
    ("shop", "checkout"): ((_SHOP, "frontend"),),
    ("shop", "recommendations"): ((_SHOP, "frontend"),),
    ("shop", "cart"): ((_SHOP, "frontend"), (_SHOP, "checkout")),
    ("shop", "sessions"): ((_SHOP, "frontend"),),
    ("shop", "inventory"): ((_SHOP, "checkout"), (_SHOP, "catalog")),
    ("shop", "payments"): ((_SHOP, "checkout"),),
    ("shop", "email"): ((_SHOP, "checkout"),),
    ("shop", "legacy-db"): ((_SHOP, "inventory"),),
    ("monitoring", "node-exporter"): (("monitoring", "prometheus"),),
}

# Pseudo-random rates for other Services: log-normal around 50 kB/s, within [1 kB/s, 20 MB/s].
_MEDIAN_RATE = 50_000.0
_RATE_SIGMA = 1.2
_RATE_RANGE = (1_000.0, 20_000_000.0)


def configured_rate(namespace: str, name: str) -> float:
    """The bytes/s a Service is configured to receive (whether or not it can now)."""
    fixed = DEMO_RATES.get((namespace, name))
    if fixed is not None:
        return fixed
    # Random(str) seeds from a hash of the text (not Python's per-process hash): reproducible.
    draw = Random(f"trafficlens-rate/{namespace}/{name}").lognormvariate(
        math.log(_MEDIAN_RATE), _RATE_SIGMA
    )
    return float(round(min(max(draw, _RATE_RANGE[0]), _RATE_RANGE[1])))


def callers(namespace: str, name: str) -> tuple[Key, ...]:
    """The client workloads of a Service; they share its bytes evenly."""
    return DEMO_CALLERS.get((namespace, name), (LOADGEN,))


def service_rates(world: World) -> dict[Key, float]:
    """The configured bytes/s of every Service that carries traffic now (some endpoint takes
    traffic); the sum over each Service's series grows at exactly this rate.

    Runs the engine over the whole world; a SimCluster's `sim.traffic.rates()` gives the same
    from the splits it already holds.
    """
    return Traffic(world).rates()


@dataclass(frozen=True, slots=True)
class Split:
    """How one Service's bytes spread right now; each part's shares add up to 1."""

    pods: tuple[tuple[str, float], ...]  # (Pod name, share)
    zones: tuple[tuple[str, str, float], ...]  # (source zone, destination zone, share); "" unknown
    callers: tuple[tuple[Key, float], ...]  # (client workload, share)


IstioKey = tuple[Key, Key]  # (Service, caller)
BeylaKey = tuple[Key, Key, str, str]  # (Service, caller, source zone, destination zone)


@dataclass(slots=True)
class _Flow:
    """A Service's split as the counters use it: each series' key and share of the bytes."""

    split: Split
    rate: float
    pods: list[tuple[Key, float]]
    istio: list[tuple[IstioKey, float]]
    beyla: list[tuple[BeylaKey, float]]


@dataclass(slots=True)
class _Cached:
    """A Service's flow and the store entries it was computed from (compared by identity)."""

    service: Entry | None
    slices: tuple[Entry | None, ...]
    nodes: int
    flow: _Flow | None  # None: no endpoint takes traffic


class Traffic:
    """The traffic model and byte counters of one simulated world; the counters start at 0
    when it is created (SimCluster makes one, `sim.traffic`).

    Thread-safe; every method takes the world's lock, then the model's own.
    """

    def __init__(self, world: World, clock: Callable[[], float] = time.monotonic) -> None:
        self.world = world
        self.clock = clock
        self._lock = threading.Lock()
        self._cache: dict[Key, _Cached] = {}
        self._clients: tuple[int, Clients] | None = None  # (nodes table version, clients)
        self._versions: tuple[int, int, int] | None = None  # store tables behind self._live
        self._live: dict[Key, _Flow] = {}
        self._last = clock()
        self._pod_bytes: dict[Key, float] = {}  # (namespace, pod) -> bytes, both directions
        self._istio: dict[IstioKey, float] = {}  # request and response bytes together
        self._beyla: dict[BeylaKey, float] = {}
        # Rendered label sets, kept between scrapes: per Pod (uid, receive and transmit line
        # starts), the Pod list by the pods table's version, and per Istio and Beyla series.
        self._pod_text: dict[Key, tuple[str, str, str]] = {}
        self._pod_lines: tuple[int, list[tuple[Key, str, str]]] | None = None
        self._istio_text: dict[IstioKey, str] = {}
        self._beyla_text: dict[BeylaKey, str] = {}

    def rates(self) -> dict[Key, float]:
        """Configured bytes/s of the Services that carry traffic now."""
        with self.world.lock, self._lock:
            return {key: flow.rate for key, flow in sorted(self._refresh().items())}

    def splits(self) -> dict[Key, Split]:
        """Each traffic-carrying Service's current split."""
        with self.world.lock, self._lock:
            return {key: flow.split for key, flow in sorted(self._refresh().items())}

    def advance(self) -> None:
        """Add the bytes of the time since the last call (or since the model was created)."""
        with self.world.lock, self._lock:
            self._advance()

    def exposition(self) -> bytes:
        """Advance the counters and render them in the Prometheus text format (0.0.4)."""
        with self.world.lock, self._lock:
            self._advance()
            out = [_header(CADVISOR_RECEIVE, "counter")]
            pod_bytes = self._pod_bytes
            lines = self._pods()
            values = [pod_bytes.get(key, 0.0) for key, _, _ in lines]
            out += [
                f"{rx}{int(v * REQUEST_SHARE)}\n"
                for (_, rx, _), v in zip(lines, values, strict=True)
            ]
            out.append(_header(CADVISOR_TRANSMIT, "counter"))
            out += [
                f"{tx}{int(v * RESPONSE_SHARE)}\n"
                for (_, _, tx), v in zip(lines, values, strict=True)
            ]
            out += self._istio_lines()
            out.append(_header(BEYLA_FLOW, "counter"))
            text = self._beyla_text
            for key, value in self._beyla.items():
                start = text.get(key)
                if start is None:
                    owner = self.world.workloads.get(key[0])
                    dst_type = owner.kind if owner is not None else OWNER_TYPE
                    start = text[key] = f"{BEYLA_FLOW}{{{_beyla_labels(*key, dst_type)}}} "
                out.append(f"{start}{int(value)}\n")
        return "".join(out).encode()

    # -- internals (world lock and own lock held) -----------------------------------------------

    def _advance(self) -> None:
        now = self.clock()
        last, self._last = self._last, now
        flows = self._refresh()
        dt = max(0.0, now - last)
        pod_bytes, istio, beyla = self._pod_bytes, self._istio, self._beyla
        if dt > 0:
            for flow in flows.values():
                amount = flow.rate * dt
                for key, share in flow.pods:
                    pod_bytes[key] = pod_bytes.get(key, 0.0) + amount * share
                for ikey, share in flow.istio:
                    istio[ikey] = istio.get(ikey, 0.0) + amount * share
                for bkey, share in flow.beyla:
                    beyla[bkey] = beyla.get(bkey, 0.0) + amount * share
        pods = self.world.pods
        if len(pod_bytes) > len(pods) or any(k not in pods for k in pod_bytes):
            self._pod_bytes = {k: v for k, v in pod_bytes.items() if k in pods}

    def _pods(self) -> list[tuple[Key, str, str]]:
        """Every live Pod with the start of its receive and transmit lines."""
        version = self.world.store.tables["pods"].version
        if self._pod_lines is not None and self._pod_lines[0] == version:
            return self._pod_lines[1]
        old, text = self._pod_text, {}
        lines = []
        for key, pod in self.world.pods.items():
            known = old.get(key)
            if known is None or known[0] != pod.uid:
                labels = _pod_labels(pod.namespace, pod.name, pod.uid)
                known = (
                    pod.uid,
                    f"{CADVISOR_RECEIVE}{{{labels}}} ",
                    f"{CADVISOR_TRANSMIT}{{{labels}}} ",
                )
            text[key] = known
            lines.append((key, known[1], known[2]))
        self._pod_text = text
        self._pod_lines = (version, lines)
        return lines

    def _istio_lines(self) -> list[str]:
        rows = []
        text = self._istio_text
        for key, value in self._istio.items():
            labels = text.get(key)
            if labels is None:
                labels = text[key] = _istio_labels(*key)
            request = value * REQUEST_SHARE
            rows.append((labels, int(request / REQUEST_SIZE), int(request), int(value - request)))
        out = []
        for family, response in ((ISTIO_REQUEST, False), (ISTIO_RESPONSE, True)):
            out.append(_header(family, "histogram"))
            for labels, count, req, resp in rows:  # one response per request
                out.append(
                    f'{family}_bucket{{{labels},le="+Inf"}} {count}\n'
                    f"{family}_sum{{{labels}}} {resp if response else req}\n"
                    f"{family}_count{{{labels}}} {count}\n"
                )
        return out

    def _nodes(self) -> tuple[int, Clients]:
        store = self.world.store
        version = store.tables["nodes"].version
        if self._clients is None or self._clients[0] != version:
            _, entries = store.select("nodes", None)
            items = [
                ("items", i, {"kind": "Node", **orjson.loads(e.body)})
                for i, e in enumerate(entries)
            ]
            clients, _ = client_weights(build_cluster(items), Options().clients)
            self._clients = (version, clients)
        return self._clients

    def _refresh(self) -> dict[Key, _Flow]:
        """Every traffic-carrying Service's flow, recomputing those whose objects changed."""
        tables = self.world.store.tables
        versions = (
            tables["nodes"].version,
            tables["services"].version,
            tables["endpointslices"].version,
        )
        if versions == self._versions:
            return self._live
        nodes, clients = self._nodes()
        services, slices = tables["services"].entries, tables["endpointslices"].entries
        stale: list[tuple[ServiceRec, _Cached]] = []
        live: dict[Key, _Flow] = {}
        cache = self._cache
        for key, svc in self.world.services.items():
            if not svc.managed:
                continue
            entry = services.get(key)
            slice_entries = tuple(slices.get((key[0], n)) for n in svc.slices)
            cached = cache.get(key)
            if (
                cached is None
                or cached.nodes != nodes
                or cached.service is not entry
                or len(cached.slices) != len(slice_entries)
                or any(a is not b for a, b in zip(cached.slices, slice_entries, strict=True))
            ):
                cached = cache[key] = _Cached(entry, slice_entries, nodes, None)
                stale.append((svc, cached))
            elif cached.flow is not None:
                live[key] = cached.flow
        for start in range(0, len(stale), BATCH):
            batch = stale[start : start + BATCH]
            for (svc, cached), split in zip(batch, _compute(batch, clients), strict=True):
                if split is not None:
                    key = (svc.namespace, svc.name)
                    cached.flow = live[key] = _flow(key, split)
        for key in [k for k in cache if k not in self.world.services]:
            del cache[key]
        self._versions, self._live = versions, live
        return live


def _flow(key: Key, split: Split) -> _Flow:
    ns = key[0]
    return _Flow(
        split,
        configured_rate(*key),
        [((ns, pod), share) for pod, share in split.pods],
        [((key, caller), share) for caller, share in split.callers],
        [
            ((key, caller, src, dst), c_share * z_share)
            for caller, c_share in split.callers
            for src, dst, z_share in split.zones
        ],
    )


def _compute(batch: list[tuple[ServiceRec, _Cached]], clients: Clients) -> list[Split | None]:
    """Run the engine (proxy plan under the written hints, then flows) for a batch of Services.

    Pods get the engine's per-endpoint load, not an even split of the ready endpoints.
    """
    items: list[tuple[str, int, dict]] = []
    for svc, cached in batch:
        items.append(("items", len(items), {"kind": "Service", **svc.obj}))
        for entry in cached.slices:
            if entry is not None:
                obj = {"kind": "EndpointSlice", **orjson.loads(entry.body)}
                items.append(("items", len(items), obj))
    models = {(m.namespace, m.name): m for m in build_cluster(items).services}
    out: list[Split | None] = []
    for svc, _ in batch:
        key = (svc.namespace, svc.name)
        model = models.get(key)
        if model is None:
            out.append(None)
            continue
        indices = proxy_endpoints(model)
        hints = [ep.hint for ep in model.endpoints]
        flows = compute_flows(model, plan(model, hints, indices), indices, clients, {})
        forwarded = sum(flows.load.values())
        if forwarded <= _EPSILON:
            out.append(None)
            continue
        pod_of = {ep[0]: pod for rec in svc.slices.values() for pod, ep in rec.endpoints.items()}
        pods: dict[str, float] = {}
        for i, load in flows.load.items():
            pod = pod_of.get(model.endpoints[i].ip)
            if load > 0 and pod is not None:
                pods[pod] = pods.get(pod, 0.0) + load / forwarded
        zones = tuple(
            (_zone(src), _zone(dst), w / forwarded)
            for src, row in sorted(flows.matrix.items())
            for dst, w in sorted(row.items())
            if w > 0
        )
        who = callers(*key)
        out.append(Split(tuple(sorted(pods.items())), zones, tuple((c, 1 / len(who)) for c in who)))
    return out


def _zone(zone: str) -> str:
    return "" if zone == UNKNOWN_ZONE else zone


# -- the Prometheus text exposition format ------------------------------------------------------

CADVISOR_RECEIVE = "container_network_receive_bytes_total"
CADVISOR_TRANSMIT = "container_network_transmit_bytes_total"
ISTIO_REQUEST = "istio_request_bytes"  # a histogram: _bucket, _sum, _count
ISTIO_RESPONSE = "istio_response_bytes"
BEYLA_FLOW = "beyla_network_flow_bytes_total"
OWNER_TYPE = "Deployment"  # every caller (and loadgen) is; node-exporter is a DaemonSet

_HELP = {
    CADVISOR_RECEIVE: "Cumulative count of bytes received (simulated cAdvisor, per Pod).",
    CADVISOR_TRANSMIT: "Cumulative count of bytes transmitted (simulated cAdvisor, per Pod).",
    ISTIO_REQUEST: "Sizes of HTTP request bodies (simulated Istio, reporter=destination).",
    ISTIO_RESPONSE: "Sizes of HTTP response bodies (simulated Istio, reporter=destination).",
    BEYLA_FLOW: "Bytes observed between two network endpoints (simulated Beyla, by owner).",
}


def escape_label(value: str) -> str:
    """A label value as the text format writes it: backslash, double quote and newline escaped."""
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def escape_help(text: str) -> str:
    """HELP text as the text format writes it: backslash and newline escaped."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def label_set(pairs: list[tuple[str, str]]) -> str:
    """`name="value",...` (without braces), values escaped."""
    return ",".join(f'{name}="{escape_label(value)}"' for name, value in pairs)


def _header(name: str, kind: str) -> str:
    return f"# HELP {name} {escape_help(_HELP[name])}\n# TYPE {name} {kind}\n"


def _pod_labels(namespace: str, name: str, uid: str) -> str:
    # cAdvisor's Pod-level cgroup: no container, image or container name.
    return label_set(
        [
            ("container", ""),
            ("id", f"/kubepods/burstable/pod{uid}"),
            ("image", ""),
            ("interface", "eth0"),
            ("name", ""),
            ("namespace", namespace),
            ("pod", name),
        ]
    )


def _istio_labels(service: Key, caller: Key) -> str:
    ns, name = service
    return label_set(
        [
            ("connection_security_policy", "mutual_tls"),
            ("destination_service", f"{name}.{ns}.svc.cluster.local"),
            ("destination_service_name", name),
            ("destination_service_namespace", ns),
            ("destination_workload", name),
            ("destination_workload_namespace", ns),
            ("reporter", "destination"),
            ("request_protocol", "http"),
            ("response_code", "200"),
            ("source_workload", caller[1]),
            ("source_workload_namespace", caller[0]),
        ]
    )


def _beyla_labels(service: Key, caller: Key, src: str, dst: str, dst_type: str = OWNER_TYPE) -> str:
    # Beyla's Prometheus attribute names (docs: grafana.com/docs/beyla/latest/network/).
    return label_set(
        [
            ("dst_zone", dst),
            ("k8s_cluster_name", CLUSTER_NAME),
            ("k8s_dst_namespace", service[0]),
            ("k8s_dst_owner_name", service[1]),
            ("k8s_dst_owner_type", dst_type),
            ("k8s_src_namespace", caller[0]),
            ("k8s_src_owner_name", caller[1]),
            ("k8s_src_owner_type", OWNER_TYPE),
            ("src_zone", src),
        ]
    )
