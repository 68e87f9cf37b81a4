"""The Services table in a browser: what it shows equals the list API's answer for the same query,
through sorting, filtering, paging, reloads, Back, and a live snapshot."""

import re

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from benchmarks.gen_cluster import dumps, generate
from routing.models import Cluster
from routing.snapshots import import_dump
from tests.factories import demo_with_checkout_hinted
from tests.web.conftest import screenshot, sign_in


@pytest.fixture
def big(transactional_db):
    """A generated cluster with 250 Services over 3 zones (three pages of 100)."""
    cluster = Cluster.objects.create(name="big", source="upload")
    doc = generate(services=250, endpoints=900, nodes=24, zones=3, seed=5, pods=False)
    import_dump(cluster, dumps(doc, indent=0))
    return cluster


def api_rows(user, cluster: str, **params) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/clusters/{cluster}/services/", params)
    assert response.status_code == 200, response.content
    return response.json()


def keys(answer: dict) -> list[str]:
    return [f"{r['namespace']}/{r['name']}" for r in answer["results"]]


def shown(page) -> list[str]:
    return page.locator("#services-rows tr").evaluate_all("rows => rows.map(r => r.dataset.key)")


def expect_rows(page, expected: list[str]) -> None:
    """Wait until the table shows exactly these Services, in this order."""
    page.wait_for_function(
        "keys => JSON.stringify([...document.querySelectorAll('#services-rows tr')]"
        ".map(r => r.dataset.key)) === JSON.stringify(keys)",
        arg=expected,
    )
    assert shown(page) == expected


def header(page, name: str):
    return page.locator("#services-table thead th").filter(
        has=page.get_by_role("button", name=name)
    )


def test_first_paint_sorting_and_paging_follow_the_api(page, web_server, viewer, big):
    sign_in(page, web_server, viewer, "/clusters/big/services/")
    first = api_rows(viewer, "big")
    assert first["count"] == 250
    assert shown(page) == keys(first)  # rendered by the server, before any fetch
    expect(page.locator("#pager-text")).to_have_text("Services 1–100 of 250")
    expect(header(page, "USD/GB")).to_have_attribute("aria-sort", "descending")
    screenshot(page, "services-big")

    page.get_by_role("link", name="Next →").click()
    expect_rows(page, keys(api_rows(viewer, "big", page=2)))
    expect(page.locator("#pager-text")).to_have_text("Services 101–200 of 250")
    assert re.search(r"[?&]page=2\b", page.url)
    page.reload()
    assert shown(page) == keys(api_rows(viewer, "big", page=2))  # the URL kept the state
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("#pager-text")).to_have_text("Services 201–250 of 250")
    expect(page.get_by_role("link", name="Next →")).to_be_hidden()
    page.go_back()
    expect_rows(page, keys(api_rows(viewer, "big", page=2)))
    page.go_back()
    expect_rows(page, keys(first))

    # Headers sort as the API does: descending first, then ascending; names A to Z.
    for name, ordering in [("Cross-zone", "cross_zone"), ("Max overload", "overload")]:
        header(page, name).get_by_role("button").click()
        expect_rows(page, keys(api_rows(viewer, "big", ordering=f"-{ordering}")))
        expect(header(page, name)).to_have_attribute("aria-sort", "descending")
        expect(header(page, "USD/GB")).to_have_attribute("aria-sort", "none")
        header(page, name).get_by_role("button").click()
        expect_rows(page, keys(api_rows(viewer, "big", ordering=ordering)))
        expect(header(page, name)).to_have_attribute("aria-sort", "ascending")
    header(page, "Service").get_by_role("button").click()
    by_name = api_rows(viewer, "big", ordering="name")
    expect_rows(page, keys(by_name))
    assert keys(by_name) == sorted(keys(by_name))
    assert "ordering=name" in page.url
    page.reload()
    assert shown(page) == keys(by_name)
    expect(header(page, "Service")).to_have_attribute("aria-sort", "ascending")


