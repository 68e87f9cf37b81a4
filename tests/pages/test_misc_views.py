"""The timeline, recommendations, upload and settings views: access, 404s and the data they
hand their page, built from stored rows."""

import json

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from routing.figures.stability import with_stability
from routing.figures.traffic import recommendations, with_yaml
from routing.models import Cluster, ServiceSummary, TrafficVolume
from routing.snapshots import import_dump
from routing.snapshots.intake import DUMP_COMMAND
from tests.factories import DEMO_DUMP

pytestmark = pytest.mark.django_db


def _user(name, role=None, **extra):
    user = User.objects.create_user(name, password="pw", **extra)
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def shop():
    cluster = Cluster.objects.create(name="shop", display_name="Demo shop", source="upload")
    import_dump(cluster, DEMO_DUMP.read_bytes())
    changed = DEMO_DUMP.read_text().replace('"PreferClose"', '"PreferSameNode"', 1)
    import_dump(cluster, changed.encode())
    return cluster


@pytest.fixture
def client(db):
    """Signed out (the package's `client` is signed in): each test signs in as it needs."""
    return Client()


@pytest.fixture
def viewer_client(client):
    client.force_login(_user("vera", "viewer"))
    return client


def _data(response, name):
    return response.context["data"]


CLUSTER_PAGES = ["timeline", "recommendations", "settings"]


@pytest.mark.parametrize("name", [*CLUSTER_PAGES, "upload"])
def test_signed_out_visitors_go_to_sign_in(client, shop, name):
    url = reverse(name) if name == "upload" else reverse(name, args=["shop"])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("name", CLUSTER_PAGES)
def test_an_unknown_cluster_is_404(viewer_client, name):
    assert viewer_client.get(reverse(name, args=["nope"])).status_code == 404


@pytest.mark.parametrize("name", CLUSTER_PAGES)
def test_a_cluster_without_snapshots_renders(viewer_client, name):
    Cluster.objects.create(name="empty", source="upload")
    response = viewer_client.get(reverse(name, args=["empty"]))
    assert response.status_code == 200
    assert response.context["section"] == name
    assert response.context["snapshot"] is None


def test_timeline_data(viewer_client, shop):
    response = viewer_client.get(reverse("timeline", args=["shop"]))
    assert response.status_code == 200
    data = response.context["data"]
    assert [s["seq"] for s in data["snapshots"]["results"]] == [2, 1]
    assert data["snapshots"]["count"] == 2
    api = viewer_client.get("/api/v1/clusters/shop/timeseries/").json()
    assert json.loads(json.dumps(data["series"], default=str)) == api
    assert 'id="timeline-data"' in response.content.decode()


def test_recommendations_data(viewer_client, shop):
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="catalog", monthly_gb=100)
    response = viewer_client.get(reverse("recommendations", args=["shop"]))
    data = response.context["data"]
    snapshot = shop.latest_snapshot()
    ranked = recommendations(snapshot)
    assert data["results"] == with_stability(snapshot, with_yaml(ranked[: data["pageSize"]]))
    assert data["count"] == len(ranked)
    assert data["results"][0]["name"] == "catalog"
    assert data["monthlySaved"] == pytest.approx(ranked[0]["costPerGbSaved"] * 100)
    assert data["withVolume"] == 1
    assert data["usingTopology"] == (
        ServiceSummary.objects.at(shop.pk, 2).exclude(mechanism="none").count()
    )
    assert data["serviceUrl"] == "/clusters/shop/services/NAMESPACE/NAME/"
    assert response.context["docs_url"].endswith("#traffic-distribution")


def test_upload_needs_the_editor_role(client, shop):
    client.force_login(_user("vera", "viewer"))
    response = client.get(reverse("upload"))
    assert response.status_code == 403
    assert "editor" in response.content.decode()


def test_upload_offers_editors_only_upload_clusters(client, shop):
    Cluster.objects.create(name="prod", source="kubeconfig")
    client.force_login(_user("eddie", "editor"))
    response = client.get(reverse("upload"), {"cluster": "shop"})
    assert response.status_code == 200
    assert [c["name"] for c in response.context["clusters"]] == ["shop"]
    assert response.context["is_admin"] is False
    page = response.content.decode()
    assert 'value="shop" selected' in page
    assert 'id="target-new"' not in page
    assert DUMP_COMMAND in page


def test_upload_offers_admins_every_cluster_and_a_new_one(client, shop, settings):
    settings.TRAFFICLENS_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    Cluster.objects.create(name="prod", source="kubeconfig")
    client.force_login(_user("ada", is_superuser=True))
    response = client.get(reverse("upload"))
    assert [c["name"] for c in response.context["upload_clusters"]] == ["shop"]
    assert [c["name"] for c in response.context["watched_clusters"]] == ["prod"]
    assert response.context["data"]["limit"] == 10 * 1024 * 1024
    assert response.context["limit_text"] == "10 MB"
    assert 'id="target-new"' in response.content.decode()


def test_settings_data(client, shop):
    editor = _user("eddie", "editor")
    TrafficVolume.objects.create(
        cluster=shop,
        namespace="shop",
        name="cart",
        monthly_gb="30.500",
        source="istio",
        updated_by=editor,
    )
    TrafficVolume.objects.create(cluster=shop, namespace="gone", name="old", monthly_gb=5)
    client.force_login(editor)
    response = client.get(reverse("settings", args=["shop"]))
    assert response.status_code == 200
    data = response.context["data"]
    assert data["canEdit"] is True
    assert data["prices"]["provider"] == "aws"
    assert data["prices"]["listCrossZone"] == 0.02
    assert data["prices"]["priceCrossZone"] is None
    rows = {f"{s['namespace']}/{s['name']}": s for s in data["services"]}
    assert len(rows) == ServiceSummary.objects.at(shop.pk, 2).count()
    cart = rows["shop/cart"]
    assert (cart["monthlyGb"], cart["monthlyGbText"], cart["source"], cart["updatedBy"]) == (
        30.5,
        "30.5",
        "istio",
        "eddie",
    )
    assert data["totals"]["withVolume"] == 1
    assert data["totals"]["elsewhere"] == 1
    assert rows["shop/catalog"]["monthlyGb"] is None


def test_settings_filter_and_read_only(viewer_client, shop):
    shop.price_cross_zone = "0.015"
    shop.save()
    response = viewer_client.get(reverse("settings", args=["shop"]), {"q": "shop/ca"})
    data = response.context["data"]
    assert [s["name"] for s in data["services"]] == ["cart", "catalog"]
    assert data["canEdit"] is False
    assert data["prices"]["priceCrossZone"] == "0.015000"
    page = response.content.decode()
    assert 'id="readonly-note"' in page
    assert 'id="bulk-form"' not in page
    none = viewer_client.get(reverse("settings", args=["shop"]), {"q": "zzz"})
    assert none.context["data"]["services"] == []
