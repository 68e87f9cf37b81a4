"""routing.whatif's object edits, on the demo shop's objects and small hand-made variations.

No database: the edits take and return kubectl-shaped dicts.
"""

import copy
import ipaddress
import json

import pytest

from routing.engine import Options, build_cluster, controller
from routing.engine.model import DEPRECATED_HINTS_ANNOTATION, TOPOLOGY_MODE_ANNOTATION
from routing.engine.service_entry import service_entry
from routing.engine.topology import zone_ratios
from routing.whatif import (
    MAX_PER_SLICE,
    WhatIfError,
    apply_changes,
    reconcile_hints,
    split_millis,
)
from tests.factories import DEMO_DUMP

BENCHMARK = ipaddress.ip_network("198.18.0.0/15")


@pytest.fixture
def demo() -> list[dict]:
    return json.loads(DEMO_DUMP.read_text())["items"]


def _find(objects: list[dict], kind: str, name: str) -> dict:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def _endpoints(objects: list[dict], service: str) -> list[dict]:
    return [
        ep
        for o in objects
        if o["kind"] == "EndpointSlice"
        and o["metadata"]["labels"]["kubernetes.io/service-name"] == service
        for ep in o.get("endpoints") or []
    ]


def _in_zone(objects: list[dict], service: str, zone: str) -> list[dict]:
    return [ep for ep in _endpoints(objects, service) if ep.get("zone") == zone]


def _cpu(objects: list[dict], node: str) -> str:
    return _find(objects, "Node", node)["status"]["allocatable"]["cpu"]


def _entry(objects: list[dict], service: str) -> dict:
    entry = service_entry(objects, Options(services=frozenset({("shop", service)})))
    assert entry is not None
    return entry


# --- the input is never touched ---------------------------------------------------------------


def test_the_input_is_left_as_it_was(demo):
    before = copy.deepcopy(demo)
    edited = apply_changes(
        demo,
        "shop",
        "cart",
        {
            "trafficDistribution": "PreferSameNode",
            "topologyMode": "Auto",
            "internalTrafficPolicy": "Local",
            "replicasPerZone": {"us-east-1a": 4, "us-east-1c": 0},
            "cpuPerZone": {"us-east-1b": "64"},
        },
    )
    assert demo == before
    assert edited.objects != demo
    # and the result shares no containers with the input
    _find(edited.objects, "Node", "ip-10-0-1-1")["status"]["allocatable"]["cpu"] = "1"
    _endpoints(edited.objects, "cart")[0]["conditions"]["ready"] = False
    assert demo == before


# --- the Service's policy ---------------------------------------------------------------------


def test_traffic_distribution_is_set_and_removed(demo):
    spec = _find(
        apply_changes(demo, "shop", "catalog", {"trafficDistribution": "PreferSameZone"}).objects,
        "Service",
        "catalog",
    )["spec"]
    assert spec["trafficDistribution"] == "PreferSameZone"
    edited = apply_changes(demo, "shop", "cart", {"trafficDistribution": None})
    assert "trafficDistribution" not in _find(edited.objects, "Service", "cart")["spec"]
    assert edited.changes[0] == "trafficDistribution: PreferClose -> unset"
    # PreferClose hints were stripped, as the controller does for a Service without a policy
    assert all("hints" not in ep for ep in _endpoints(edited.objects, "cart"))


def test_internal_traffic_policy(demo):
    edited = apply_changes(demo, "shop", "cart", {"internalTrafficPolicy": "Local"})
    assert _find(edited.objects, "Service", "cart")["spec"]["internalTrafficPolicy"] == "Local"
    assert edited.changes == ["internalTrafficPolicy: Cluster -> Local"]  # hints already right


def test_topology_mode_replaces_the_deprecated_annotation(demo):
    service = _find(demo, "Service", "cart")
    service["metadata"]["annotations"] = {DEPRECATED_HINTS_ANNOTATION: "Disabled", "team": "x"}
    edited = apply_changes(demo, "shop", "cart", {"topologyMode": "Auto"})
    annotations = _find(edited.objects, "Service", "cart")["metadata"]["annotations"]
    # the deprecated key would decide (and say Disabled) if it stayed
    assert annotations == {TOPOLOGY_MODE_ANNOTATION: "Auto", "team": "x"}
    assert _entry(edited.objects, "cart")["policy"]["mechanism"] == "topologyAuto"
    assert any("precedence" in line for line in edited.changes)  # PreferClose is still set


