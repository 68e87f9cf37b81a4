"""Time travel (issue 13 item 3), in a browser: a deep link `?snapshot=SEQ` shows that
snapshot's figures on the topology, Services, Service and recommendations pages; the pin is kept
by tabs, Service links, filters and exports; a pinned page is not moved by live snapshots; the
picker in the cluster bar goes back to the latest."""

from playwright.sync_api import expect
from rest_framework.test import APIClient

from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP
from tests.web.conftest import screenshot, sign_in
from tests.web.test_services_page import api_rows, expect_rows, keys


def _flowmap(user, seq: int) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    return client.get("/api/v1/clusters/shop/flowmap/", {"snapshot": seq}).json()


def test_a_deep_link_shows_that_snapshots_figures_and_keeps_the_pin(page, web_server, viewer, shop):
    # The fixture's two snapshots differ: snapshot 2 switched shop/cart to PreferSameNode.
    old = {r["name"]: r for r in api_rows(viewer, "shop", snapshot=1, page_size=100)["results"]}
    new = {r["name"]: r for r in api_rows(viewer, "shop", page_size=100)["results"]}
    assert old["cart"]["policy"] == "PreferClose" and new["cart"]["policy"] == "PreferSameNode"

    sign_in(page, web_server, viewer, "/clusters/shop/services/?snapshot=1")
    expect(page.locator("#snapshot-info")).to_contain_text("snapshot 1 (pinned)")
    expect(page.locator("#pinned-banner")).to_contain_text("The newest is snapshot 2")
    cart = page.locator('#services-rows tr[data-key="shop/cart"]')
    expect(cart.locator(".svc-policy__name")).to_have_text("PreferClose")
    # Filters keep the pin: the table is snapshot 1's, the URL says so, exports too.
    page.get_by_label("Namespace").select_option("shop")
    expect_rows(page, keys(api_rows(viewer, "shop", snapshot=1, namespace="shop")))
    assert "snapshot=1" in page.url
    assert "snapshot=1" in page.locator("#export-csv").get_attribute("href")
    screenshot(page, "time-travel-services-1440")

    # A Service link and the tabs keep it.
    cart.get_by_role("link").click()
    page.wait_for_url("**/services/shop/cart/?snapshot=1")
    expect(page.locator("#snapshot-info")).to_contain_text("snapshot 1 (pinned)")
    page.get_by_role("link", name="Topology", exact=True).click()
    page.wait_for_url("**/clusters/shop/?snapshot=1")
    flows = _flowmap(viewer, 1)
    value = page.locator('#headline [data-role="cross-zone-value"]')
    assert float(value.get_attribute("data-value")) == flows["crossZoneFraction"]
    top = page.locator("#top-services a").first
    assert top.get_attribute("href").endswith("?snapshot=1")  # the top Services keep it too
    page.get_by_role("link", name="Recommendations", exact=True).click()
    page.wait_for_url("**/recommendations/?snapshot=1")
    expect(page.locator("#rec-snapshot")).to_have_text("From snapshot 1")

    # The picker's first entry is the latest: the pin goes.
    page.get_by_label("Snapshot", exact=True).select_option(index=0)
    page.locator("#snapshot-go").click()
    expect(page.locator("#snapshot-info")).to_contain_text("snapshot 2")
    expect(page.locator("#pinned-banner")).to_have_count(0)
    assert "snapshot=1" not in page.url


def test_a_pinned_page_stays_put_when_a_snapshot_lands(page, web_server, viewer, shop, live_relay):
    sign_in(page, web_server, viewer, "/clusters/shop/services/?snapshot=1")
    expect(page.locator("body")).to_have_attribute("data-live-hello", "true")
    import_dump(shop, DEMO_DUMP.read_bytes())  # snapshot 3, announced on the socket
    live_relay.written()
    expect(page.locator("#pinned-latest")).to_contain_text("snapshot 3", timeout=10_000)
    expect(page.locator("#snapshot-info")).to_contain_text("snapshot 1 (pinned)")
    cart = page.locator('#services-rows tr[data-key="shop/cart"]')
    expect(cart.locator(".svc-policy__name")).to_have_text("PreferClose")


def test_a_snapshot_that_is_not_there_says_so(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/?snapshot=99")
    expect(page.locator("#snapshot-missing")).to_contain_text("no snapshot 99")
    expect(page.locator("#snapshot-info")).to_contain_text("snapshot 2")
