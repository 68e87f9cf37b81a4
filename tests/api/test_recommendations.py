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


RANKED = [
    # a policy switch or a fix saving 2/3 x $0.02 per GB (ties by name)
    "catalog",
    "checkout",  # await-controller: the hint not written yet
    "email",
    "payments",
    "recommendations",  # add-endpoints in us-east-1c: 1/3 x $0.02
    "inventory",  # add-endpoints: the overload within the limit, cross-zone stays 0
    "legacy-db",  # fix-readiness: no saving, but no more traffic to endpoints going away
    "node-exporter",  # internal-traffic-policy Cluster: drops nothing, costs more
]


def test_ranked_by_per_gb_saving_without_volumes(shop, token_client):
    body = token_client("viewer").get(URL).json()
    assert body["snapshot"]["seq"] == 1 and body["count"] == len(RANKED)
    assert _names(body) == RANKED
    payments = body["results"][3]
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
        "fixes": payments["fixes"],
        # The only snapshot: nothing earlier to hold against (test_recommendation_stability.py)
        "stableSince": {
            "seq": 1,
            "takenAt": body["snapshot"]["takenAt"],
            "seconds": 0.0,
            "atLeast": False,
            "changedHere": False,
        },
    }
    assert [f["kind"] for f in payments["fixes"]] == ["set-policy", "add-endpoints"]
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
    # Inventory leads with more endpoints rather than the costlier switch to no policy.
    inventory = body["results"][5]
    assert inventory["recommendedPolicy"] is None and inventory["change"] is None
    assert inventory["yaml"] is None and inventory["overloadLimit"] is None
    best = inventory["fixes"][0]
    assert best["kind"] == "add-endpoints" and inventory["reason"] == best["summary"]
    assert inventory["maxOverload"] == best["after"]["maxOverload"] <= 1.5
    assert inventory["crossZoneFraction"] == 0.0
    # (Its recommendation, no policy, costs more cross-zone traffic: not listed as a fix.)
    assert [f["kind"] for f in inventory["fixes"]] == ["add-endpoints"]


def test_volumes_rank_first_by_monthly_saving(shop, token_client):
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="payments", monthly_gb=1000)
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="email", monthly_gb=10)
    body = token_client("viewer").get(URL).json()
    assert _names(body) == [
        "payments",
        "email",
        *(n for n in RANKED if n not in ("payments", "email")),
    ]
    first = body["results"][0]
    assert first["monthlyGb"] == 1000
    assert first["monthlySaved"] == pytest.approx(1000 * 2 / 3 * 0.02)
    assert [f["monthlySaved"] for f in first["fixes"]] == [
        pytest.approx(f["costPerGbSaved"] * 1000) for f in first["fixes"]
    ]
    assert body["results"][2]["monthlySaved"] is None


def test_older_snapshot_and_pages(shop, token_client, demo_objects):
    from routing.snapshots import write_snapshot

    for service in demo_objects:
        if service["kind"] == "Service" and service["metadata"]["name"] == "catalog":
            service["spec"]["trafficDistribution"] = "PreferSameZone"
    write_snapshot(shop, demo_objects, source="upload")
    client = token_client("viewer")
    # Snapshot 2: catalog asks for PreferSameZone, whose hints the controller has not written.
    now = next(r for r in client.get(URL).json()["results"] if r["name"] == "catalog")
    assert now["recommendedPolicy"] is None and now["fixes"][0]["kind"] == "await-controller"
    before = client.get(URL, {"snapshot": 1}).json()["results"]
    assert (
        next(r for r in before if r["name"] == "catalog")["recommendedPolicy"] == "PreferSameZone"
    )
    page = client.get(URL, {"page_size": 1}).json()
    assert page["count"] == len(RANKED) and len(page["results"]) == 1
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
    # manual volumes; the page's stability: the oldest snapshot, the summaries' history, the
    # runs' first snapshots (routing/figures/stability.py)
    with django_assert_max_num_queries(10):
        assert client.get(URL).json()["count"] == len(RANKED)
    # Again: from the cache, no summary read (token, groups, cluster, snapshot, state).
    with django_assert_max_num_queries(5):
        assert client.get(URL).json()["count"] == len(RANKED)
