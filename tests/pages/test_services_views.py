"""The Services page's view: sign-in, 404s, and a first paint equal to the list API's answer."""

import pytest

from routing.models import Cluster, TrafficVolume


def keys(rows):
    return [f"{r['namespace']}/{r['name']}" for r in rows]


def test_signed_out_visitors_are_sent_to_sign_in(db, shop):
    from django.test import Client

    response = Client().get("/clusters/shop/services/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/clusters/shop/services/")


def test_an_unknown_cluster_is_a_404(client):
    assert client.get("/clusters/nowhere/services/").status_code == 404


def test_a_cluster_without_a_snapshot_says_so(client):
    Cluster.objects.create(name="empty", source="upload")
    response = client.get("/clusters/empty/services/")
    assert response.status_code == 200
    assert response.context["snapshot"] is None
    assert response.context["rows"] == []
    assert b"No snapshot of empty yet" in response.content


@pytest.mark.parametrize(
    "query",
    [
        "",
        "ordering=name",
        "ordering=-cross_zone",
        "ordering=overload",
        "namespace=shop&ordering=cost",
        "policy=PreferSameZone",
        "mechanism=topologyAuto",
        "min_cross_zone=0.5",
        "has_diagnostics=true",
        "search=SHOP/C&ordering=-dropped",
        "ordering=recommendation",
        "ordering=-diagnostics",
        "ordering=policy",
        "ordering=-name",
    ],
)
def test_the_first_paint_is_the_list_apis_page(client, api, shop, query):
    response = client.get(f"/clusters/shop/services/?{query}")
    assert response.status_code == 200
    answer = api.get(f"/api/v1/clusters/shop/services/?{query}").json()
    rows = response.context["rows"]
    assert keys(rows) == keys(answer["results"])
    assert response.context["count"] == answer["count"]
    for row, expected in zip(rows, answer["results"], strict=True):
        assert {k: row[k] for k in expected} == expected
    # The table shows each Service linked to its page.
    for row in rows:
        assert f'href="/clusters/shop/services/{row["namespace"]}/{row["name"]}/"'.encode() in (
            response.content
        )


def test_rows_carry_the_text_the_table_shows(client, shop):
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="catalog", monthly_gb=1000)
    rows = {r["key"]: r for r in client.get("/clusters/shop/services/").context["rows"]}
    catalog = rows["shop/catalog"]
    assert catalog["crossZoneText"] == "66.7%"
    assert catalog["costText"] == "$0.0133/GB"
    assert catalog["monthlyText"] == "$13.33"  # 0.01333 USD/GB x 1000 GB
    assert (catalog["sourceWord"], catalog["sourceLabel"]) == ("set by hand", "set by hand")
    assert rows["shop/cart"]["monthlyText"] == "no traffic measured"
    assert rows["shop/inventory"]["overloaded"] is True  # 1.67x against the 1.5x limit
    assert rows["shop/cart"]["overloaded"] is False
    assert rows["shop/legacy-db"]["topSeverity"] == "error"


def test_sort_state_and_filters_come_from_the_query(client, shop):
    response = client.get("/clusters/shop/services/?ordering=-cross_zone&namespace=shop")
    assert response.context["sort_columns"] == {
        "name": "none",
        "health": "none",
        "policy": "none",
        "cross_zone": "descending",
        "dropped": "none",
        "overload": "none",
        "cost": "none",
        "monthly_cost": "none",
        "recommendation": "none",
    }
    assert response.context["filters"] == {"namespace": "shop"}
    assert response.context["namespaces"] == ["monitoring", "shop"]
    assert b'aria-sort="descending" data-sort="cross_zone"' in response.content


def test_a_bad_filter_is_ignored_and_reported(client, shop):
    response = client.get("/clusters/shop/services/?min_cross_zone=7&ordering=bogus")
    assert response.status_code == 200
    assert response.context["refused"] == ["min_cross_zone", "ordering"]
    assert response.context["count"] == 12  # every Service of the demo shop


def test_filters_matching_nothing_leave_an_empty_table(client, shop):
    response = client.get("/clusters/shop/services/?namespace=nothing-here")
    assert response.context["rows"] == []
    assert response.context["in_snapshot"] == 12
    assert b"No Services match these filters" in response.content


def test_a_page_past_the_end_shows_the_last_page(client, shop):
    response = client.get("/clusters/shop/services/?page=9")
    assert response.context["page"] == 1
    assert len(response.context["rows"]) == 12
    assert response.context["range_text"] == "1–12"


def test_a_policy_nobody_declares_is_refused_as_the_api_refuses_it(client, api, shop):
    response = client.get("/clusters/shop/services/?policy=bogus&search=cart")
    assert response.context["refused"] == ["policy"]
    assert response.context["filters"] == {"search": "cart"}
    assert keys(response.context["rows"]) == ["shop/cart"]
    assert b"Ignored filters that are not valid: policy" in response.content
    assert api.get("/api/v1/clusters/shop/services/?policy=bogus").status_code == 400


def test_export_links_carry_the_filters_and_the_order(client, shop):
    response = client.get("/clusters/shop/services/?search=c%26t&namespace=shop&ordering=dropped")
    urls = response.context["export_urls"]
    assert urls["csv"] == (
        "/api/v1/clusters/shop/services/?search=c%26t&namespace=shop&ordering=dropped&format=csv"
    )
    assert urls["json"].endswith("&format=json")
    assert b'id="export-csv" href="/api/v1/clusters/shop/services/?search=c%26amp;t' not in (
        response.content
    )  # the href is escaped once: &amp; between parameters, %26 inside the value
    assert b'href="/api/v1/clusters/shop/services/?search=c%26t&amp;namespace=shop' in (
        response.content
    )


def test_the_jump_box_is_on_every_cluster_page_but_the_services_one(client, shop):
    jump = b'id="jump-service"'
    assert jump in client.get("/clusters/shop/").content
    assert jump in client.get("/clusters/shop/timeline/").content
    assert jump not in client.get("/clusters/shop/services/").content
