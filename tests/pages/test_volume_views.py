"""What the pages' views say about traffic volumes (measured, simulated, set by hand, none) and a
failing traffic source, from stored fetches (tests/web/measured.py): the first paint equals the
API's figures, in the formatter's words, and every string from the source is escaped."""

import pytest

from dashboard.pages.format import usd
from routing.models import Cluster, TrafficVolume
from routing.volumes.models import TrafficSource
from tests.web.measured import SOURCE_TEXT, failing, stored_fetch, traffic_source

MEASURED = {("shop", "catalog"): 800.0, ("shop", "payments"): 2500.0, ("shop", "cart"): 300.0}
MEASURED_WORDS = f"measured ({SOURCE_TEXT}, 12 min ago)"


@pytest.fixture
def measured(shop):
    traffic_source(shop)
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="cart", monthly_gb=50)
    stored_fetch(shop, MEASURED)
    return shop


def test_the_overview_card_says_where_its_monthly_cost_came_from(client, api, measured):
    card = client.get("/").context["cards"][0]
    flows = api.get("/api/v1/clusters/shop/flowmap/").json()
    assert card["monthly_cost_text"] == usd(flows["monthlyCost"])
    assert card["volumes_text"] == "from 2 measured / 1 manual Services, fetched 12 min ago"
    assert card["volume_status"]["state"] == "ok"


def test_the_services_table_orders_by_monthly_cost_and_names_each_source(client, api, measured):
    response = client.get("/clusters/shop/services/")
    data = response.context["data"]
    assert data["defaultOrdering"] == "-monthly_cost"
    assert data["fetch"]["source"] == "measured" and data["fetch"]["detail"] == SOURCE_TEXT
    assert data["manualVolumes"] is True
    answer = api.get("/api/v1/clusters/shop/services/").json()
    rows = response.context["rows"]
    assert [r["key"] for r in rows] == [f"{r['namespace']}/{r['name']}" for r in answer["results"]]
    by_key = {r["key"]: r for r in rows}
    assert by_key["shop/payments"]["sourceLabel"] == MEASURED_WORDS
    assert by_key["shop/payments"]["sourceWord"] == "measured"
    assert by_key["shop/cart"]["sourceWord"] == "set by hand"
    assert by_key["shop/email"]["monthlyText"] == "no traffic measured"
    for row in rows:
        if row["monthlyCost"] is not None:
            assert row["monthlyText"] == usd(row["monthlyCost"])
    assert response.context["volumes_note"] == (
        f"Monthly: {MEASURED_WORDS}; volumes set by hand win."
    )
    assert response.context["sort_columns"]["monthly_cost"] == "descending"


def test_the_service_page_names_its_volume_and_saving(client, api, measured):
    response = client.get("/clusters/shop/services/shop/payments/")
    detail = api.get("/api/v1/clusters/shop/services/shop/payments/").json()
    monthly = {f["id"]: f for f in response.context["figures"]}["monthly"]
    assert monthly["text"] == usd(detail["cost"]["monthlyCost"])
    assert monthly["label"] == "A month (2,500 GB)"
    assert monthly["source"] == MEASURED_WORDS
    saved = detail["recommendation"]["monthlySaved"]
    assert response.context["saving_words"] == (
        f"Saves {usd(saved)} a month, with its measured volume of 2,500 GB."
    )
    assert response.context["compare_words"] == (
        f"Monthly: each outcome's cost per GB × 2,500 GB a month, {MEASURED_WORDS}."
    )
    none = client.get("/clusters/shop/services/shop/email/")
    assert none.context["compare_words"] == "Monthly figures: no traffic measured for this Service."


def test_recommendations_count_their_volumes_by_source(client, measured):
    data = client.get("/clusters/shop/recommendations/").context["data"]
    sources = [i["volumeSource"] for i in data["results"] if i["volumeSource"]]
    assert data["bySource"]["measured"] == sources.count("measured") > 0
    assert data["withVolume"] == len(sources)


