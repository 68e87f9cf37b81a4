"""One Service's page view: sign-in, 404s that say why, a context read from the stored report."""

from django.test import Client

from routing.figures.traffic import patch_yaml
from routing.models import Cluster, TrafficVolume
from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP

URL = "/clusters/shop/services/{}/{}/"


def test_signed_out_visitors_are_sent_to_sign_in(shop):
    response = Client().get(URL.format("shop", "checkout"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_unknown_cluster_is_a_404(client):
    assert client.get("/clusters/nowhere/services/shop/checkout/").status_code == 404


def test_the_context_is_the_stored_report(client, api, shop):
    response = client.get(URL.format("shop", "checkout"))
    assert response.status_code == 200
    detail = api.get("/api/v1/clusters/shop/services/shop/checkout/").json()
    assert response.context["detail"] == detail
    assert response.context["data"]["detail"] == detail
    assert response.context["policy_words"] == "trafficDistribution: PreferSameZone"
    figures = {f["id"]: f["text"] for f in response.context["figures"]}
    assert figures == {
        "cross-zone": "66.7%",
        "dropped": "0.0%",
        "overload": "1.00×",
        "cost": "$0.0133/GB",
        "monthly": "no traffic measured",
    }
    codes = [d["code"] for d in response.context["diagnostics"]]
    assert codes == [d["code"] for d in detail["diagnostics"]]
    assert b"endpoint 10.1.2.4 has no zone hint" in response.content
    assert response.context["recommendation"] is None
    assert b"No change recommended" in response.content


def test_a_recommendation_comes_with_its_change_and_yaml(client, shop):
    response = client.get(URL.format("shop", "payments"))
    rec = response.context["recommendation"]
    assert rec["policy"] == "PreferSameZone"
    assert response.context["recommendation_yaml"] == patch_yaml(rec["change"])
    assert "trafficDistribution: PreferSameZone" in response.context["recommendation_yaml"]
    assert b"kubectl -n shop patch service payments" in response.content


def test_a_volume_adds_the_monthly_figure(client, shop):
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="checkout", monthly_gb=3000)
    figures = {f["id"]: f for f in client.get(URL.format("shop", "checkout")).context["figures"]}
    assert figures["monthly"]["text"] == "$40.00"  # 0.01333 USD/GB x 3000 GB
    assert figures["monthly"]["label"] == "A month (3,000 GB)"


def test_an_overloaded_service_is_flagged(client, shop):
    figures = {f["id"]: f for f in client.get(URL.format("shop", "inventory")).context["figures"]}
    assert figures["overload"]["warn"] is True
    assert figures["overload"]["text"] == "1.67×"


def test_a_service_never_seen_is_a_404_that_says_so(client, shop):
    response = client.get(URL.format("shop", "nothing"))
    assert response.status_code == 404
    assert response.context["missing"] is True
    assert response.context["earlier"] is None
    assert b"is not in the latest snapshot" in response.content
    assert b"/clusters/shop/timeline/" in response.content


def test_a_removed_service_links_to_the_timeline(client, shop):
    text = DEMO_DUMP.read_text()
    # Rename the Service object (its slices keep their label, so it simply disappears).
    changed = text.replace('"name": "legacy-db"', '"name": "legacy-db-2"', 1)
    assert changed != text
    import_dump(shop, changed.encode())
    response = client.get(URL.format("shop", "legacy-db"))
    assert response.status_code == 404
    assert response.context["earlier"] == {"first": 1, "last": 2}
    assert b"it existed earlier" in response.content


def test_no_snapshot_yet_is_a_404(client):
    Cluster.objects.create(name="empty", source="upload")
    response = client.get("/clusters/empty/services/shop/checkout/")
    assert response.status_code == 404
    assert b"has no snapshot yet" in response.content


def test_a_name_no_service_can_have_is_a_404(client, shop):
    assert client.get(URL.format("shop", "x" * 300)).status_code == 404
