"""POST .../services/{namespace}/{service}/what-if/: a Service's report under a hypothetical change.

The demo shop (examples/demo-shop.json): three zones of three 4-CPU workers plus a 2-CPU
control-plane node in us-east-1a. Snapshot 1 is the dump; snapshot 2 switches catalog to
PreferSameZone without touching its slices (so they carry no hints).
"""

import ipaddress
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from routing.models import ApiToken, Cluster, ObjectVersion, ServiceSummary, Snapshot, TrafficVolume

from .conftest import assert_error

pytestmark = pytest.mark.django_db

BASE = "/api/v1/clusters/demo/services"
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def _url(service: str, namespace: str = "shop") -> str:
    return f"{BASE}/{namespace}/{service}/what-if/"


def _what_if(client, service: str, body, status: int = 200) -> dict:
    response = client.post(_url(service), body, format="json")
    assert response.status_code == status, response.content[:500]
    return response.json()


def _detail(client, service: str, snapshot: int) -> dict:
    response = client.get(f"{BASE}/shop/{service}/?snapshot={snapshot}")
    assert response.status_code == 200, response.content[:300]
    return response.json()


@pytest.fixture
def editor(demo_cluster, token_client):
    return token_client("editor")


# --- policies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "policy"),
    [
        ({"trafficDistribution": "PreferSameZone"}, "PreferSameZone"),
        ({"trafficDistribution": "PreferClose"}, "PreferSameZone"),
        ({"trafficDistribution": "PreferSameNode"}, "PreferSameNode"),
        ({"topologyMode": "Auto"}, "Auto"),
    ],
)
def test_a_policy_gives_what_the_report_predicted_for_it(editor, change, policy):
    # catalog declares nothing in snapshot 1; the stored report already says what each policy
    # would do, and the what-if's observed flows must agree with that prediction exactly.
    detail = _detail(editor, "catalog", 1)
    predicted = detail["whatIf"][policy]
    answer = _what_if(editor, "catalog", {"snapshot": 1, **change})
    assert answer["snapshot"] == 1
    assert answer["before"]["crossZoneFraction"] == detail["flows"]["crossZoneFraction"]
    assert answer["before"]["costPerGb"] == detail["cost"]["costPerGb"]
    after = answer["after"]
    for key in ("crossZoneFraction", "crossRegionFraction", "dropped", "maxOverload", "costPerGb"):
        assert after[key] == pytest.approx(predicted[key]), key
    assert answer["report"]["flows"]["matrix"] == predicted["matrix"]  # the same computation
    assert answer["report"]["controller"]["policy"] == policy
    assert answer["report"]["policy"]["mechanism"] != "none"


def test_prefer_same_zone_lowers_cross_zone_traffic(editor):
    detail = _detail(editor, "catalog", 1)
    answer = _what_if(editor, "catalog", {"snapshot": 1, "trafficDistribution": "PreferSameZone"})
    assert answer["before"]["crossZoneFraction"] == pytest.approx(2 / 3)
    assert (
        answer["after"]["crossZoneFraction"]
        == detail["whatIf"]["PreferSameZone"]["crossZoneFraction"]
    )
    assert answer["after"]["crossZoneFraction"] < answer["before"]["crossZoneFraction"]
    assert answer["after"]["costPerGb"] < answer["before"]["costPerGb"]
    assert answer["report"]["policy"]["trafficDistribution"] == "PreferSameZone"
    assert answer["changes"][0] == "trafficDistribution: unset -> PreferSameZone"
    # the hints the controller would write are in the report's endpoints
    for endpoint in answer["report"]["endpoints"]:
        assert endpoint["hints"] == {"forZones": [endpoint["zone"]], "forNodes": []}


def test_newest_snapshot_by_default_and_stale_hints_are_rewritten(editor):
    # Snapshot 2 declares PreferSameZone on catalog but its slices carry no hints yet: any
    # change makes the controller sync the Service and write them.
    answer = _what_if(editor, "catalog", {"internalTrafficPolicy": "Cluster"})
    assert answer["snapshot"] == 2
    assert answer["before"]["crossZoneFraction"] == pytest.approx(2 / 3)
    assert answer["after"]["crossZoneFraction"] == 0.0
    assert any("hints rewritten on 6 endpoint(s)" in line for line in answer["changes"])


