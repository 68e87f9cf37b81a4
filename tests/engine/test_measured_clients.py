"""Measured client zones (Options.client_zones): a Service's clients weighted zone by zone by
where its measured callers run, the others kept on the cluster's basis."""

import pytest

from .test_edge_cases import endpoint, node, run, service, slice_, three_zones

KEY = ("default", "svc")


def _zone_a_only(td: str | None = None) -> list[dict]:
    """Three zones with equal CPU; the Service's two endpoints both in zone-a."""
    return [
        *three_zones(),
        service(td=td),
        slice_("svc-1", endpoint("10.0.0.1", "a1", "zone-a"), endpoint("10.0.0.2", "a1", "zone-a")),
    ]


def test_without_measured_zones_clients_follow_cpu():
    s = run(_zone_a_only())
    assert s["flows"]["clientWeights"] == "cpu"
    assert s["flows"]["clientZoneWeights"] is None
    assert s["flows"]["crossZoneFraction"] == pytest.approx(2 / 3)


def test_measured_zones_move_the_flows_and_are_labelled():
    s = run(_zone_a_only(), client_zones={KEY: {"zone-b": 0.75, "zone-a": 0.25}})
    flows = s["flows"]
    assert flows["clientWeights"] == "measured"
    assert flows["clientZoneWeights"] == pytest.approx({"zone-a": 0.25, "zone-b": 0.75})
    assert flows["crossZoneFraction"] == pytest.approx(0.75)
    assert set(flows["matrix"]) == {"zone-a", "zone-b"}  # zone-c sends this Service nothing
    assert flows["matrix"]["zone-b"]["zone-a"] == pytest.approx(0.75)
    # Every what-if policy is simulated with the same clients.
    assert s["whatIf"]["PreferSameZone"]["crossZoneFraction"] == pytest.approx(0.75)


def test_other_services_keep_the_cluster_basis():
    items = [
        *_zone_a_only(),
        service("other"),
        slice_("other-1", endpoint("10.0.1.1", "a1", "zone-a"), service_name="other"),
    ]
    measured = run(items, client_zones={KEY: {"zone-b": 1.0}})
    other = run(items, "other", client_zones={KEY: {"zone-b": 1.0}})
    assert measured["flows"]["crossZoneFraction"] == pytest.approx(1.0)
    assert other["flows"]["clientWeights"] == "cpu"
    assert other["flows"]["crossZoneFraction"] == pytest.approx(2 / 3)


def test_a_zone_without_client_nodes_is_left_out_and_the_rest_scaled_up():
    s = run(_zone_a_only(), client_zones={KEY: {"zone-x": 0.5, "zone-a": 0.25, "zone-b": 0.25}})
    assert s["flows"]["clientZoneWeights"] == pytest.approx({"zone-a": 0.5, "zone-b": 0.5})
    assert s["flows"]["crossZoneFraction"] == pytest.approx(0.5)


def test_no_usable_zone_falls_back_to_the_cluster_basis():
    s = run(_zone_a_only(), client_zones={KEY: {"zone-x": 1.0}})
    assert s["flows"]["clientWeights"] == "cpu"
    assert s["flows"]["crossZoneFraction"] == pytest.approx(2 / 3)


def test_within_a_zone_nodes_keep_their_cpu_proportions():
    items = [
        node("a1", "zone-a", cpu="2"),
        node("a2", "zone-a", cpu="6"),
        node("b1", "zone-b", cpu="8"),
        service(itp="Local"),
        slice_("svc-1", endpoint("10.0.0.1", "a2", "zone-a")),
    ]
    # Only zone-a calls; a1 has a quarter of zone-a's CPU and no local endpoint: dropped.
    s = run(items, client_zones={KEY: {"zone-a": 1.0}})
    assert s["flows"]["dropped"] == pytest.approx(0.25)


def test_a_prefer_same_zone_service_stays_local_for_measured_zones_with_endpoints():
    items = [
        *three_zones(),
        service(td="PreferSameZone"),
        slice_(
            "svc-1",
            endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
            endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-b"]),
            endpoint("10.0.0.3", "c1", "zone-c", for_zones=["zone-c"]),
        ),
    ]
    s = run(items, client_zones={KEY: {"zone-a": 0.9, "zone-c": 0.1}})
    assert s["flows"]["crossZoneFraction"] == 0
    # The zone-a endpoint takes 90% of the traffic: 2.7x its fair third.
    assert s["flows"]["maxOverload"] == pytest.approx(2.7)