def test_removing_the_topology_mode_removes_both_keys(demo):
    service = _find(demo, "Service", "search")
    service["metadata"]["annotations"][DEPRECATED_HINTS_ANNOTATION] = "auto"
    edited = apply_changes(demo, "shop", "search", {"topologyMode": None})
    assert "annotations" not in _find(edited.objects, "Service", "search")["metadata"]
    assert all("hints" not in ep for ep in _endpoints(edited.objects, "search"))


# --- hints ------------------------------------------------------------------------------------


def test_hints_are_the_engines_and_a_second_reconcile_changes_nothing(demo):
    edited = apply_changes(
        demo, "shop", "payments", {"replicasPerZone": {"us-east-1b": 2, "us-east-1c": 2}}
    )
    cluster = build_cluster([("items", i, o) for i, o in enumerate(edited.objects)])
    svc = next(s for s in cluster.services if s.name == "payments")
    expected = controller.simulate(svc, "Auto", zone_ratios(cluster.nodes)).hints
    assert [ep.hint for ep in svc.endpoints] == expected
    assert reconcile_hints(copy.deepcopy(edited.objects), "shop", "payments")[0] == 0


def test_stale_hints_are_cleared_with_any_change(demo):
    # email asks for no policy but its slices still carry zone hints
    assert all("hints" in ep for ep in _endpoints(demo, "email"))
    edited = apply_changes(demo, "shop", "email", {"internalTrafficPolicy": "Cluster"})
    assert all("hints" not in ep for ep in _endpoints(edited.objects, "email"))
    assert "EndpointSlice hints rewritten on 3 endpoint(s)" in edited.changes[-1]