def test_filters_give_the_apis_rows_and_survive_a_reload(page, web_server, viewer, big):
    sign_in(page, web_server, viewer, "/clusters/big/services/")
    namespace = api_rows(viewer, "big", ordering="name")["results"][0]["namespace"]

    page.get_by_label("Namespace").select_option(namespace)
    expected = api_rows(viewer, "big", namespace=namespace)
    expect_rows(page, keys(expected))
    expect(page.locator("#pager-text")).to_contain_text(f"of {expected['count']}")

    page.get_by_label("Declared policy").select_option("PreferSameZone")
    expected = api_rows(viewer, "big", namespace=namespace, policy="PreferSameZone")
    expect_rows(page, keys(expected))

    page.get_by_label("Declared policy").select_option("")
    page.get_by_label("Namespace").select_option("")
    page.get_by_label("Min. cross-zone %").fill("50")
    page.get_by_label("Min. cross-zone %").press("Enter")
    expected = api_rows(viewer, "big", min_cross_zone=0.5)
    assert 0 < expected["count"] < 250
    expect_rows(page, keys(expected))
    assert all(r["crossZoneFraction"] >= 0.5 for r in expected["results"])

    page.get_by_label("Mechanism").select_option("topologyAuto")
    # Each answered change is a history entry; one superseded before its answer is not (the
    # page loads only the newest): wait for this one before the next change.
    page.wait_for_url(re.compile(r"mechanism=topologyAuto"))
    page.get_by_label("With warnings or errors only").check()
    expected = api_rows(
        viewer, "big", min_cross_zone=0.5, mechanism="topologyAuto", has_diagnostics="true"
    )
    page.wait_for_url(re.compile(r"has_diagnostics=true"))
    expect_rows(page, keys(expected))
    assert "min_cross_zone=0.5" in page.url
    screenshot(page, "services-filtered")

    page.reload()
    assert shown(page) == keys(expected)
    expect(page.get_by_label("Min. cross-zone %")).to_have_value("50")
    expect(page.get_by_label("Mechanism")).to_have_value("topologyAuto")
    expect(page.get_by_label("With warnings or errors only")).to_be_checked()
    page.go_back()  # before the checkbox
    page.wait_for_url(lambda url: "has_diagnostics" not in url)
    expect_rows(page, keys(api_rows(viewer, "big", min_cross_zone=0.5, mechanism="topologyAuto")))
    expect(page.get_by_label("With warnings or errors only")).not_to_be_checked()


def test_filters_that_match_nothing_offer_to_clear_them(page, web_server, viewer, big):
    sign_in(page, web_server, viewer, "/clusters/big/services/")
    page.goto(f"{web_server.url}/clusters/big/services/?namespace=no-such-namespace")
    expect(page.get_by_text("No Services match these filters.")).to_be_visible()
    expect(page.locator("#services-table-wrap")).to_be_hidden()
    page.locator("#services-empty-filtered").get_by_role("button", name="Clear filters").click()
    expect_rows(page, keys(api_rows(viewer, "big")))
    expect(page.get_by_label("Namespace")).to_have_value("")
    assert "namespace" not in page.url


def test_overloaded_only(page, web_server, viewer, shop):
    # Needs the list API's `overloaded` filter (see the page's report).
    sign_in(page, web_server, viewer, "/clusters/shop/services/")
    page.get_by_label(re.compile("Overloaded only")).check()
    expected = api_rows(viewer, "shop", overloaded="true")
    assert keys(expected) == ["shop/inventory"]
    expect_rows(page, keys(expected))
    expect(page.locator('#services-rows td[data-col="overload"]')).to_have_class(
        re.compile("cell--bad")
    )


def test_the_demo_shop_table_and_its_live_refresh(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/services/")
    answer = api_rows(viewer, "shop")
    assert shown(page) == keys(answer)
    for row in answer["results"]:
        tr = page.locator(f'#services-rows tr[data-key="{row["namespace"]}/{row["name"]}"]')
        expect(tr.locator('[data-col="crossZone"]')).to_have_text(
            f"{row['crossZoneFraction'] * 100:.1f}%"
        )
        expect(tr.locator('[data-col="cost"]')).to_have_text(f"${row['costPerGb']:.4f}/GB")
        expect(tr.locator('[data-col="overload"]')).to_have_text(f"{row['maxOverload']:.2f}×")
        rec, fix = row["recommendedPolicy"], row["bestFix"]
        expect(tr.locator('[data-col="recommendation"]')).to_have_text(
            f"→ {rec}" if rec else f"fix: {fix}" if fix else "keep"
        )
    node_exporter = page.locator('#services-rows tr[data-key="monitoring/node-exporter"]')
    expect(node_exporter.get_by_text("iTP Local")).to_be_visible()
    screenshot(page, "services")

    # A new snapshot: checkout's last endpoint gets its zone hint, so its traffic stays in zones.
    checkout = page.locator('#services-rows tr[data-key="shop/checkout"]')
    expect(checkout.locator('[data-col="crossZone"]')).to_have_text("66.7%")
    page.get_by_role("link", name="checkout").focus()
    snapshot = import_dump(shop, demo_with_checkout_hinted())
    page.evaluate(
        "seq => document.dispatchEvent(new CustomEvent('tl:snapshot', "
        "{detail: {cluster: 'shop', seq}}))",
        snapshot.seq,
    )
    after = api_rows(viewer, "shop")
    expect(checkout.locator('[data-col="crossZone"]')).to_have_text("0.0%")
    expect_rows(page, keys(after))
    expect(page.locator("#services-status")).to_have_text(f"Updated to snapshot {snapshot.seq}")
    # The focused link is the same Service's, in its new row.
    assert page.evaluate("document.activeElement.closest('tr').dataset.key") == "shop/checkout"


def test_narrow_window(page, web_server, viewer, shop):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, web_server, viewer, "/clusters/shop/services/")
    expect(page.get_by_label("Namespace")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "services-narrow")


def test_no_snapshot_yet(page, web_server, viewer):
    Cluster.objects.create(name="fresh", source="upload")
    sign_in(page, web_server, viewer, "/clusters/fresh/services/")
    expect(page.get_by_text("No snapshot of fresh yet.")).to_be_visible()
    expect(page.get_by_role("link", name="Upload a dump")).to_be_visible()