def test_the_settings_page_lists_the_source_its_fetches_and_volumes_in_use(client, api, measured):
    data = client.get("/clusters/shop/settings/").context["data"]
    traffic = data["traffic"]
    source = api.get("/api/v1/clusters/shop/traffic-source/").json()
    shown = traffic["source"]
    assert {k: v for k, v in shown.items() if k != "status"} == {
        k: v for k, v in source.items() if k != "status"
    }
    assert shown["status"]["state"] == source["status"]["state"] == "ok"
    fetches = api.get("/api/v1/clusters/shop/volumes/fetches/").json()["results"]
    assert [f["id"] for f in traffic["fetches"]] == [f["id"] for f in fetches]
    assert traffic["envPrefix"] == "TRAFFICLENS_PROMETHEUS_"
    # The simulation preset is offered for simulated clusters only.
    assert "simulation" not in [p["key"] for p in traffic["presets"]]
    rows = {s["name"]: s for s in data["services"]}
    assert (rows["catalog"]["inUseGb"], rows["catalog"]["inUseSource"]) == (800.0, "measured")
    assert rows["catalog"]["inUseNote"] == "fetched 12 min ago"
    assert rows["catalog"]["inUseLabel"] == MEASURED_WORDS
    assert (rows["cart"]["inUseGb"], rows["cart"]["inUseSource"]) == (50.0, "manual")
    assert (rows["cart"]["measuredGb"], rows["cart"]["measuredGbText"]) == (300.0, "300 GB")
    assert rows["email"]["inUseText"] == "no traffic measured"
    assert rows["catalog"]["monthlyCostText"] == usd(rows["catalog"]["costPerGb"] * 800)
    assert data["totals"]["bySource"] == {"measured": 2, "simulated": 0, "manual": 1}
    assert data["totals"]["withVolume"] == 3


def test_the_simulation_preset_is_offered_on_a_simulated_cluster(client, shop):
    Cluster.objects.filter(pk=shop.pk).update(source=Cluster.Source.SIMULATED)
    data = client.get("/clusters/shop/settings/").context["data"]
    assert "simulation" in [p["key"] for p in data["traffic"]["presets"]]
    assert data["traffic"]["source"] is None and data["traffic"]["fetches"] == []


def test_the_timeline_carries_the_fetches_as_the_api_lists_them(client, api, measured):
    data = client.get("/clusters/shop/timeline/").context["data"]
    answer = api.get("/api/v1/clusters/shop/volumes/fetches/").json()
    assert data["fetches"] == answer["results"]


def test_every_cluster_page_shows_a_failing_source_escaped(client, measured):
    error = "<script>alert('prometheus')</script> refused"
    failing(measured, error)
    source = TrafficSource.objects.get(cluster=measured)
    since = source.last_success_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    for path in (
        "/clusters/shop/",
        "/clusters/shop/services/",
        "/clusters/shop/services/shop/payments/",
        "/clusters/shop/timeline/",
        "/clusters/shop/recommendations/",
        "/clusters/shop/settings/",
    ):
        response = client.get(path)
        html = response.content.decode()
        assert response.context["volume_status"]["staleText"] == (
            f"Traffic volumes stale since {since}"
        ), path
        banner = html[html.index('id="volumes-stale-banner"') :][:800]
        assert " hidden" not in banner.split(">")[0], path
        assert "&lt;script&gt;alert(&#x27;prometheus&#x27;)&lt;/script&gt; refused" in banner, path
        assert "<script>alert(" not in html, path
    html = client.get("/").content.decode()
    assert f"Traffic volumes stale since {since}" in html
    assert "&lt;script&gt;alert(&#x27;prometheus&#x27;)" in html


def test_without_a_source_the_banner_is_hidden(client, shop):
    response = client.get("/clusters/shop/")
    assert response.context["volume_status"] is None
    html = response.content.decode()
    banner = html[html.index('id="volumes-stale-banner"') :].split(">")[0]
    assert banner.endswith(" hidden")
