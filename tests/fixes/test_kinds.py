"""Each kind of fix on a small hand-built cluster (routing.fixes): found when its problem is
there, verified by the engine, and its `after` equal to a fresh analysis of the objects changed
the way its commands (or its what-if body) say, applied here by a test helper."""

from typing import Any

import orjson
import pytest

from routing.engine import Options, analyze_cluster, build_cluster, load_bytes
from routing.fixes import add_fixes
from tests.engine.test_edge_cases import endpoint, node, service, slice_, three_zones

from .applying import after_applying

ZONE = "topology.kubernetes.io/zone"


def _report(items: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    data = orjson.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    loaded = load_bytes(data)
    opts = Options(**options)
    report = analyze_cluster(build_cluster(loaded), opts)
    add_fixes(report, [obj for _, _, obj in loaded], opts)
    return report


def _svc(items: list[dict[str, Any]], name: str = "svc", **options: Any) -> dict[str, Any]:
    return next(s for s in _report(items, **options)["services"] if s["name"] == name)


def _kinds(entry: dict[str, Any]) -> list[str]:
    return [f["kind"] for f in entry["fixes"]]


def _check_after(items: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    """Every fix's `after` equals the engine's analysis of the objects as the fix changes them."""
    for fix in entry["fixes"]:
        fresh = after_applying(items, entry["namespace"], entry["name"], fix)
        for figure, value in fix["after"].items():
            assert fresh[figure] == pytest.approx(value, abs=1e-12), (fix["kind"], figure)


def test_a_hint_the_controller_has_not_written_yet():
    items = [
        *three_zones(),
        service(td="PreferSameZone"),
        slice_(
            "svc-1",
            endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
            endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-b"]),
            endpoint("10.0.0.3", "c1", "zone-c"),  # no hint yet
        ),
    ]
    entry = _svc(items)
    assert _kinds(entry) == ["await-controller"]
    fix = entry["fixes"][0]
    assert fix["after"]["crossZoneFraction"] == 0 and entry["flows"]["crossZoneFraction"] > 0.5
    assert fix["commands"] == [
        "kubectl -n default get endpointslices -l kubernetes.io/service-name=svc -o yaml"
    ]
    _check_after(items, entry)


def _unlabelled(provider_id: str | None) -> list[dict[str, Any]]:
    lost = node("b2", None)
    if provider_id:
        lost["spec"] = {"providerID": provider_id}
    return [
        *three_zones(),
        lost,
        service(td="PreferSameZone"),
        slice_(
            "svc-1",
            endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
            endpoint("10.0.0.2", "b2", None),  # on the node without a zone label: no hint
            endpoint("10.0.0.3", "c1", "zone-c", for_zones=["zone-c"]),
        ),
    ]


def test_a_node_without_a_zone_label_gets_the_zone_its_provider_id_names():
    items = _unlabelled("aws:///zone-b/i-0abc")
    entry = _svc(items)
    assert "label-node" in _kinds(entry)
    fix = next(f for f in entry["fixes"] if f["kind"] == "label-node")
    assert fix["commands"] == ["kubectl label node b2 topology.kubernetes.io/zone=zone-b"]
    assert fix["after"]["crossZoneFraction"] < entry["flows"]["crossZoneFraction"]
    _check_after(items, entry)


def test_without_a_zone_to_propose_the_report_says_why():
    entry = _svc(_unlabelled(None))
    assert "label-node" not in _kinds(entry)
    if not entry["fixes"]:
        assert "label it with the zone it runs in" in entry["noFixReason"]


def test_no_ready_endpoint_names_the_endpoints_and_what_traffic_does_meanwhile():
    terminating = {"ready": False, "serving": True, "terminating": True}
    ep = endpoint("10.0.0.9", "a1", "zone-a", **terminating)
    ep["targetRef"] = {"kind": "Pod", "name": "db-0"}
    items = [*three_zones(), service(), slice_("svc-1", ep)]
    entry = _svc(items)
    assert _kinds(entry) == ["fix-readiness"]
    fix = entry["fixes"][0]
    assert "10.0.0.9" in fix["summary"] and "shutting down" in fix["summary"]
    assert fix["commands"] == ["kubectl -n default describe pod db-0"]
    _check_after(items, entry)


def test_a_zone_without_endpoints_gets_endpoints_there():
    items = [
        *three_zones(),
        service(td="PreferSameZone"),
        slice_(
            "svc-1",
            endpoint("10.0.0.1", "a1", "zone-a"),
            endpoint("10.0.0.2", "a1", "zone-a"),
            endpoint("10.0.0.3", "b1", "zone-b"),
            endpoint("10.0.0.4", "b1", "zone-b"),
        ),
    ]
    entry = _svc(items)
    fix = next(f for f in entry["fixes"] if f["kind"] == "add-endpoints")
    assert fix["whatIf"] == {"replicasPerZone": {"zone-c": 2}}
    assert fix["after"]["crossZoneFraction"] == 0 and fix["after"]["maxOverload"] <= 1.5
    assert fix["tradeoff"] == "2 more Pod(s) to run"
    _check_after(items, entry)


def test_an_overloaded_zone_gets_more_endpoints_not_a_policy_that_crosses_zones():
    items = [
        *three_zones(),
        service(td="PreferSameZone"),
        slice_(
            "svc-1",
            endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
            endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-b"]),
            endpoint("10.0.0.3", "b1", "zone-b", for_zones=["zone-b"]),
            endpoint("10.0.0.4", "c1", "zone-c", for_zones=["zone-c"]),
            endpoint("10.0.0.5", "c1", "zone-c", for_zones=["zone-c"]),
        ),
    ]
    entry = _svc(items)
    assert entry["flows"]["maxOverload"] > 1.5
    best = entry["fixes"][0]
    assert best["kind"] == "add-endpoints"
    assert best["after"]["crossZoneFraction"] == 0 and best["after"]["maxOverload"] <= 1.5
    _check_after(items, entry)


def test_internal_traffic_policy_local_that_drops():
    items = [
        *three_zones(),
        service(itp="Local"),
        slice_("svc-1", endpoint("10.0.0.1", "a1", "zone-a")),
    ]
    entry = _svc(items)
    assert _kinds(entry) == ["internal-traffic-policy"]
    fix = entry["fixes"][0]
    assert entry["flows"]["dropped"] == pytest.approx(2 / 3) and fix["after"]["dropped"] == 0
    assert "b1" in fix["summary"] and "DaemonSet" in fix["summary"]
    assert fix["commands"] == [
        "kubectl -n default patch service svc --type merge "
        """-p '{"spec":{"internalTrafficPolicy":"Cluster"}}'"""
    ]
    assert fix["yaml"] == "spec:\n  internalTrafficPolicy: Cluster\n"
    _check_after(items, entry)


def test_a_policy_switch_is_the_set_policy_fix_and_the_recommendation_stays():
    items = [
        *three_zones(),
        service(),
        slice_(
            "svc-1",
            *(endpoint(f"10.0.0.{i}", f"{z}1", f"zone-{z}") for i, z in enumerate("abc", 1)),
        ),
    ]
    entry = _svc(items)
    assert _kinds(entry) == ["set-policy"]
    fix = entry["fixes"][0]
    assert fix["commands"] == [entry["recommendation"]["change"]]
    assert fix["costPerGbSaved"] == pytest.approx(entry["recommendation"]["costPerGbSaved"])
    assert fix["monthlySaved"] is None
    _check_after(items, entry)


def test_monthly_savings_with_a_volume():
    items = [
        *three_zones(),
        service(),
        slice_(
            "svc-1",
            *(endpoint(f"10.0.0.{i}", f"{z}1", f"zone-{z}") for i, z in enumerate("abc", 1)),
        ),
    ]
    fix = _svc(items, monthly_gb=1000.0)["fixes"][0]
    assert fix["monthlySaved"] == pytest.approx(fix["costPerGbSaved"] * 1000.0)


def test_a_healthy_service_has_no_fixes_and_no_reason():
    items = [
        *three_zones(),
        service(td="PreferSameZone"),
        slice_(
            "svc-1",
            *(
                endpoint(f"10.0.0.{i}", f"{z}1", f"zone-{z}", for_zones=[f"zone-{z}"])
                for i, z in enumerate("abc", 1)
            ),
        ),
    ]
    entry = _svc(items)
    assert entry["fixes"] == [] and entry["noFixReason"] is None
