"""The flow map of a snapshot: weighting by volume, totals by source zone, monthly cost."""

import pytest

from routing.models import Cluster, ServiceSummary, TrafficVolume
from routing.snapshots import import_dump

from .conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/shop/flowmap/"
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]


@pytest.fixture
def shop(db, demo_bytes) -> Cluster:
    """Cluster "shop" with the demo dump uploaded once."""
    cluster = Cluster.objects.create(name="shop", source=Cluster.Source.UPLOAD)
    import_dump(cluster, demo_bytes)
    return cluster


def _expected(weights: dict[str, float]) -> dict[str, dict[str, float]]:
    """The weighted mean of the stored matrices, computed independently."""
    total = sum(weights.values())
    out: dict[str, dict[str, float]] = {}
    for row in ServiceSummary.objects.all():
        share = weights[row.name] / total
        for src, cells in row.matrix.items():
            for dst, value in cells.items():
                out.setdefault(src, {}).setdefault(dst, 0.0)
                out[src][dst] += value * share
    return out


def _assert_matrix(actual, expected):
    assert set(actual) == set(expected)
    for src, cells in expected.items():
        assert set(actual[src]) == set(cells)
        for dst, value in cells.items():
            assert actual[src][dst] == pytest.approx(value)


def test_equal_weighting_without_volumes(shop, token_client):
    body = token_client("viewer").get(URL).json()
    assert body["snapshot"] == 1 and body["services"] == 12
    assert body["weighting"] == "equal" and body["servicesWithVolume"] == 0
    assert body["monthlyGb"] is None and body["monthlyCost"] is None
    _assert_matrix(body["matrix"], _expected(dict.fromkeys(_names(), 1.0)))
    # node-exporter drops a third (it runs on nodes that are not clients); nothing else does.
    assert body["dropped"] == pytest.approx(1 / 3 / 12)
    assert sum(sum(row.values()) for row in body["matrix"].values()) == pytest.approx(
        body["forwarded"]
    )
    assert body["forwarded"] == pytest.approx(1 - body["dropped"])
    assert [z["zone"] for z in body["bySourceZone"]] == ZONES
    for zone in body["bySourceZone"]:
        row = body["matrix"][zone["zone"]]
        assert zone["total"] == pytest.approx(sum(row.values()))
        assert zone["sameZone"] == pytest.approx(row.get(zone["zone"], 0.0))
        assert zone["crossZone"] == pytest.approx(zone["total"] - zone["sameZone"])
    cross = sum(z["crossZone"] for z in body["bySourceZone"])
    assert body["crossZoneFraction"] == pytest.approx(cross / body["forwarded"])
    costs = [s.cost_per_gb for s in ServiceSummary.objects.all()]
    assert body["costPerGbMean"] == pytest.approx(sum(costs) / 12)


def _names() -> list[str]:
    return list(ServiceSummary.objects.values_list("name", flat=True))


def test_volume_weighting(shop, token_client):
    volumes = {name: 10.0 for name in _names()}
    volumes["legacy-db"] = 1000.0
    for row in ServiceSummary.objects.all():
        TrafficVolume.objects.create(
            cluster=shop, namespace=row.namespace, name=row.name, monthly_gb=volumes[row.name]
        )
    body = token_client("viewer").get(URL).json()
    assert body["weighting"] == "volume" and body["servicesWithVolume"] == 12
    assert body["monthlyGb"] == pytest.approx(1110.0)
    _assert_matrix(body["matrix"], _expected(volumes))
    # legacy-db sends every zone's traffic to us-east-1a, and dominates.
    assert body["crossZoneFraction"] > 0.6
    assert body["bySourceZone"][0]["crossZone"] < 0.01
    expected_cost = sum(s.cost_per_gb * volumes[s.name] for s in ServiceSummary.objects.all())
    assert body["monthlyCost"] == pytest.approx(expected_cost)
    # legacy-db, catalog, checkout and payments cross zones 2/3 of the time, recommendations 1/3.
    others = 10 * 0.02 * (3 * 2 / 3 + 1 / 3)
    assert body["monthlyCost"] == pytest.approx(1000 * 2 / 3 * 0.02 + others)


def test_mixed_weighting(shop, token_client):
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="catalog", monthly_gb=300)
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="gone", monthly_gb=9999)
    body = token_client("viewer").get(URL).json()
    assert body["weighting"] == "mixed" and body["servicesWithVolume"] == 1
    # The others weigh the mean known volume (300): the same as equal weighting here.
    _assert_matrix(body["matrix"], _expected(dict.fromkeys(_names(), 1.0)))
    assert body["monthlyGb"] == 300
    assert body["monthlyCost"] == pytest.approx(300 * 2 / 3 * 0.02)


