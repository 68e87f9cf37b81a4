"""Tests of the synthetic-cluster generator used by the analyze benchmark."""

import re
from collections import Counter, defaultdict
from random import Random

import orjson
import pytest

from benchmarks import gen_cluster
from benchmarks.gen_cluster import NAME_CHARS, endpoint_counts, generate

ZONE = "topology.kubernetes.io/zone"
SMALL = {"services": 50, "endpoints": 400, "nodes": 20, "zones": 3, "seed": 7, "pods": True}


@pytest.fixture(scope="module")
def doc() -> dict:
    return generate(**SMALL)


def by_kind(doc: dict) -> dict[str, list[dict]]:
    kinds = defaultdict(list)
    for item in doc["items"]:
        kinds[item["kind"]].append(item)
    return kinds


def endpoints_of(doc: dict) -> list[dict]:
    return [ep for s in by_kind(doc)["EndpointSlice"] for ep in s["endpoints"] or ()]


def slices_by_service(doc: dict) -> dict[tuple[str, str], list[dict]]:
    out = defaultdict(list)
    for s in by_kind(doc)["EndpointSlice"]:
        out[
            s["metadata"]["namespace"], s["metadata"]["labels"]["kubernetes.io/service-name"]
        ].append(s)
    return out


def policy(svc: dict) -> str:
    if svc["metadata"].get("annotations", {}).get("service.kubernetes.io/topology-mode") == "Auto":
        return "Auto"
    return svc["spec"].get("trafficDistribution", "none")


def test_counts_are_exact(doc):
    kinds = by_kind(doc)
    assert len(kinds["Node"]) == 20
    assert len(kinds["Service"]) == 50
    assert len(kinds["Pod"]) == 400
    assert len(endpoints_of(doc)) == 400
    assert gen_cluster.stats(doc)["endpoints"] == 400
    labels = [n["metadata"]["labels"] for n in kinds["Node"]]
    assert sum("node-role.kubernetes.io/control-plane" in lb for lb in labels) == 3
    zones = Counter(lb[ZONE] for lb in labels)
    assert sorted(zones) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert max(zones.values()) - min(zones.values()) <= 1
    ready = [
        c["status"]
        for n in kinds["Node"]
        for c in n["status"]["conditions"]
        if c["type"] == "Ready"
    ]
    assert ready.count("False") == 1


def test_no_pods_option_changes_nothing_else(doc):
    without = generate(**SMALL | {"pods": False})
    assert [i for i in doc["items"] if i["kind"] != "Pod"] == without["items"]


@pytest.mark.parametrize(
    ("services", "endpoints"), [(1, 0), (3, 2), (50, 400), (500, 5000), (7, 1234)]
)
def test_endpoint_counts_sum_exactly(services, endpoints):
    counts = endpoint_counts(services, endpoints, Random(1))
    assert len(counts) == services
    assert sum(counts) == endpoints
    assert min(counts) >= 0


def test_endpoint_counts_are_skewed():
    counts = sorted(endpoint_counts(10000, 100000, Random(1)))
    assert counts[len(counts) // 2] <= 10  # the typical Service is small...
    assert counts[-1] >= 200  # ...and a few have hundreds
    assert sum(2 <= c <= 10 for c in counts) > len(counts) / 2


def test_slices_hold_at_most_100_endpoints(doc):
    big = generate(services=3, endpoints=450, nodes=10, zones=3, seed=1, pods=False)
    for d in (doc, big):
        for s in by_kind(d)["EndpointSlice"]:
            assert len(s["endpoints"] or ()) <= 100
    assert max(len(v) for v in slices_by_service(big).values()) > 1
    assert sum(len(s["endpoints"] or ()) for s in by_kind(big)["EndpointSlice"]) == 450


def test_ips_are_unique(doc):
    kinds = by_kind(doc)
    ips = [ep["addresses"][0] for ep in endpoints_of(doc)]
    assert all(len(ep["addresses"]) == 1 for ep in endpoints_of(doc))
    assert len(set(ips)) == len(ips)
    assert {p["status"]["podIP"] for p in kinds["Pod"]} == set(ips)
    cluster_ips = [s["spec"]["clusterIP"] for s in kinds["Service"]]
    assert len(set(cluster_ips)) == len(cluster_ips)
    node_ips = [n["status"]["addresses"][0]["address"] for n in kinds["Node"]]
    assert len(set(node_ips)) == len(node_ips)
    node_ports = [
        p["nodePort"] for s in kinds["Service"] for p in s["spec"]["ports"] if "nodePort" in p
    ]
    assert len(set(node_ports)) == len(node_ports)


def test_endpoint_zone_is_its_nodes_zone(doc):
    nodes = {n["metadata"]["name"]: n["metadata"]["labels"] for n in by_kind(doc)["Node"]}
    for ep in endpoints_of(doc):
        assert ep["zone"] == nodes[ep["nodeName"]][ZONE]
        assert "node-role.kubernetes.io/control-plane" not in nodes[ep["nodeName"]]


def test_endpoints_match_pods(doc):
    pods = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in by_kind(doc)["Pod"]}
    for ep in endpoints_of(doc):
        ref, cond = ep["targetRef"], ep["conditions"]
        pod = pods[ref["namespace"], ref["name"]]
        assert ref["kind"] == "Pod" and ref["uid"] == pod["metadata"]["uid"]
        assert pod["spec"]["nodeName"] == ep["nodeName"]
        assert pod["status"] == {"phase": "Running", "podIP": ep["addresses"][0]}
        assert cond["ready"] == (cond["serving"] and not cond["terminating"])
        assert ("deletionTimestamp" in pod["metadata"]) == cond["terminating"]


