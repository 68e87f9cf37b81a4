"""Clusters: list and detail for every role; create, change and delete for admins."""

import pytest

from routing.models import Cluster, ObjectVersion, Snapshot

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def test_list_shows_each_cluster_with_its_newest_snapshot(demo_cluster, token_client):
    Cluster.objects.create(name="empty", source=Cluster.Source.KUBECONFIG, kube_context="prod")
    body = token_client("viewer").get("/api/v1/clusters/").json()
    assert body["count"] == 2
    demo, empty = body["results"]
    assert demo["name"] == "demo" and demo["status"] == "upload-only"
    assert demo["lastSnapshot"]["seq"] == 2
    assert demo["lastSnapshot"]["counts"]["services"] == 12
    assert empty["lastSnapshot"] is None and empty["kubeContext"] == "prod"


def test_list_runs_a_constant_number_of_queries(
    demo_cluster, token_client, django_assert_max_num_queries, demo_objects
):
    from routing.snapshots import write_snapshot

    client = token_client("viewer")
    client.get("/api/v1/clusters/")  # token's last_used_at written once
    for i in range(5):
        c = Cluster.objects.create(name=f"c{i}", source=Cluster.Source.UPLOAD)
        write_snapshot(c, demo_objects[:3], source="upload")
    # token, groups, count, page, newest snapshots
    with django_assert_max_num_queries(5):
        assert client.get("/api/v1/clusters/").json()["count"] == 6


def test_detail_has_zones_regions_and_endpoints(demo_cluster, token_client):
    body = token_client("viewer").get("/api/v1/clusters/demo/").json()
    assert body["zones"] == [
        {"name": "us-east-1a", "region": "us-east-1", "nodes": 4},
        {"name": "us-east-1b", "region": "us-east-1", "nodes": 3},
        {"name": "us-east-1c", "region": "us-east-1", "nodes": 3},
    ]
    assert body["regions"] == [{"name": "us-east-1", "nodes": 10}]
    assert body["nodesWithoutZone"] == 0
    assert body["endpoints"] == 54
    assert body["lastSnapshot"]["seq"] == 2


def test_detail_before_any_snapshot(db, token_client):
    Cluster.objects.create(name="fresh", source=Cluster.Source.INCLUSTER)
    body = token_client("viewer").get("/api/v1/clusters/fresh/").json()
    assert body["lastSnapshot"] is None
    assert body["zones"] == [] and body["regions"] == [] and body["endpoints"] == 0


def test_admin_creates_a_cluster(db, token_client):
    response = token_client("admin").post(
        "/api/v1/clusters/",
        {
            "name": "prod-eu",
            "displayName": "Production EU",
            "source": "kubeconfig",
            "kubeContext": "prod-eu",
            "provider": "gcp",
            "priceCrossZone": "0.011",
            "snapshotInterval": 60,
            "retentionDays": 7,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "prod-eu" and body["status"] == "idle"
    assert body["priceCrossZone"] == 0.011 and body["priceCrossRegion"] is None
    cluster = Cluster.objects.get(name="prod-eu")
    assert cluster.snapshot_interval == 60 and cluster.retention_days == 7


def test_upload_cluster_starts_upload_only(db, token_client):
    response = token_client("admin").post(
        "/api/v1/clusters/", {"name": "dumps", "source": "upload"}, format="json"
    )
    assert response.json()["status"] == "upload-only"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Not A Slug!", "source": "upload"}, "name"),
        ({"name": "x" * 64, "source": "upload"}, "name"),
        ({"name": "demo", "source": "upload"}, "name"),  # taken
        ({"name": "ok", "source": "ftp"}, "source"),
        ({"name": "ok"}, "source"),
        ({"name": "ok", "source": "upload", "snapshotInterval": 9}, "snapshotInterval"),
        ({"name": "ok", "source": "upload", "retentionDays": 0}, "retentionDays"),
        ({"name": "ok", "source": "upload", "priceCrossZone": -1}, "priceCrossZone"),
        ({"name": "ok", "source": "upload", "provider": "ibm"}, "provider"),
        ({"name": "ok", "source": "upload", "token": "s3cret"}, "token"),
        ({"name": "ok", "source": "kubeconfig", "kubeconfig": "apiVersion: v1"}, "kubeconfig"),
    ],
)
def test_create_validates(demo_cluster, token_client, body, field):
    response = token_client("admin").post("/api/v1/clusters/", body, format="json")
    error = assert_error(response, 400, "invalid")
    assert field in error["details"], error
    assert not Cluster.objects.filter(name="ok").exists()


def test_credentials_are_refused_by_name(db, token_client):
    response = token_client("admin").post(
        "/api/v1/clusters/", {"name": "a", "source": "upload", "password": "x"}, format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert "credentials" in error["details"]["password"][0]


def test_admin_changes_settings_but_not_the_name(demo_cluster, token_client):
    client = token_client("admin")
    response = client.patch(
        "/api/v1/clusters/demo/", {"displayName": "Demo", "retentionDays": 3}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["displayName"] == "Demo"
    assert response.json()["zones"]  # the detail shape, with the newest snapshot's zones
    demo_cluster.refresh_from_db()
    assert demo_cluster.retention_days == 3 and demo_cluster.source == "upload"
    renamed = client.patch("/api/v1/clusters/demo/", {"name": "other"}, format="json")
    assert "name" in assert_error(renamed, 400, "invalid")["details"]
    same = client.patch("/api/v1/clusters/demo/", {"name": "demo"}, format="json")
    assert same.status_code == 200


def test_changing_the_source_resets_the_status(demo_cluster, token_client):
    client = token_client("admin")
    response = client.patch("/api/v1/clusters/demo/", {"source": "incluster"}, format="json")
    assert response.json()["status"] == "idle"


def test_admin_deletes_a_cluster_with_its_snapshots(demo_cluster, token_client):
    response = token_client("admin").delete("/api/v1/clusters/demo/")
    assert response.status_code == 204
    assert not Cluster.objects.exists()
    assert not Snapshot.objects.exists() and not ObjectVersion.objects.exists()