def test_errors_and_older_snapshots(shop, token_client):
    client = token_client("viewer")
    assert client.get(URL, {"snapshot": 1}).status_code == 200
    assert_error(client.get(URL, {"snapshot": 2}), 404, "not_found")
    assert_error(client.get(URL, {"snapshot": 0}), 400, "invalid")
    assert_error(client.get("/api/v1/clusters/nope/flowmap/"), 404, "not_found")


def test_constant_queries(shop, token_client, django_assert_max_num_queries, demo_bytes):
    client = token_client("viewer")
    client.get(URL)
    for i in range(5):
        TrafficVolume.objects.create(cluster=shop, namespace="shop", name=f"x{i}", monthly_gb=1)
        import_dump(shop, demo_bytes)
    # token, groups, cluster, snapshot, the volumes' state (in the cache key), summaries,
    # manual volumes
    with django_assert_max_num_queries(7):
        assert client.get(URL).json()["snapshot"] == 6
    # Again: from the cache, no summary read (token, groups, cluster, snapshot, state).
    with django_assert_max_num_queries(5):
        assert client.get(URL).json()["snapshot"] == 6


def _engine_report(demo_bytes) -> dict:
    from routing.engine import analyze_cluster, build_cluster, load_bytes
    from routing.options import cluster_options

    cluster = Cluster.objects.get(name="shop")
    return analyze_cluster(build_cluster(load_bytes(demo_bytes)), cluster_options(cluster))


@pytest.mark.parametrize("policy", ["PreferSameNode", "PreferSameZone", "Auto", "none"])
def test_a_what_if_policy_adds_up_each_services_simulation(shop, token_client, demo_bytes, policy):
    body = token_client("viewer").get(URL, {"policy": policy}).json()
    assert body["policy"] == policy
    runs = {s["name"]: s["whatIf"][policy] for s in _engine_report(demo_bytes)["services"]}
    expected: dict[str, dict[str, float]] = {}
    for run in runs.values():
        for src, cells in run["matrix"].items():
            for dst, value in cells.items():
                expected.setdefault(src, {}).setdefault(dst, 0.0)
                expected[src][dst] += value / len(runs)
    _assert_matrix(body["matrix"], expected)
    assert body["dropped"] == pytest.approx(sum(r["dropped"] for r in runs.values()) / len(runs))
    assert body["costPerGbMean"] == pytest.approx(
        sum(r["costPerGb"] for r in runs.values()) / len(runs)
    )


def test_observed_is_the_default_and_what_if_differs(shop, token_client):
    client = token_client("viewer")
    observed = client.get(URL).json()
    assert observed["policy"] == "observed"
    assert client.get(URL, {"policy": "observed"}).json() == observed
    assert (
        client.get(URL, {"policy": "none"}).json()["crossZoneFraction"]
        > (observed["crossZoneFraction"])
    )


def test_an_unknown_policy_is_400(shop, token_client):
    response = token_client("viewer").get(URL, {"policy": "PreferSameRegion"})
    assert_error(response, 400, "invalid")


def test_rows_stored_without_what_if_matrices_read_them_from_the_report(shop, token_client):
    fresh = token_client("viewer").get(URL, {"policy": "Auto"}).json()
    for row in ServiceSummary.objects.all():  # as written before the matrices were stored
        row.what_if = {
            p: {k: v for k, v in run.items() if k != "matrix"} for p, run in row.what_if.items()
        }
        row.save(update_fields=["what_if"])
    assert token_client("viewer").get(URL, {"policy": "Auto"}).json() == fresh


def test_zones_carry_nodes_ready_endpoints_and_client_weight(shop, token_client, demo_bytes):
    import orjson

    zones = token_client("viewer").get(URL).json()["zones"]
    assert [z["zone"] for z in zones] == ZONES
    report = _engine_report(demo_bytes)["cluster"]
    ready: dict[str, int] = {}
    for item in orjson.loads(demo_bytes)["items"]:
        if item["kind"] == "EndpointSlice":
            for endpoint in item.get("endpoints") or []:
                if (endpoint.get("conditions") or {}).get("ready") is not False:
                    ready[endpoint.get("zone")] = ready.get(endpoint.get("zone"), 0) + 1
    for zone in zones:
        figures = report["zones"][zone["zone"]]
        assert zone["region"] == figures["region"] == "us-east-1"
        assert (zone["nodes"], zone["readyNodes"]) == (figures["nodes"], figures["readyNodes"])
        assert zone["readyEndpoints"] == ready[zone["zone"]]
        assert zone["clientWeight"] == pytest.approx(report["clientZoneWeights"][zone["zone"]])
    assert sum(z["clientWeight"] for z in zones) == pytest.approx(1.0)
