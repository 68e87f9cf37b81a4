"""A Service's monthly volume (PUT, GET, DELETE) and a cluster's price overrides (PATCH)."""

from decimal import Decimal

import pytest

from routing.models import Cluster, TrafficVolume
from routing.options import cluster_options
from routing.snapshots import import_dump

from .conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/services/shop/payments/volume/"
PRICES = "/api/v1/clusters/demo/prices/"


def test_put_get_delete(demo_cluster, token_client):
    editor = token_client("editor")
    body = {"monthlyGb": 1234.5, "source": "istio metrics, Oct 2026"}
    response = editor.put(URL, body, format="json")
    assert response.status_code == 200, response.content
    stored = response.json()
    assert stored["namespace"] == "shop" and stored["name"] == "payments"
    assert stored["monthlyGb"] == 1234.5 and stored["source"] == "istio metrics, Oct 2026"
    assert stored["updatedBy"] == editor.user.username and stored["updatedAt"]
    row = TrafficVolume.objects.get()
    assert row.monthly_gb == Decimal("1234.5") and row.updated_by == editor.user

    assert token_client("viewer").get(URL).json() == stored
    again = editor.put(URL, {"monthlyGb": 0}, format="json").json()
    assert again["monthlyGb"] == 0 and again["source"] == ""
    assert TrafficVolume.objects.count() == 1

    assert editor.delete(URL).status_code == 204
    assert not TrafficVolume.objects.exists()
    assert_error(editor.get(URL), 404, "not_found")
    assert_error(editor.delete(URL), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "monthlyGb"),
        ({"monthlyGb": -1}, "monthlyGb"),
        ({"monthlyGb": "lots"}, "monthlyGb"),
        ({"monthlyGb": None}, "monthlyGb"),
        ({"monthlyGb": 1.0001}, "monthlyGb"),
        ({"monthlyGb": 1e20}, "monthlyGb"),
        ({"monthlyGb": 1, "source": "x" * 201}, "source"),
        ({"monthlyGb": 1, "sauce": "typo"}, "sauce"),
    ],
)
def test_put_validation(demo_cluster, token_client, body, field):
    error = assert_error(token_client("editor").put(URL, body, format="json"), 400, "invalid")
    assert field in error["details"]
    assert not TrafficVolume.objects.exists()


def test_unknown_cluster(db, token_client):
    url = "/api/v1/clusters/nope/services/a/b/volume/"
    assert_error(token_client("editor").put(url, {"monthlyGb": 1}, format="json"), 404)
    assert_error(token_client("viewer").get(url), 404, "not_found")


def test_volumes_are_per_cluster(demo_cluster, token_client):
    Cluster.objects.create(name="other", source=Cluster.Source.UPLOAD)
    editor = token_client("editor")
    editor.put(URL, {"monthlyGb": 5}, format="json")
    other = "/api/v1/clusters/other/services/shop/payments/volume/"
    assert_error(editor.get(other), 404, "not_found")
    editor.put(other, {"monthlyGb": 7}, format="json")
    assert editor.get(URL).json()["monthlyGb"] == 5


def test_a_deleted_editor_leaves_the_volume(demo_cluster, token_client):
    editor = token_client("editor")
    editor.put(URL, {"monthlyGb": 5}, format="json")
    editor.user.delete()
    assert token_client("viewer").get(URL).json()["updatedBy"] is None


# --- prices -------------------------------------------------------------------------------------


def test_patch_prices(demo_cluster, token_client, demo_bytes):
    editor = token_client("editor")
    response = editor.patch(PRICES, {"priceCrossZone": 0.05}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"priceCrossZone": 0.05, "priceCrossRegion": None}
    assert cluster_options(Cluster.objects.get()).price_cross_zone == 0.05
    assert token_client("viewer").get(PRICES).json()["priceCrossZone"] == 0.05

    # The next snapshot is analysed at the new price: catalog's 2/3 cross-zone at $0.05.
    snapshot = import_dump(Cluster.objects.get(), demo_bytes)
    body = token_client("viewer").get(
        "/api/v1/clusters/demo/services/", {"snapshot": snapshot.seq, "namespace": "shop"}
    )
    costs = {s["name"]: s["costPerGb"] for s in body.json()["results"]}
    assert costs["legacy-db"] == pytest.approx(2 / 3 * 0.05)

    cleared = editor.patch(PRICES, {"priceCrossZone": None}, format="json").json()
    assert cleared == {"priceCrossZone": None, "priceCrossRegion": None}


@pytest.mark.parametrize(
    "body",
    [{"priceCrossZone": -0.01}, {"priceCrossRegion": "free"}, {"name": "renamed"}],
)
def test_patch_prices_validation(demo_cluster, token_client, body):
    assert_error(token_client("editor").patch(PRICES, body, format="json"), 400, "invalid")
    cluster = Cluster.objects.get()
    assert cluster.price_cross_zone is None and cluster.name == "demo"


@pytest.mark.parametrize("name", ["pay%00ments", "x" * 254])
def test_impossible_service_names_are_404(demo_cluster, token_client, name):
    editor = token_client("editor")
    url = f"/api/v1/clusters/demo/services/shop/{name}/volume/"
    assert_error(editor.put(url, {"monthlyGb": 1}, format="json"), 404, "not_found")
    assert_error(editor.get(url), 404, "not_found")
    assert_error(editor.delete(url), 404, "not_found")
    series = f"/api/v1/clusters/demo/services/shop/{name}/timeseries/"
    assert_error(editor.get(series), 404, "not_found")
    assert_error(editor.put(URL, {"monthlyGb": 1, "source": "a\x00b"}, format="json"), 400)
