"""Time series of a cluster and of a Service: buckets, the interval walk, validation, queries."""

from datetime import UTC, datetime, timedelta

import pytest

from routing.models import Cluster, Snapshot
from routing.snapshots import import_dump, write_snapshot

from .conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/shop/timeseries/"
CATALOG = "/api/v1/clusters/shop/services/shop/catalog/timeseries/"
T0 = datetime(2026, 10, 1, tzinfo=UTC)


def _catalog(objects: list[dict]) -> dict:
    return next(o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == "catalog")


def _switch_catalog(objects: list[dict], policy: str) -> None:
    """Set catalog's policy, and the zone hints the controller writes for it, as after a sync."""
    _catalog(objects)["spec"]["trafficDistribution"] = policy
    slice_ = next(o for o in objects if o["metadata"]["name"] == "catalog-7xk2p")
    for endpoint in slice_["endpoints"]:
        endpoint["hints"] = {"forZones": [{"name": endpoint["zone"]}]}


@pytest.fixture
def shop(db, demo_bytes, demo_objects) -> Cluster:
    """Cluster "shop": the demo dump uploaded, then snapshots a minute apart for 10 minutes,
    catalog switched to PreferSameZone from the 5th (seq 5) on."""
    cluster = Cluster.objects.create(name="shop", source=Cluster.Source.UPLOAD)
    first = import_dump(cluster, demo_bytes)
    Snapshot.objects.filter(pk=first.pk).update(taken_at=T0)
    for minute in range(1, 10):
        if minute == 4:
            _switch_catalog(demo_objects, "PreferSameZone")
        write_snapshot(
            cluster, demo_objects, source="scheduled", taken_at=T0 + timedelta(minutes=minute)
        )
    return cluster


def test_cluster_series_at_full_resolution(shop, token_client):
    body = token_client("viewer").get(URL, {"resolution": 60}).json()
    assert body["resolution"] == 60 and body["since"] is None and body["until"] is None
    points = body["points"]
    assert [p["seq"] for p in points] == list(range(1, 11))
    snapshots = list(shop.snapshots.order_by("seq"))
    for point, snapshot in zip(points, snapshots, strict=True):
        assert point["snapshots"] == 1
        assert point["crossZoneFraction"] == pytest.approx(snapshot.cross_zone_fraction)
        assert point["costPerGb"] == pytest.approx(snapshot.cost_per_gb_mean)
        assert point["servicesWithDiagnostics"] == snapshot.services_with_diagnostics
        assert point["start"] == point["takenAt"]
    assert points[4]["costPerGb"] < points[3]["costPerGb"]  # catalog stopped crossing zones


def test_cluster_series_bucketed(shop, token_client):
    body = token_client("viewer").get(URL, {"resolution": 300}).json()
    points = body["points"]
    assert [(p["seq"], p["snapshots"]) for p in points] == [(5, 5), (10, 5)]
    first = points[0]
    assert first["start"] == "2026-10-01T00:00:00Z" and first["takenAt"] == "2026-10-01T00:04:00Z"
    before, after = (shop.snapshots.get(seq=s).cost_per_gb_mean for s in (1, 5))
    assert first["costPerGb"] == pytest.approx(after)
    assert first["costPerGbMin"] == pytest.approx(after)
    assert first["costPerGbMax"] == pytest.approx(before)


def test_default_resolution_keeps_a_month_of_minutes_chart_sized(shop, token_client):
    Snapshot.objects.filter(cluster=shop, seq=10).update(taken_at=T0 + timedelta(days=30))
    body = token_client("viewer").get(URL).json()
    assert body["resolution"] == 5205  # ceil(30 days / 498)
    assert len(body["points"]) == 2


def test_since_and_until(shop, token_client):
    query = {"since": "2026-10-01T00:02:00Z", "until": "2026-10-01T00:05:00Z", "resolution": 60}
    body = token_client("viewer").get(URL, query).json()
    assert [p["seq"] for p in body["points"]] == [3, 4, 5, 6]
    assert body["since"] == "2026-10-01T00:02:00Z"