def test_internal_traffic_policy_local_drops_traffic_from_nodes_without_an_endpoint(editor):
    # catalog runs on six of the nine workers, one per node; clients weigh by equal CPU.
    answer = _what_if(editor, "catalog", {"snapshot": 1, "internalTrafficPolicy": "Local"})
    assert answer["before"]["dropped"] == 0.0
    assert answer["after"]["dropped"] == pytest.approx(3 / 9)
    assert answer["after"]["crossZoneFraction"] == 0.0
    assert answer["report"]["policy"]["internalTrafficPolicy"] == "Local"


def test_removing_the_topology_mode(editor):
    answer = _what_if(editor, "payments", {"topologyMode": None})
    policy = answer["report"]["policy"]
    assert policy["topologyMode"] is None and policy["topologyAnnotation"] is None
    assert policy["mechanism"] == "none"


def test_auto_wins_over_traffic_distribution(editor):
    answer = _what_if(
        editor, "cart", {"topologyMode": "Auto", "trafficDistribution": "PreferSameNode"}
    )
    assert answer["report"]["policy"]["mechanism"] == "topologyAuto"
    assert any("precedence" in line for line in answer["changes"])
    assert not any(e["hints"] and e["hints"]["forNodes"] for e in answer["report"]["endpoints"])


# --- replicas ---------------------------------------------------------------------------------


def test_emptying_a_zone_sends_its_prefer_same_zone_traffic_across(editor):
    # cart: PreferClose, two endpoints in each zone, no cross-zone traffic.
    detail = _detail(editor, "cart", 2)
    zone_c_share = sum(detail["flows"]["matrix"]["us-east-1c"].values())
    answer = _what_if(editor, "cart", {"replicasPerZone": {"us-east-1c": 0}})
    assert answer["before"]["crossZoneFraction"] == 0.0
    matrix = answer["report"]["flows"]["matrix"]
    assert matrix["us-east-1c"].get("us-east-1c", 0.0) == 0.0
    assert sum(matrix["us-east-1c"].values()) == pytest.approx(zone_c_share)
    assert answer["after"]["crossZoneFraction"] == pytest.approx(zone_c_share)
    zones = [e["zone"] for e in answer["report"]["endpoints"]]
    assert sorted(zones) == ["us-east-1a"] * 2 + ["us-east-1b"] * 2
    assert "ready endpoints in zone us-east-1c: 2 -> 0" in answer["changes"]
    # zone c's clients find no endpoint hinted for their zone, so they use all of them
    assert answer["report"]["proxyByZone"]["us-east-1c"]["mode"] is None


def test_added_endpoints_are_synthetic_and_hinted_for_their_zone(editor):
    answer = _what_if(editor, "cart", {"replicasPerZone": {"us-east-1a": 5}})
    endpoints = answer["report"]["endpoints"]
    in_a = [e for e in endpoints if e["zone"] == "us-east-1a"]
    assert len(in_a) == 5 and len(endpoints) == 9
    new = [
        e for e in in_a if ipaddress.ip_address(e["ip"]) in ipaddress.ip_network("198.18.0.0/15")
    ]
    assert len(new) == 3 and len({e["ip"] for e in endpoints}) == 9
    # round-robin over the zone's ready workers by name; never the control-plane node
    assert [e["nodeName"] for e in new] == ["ip-10-0-0-1", "ip-10-0-0-2", "ip-10-0-0-3"]
    for e in new:
        assert e["ready"] is True and e["terminating"] is False
    # the controller hints each endpoint for its own zone, so nothing crosses
    assert all(e["hints"]["forZones"] == [e["zone"]] for e in endpoints)
    assert answer["after"]["crossZoneFraction"] == 0.0


def test_enough_replicas_let_auto_allocate(editor):
    # payments: Auto with 2/1/1 endpoints, which is too few for Auto's safeguards.
    answer = _what_if(editor, "payments", {"replicasPerZone": {"us-east-1b": 2, "us-east-1c": 2}})
    assert answer["before"]["crossZoneFraction"] == pytest.approx(2 / 3)
    assert answer["after"]["crossZoneFraction"] == 0.0
    events = answer["report"]["controller"]["events"]
    assert [e["reason"] for e in events] == ["TopologyAwareHintsEnabled"]