def test_slices_the_controller_does_not_manage_keep_their_hints(demo):
    email = _find(demo, "EndpointSlice", "email-7xk2p")
    email["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] = "someone-else"
    edited = apply_changes(demo, "shop", "email", {"trafficDistribution": "PreferSameNode"})
    assert _endpoints(edited.objects, "email") == _endpoints(demo, "email")


# --- replicas ---------------------------------------------------------------------------------


def test_replicas_are_added_with_synthetic_addresses_and_names(demo):
    # a clash to step over: an address and a name the generator would pick first
    cart = _find(demo, "EndpointSlice", "cart-7xk2p")
    cart["endpoints"][0]["addresses"] = ["198.18.0.1"]
    cart["endpoints"][0]["targetRef"]["name"] = "cart-whatif-0"
    edited = apply_changes(demo, "shop", "cart", {"replicasPerZone": {"us-east-1b": 6}})
    in_b = _in_zone(edited.objects, "cart", "us-east-1b")
    assert len(in_b) == 6
    new = in_b[2:]
    addresses = [ep["addresses"][0] for ep in new]
    assert addresses == ["198.18.0.2", "198.18.0.3", "198.18.0.4", "198.18.0.5"]
    assert all(ipaddress.ip_address(a) in BENCHMARK for a in addresses)
    names = [ep["targetRef"]["name"] for ep in new]
    assert names == ["cart-whatif-1", "cart-whatif-2", "cart-whatif-3", "cart-whatif-4"]
    nodes = [ep["nodeName"] for ep in new]
    assert nodes == ["ip-10-0-1-1", "ip-10-0-1-2", "ip-10-0-1-3", "ip-10-0-1-1"]
    for ep in new:
        assert ep["conditions"] == {"ready": True, "serving": True, "terminating": False}
        assert ep["zone"] == "us-east-1b"
        assert ep["hints"] == {"forZones": [{"name": "us-east-1b"}]}
    # other zones are as they were
    for zone in ("us-east-1a", "us-east-1c"):
        assert _in_zone(edited.objects, "cart", zone) == _in_zone(demo, "cart", zone)
    assert edited.changes[0] == "ready endpoints in zone us-east-1b: 2 -> 6"


def test_placement_skips_unready_and_control_plane_nodes(demo):
    node = _find(demo, "Node", "ip-10-0-0-1")
    node["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    edited = apply_changes(demo, "shop", "cart", {"replicasPerZone": {"us-east-1a": 5}})
    nodes = [ep["nodeName"] for ep in _in_zone(edited.objects, "cart", "us-east-1a")[2:]]
    assert nodes == ["ip-10-0-0-2", "ip-10-0-0-3", "ip-10-0-0-2"]


def test_surplus_replicas_are_removed_last_first(demo):
    edited = apply_changes(demo, "shop", "inventory", {"replicasPerZone": {"us-east-1b": 1}})
    in_b = _in_zone(edited.objects, "inventory", "us-east-1b")
    assert [ep["addresses"] for ep in in_b] == [["10.1.10.2"]]
    assert len(_endpoints(edited.objects, "inventory")) == 3


def test_unready_endpoints_are_not_replicas(demo):
    # legacy-db's only endpoint is terminating: zone a has 0 ready, so 1 means one more
    edited = apply_changes(demo, "shop", "legacy-db", {"replicasPerZone": {"us-east-1a": 1}})
    eps = _endpoints(edited.objects, "legacy-db")
    assert [ep["conditions"]["ready"] for ep in eps] == [False, True]


def test_a_full_slice_overflows_into_a_new_one(demo):
    edited = apply_changes(demo, "shop", "email", {"replicasPerZone": {"us-east-1a": 150}})
    slices = [o for o in edited.objects if o["kind"] == "EndpointSlice"]
    email = [s for s in slices if s["metadata"]["labels"]["kubernetes.io/service-name"] == "email"]
    assert [len(s["endpoints"]) for s in email] == [MAX_PER_SLICE, 152 - MAX_PER_SLICE]
    extra = email[1]
    assert extra["metadata"]["name"] == "email-whatif-0"
    assert extra["addressType"] == "IPv4" and extra["ports"] == email[0]["ports"]
    assert extra["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == (
        "endpointslice-controller.k8s.io"
    )
    assert len(_entry(edited.objects, "email")["endpoints"]) == 152
    ips = [ep["addresses"][0] for ep in _endpoints(edited.objects, "email")]
    assert len(set(ips)) == len(ips)


def test_dual_stack_services_get_the_same_new_pods_in_both_families(demo):
    service = _find(demo, "Service", "frontend")
    service["spec"]["ipFamilies"] = ["IPv4", "IPv6"]
    v6 = copy.deepcopy(_find(demo, "EndpointSlice", "frontend-7xk2p"))
    v6["metadata"]["name"] = "frontend-v6"
    v6["addressType"] = "IPv6"
    for i, ep in enumerate(v6["endpoints"]):
        ep["addresses"] = [f"fd00::{i + 1}"]
    v6["endpoints"][0]["addresses"] = ["2001:2:0:0::1"]  # the first synthetic one, spelt long
    demo.append(v6)
    edited = apply_changes(demo, "shop", "frontend", {"replicasPerZone": {"us-east-1c": 3}})
    by_family: dict[str, list[dict]] = {"IPv4": [], "IPv6": []}
    for s in edited.objects:
        if s["kind"] == "EndpointSlice" and s["metadata"]["name"].startswith("frontend"):
            by_family[s["addressType"]] += [e for e in s["endpoints"] if e["zone"] == "us-east-1c"]
    assert [len(eps) for eps in by_family.values()] == [3, 3]
    pods = [[(e["targetRef"]["name"], e["nodeName"]) for e in eps] for eps in by_family.values()]
    assert pods[0] == pods[1]
    assert [e["addresses"][0] for e in by_family["IPv6"][1:]] == ["2001:2::2", "2001:2::3"]


def test_pods_follow_the_endpoints_when_the_input_has_pods(demo):
    for ep in _endpoints(demo, "cart"):
        demo.append(
            {
                "kind": "Pod",
                "metadata": {"name": ep["targetRef"]["name"], "namespace": "shop"},
                "spec": {"nodeName": ep["nodeName"]},
                "status": {"phase": "Running", "podIP": ep["addresses"][0]},
            }
        )
    edited = apply_changes(
        demo, "shop", "cart", {"replicasPerZone": {"us-east-1a": 3, "us-east-1c": 0}}
    )
    pods = {o["metadata"]["name"]: o for o in edited.objects if o["kind"] == "Pod"}
    referenced = {ep["targetRef"]["name"] for ep in _endpoints(edited.objects, "cart")}
    assert set(pods) == referenced
    new = pods["cart-whatif-0"]
    assert new["spec"]["nodeName"] == "ip-10-0-0-1" and new["status"]["phase"] == "Running"


@pytest.mark.parametrize(
    ("service", "changes", "field", "words"),
    [
        ("cart", {"replicasPerZone": {"eu-west-9z": 1}}, "replicasPerZone", "eu-west-9z"),
        ("cart", {"cpuPerZone": {"eu-west-9z": "4"}}, "cpuPerZone", "eu-west-9z"),
        ("cart", {"cpuPerZone": {"us-east-1a": "four"}}, "cpuPerZone", "four"),
    ],
)
def test_changes_that_cannot_apply(demo, service, changes, field, words):
    with pytest.raises(WhatIfError) as caught:
        apply_changes(demo, "shop", service, changes)
    assert caught.value.field == field and words in caught.value.message


def test_a_zone_without_ready_workers_gets_no_new_endpoints(demo):
    for name in ("ip-10-0-2-1", "ip-10-0-2-2", "ip-10-0-2-3"):
        _find(demo, "Node", name)["status"]["conditions"] = []
    with pytest.raises(WhatIfError, match="no ready worker node"):
        apply_changes(demo, "shop", "cart", {"replicasPerZone": {"us-east-1c": 3}})
    # removing is still fine
    apply_changes(demo, "shop", "cart", {"replicasPerZone": {"us-east-1c": 1}})


def test_a_service_without_selector_has_no_replicas(demo):
    del _find(demo, "Service", "cart")["spec"]["selector"]
    with pytest.raises(WhatIfError, match="no selector"):
        apply_changes(demo, "shop", "cart", {"replicasPerZone": {"us-east-1a": 3}})


# --- CPU --------------------------------------------------------------------------------------


def test_cpu_is_spread_in_proportion_and_spares_the_control_plane(demo):
    _find(demo, "Node", "ip-10-0-0-1")["status"]["allocatable"]["cpu"] = "2"
    _find(demo, "Node", "ip-10-0-0-2")["status"]["allocatable"]["cpu"] = "6000m"
    del _find(demo, "Node", "ip-10-0-0-3")["status"]["allocatable"]["cpu"]
    edited = apply_changes(demo, "shop", "search", {"cpuPerZone": {"us-east-1a": "16"}})
    assert [_cpu(edited.objects, f"ip-10-0-0-{i}") for i in (1, 2, 3)] == ["4000m", "12000m", "0m"]
    assert _cpu(edited.objects, "ip-10-0-9-1") == _cpu(demo, "ip-10-0-9-1")
    assert edited.changes[0] == "allocatable CPU of zone us-east-1a: 8 -> 16 over 3 node(s)"


def test_cpu_is_split_equally_when_no_node_reports_any(demo):
    for i in (1, 2, 3):
        del _find(demo, "Node", f"ip-10-0-2-{i}")["status"]["allocatable"]
    edited = apply_changes(demo, "shop", "search", {"cpuPerZone": {"us-east-1c": 10}})
    assert [_cpu(edited.objects, f"ip-10-0-2-{i}") for i in (1, 2, 3)] == [
        "3334m",
        "3333m",
        "3333m",
    ]
    ratios = _entry(edited.objects, "search")["cluster"]["autoZoneRatios"]
    assert ratios == pytest.approx(
        {"us-east-1a": 12 / 34, "us-east-1b": 12 / 34, "us-east-1c": 10 / 34}
    )


def test_zero_cpu_turns_auto_off_everywhere(demo):
    edited = apply_changes(demo, "shop", "search", {"cpuPerZone": {"us-east-1b": 0}})
    entry = _entry(edited.objects, "search")
    assert entry["cluster"]["autoZoneRatios"] is None
    assert entry["controller"]["events"][0]["reason"] == "TopologyAwareHintsDisabled"


@pytest.mark.parametrize(
    ("total", "current", "parts"),
    [
        (12, [4, 4, 4], [4, 4, 4]),
        (10, [1, 3], [3, 7]),  # 2.5 and 7.5: equal remainders, so the first gets the spare
        (7, [0, 0, 0], [3, 2, 2]),
        (0, [5, 5], [0, 0]),
        (10**18, [1, 2], [333333333333333333, 666666666666666667]),  # exact, no floats
    ],
)
def test_split_millis_sums_exactly(total, current, parts):
    assert split_millis(total, current) == parts
    assert sum(parts) == total