def test_service_series_walks_the_intervals(shop, token_client):
    body = token_client("viewer").get(CATALOG, {"resolution": 60}).json()
    assert body["namespace"] == "shop" and body["name"] == "catalog"
    points = body["points"]
    assert [p["seq"] for p in points] == list(range(1, 11))
    assert [p["policy"] for p in points] == ["none"] * 4 + ["PreferSameZone"] * 6
    assert points[0]["crossZoneFraction"] == pytest.approx(2 / 3)
    assert points[-1]["crossZoneFraction"] == 0.0
    assert points[0]["costPerGb"] == pytest.approx(2 / 3 * 0.02)
    assert {p["maxOverload"] for p in points[4:]} == {1.0}
    bucketed = token_client("viewer").get(CATALOG, {"resolution": 300}).json()["points"]
    assert bucketed[0]["crossZoneFractionMax"] == pytest.approx(2 / 3)
    assert bucketed[0]["crossZoneFractionMin"] == 0.0
    assert bucketed[1]["crossZoneFractionMax"] == 0.0
    assert bucketed[0]["maxOverloadMax"] >= bucketed[0]["maxOverload"]


def test_service_series_skips_snapshots_without_the_service(shop, token_client, demo_objects):
    gone = [o for o in demo_objects if o["metadata"]["name"] != "catalog"]
    write_snapshot(shop, gone, source="scheduled", taken_at=T0 + timedelta(minutes=10))
    write_snapshot(shop, demo_objects, source="scheduled", taken_at=T0 + timedelta(minutes=11))
    points = token_client("viewer").get(CATALOG, {"resolution": 60}).json()["points"]
    assert [p["seq"] for p in points] == [*range(1, 11), 12]
    query = {"since": "2026-10-01T00:10:00Z", "until": "2026-10-01T00:10:30Z"}
    assert token_client("viewer").get(CATALOG, query).json()["points"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"since": "2026-10-02T00:00:00Z", "until": "2026-10-01T00:00:00Z"}, "until"),
        ({"resolution": 0}, "resolution"),
        ({"resolution": "minute"}, "resolution"),
        ({"resolution": 10**12}, "resolution"),
    ],
)
def test_validation(shop, token_client, query, field):
    for url in (URL, CATALOG):
        error = assert_error(token_client("viewer").get(url, query), 400, "invalid")
        assert field in error["details"]


def test_too_many_points(shop, token_client):
    Snapshot.objects.filter(cluster=shop, seq=10).update(taken_at=T0 + timedelta(days=30))
    error = assert_error(token_client("viewer").get(URL, {"resolution": 60}), 400, "invalid")
    assert "at least 260" in error["message"]  # ceil(30 days / 9998)


def test_404s(shop, token_client):
    client = token_client("viewer")
    assert_error(client.get("/api/v1/clusters/nope/timeseries/"), 404, "not_found")
    url = "/api/v1/clusters/shop/services/shop/nope/timeseries/"
    assert_error(client.get(url), 404, "not_found")
    Cluster.objects.create(name="fresh", source=Cluster.Source.UPLOAD)
    body = client.get("/api/v1/clusters/fresh/timeseries/").json()
    assert body["points"] == []


@pytest.mark.parametrize("url", [URL, CATALOG])
def test_constant_queries(shop, token_client, django_assert_max_num_queries, demo_objects, url):
    client = token_client("viewer")
    client.get(url)
    for minute in range(10, 30):
        if minute % 3 == 0:  # new summary intervals for catalog
            _switch_catalog(demo_objects, "PreferSameNode" if minute % 2 else "PreferSameZone")
        write_snapshot(
            shop, demo_objects, source="scheduled", taken_at=T0 + timedelta(minutes=minute)
        )
    # token, groups, cluster, snapshots, summaries (service only)
    with django_assert_max_num_queries(5):
        body = client.get(url, {"resolution": 60}).json()
    assert len(body["points"]) == 30