def test_is_deterministic_for_a_seed(doc):
    assert gen_cluster.dumps(generate(**SMALL)) == gen_cluster.dumps(doc)
    assert gen_cluster.dumps(generate(**SMALL | {"seed": 8})) != gen_cluster.dumps(doc)


def test_policy_mix_has_every_kind(doc):
    services = by_kind(doc)["Service"]
    mix = Counter(policy(s) for s in services)
    assert set(mix) == {"none", "PreferClose", "PreferSameZone", "PreferSameNode", "Auto"}
    assert any(policy(s) == "Auto" and "trafficDistribution" in s["spec"] for s in services)
    assert {s["spec"]["type"] for s in services} == {"ClusterIP", "NodePort", "LoadBalancer"}
    assert all(s["spec"]["ipFamilies"] == ["IPv4"] for s in services)
    for s in services:
        assert ("externalTrafficPolicy" in s["spec"]) == (s["spec"]["type"] != "ClusterIP")
    big = Counter(policy(s) for s in by_kind(generate(2000, 20000, 60, 3, 1, False))["Service"])
    assert big == {
        "none": 800,
        "PreferClose": 300,
        "PreferSameZone": 400,
        "PreferSameNode": 200,
        "Auto": 300,
    }


def test_hints_follow_the_policy(doc):
    slices = slices_by_service(doc)
    missing = 0
    for svc in by_kind(doc)["Service"]:
        eps = [
            ep
            for s in slices[svc["metadata"]["namespace"], svc["metadata"]["name"]]
            for ep in s["endpoints"] or ()
        ]
        ready = [ep for ep in eps if ep["conditions"]["ready"]]
        assert not any("hints" in ep for ep in eps if not ep["conditions"]["ready"])
        hinted = [ep for ep in ready if "hints" in ep]
        for ep in hinted:
            assert ep["hints"]["forZones"] == [{"name": ep["zone"]}]
            if policy(svc) == "PreferSameNode":
                assert ep["hints"]["forNodes"] == [{"name": ep["nodeName"]}]
            else:
                assert "forNodes" not in ep["hints"]
        if policy(svc) == "none" or not hinted:
            assert not hinted
            continue
        if policy(svc) == "Auto":
            per_zone = Counter(ep["zone"] for ep in ready)
            assert all(per_zone[z] >= 3 for z in ("us-east-1a", "us-east-1b", "us-east-1c"))
        missing += len(ready) - len(hinted)
    assert missing >= 1  # the "one endpoint without a hint" case is present


def test_output_is_a_kubectl_list(doc):
    data = gen_cluster.dumps(doc)
    assert data.startswith(b'{\n    "apiVersion": "v1",\n    "items": [\n        {\n')
    assert data.endswith(
        b'    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n'
    )
    parsed = orjson.loads(data)
    assert parsed == doc
    assert (parsed["apiVersion"], parsed["kind"]) == ("v1", "List")
    order = [i["kind"] for i in parsed["items"]]
    assert order == sorted(order, key=["Node", "Service", "EndpointSlice", "Pod"].index)
    for item in parsed["items"]:
        expected = "discovery.k8s.io/v1" if item["kind"] == "EndpointSlice" else "v1"
        assert item["apiVersion"] == expected
        assert item["metadata"]["name"] and item["metadata"]["uid"]
    for s in by_kind(parsed)["EndpointSlice"]:
        labels, svc = s["metadata"]["labels"], s["metadata"]["labels"]["kubernetes.io/service-name"]
        assert labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
        assert s["addressType"] == "IPv4"
        assert re.fullmatch(re.escape(svc) + f"-[{NAME_CHARS}]{{5}}", s["metadata"]["name"])
    for n in by_kind(parsed)["Node"]:
        labels = n["metadata"]["labels"]
        assert re.fullmatch(r"ip-10-0-\d+-\d+", n["metadata"]["name"])
        assert labels["kubernetes.io/hostname"] == n["metadata"]["name"]
        assert labels["topology.kubernetes.io/region"] == "us-east-1"
        assert n["spec"]["providerID"].startswith(f"aws:///{labels[ZONE]}/i-")
        assert re.fullmatch(r"\d+m?", n["status"]["allocatable"]["cpu"])


def test_services_without_pods_keep_a_placeholder_slice():
    d = generate(services=200, endpoints=2000, nodes=20, zones=3, seed=3, pods=False)
    placeholders = [s for s in by_kind(d)["EndpointSlice"] if s["endpoints"] is None]
    assert len(placeholders) == 2  # 1% of the Services
    assert all(s["ports"] is None for s in placeholders)


def test_cli_writes_file_and_meta(tmp_path):
    out, meta = tmp_path / "c.json", tmp_path / "c.meta.json"
    args = ["--services", "10", "--endpoints", "60", "--nodes", "8", "--zones", "2", "--no-pods"]
    info = gen_cluster.main([*args, "-o", str(out), "--meta", str(meta)])
    written = orjson.loads(meta.read_bytes())
    assert written == info
    assert (info["services"], info["endpoints"], info["nodes"], info["pods"]) == (10, 60, 8, 0)
    assert info["bytes"] == out.stat().st_size
    assert gen_cluster.stats(orjson.loads(out.read_bytes()))["endpoints"] == 60
