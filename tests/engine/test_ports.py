"""Service ports as kube-proxy matches them to EndpointSlice ports (by name and protocol; a port
without a number is ignored): per-port endpoints, the `ports` section and its findings.

Rules: kubernetes/kubernetes pkg/proxy/endpointslicecache.go (endpointInfoByServicePort); the
upstream-derived cases are tests/engine/vectors/proxy-ports-*.json."""

from typing import Any

import orjson

from routing.engine import build_cluster, load_bytes
from routing.engine.proxy import proxy_endpoints
from routing.whatif import apply_changes

from .test_edge_cases import endpoint, node, run, service, slice_


def _ports(spec_ports: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    svc = service(**kwargs)
    svc["spec"]["ports"] = spec_ports
    return svc


def _slice(name: str, ports: list[dict[str, Any]] | None, *eps: dict[str, Any]) -> dict[str, Any]:
    obj = slice_(name, *eps)
    if ports is None:
        obj.pop("ports")
    else:
        obj["ports"] = ports
    return obj


NODES = [node("a1", "zone-a"), node("b1", "zone-b")]
HTTP = {"name": "http", "port": 80, "protocol": "TCP"}
METRICS = {"name": "metrics", "port": 9090, "protocol": "TCP"}


def test_a_zone_whose_slice_serves_another_port_sends_its_clients_across_zones():
    """The issue's case: reported 0% before, kube-proxy sends zone a's clients to zone b."""
    items = [
        *NODES,
        _ports([HTTP], td="PreferSameZone"),
        _slice(
            "svc-a",
            [{"name": "other", "port": 8081}],
            endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
        ),
        _slice(
            "svc-b",
            [{"name": "http", "port": 8080}],
            endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-b"]),
        ),
    ]
    s = run(items)
    assert s["flows"]["crossZoneFraction"] == 0.5
    assert s["proxy"]["a1"]["endpoints"] == ["10.0.0.2"]
    (mismatch,) = [d for d in s["diagnostics"] if d["code"] == "port-mismatch"]
    assert mismatch["severity"] == "warning"
    assert "svc-a" in mismatch["message"] and "'http'" in mismatch["message"]
    assert "other/TCP" in mismatch["message"]


def test_each_port_gets_its_own_figures_and_the_headline_is_the_first_ports():
    items = [
        *NODES,
        _ports([HTTP, METRICS], td="PreferSameZone"),
        _slice(
            "svc-web",
            [{"name": "http", "port": 8080}, {"name": "metrics", "port": 9090}],
            endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
            endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-b"]),
        ),
        _slice(
            "svc-metrics-only",
            [{"name": "metrics", "port": 9090}],
            endpoint("10.0.0.3", "a1", "zone-a", for_zones=["zone-a"]),
        ),
    ]
    s = run(items)
    http, metrics = s["ports"]
    assert (http["name"], http["protocol"], http["port"], http["endpoints"]) == (
        "http",
        "TCP",
        80,
        2,
    )
    assert (metrics["name"], metrics["endpoints"]) == ("metrics", 3)
    assert http["crossZoneFraction"] == s["flows"]["crossZoneFraction"] == 0.0
    assert http["maxOverload"] == s["flows"]["maxOverload"]
    # zone a's two metrics endpoints take half the traffic: each gets 0.25 of a fair 1/3
    assert abs(metrics["maxOverload"] - 1.5) < 1e-9
    assert sorted(s["flows"]["endpointLoad"]) == ["10.0.0.1", "10.0.0.2"]


def test_a_first_port_without_endpoints_is_rejected_and_says_why():
    items = [
        *NODES,
        _ports([HTTP]),
        _slice("svc-x", [{"name": "http"}], endpoint("10.0.0.1", "a1", "zone-a")),
    ]
    s = run(items)
    assert s["proxy"]["a1"]["action"] == "reject"
    codes = [d["code"] for d in s["diagnostics"]]
    assert "port-without-endpoints" in codes and "no-endpoints" not in codes
    (found,) = [d for d in s["diagnostics"] if d["code"] == "port-without-endpoints"]
    assert found["severity"] == "error"
    assert "without a port number" in found["message"] and "svc-x" in found["message"]
    assert s["ports"][0]["endpoints"] == 0


def test_a_second_port_without_endpoints_is_a_warning_and_leaves_the_headline_alone():
    items = [
        *NODES,
        _ports([HTTP, {"name": "dns", "port": 53, "protocol": "UDP"}]),
        _slice(
            "svc-x",
            [{"name": "http", "port": 8080}, {"name": "dns", "port": 53}],
            endpoint("10.0.0.1", "a1", "zone-a"),
        ),
    ]
    s = run(items)
    assert s["proxy"]["b1"]["action"] == "forward"
    (found,) = [d for d in s["diagnostics"] if d["code"] == "port-without-endpoints"]
    assert found["severity"] == "warning" and "dns/UDP" in found["message"]
    assert "dns/TCP" in found["message"]  # what the slice lists instead


def test_headless_services_and_services_without_ports_count_every_slice():
    eps = [endpoint("10.0.0.1", "a1", "zone-a"), endpoint("10.0.0.2", "b1", "zone-b")]
    headless = _ports([HTTP])
    headless["spec"]["clusterIP"] = "None"
    s = run([*NODES, headless, _slice("svc-x", [{"name": "other", "port": 1}], *eps)])
    assert sorted(s["proxy"]["a1"]["endpoints"]) == ["10.0.0.1", "10.0.0.2"]
    assert not [d for d in s["diagnostics"] if d["code"].startswith("port-")]
    portless = service()
    del portless["spec"]["ports"]
    s = run([*NODES, portless, _slice("svc-x", None, *eps)])
    assert sorted(s["proxy"]["a1"]["endpoints"]) == ["10.0.0.1", "10.0.0.2"]
    assert s["ports"] == []


def test_what_if_endpoints_added_to_a_service_without_slices_serve_its_ports():
    items = [*NODES, _ports([HTTP, METRICS])]
    edited = apply_changes(items, "default", "svc", {"replicasPerZone": {"zone-a": 1, "zone-b": 1}})
    data = orjson.dumps({"kind": "List", "items": edited.objects})
    (svc,) = build_cluster(load_bytes(data)).services
    assert [len(proxy_endpoints(svc, port)) for port in svc.ports] == [2, 2]


def test_port_keys_default_as_the_api_server_writes_them():
    """A missing slice port name is "" and protocol TCP (discovery/v1 SetDefaults_EndpointPort)."""
    items = [
        *NODES,
        _ports([{"port": 80}]),
        _slice("svc-x", [{"port": 8080}], endpoint("10.0.0.1", "a1", "zone-a")),
    ]
    cluster = build_cluster(load_bytes(orjson.dumps({"kind": "List", "items": items})))
    (svc,) = cluster.services
    assert proxy_endpoints(svc) == [0]
    assert svc.ports[0].key == ("", "TCP")