# --- CPU --------------------------------------------------------------------------------------


def test_cpu_per_zone_changes_auto_zone_ratios(editor):
    body = {
        "replicasPerZone": {"us-east-1b": 2, "us-east-1c": 2},
        "cpuPerZone": {"us-east-1a": "24"},
    }
    answer = _what_if(editor, "payments", body)
    cluster = answer["report"]["cluster"]
    assert cluster["autoZoneRatios"] == pytest.approx(
        {"us-east-1a": 0.5, "us-east-1b": 0.25, "us-east-1c": 0.25}
    )
    # the control-plane node's 2 CPUs stay where they were
    assert cluster["zones"]["us-east-1a"]["allocatableCpuMillis"] == 24000 + 2000
    # with 6 endpoints, ratios of 1/2, 1/4, 1/4 need minimums of 3+2+2: Auto turns off
    [event] = answer["report"]["controller"]["events"]
    assert event["reason"] == "TopologyAwareHintsDisabled"
    assert "Unable to allocate minimum" in event["message"]
    assert answer["after"]["crossZoneFraction"] == pytest.approx(2 / 3)
    assert "allocatable CPU of zone us-east-1a: 12 -> 24 over 3 node(s)" in answer["changes"]


@pytest.mark.parametrize("quantity", ["24000m", "24", 24, 24.0, "0.024k"])
def test_cpu_quantities_in_any_form(editor, quantity):
    answer = _what_if(editor, "search", {"cpuPerZone": {"us-east-1b": quantity}})
    ratios = answer["report"]["cluster"]["autoZoneRatios"]
    assert ratios == pytest.approx({"us-east-1a": 0.25, "us-east-1b": 0.5, "us-east-1c": 0.25})


# --- money, errors, roles, storage ------------------------------------------------------------


def test_monthly_figures_use_the_services_volume(editor, demo_cluster):
    TrafficVolume.objects.create(
        cluster=demo_cluster, namespace="shop", name="catalog", monthly_gb=1000
    )
    answer = _what_if(editor, "catalog", {"snapshot": 1, "trafficDistribution": "PreferSameZone"})
    before = answer["before"]
    assert before["monthlyCost"] == pytest.approx(before["costPerGb"] * 1000)
    assert answer["after"]["monthlyCost"] == 0.0
    assert answer["report"]["cost"]["monthlyGb"] == 1000


@pytest.mark.parametrize("field", ["replicasPerZone", "cpuPerZone"])
def test_unknown_zone_is_400_naming_it(editor, field):
    value = 2 if field == "replicasPerZone" else "8"
    response = editor.post(_url("cart"), {field: {"eu-west-9z": value}}, format="json")
    error = assert_error(response, 400, "invalid")
    assert "eu-west-9z" in error["message"] and field in error["details"]


