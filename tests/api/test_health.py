"""The Services list's health: one level from figures and findings, the same in Python and SQL,
following the cluster's cross-zone alert at once (the cached pages included)."""

from routing.figures.health import LEVELS, Thresholds, health_level
from routing.models import Cluster

URL = "/api/v1/clusters/demo/services/"


def _rows(client, **params) -> dict[str, dict]:
    body = client.get(URL, {"page_size": 100, **params}).json()
    return {f"{r['namespace']}/{r['name']}": r for r in body["results"]}


def test_a_dropping_or_overloaded_service_never_looks_healthy(demo_cluster, token_client):
    rows = _rows(token_client("viewer"))
    assert rows["shop/legacy-db"]["health"] == "critical"  # drops all: an error too
    # node-exporter's finding is only a warning, but it drops a third of its traffic
    exporter = rows["monitoring/node-exporter"]
    assert exporter["dropped"] > 0 and exporter["topDiagnostic"]["severity"] == "warning"
    assert exporter["health"] == "critical"
    for key, row in rows.items():
        if row["dropped"] > 0:
            assert row["health"] == "critical", key
        if row["maxOverload"] > 1.5 or row["crossZoneFraction"] > 0.5:
            assert row["health"] in ("warning", "critical"), key
        if row["health"] == "ok":
            assert not row["topDiagnostic"] and row["dropped"] == 0, key


def test_the_cross_zone_alert_moves_health_at_once_even_when_cached(demo_cluster, token_client):
    viewer, admin = token_client("viewer"), token_client("admin")
    # A Service that only its cross-zone share could flag: no finding, no drop, no overload
    # (snapshot 1: catalog before the fixture's switch to PreferSameZone).
    key, row = next(
        (k, r)
        for k, r in _rows(viewer, snapshot=1).items()
        if r["crossZoneFraction"] > 0
        and not r["topDiagnostic"]
        and r["dropped"] == 0
        and r["maxOverload"] <= 1.5
    )
    before = row["health"]
    assert before == ("warning" if row["crossZoneFraction"] > 0.5 else "ok")
    assert _rows(viewer, snapshot=1)[key]["health"] == before  # now answered from the cache
    alert = row["crossZoneFraction"] / 2
    answer = admin.patch("/api/v1/clusters/demo/", {"crossZoneAlert": alert}, format="json")
    assert answer.status_code == 200 and answer.json()["crossZoneAlert"] == alert
    assert _rows(viewer, snapshot=1)[key]["health"] == "warning"
    admin.patch("/api/v1/clusters/demo/", {"crossZoneAlert": 1.0}, format="json")
    assert _rows(viewer, snapshot=1)[key]["health"] == "ok"
    refused = admin.patch("/api/v1/clusters/demo/", {"crossZoneAlert": 1.5}, format="json")
    assert refused.status_code == 400
    assert Cluster.objects.get(name="demo").cross_zone_alert == 1.0


def test_sorting_by_health_follows_the_levels(demo_cluster, token_client):
    client = token_client("viewer")
    body = client.get(URL, {"ordering": "-health", "page_size": 100}).json()["results"]
    ranks = [LEVELS.index(r["health"]) for r in body]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] == LEVELS.index("critical")
    ascending = client.get(URL, {"ordering": "health", "page_size": 100}).json()["results"]
    assert [LEVELS.index(r["health"]) for r in ascending] == sorted(ranks)
    csv = client.get(URL, {"format": "csv", "ordering": "-health"}).content.decode()
    header, first = csv.splitlines()[:2]
    assert header.split(",")[2] == "health" and first.split(",")[2] == "critical"


def test_health_level_table():
    limits = Thresholds(overload_limit=1.5, cross_zone_alert=0.5)
    assert health_level(0.0, 1.0, 0.1, None, limits) == "ok"
    assert health_level(0.0, 1.0, 0.1, "info", limits) == "info"
    assert health_level(0.01, 1.0, 0.0, None, limits) == "critical"
    assert health_level(0.0, 1.6, 0.0, "info", limits) == "warning"
    assert health_level(0.0, 1.5, 0.5, None, limits) == "ok"  # at the limit is within it
    assert health_level(0.0, 1.0, 0.51, None, limits) == "warning"
    assert health_level(0.0, 1.0, 0.0, "error", limits) == "critical"
