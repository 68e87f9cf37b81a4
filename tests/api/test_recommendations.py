"""Recommendations of a snapshot: ranking by monthly then per-GB saving, the change as YAML."""

import pytest
import yaml

from routing.models import Cluster, TrafficVolume
from routing.snapshots import import_dump

from .conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/shop/recommendations/"


@pytest.fixture
def shop(db, demo_bytes) -> Cluster:
    """Cluster "shop" with the demo dump uploaded once."""
    cluster = Cluster.objects.create(name="shop", source=Cluster.Source.UPLOAD)
    import_dump(cluster, demo_bytes)
    return cluster


def _names(body) -> list[str]:
    return [item["name"] for item in body["results"]]


def test_ranked_by_per_gb_saving_without_volumes(shop, token_client):
    body = token_client("viewer").get(URL).json()
    assert body["snapshot"]["seq"] == 1 and body["count"] == 4
    # catalog and email save the same per GB (ties by name); inventory's saving is negative.
    assert _names(body) == ["catalog", "email", "payments", "inventory"]
    payments = body["results"][2]
    assert payments == {
        "namespace": "shop",
        "name": "payments",
        "currentPolicy": "Auto",
        "recommendedPolicy": "PreferSameZone",
        "costPerGbSaved": pytest.approx(2 / 3 * 0.02),
        "monthlyGb": None,
        "volumeSource": None,
        "monthlySaved": None,
        "crossZoneFraction": 0.0,
        "maxOverload": pytest.approx(4 / 3),
        "overloadLimit": 1.5,
        "reason": payments["reason"],
        "change": payments["change"],
        "yaml": payments["yaml"],
    }
    assert "PreferSameZone" in payments["reason"]
    assert payments["change"].startswith("kubectl -n shop patch service payments --type merge")
    assert yaml.safe_load(payments["yaml"]) == {
        "metadata": {
            "annotations": {
                "service.kubernetes.io/topology-mode": None,
                "service.kubernetes.io/topology-aware-hints": None,
            }
        },
        "spec": {"trafficDistribution": "PreferSameZone"},
    }
    assert "  trafficDistribution: PreferSameZone\n" in payments["yaml"]
    inventory = body["results"][3]
    assert inventory["recommendedPolicy"] == "none" and inventory["costPerGbSaved"] < 0
    assert yaml.safe_load(inventory["yaml"])["spec"] == {"trafficDistribution": None}


def test_volumes_rank_first_by_monthly_saving(shop, token_client):
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="payments", monthly_gb=1000)
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="email", monthly_gb=10)
    body = token_client("viewer").get(URL).json()
    assert _names(body) == ["payments", "email", "catalog", "inventory"]
    first = body["results"][0]
    assert first["monthlyGb"] == 1000
    assert first["monthlySaved"] == pytest.approx(1000 * 2 / 3 * 0.02)
    assert body["results"][2]["monthlySaved"] is None


def test_older_snapshot_and_pages(shop, token_client, demo_objects):
    from routing.snapshots import write_snapshot

    for service in demo_objects:
        if service["kind"] == "Service" and service["metadata"]["name"] == "catalog":
            service["spec"]["trafficDistribution"] = "PreferSameZone"
    write_snapshot(shop, demo_objects, source="upload")
    client = token_client("viewer")
    assert "catalog" not in _names(client.get(URL).json())
    assert "catalog" in _names(client.get(URL, {"snapshot": 1}).json())
    page = client.get(URL, {"page_size": 1}).json()
    assert page["count"] == 3 and len(page["results"]) == 1
    assert "snapshot=2" in page["next"]


def test_errors(shop, token_client):
    client = token_client("viewer")
    assert_error(client.get(URL, {"snapshot": 9}), 404, "not_found")
    assert_error(client.get(URL, {"snapshot": "x"}), 400, "invalid")
    assert_error(client.get("/api/v1/clusters/nope/recommendations/"), 404, "not_found")
    Cluster.objects.create(name="fresh", source=Cluster.Source.UPLOAD)
    error = assert_error(client.get("/api/v1/clusters/fresh/recommendations/"), 404)
    assert "no snapshot" in error["message"]


def test_constant_queries(shop, token_client, django_assert_max_num_queries, demo_objects):
    from routing.snapshots import write_snapshot

    client = token_client("viewer")
    client.get(URL)
    for i in range(5):
        TrafficVolume.objects.create(cluster=shop, namespace="shop", name=f"x{i}", monthly_gb=1)
        write_snapshot(shop, demo_objects, source="scheduled")
    # token, groups, cluster, snapshot, the volumes' state (in the cache key), summaries,
    # manual volumes
    with django_assert_max_num_queries(7):
        assert client.get(URL).json()["count"] == 4
    # Again: from the cache, no summary read (token, groups, cluster, snapshot, state).
    with django_assert_max_num_queries(5):
        assert client.get(URL).json()["count"] == 4
