"""The topology page's view: sign-in, 404, the policy query and its data from stored summaries."""

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from dashboard.pages.topology import POLICY_KEYS, top_services
from routing.figures.traffic import flow_map
from routing.models import Cluster, ServiceSummary, TrafficVolume
from routing.volumes.lookup import volumes_for


def page_data(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="topology-data" type="application/json">')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return json.loads(body)


def test_signed_out_visitors_are_sent_to_sign_in(shop):
    response = Client().get("/clusters/shop/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/clusters/shop/")


def test_a_user_without_a_role_gets_403(shop):
    user = User.objects.create_user("nobody", password="pw")
    other = Client()
    other.force_login(user)
    assert other.get("/clusters/shop/").status_code == 403


def test_unknown_cluster_is_404(client, db):
    assert client.get("/clusters/nowhere/").status_code == 404


def test_the_page_starts_from_the_stored_flow_map(client, shop):
    response = client.get("/clusters/shop/")
    assert response.status_code == 200
    assert response.context["section"] == "topology"
    assert [t.name for t in response.templates][0] == "pages/cluster.html"
    data = page_data(response)
    snapshot = shop.latest_snapshot()
    assert data["cluster"] == "shop"
    assert data["policy"] == "observed"
    assert data["snapshot"] == snapshot.seq
    assert data["flowmap"] == json.loads(
        json.dumps({"snapshot": snapshot.seq, **flow_map(snapshot)})
    )
    assert [p["key"] for p in data["policies"]] == [
        "observed",
        "PreferSameNode",
        "PreferSameZone",
        "Auto",
        "none",
    ]
    assert data["settingsUrl"] == "/clusters/shop/settings/"
    assert data["serviceUrl"] == "/clusters/shop/services/NAMESPACE/NAME/"
    html = response.content.decode()
    assert 'data-policy="observed" aria-pressed="true"' in html
    assert 'id="topology-waiting" class="empty" hidden' in html


def test_the_page_agrees_with_the_flowmap_api(client, shop, viewer):
    api = APIClient()
    api.force_authenticate(viewer)
    for policy in sorted(POLICY_KEYS):
        data = page_data(client.get(f"/clusters/shop/?policy={policy}"))
        answer = api.get(f"/api/v1/clusters/shop/flowmap/?policy={policy}").json()
        assert data["policy"] == policy
        assert data["flowmap"] == answer


def test_a_what_if_page_starts_from_the_top_services_api(client, shop, viewer):
    """Under a what-if policy the first paint's top table is the API's answer, byte for byte."""
    api = APIClient()
    api.force_authenticate(viewer)
    for policy in sorted(POLICY_KEYS):
        data = page_data(client.get(f"/clusters/shop/?policy={policy}"))
        if policy == "observed":
            assert data["policyServices"] is None
            continue
        answer = api.get(f"/api/v1/clusters/shop/top-services/?policy={policy}").json()
        assert data["policyServices"] == answer
        assert answer["policy"] == policy and answer["snapshot"] == data["snapshot"]


def test_an_unknown_policy_falls_back_to_observed(client, shop):
    data = page_data(client.get("/clusters/shop/?policy=<script>"))
    assert data["policy"] == "observed"


def test_top_services_by_cost_per_gb_without_volumes(client, shop, viewer):
    data = page_data(client.get("/clusters/shop/"))
    api = APIClient()
    api.force_authenticate(viewer)
    listed = api.get("/api/v1/clusters/shop/services/?ordering=-cost&page_size=10").json()
    assert [(r["namespace"], r["name"]) for r in data["topServices"]] == [
        (r["namespace"], r["name"]) for r in listed["results"]
    ]
    assert [r["costPerGb"] for r in data["topServices"]] == [
        r["costPerGb"] for r in listed["results"]
    ]
    assert all(r["monthlyCost"] is None for r in data["topServices"])
    assert data["flowmap"]["servicesWithVolume"] == 0 and data["flowmap"]["monthlyGb"] is None


def test_top_services_by_monthly_cost_with_volumes(client, shop):
    snapshot = shop.latest_snapshot()
    rows = ServiceSummary.objects.at(shop.pk, snapshot.seq).order_by("cost_per_gb")
    cheap = rows.filter(cost_per_gb__gt=0).first()
    assert cheap is not None
    TrafficVolume.objects.create(
        cluster=shop, namespace=cheap.namespace, name=cheap.name, monthly_gb=100000
    )
    data = page_data(client.get("/clusters/shop/"))
    first = data["topServices"][0]
    assert (first["namespace"], first["name"]) == (cheap.namespace, cheap.name)
    assert first["monthlyCost"] == pytest.approx(cheap.cost_per_gb * 100000)
    assert data["flowmap"]["servicesWithVolume"] == 1
    assert data["flowmap"]["monthlyGb"] == 100000.0
    assert data["flowmap"]["monthlyCost"] == pytest.approx(cheap.cost_per_gb * 100000)
    # The rest follow by cost per GB.
    rest = [r["costPerGb"] for r in data["topServices"][1:]]
    assert rest == sorted(rest, reverse=True)
    assert first["volumeSource"] == "manual"
    assert top_services(snapshot, volumes_for(snapshot)) == data["topServices"]


def test_a_cluster_without_snapshot_waits_for_one(client, db):
    Cluster.objects.create(name="empty", source="upload")
    response = client.get("/clusters/empty/")
    assert response.status_code == 200
    data = page_data(response)
    assert data["flowmap"] is None
    assert data["snapshot"] is None
    assert data["topServices"] == []
    html = response.content.decode()
    assert "Waiting for the first snapshot." in html
    assert 'id="topology-body" hidden' in html


def test_the_pages_figures_are_cached_per_snapshot_policy_and_volumes(
    client, shop, django_assert_max_num_queries
):
    """Issue 16 target 4: the flow map and top Services of a first paint are computed once per
    snapshot, policy and volumes (as the API's answers), not on every request."""
    first = page_data(client.get("/clusters/shop/?policy=PreferSameZone"))
    # Again: only the page's own queries (session, user, roles, cluster, snapshot and the
    # picker, volumes' stamp), none over the summaries.
    with django_assert_max_num_queries(14) as cached:
        again = page_data(client.get("/clusters/shop/?policy=PreferSameZone"))
    assert again == first
    assert not any("routing_servicesummary" in q["sql"] for q in cached.captured_queries)
    # Another policy is another entry; a new volume makes a new one too.
    assert page_data(client.get("/clusters/shop/"))["policy"] == "observed"
    snapshot = shop.latest_snapshot()
    row = ServiceSummary.objects.at(shop.pk, snapshot.seq).filter(cost_per_gb__gt=0).first()
    TrafficVolume.objects.create(cluster=shop, namespace=row.namespace, name=row.name, monthly_gb=5)
    fresh = page_data(client.get("/clusters/shop/?policy=PreferSameZone"))
    assert fresh["flowmap"]["monthlyGb"] == 5.0 and first["flowmap"]["monthlyGb"] is None
    assert fresh["flowmap"]["monthlyCost"] is not None and first["flowmap"]["monthlyCost"] is None
