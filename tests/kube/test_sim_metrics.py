"""The simulated cluster's /metrics: byte counters in the Prometheus text format that follow its
traffic model (routing/kube/sim/traffic.py) and the engine's routing."""

import math
import re
import time
import urllib.request

import pytest

from routing.engine import Options, analyze_cluster
from routing.engine.parse import build_cluster
from routing.kube.sim import SimCluster
from routing.kube.sim.traffic import (
    DEMO_RATES,
    REQUEST_SHARE,
    configured_rate,
    escape_label,
    label_set,
    service_rates,
)

CADVISOR = ("container_network_receive_bytes_total", "container_network_transmit_bytes_total")
ISTIO_LABELS = {
    "reporter",
    "destination_service",
    "destination_service_name",
    "destination_service_namespace",
    "destination_workload",
    "destination_workload_namespace",
    "source_workload",
    "source_workload_namespace",
}
BEYLA_LABELS = {
    "k8s_src_owner_name",
    "k8s_src_owner_type",
    "k8s_src_namespace",
    "k8s_dst_owner_name",
    "k8s_dst_owner_type",
    "k8s_dst_namespace",
    "src_zone",
    "dst_zone",
}
HOSTILE_ZONE = 'us-east-1a "quoted" \\ back\nslash {x="y"},'


# -- a strict reader of the text format (0.0.4) ---------------------------------------------------

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}


def _labels(line: str, i: int) -> tuple[dict[str, str], int]:
    """Parse `{name="value",...}` from line[i] == "{"; returns the labels and the index after."""
    labels: dict[str, str] = {}
    i += 1
    while line[i] != "}":
        m = LABEL.match(line, i)
        assert m, f"bad label name at {i}: {line!r}"
        name, i = m.group(), m.end()
        assert line[i : i + 2] == '="', f'expected =" at {i}: {line!r}'
        i += 2
        value = []
        while line[i] != '"':
            if line[i] == "\\":
                assert line[i + 1] in ESCAPES, f"bad escape at {i}: {line!r}"
                value.append(ESCAPES[line[i + 1]])
                i += 2
            else:
                value.append(line[i])
                i += 1
        i += 1
        assert name not in labels, f"label {name} twice: {line!r}"
        labels[name] = "".join(value)
        if line[i] == ",":
            i += 1
    return labels, i + 1