def test_replicas_of_a_service_without_endpoints_clone_what_there_is(editor):
    # legacy-db has one terminating endpoint only; the clone must come up ready.
    answer = _what_if(editor, "legacy-db", {"replicasPerZone": {"us-east-1b": 1}})
    assert answer["before"]["crossZoneFraction"] == pytest.approx(2 / 3)
    new = [e for e in answer["report"]["endpoints"] if e["zone"] == "us-east-1b"]
    assert len(new) == 1 and new[0]["ready"] is True
    assert answer["after"]["crossZoneFraction"] == pytest.approx(2 / 3)  # still no policy


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"snapshot": 1},
        {"replicas": 3},
        {"trafficDistribution": "PreferFarAway"},
        {"trafficDistribution": 1},
        {"trafficDistribution": ["PreferClose"]},
        {"topologyMode": "auto"},
        {"topologyMode": "Disabled"},
        {"internalTrafficPolicy": None},
        {"internalTrafficPolicy": "local"},
        {"replicasPerZone": {}},
        {"replicasPerZone": []},
        {"replicasPerZone": "us-east-1a=3"},
        {"replicasPerZone": {"us-east-1a": -1}},
        {"replicasPerZone": {"us-east-1a": 1001}},
        {"replicasPerZone": {"us-east-1a": 10**40}},
        {"replicasPerZone": {"us-east-1a": "3"}},
        {"replicasPerZone": {"us-east-1a": 2.5}},
        {"replicasPerZone": {"us-east-1a": True}},
        {"replicasPerZone": {"us-east-1a": None}},
        {"replicasPerZone": {"x" * 64: 1}},
        {"replicasPerZone": {f"zone-{i}": 1 for i in range(33)}},
        {"cpuPerZone": {"us-east-1a": "lots"}},
        {"cpuPerZone": {"us-east-1a": "-4"}},
        {"cpuPerZone": {"us-east-1a": -4}},
        {"cpuPerZone": {"us-east-1a": "1e999999"}},
        {"cpuPerZone": {"us-east-1a": 1e300}},
        {"cpuPerZone": {"us-east-1a": 10**40}},
        {"cpuPerZone": {"us-east-1a": "9" * 65}},
        {"cpuPerZone": {"us-east-1a": None}},
        {"cpuPerZone": {"us-east-1a": False}},
        {"cpuPerZone": {"us-east-1a": {"cpu": "4"}}},
        {"snapshot": "1", "trafficDistribution": None},
        {"snapshot": 0, "trafficDistribution": None},
        {"snapshot": 2**63, "trafficDistribution": None},
        [{"trafficDistribution": None}],
        "PreferSameZone",
        None,
    ],
    ids=repr,
)
def test_bad_bodies_are_400(editor, body):
    response = editor.post(_url("cart"), json.dumps(body), content_type="application/json")
    assert_error(response, 400)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"replicasPerZone": {"us-east-1a": 1' + b"0" * 5000 + b"}}",
        b'{"cpuPerZone": {"us-east-1a": NaN}}',
        b'{"cpuPerZone": {"us-east-1a": Infinity}}',
        b'{"trafficDistribution": "PreferClose"',
        b"\xff\xfe",
    ],
)
def test_malformed_json_is_400(editor, raw):
    response = editor.post(_url("cart"), raw, content_type="application/json")
    assert_error(response, 400)


def test_missing_things_are_404(editor, demo_cluster):
    body = {"trafficDistribution": "PreferSameZone"}
    assert_error(editor.post(_url("nope"), body, format="json"), 404, "not_found")
    assert_error(editor.post(_url("cart", "nope"), body, format="json"), 404, "not_found")
    gone = {**body, "snapshot": 99}
    assert_error(editor.post(_url("cart"), gone, format="json"), 404, "not_found")
    other = "/api/v1/clusters/nope/services/shop/cart/what-if/"
    assert_error(editor.post(other, body, format="json"), 404, "not_found")
    Cluster.objects.create(name="empty", source=Cluster.Source.UPLOAD)
    empty = "/api/v1/clusters/empty/services/shop/cart/what-if/"
    assert_error(editor.post(empty, body, format="json"), 404, "not_found")
    assert_error(editor.post(f"{BASE}/shop/{'x' * 300}/what-if/", body, format="json"), 404)


def test_viewers_may_not_and_anonymous_must_log_in(demo_cluster, token_client, principal):
    body = {"trafficDistribution": "PreferSameZone"}
    error = assert_error(token_client("viewer").post(_url("cart"), body, format="json"), 403)
    assert "editor" in error["message"]
    assert_error(principal("anonymous").post(_url("cart"), body, format="json"), 401)
    assert token_client("admin").post(_url("cart"), body, format="json").status_code == 200


def test_only_post(editor):
    response = editor.get(_url("cart"))
    assert_error(response, 405, "method_not_allowed")


def test_nothing_is_written(editor):
    def counts():
        return (
            Snapshot.objects.count(),
            ObjectVersion.objects.count(),
            ServiceSummary.objects.count(),
        )

    stored = counts()
    body = {
        "trafficDistribution": "PreferSameNode",
        "replicasPerZone": {"us-east-1a": 4, "us-east-1c": 0},
        "cpuPerZone": {"us-east-1b": "64"},
    }
    with CaptureQueriesContext(connection) as queries:
        _what_if(editor, "cart", body)
    assert counts() == stored
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]
    token_table = ApiToken._meta.db_table
    assert all(token_table in sql for sql in writes), writes  # only the token's last use
    # the stored report is untouched: the detail still shows the snapshot as it was
    assert _detail(editor, "cart", 2)["flows"]["crossZoneFraction"] == 0.0
    assert len(_detail(editor, "cart", 2)["endpoints"]) == 6
