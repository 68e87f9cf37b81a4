"""The clusters overview's view: sign-in, the empty state, and each card's figures as stored."""

from django.test import Client

from dashboard.pages.clusters import cluster_card, zones_by_region
from dashboard.pages.format import pct, per_gb, usd
from routing.figures.traffic import flow_map
from routing.models import Cluster, TrafficVolume


def test_signed_out_visitors_are_sent_to_sign_in(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_no_clusters_explains_how_to_add_one(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["cards"] == []
    html = response.content.decode()
    assert "No clusters yet" in html
    assert 'href="/upload/"' in html
    assert "POST /api/v1/clusters/" in html


def test_each_cluster_gets_a_card_with_its_stored_figures(
    client, shop, django_assert_max_num_queries
):
    Cluster.objects.create(name="later", source="kubeconfig", status="stale", status_message="x")
    with django_assert_max_num_queries(20):
        response = client.get("/")
    cards = response.context["cards"]
    assert [c["cluster"].name for c in cards] == ["later", "shop"]
    later, card = cards
    assert later["snapshot"] is None
    snapshot = shop.latest_snapshot()
    flows = flow_map(snapshot)
    assert card["snapshot"].seq == snapshot.seq
    # The topology page's headline figure: forwarded traffic crossing zones (not the Service mean).
    assert card["cross_zone"] == flows["crossZoneFraction"]
    assert card["cross_zone_text"] == pct(flows["crossZoneFraction"])
    assert card["monthly_cost"] is None
    assert card["cost_per_gb"] == flows["costPerGbMean"]
    assert card["regions"] == [
        {"region": "us-east-1", "zones": ["us-east-1a", "us-east-1b", "us-east-1c"]}
    ]
    html = response.content.decode()
    assert 'href="/clusters/shop/"' in html and "Demo shop" in html
    assert f"{pct(flows['crossZoneFraction'])}</span>of forwarded traffic crosses zones" in html
    assert "mean over Services" not in html
    assert per_gb(flows["costPerGbMean"]) in html
    assert "no traffic measured" in html
    assert 'href="/clusters/shop/settings/#traffic-source">measure or set volumes' in html
    assert 'data-status="stale"' in html
    assert "Waiting for the first snapshot." in html


def test_a_monthly_cost_once_volumes_are_set(shop):
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="checkout", monthly_gb=5000)
    snapshot = shop.latest_snapshot()
    card = cluster_card(shop, snapshot)
    assert card["monthly_cost"] == flow_map(snapshot)["monthlyCost"]
    assert card["monthly_cost"] is not None
    assert card["monthly_cost_text"] == usd(card["monthly_cost"])


def test_formatting_matches_format_js():
    assert pct(0.2571428) == "25.7%"
    assert pct(None) == "–"
    assert usd(1234.5) == "$1,234.50"
    assert usd(0.00512) == "$0.00512"
    assert usd(0) == "$0.00"
    assert per_gb(0.005) == "$0.0050/GB"


def test_zones_group_by_region_with_unlabelled_last():
    report = {
        "zones": {
            "b-1": {"region": "b"},
            "a-2": {"region": "a"},
            "a-1": {"region": "a"},
            "z": {"region": None},
        }
    }
    assert zones_by_region(report) == [
        {"region": "a", "zones": ["a-1", "a-2"]},
        {"region": "b", "zones": ["b-1"]},
        {"region": None, "zones": ["z"]},
    ]