def parse(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Samples by metric name; asserts HELP/TYPE come first and families are contiguous."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    helps: set[str] = set()
    done: set[str] = set()
    current = None
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    seen: set[tuple[str, tuple]] = set()
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            _, word, name, rest = line.split(" ", 3)
            assert NAME.fullmatch(name)
            if name != current:
                assert name not in done, f"family {name} is not contiguous"
                if current:
                    done.add(current)
                current = name
            if word == "TYPE":
                assert rest in ("counter", "gauge", "histogram", "summary", "untyped")
                types[name] = rest
            else:
                helps.add(name)
            continue
        assert line and not line.startswith("#"), f"unexpected line {line!r}"
        m = NAME.match(line)
        assert m
        name, i = m.group(), m.end()
        labels: dict[str, str] = {}
        if line[i] == "{":
            labels, i = _labels(line, i)
        assert line[i] == " ", line
        value = float(line[i + 1 :])
        family = name
        if current and types.get(current) == "histogram":
            family = re.sub(r"_(bucket|sum|count)$", "", name)
            if name.endswith("_bucket"):
                assert "le" in labels
        assert family == current and current in types and current in helps, line
        key = (name, tuple(sorted(labels.items())))
        assert key not in seen, f"duplicate series {line!r}"
        seen.add(key)
        samples.setdefault(name, []).append((labels, value))
    return samples


def scrape(sim: SimCluster) -> dict[str, list[tuple[dict[str, str], float]]]:
    with urllib.request.urlopen(f"{sim.url}/metrics", timeout=30) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return parse(answer.read().decode())


# -- helpers ------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = time.monotonic()  # where the traffic's own clock was: no jump either way

    def __call__(self) -> float:
        return self.now


def fake_clock(sim: SimCluster) -> Clock:
    """Put the sim's traffic on a clock the test moves (from a fresh baseline)."""
    clock = Clock()
    sim.traffic.clock = clock
    sim.traffic.advance()  # the real time so far counts; from here on only the fake clock
    return clock


def workload_of_pod(pod: str) -> str:
    """A simulated Deployment's Pod is <workload>-<10-letter template hash>-<suffix>, a
    DaemonSet's <workload>-<suffix> (also once it is gone)."""
    workload, template_hash, _ = pod.rsplit("-", 2)
    return workload if len(template_hash) == 10 else pod.rsplit("-", 1)[0]


def per_service(samples) -> dict[str, dict[tuple[str, str], float]]:
    """Bytes per Service, as each shape's query would add them up."""
    out: dict[str, dict[tuple[str, str], float]] = {"cadvisor": {}, "istio": {}, "beyla": {}}
    for metric in CADVISOR:
        for labels, value in samples.get(metric, []):
            key = (labels["namespace"], workload_of_pod(labels["pod"]))
            out["cadvisor"][key] = out["cadvisor"].get(key, 0.0) + value
    for metric in ("istio_request_bytes_sum", "istio_response_bytes_sum"):
        for labels, value in samples.get(metric, []):
            key = (labels["destination_service_namespace"], labels["destination_service_name"])
            out["istio"][key] = out["istio"].get(key, 0.0) + value
    for labels, value in samples.get("beyla_network_flow_bytes_total", []):
        key = (labels["k8s_dst_namespace"], labels["k8s_dst_owner_name"])
        out["beyla"][key] = out["beyla"].get(key, 0.0) + value
    return out


def pod_values(samples) -> dict[tuple[str, str, str], float]:
    """(metric, namespace, pod) -> value of the cAdvisor series."""
    return {
        (metric, labels["namespace"], labels["pod"]): value
        for metric in CADVISOR
        for labels, value in samples[metric]
    }


def deltas(before, after):
    """Each series' growth between two scrapes (a new series counts from 0, as rate() sees it)."""
    old = {(name, tuple(sorted(lb.items()))): v for name, rows in before.items() for lb, v in rows}
    return {
        name: [(lb, v - old.get((name, tuple(sorted(lb.items()))), 0.0)) for lb, v in rows]
        for name, rows in after.items()
    }


def assert_rates(before, after, seconds: float, rates: dict, tolerance: float = 0.01) -> None:
    """Every shape's per-Service sum grew by the configured rate over `seconds`."""
    for shape, grown in per_service(deltas(before, after)).items():
        measured = {key: value / seconds for key, value in grown.items() if value > 0}
        assert set(measured) == set(rates), shape
        for key, rate in rates.items():
            assert measured[key] == pytest.approx(rate, rel=tolerance), (shape, key)


@pytest.fixture()
def sim():
    cluster = SimCluster("demo", seed=1, churn=0).start(port=0)
    yield cluster
    cluster.stop()


# -- tests --------------------------------------------------------------------------------------


def test_metrics_parse_and_show_each_shape(sim):
    samples = scrape(sim)
    live = {key for key in sim.world.pods}
    for metric in CADVISOR:
        rows = samples[metric]
        assert {(lb["namespace"], lb["pod"]) for lb, _ in rows} == live
        assert all(lb["interface"] == "eth0" and lb["container"] == "" for lb, _ in rows)
    istio = samples["istio_request_bytes_sum"]
    assert istio and all(set(lb) >= ISTIO_LABELS for lb, _ in istio)
    assert all(lb["reporter"] == "destination" for lb, _ in istio)
    checkout = [lb for lb, _ in istio if lb["destination_service_name"] == "checkout"]
    assert [lb["destination_service"] for lb in checkout] == ["checkout.shop.svc.cluster.local"]
    assert checkout[0]["source_workload"] == "frontend"
    assert {
        lb["source_workload"] for lb, _ in istio if lb["destination_service_name"] == "cart"
    } == {
        "frontend",
        "checkout",
    }
    for suffix in ("_bucket", "_count", "_sum"):
        assert len(samples[f"istio_response_bytes{suffix}"]) == len(istio)
    beyla = samples["beyla_network_flow_bytes_total"]
    assert beyla and all(set(lb) >= BEYLA_LABELS for lb, _ in beyla)
    zones = {lb["src_zone"] for lb, _ in beyla} | {lb["dst_zone"] for lb, _ in beyla}
    assert {"us-east-1a", "us-east-1b", "us-east-1c"} <= zones
    # legacy-db's only Pod is stuck terminating: it takes no traffic, so no Istio/Beyla series.
    assert ("shop", "legacy-db") not in service_rates(sim.world)
    assert not [lb for lb, _ in istio if lb["destination_service_name"] == "legacy-db"]


def test_metrics_need_no_credentials_and_ignore_api_faults(sim):
    sim.faults.fail_next_requests(2)
    sim.faults.set_delay(5.0)
    request = urllib.request.Request(f"{sim.url}/metrics")  # no Authorization header
    with urllib.request.urlopen(request, timeout=3) as answer:
        assert answer.status == 200
    assert sim.faults.state()["failRequests"] == 2  # the faults are left for the API's clients


def test_rates_are_configured_and_deterministic(sim):
    rates = service_rates(sim.world)
    assert rates[("shop", "frontend")] == DEMO_RATES[("shop", "frontend")] == 2_000_000
    assert len(rates) == 11  # every demo Service but legacy-db
    a, b = configured_rate("payments", "core-api"), configured_rate("payments", "core-api")
    assert a == b and 1_000 <= a <= 20_000_000
    assert configured_rate("payments", "core-api-2") != a


def test_pod_rates_add_up_to_the_configured_rate(sim):
    clock = fake_clock(sim)
    rates = service_rates(sim.world)
    first = scrape(sim)
    clock.now += 10
    second = scrape(sim)
    assert_rates(first, second, 10, rates)
    # 20% received, 80% transmitted, per Pod.
    values = pod_values(second)
    for (metric, ns, pod), value in values.items():
        if metric == CADVISOR[0] and value > 0:
            total = value + values[(CADVISOR[1], ns, pod)]
            assert value / total == pytest.approx(REQUEST_SHARE, abs=1e-4)


def test_counters_survive_scale_rollout_policy_and_node_changes(sim):
    clock = fake_clock(sim)
    previous = scrape(sim)
    changes = [
        lambda: sim.scale("shop", "checkout", 3),
        lambda: sim.rollout("shop", "cart"),
        lambda: sim.set_traffic_distribution("shop", "catalog", "PreferSameZone"),
        lambda: sim.set_node_ready(sorted(sim.world.nodes)[0], False),
        lambda: sim.scale("shop", "checkout", 1, graceful=True),
    ]
    for change in changes:
        clock.now += 5
        old_pods = set(sim.world.pods)
        change()
        new_pods = set(sim.world.pods) - old_pods
        rates = service_rates(sim.world)
        current = scrape(sim)
        before, after = pod_values(previous), pod_values(current)
        for key, value in after.items():
            if key[1:] in new_pods:
                assert key not in before
            else:
                assert value >= before[key], key  # monotonic
        gone = {key[1:] for key in before} - set(sim.world.pods)
        assert not {key[1:] for key in after} & gone  # a deleted Pod's series disappear
        for shape in ("istio", "beyla"):  # per-Service counters never go down either
            b, a = per_service(previous)[shape], per_service(current)[shape]
            assert all(a[k] >= v for k, v in b.items())
        # Every byte of the interval lands on a Pod alive at the scrape.
        assert_rates(previous, current, 5, rates)
        previous = current


def test_split_follows_the_engine(sim):
    """Pod shares are the engine's endpoint load, zone pairs its zone matrix."""
    clock = fake_clock(sim)
    sim.set_traffic_distribution("shop", "catalog", "PreferSameZone")
    first = scrape(sim)
    clock.now += 10
    second = scrape(sim)
    items = [
        ("items", i, {"kind": kind, **obj})
        for plural, kind in (
            ("nodes", "Node"),
            ("services", "Service"),
            ("endpointslices", "EndpointSlice"),
        )
        for i, obj in enumerate(sim.objects(plural))
    ]
    report = analyze_cluster(build_cluster(items), Options())
    grown = deltas(first, second)
    rates = service_rates(sim.world)
    assert ("shop", "catalog") in rates
    for entry in report["services"]:
        key = (entry["namespace"], entry["name"])
        if key not in rates:
            continue
        flows = entry["flows"]
        load = {ip: w for ip, w in flows["endpointLoad"].items() if w > 0}
        forwarded = sum(load.values())
        by_ip: dict[str, float] = {}
        for metric in CADVISOR:
            for labels, delta in grown[metric]:
                pod = sim.world.pods[(labels["namespace"], labels["pod"])]
                if (pod.namespace, pod.workload.name) == key and delta > 0:
                    by_ip[pod.ip] = by_ip.get(pod.ip, 0.0) + delta
        assert set(by_ip) == set(load), key
        total = sum(by_ip.values())
        for ip, w in load.items():
            assert by_ip[ip] / total == pytest.approx(w / forwarded, abs=1e-4), (key, ip)
        matrix = {
            (src if src != "unknown" else "", dst if dst != "unknown" else ""): w / forwarded
            for src, row in flows["matrix"].items()
            for dst, w in row.items()
            if w > 0
        }
        pairs: dict[tuple[str, str], float] = {}
        for labels, delta in grown["beyla_network_flow_bytes_total"]:
            if (labels["k8s_dst_namespace"], labels["k8s_dst_owner_name"]) == key and delta > 0:
                pair = (labels["src_zone"], labels["dst_zone"])
                pairs[pair] = pairs.get(pair, 0.0) + delta
        assert set(pairs) == set(matrix), key
        total = sum(pairs.values())
        for pair, share in matrix.items():
            assert pairs[pair] / total == pytest.approx(share, abs=1e-4), (key, pair)


def test_hostile_zone_labels_are_escaped(sim):
    world = sim.world
    zoned = [n for n in world.nodes.values() if n.zone == "us-east-1a"]
    for node in zoned:
        node.zone = HOSTILE_ZONE
    for node in zoned:  # re-render nodes, Pods and slices with the new label
        sim.set_node_ready(node.name, False)
        sim.set_node_ready(node.name, True)
    clock = fake_clock(sim)
    clock.now += 10
    with urllib.request.urlopen(f"{sim.url}/metrics", timeout=30) as answer:
        text = answer.read().decode()
    assert HOSTILE_ZONE not in text  # the raw newline and quotes never reach the output
    samples = parse(text)
    beyla = samples["beyla_network_flow_bytes_total"]
    assert any(lb["src_zone"] == HOSTILE_ZONE for lb, _ in beyla)
    assert any(lb["dst_zone"] == HOSTILE_ZONE for lb, _ in beyla)


def test_escape_label_and_label_set():
    assert escape_label('a\\b"c\nd') == 'a\\\\b\\"c\\nd'
    assert escape_label("plain") == "plain"
    assert label_set([("zone", 'x"y'), ("pod", "p")]) == 'zone="x\\"y",pod="p"'
    line = "m{" + label_set([("zone", HOSTILE_ZONE)]) + "} 1\n"
    text = "# HELP m h\n# TYPE m counter\n" + line
    assert parse(text)["m"] == [({"zone": HOSTILE_ZONE}, 1.0)]


def test_large_scenario_metrics_are_consistent():
    """A small `large` cluster: seeded rates, every Pod a series, the sums hold."""
    sim = SimCluster("large", seed=3, services=60, endpoints=1500, nodes=40)
    clock = fake_clock(sim)
    rates = service_rates(sim.world)
    assert len(rates) >= 50 and len(set(rates.values())) > 40  # random, not one value
    first = parse(sim.traffic.exposition().decode())
    clock.now += 30
    second = parse(sim.traffic.exposition().decode())
    assert len(second[CADVISOR[0]]) == len(sim.world.pods)
    assert_rates(first, second, 30, rates)
    assert all(math.isfinite(v) for _, v in second[CADVISOR[1]])
