"""Compare two snapshots (issue 13 item 3), in a browser: a deep link shows the API's figures
before, after and their change; the cluster bar's "Compare with" leads there by keyboard; the
page fits a phone."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.web.conftest import api_json, screenshot, sign_in
from tests.web.measured import stored_fetch

COMPARE = "/api/v1/clusters/shop/compare/"


def _open(page, server, user, path: str) -> None:
    """Sign in, then open `path` (the sign-in form's `next` would lose a second parameter)."""
    sign_in(page, server, user, "/")
    page.goto(f"{server.url}{path}")


def _number(text: str) -> float | None:
    return float(text) if text != "" else None


def test_a_deep_link_shows_the_apis_figures(page, web_server, viewer, shop):
    # The fixture's snapshot 2 switched shop/cart from PreferClose to PreferSameNode.
    _open(page, web_server, viewer, "/clusters/shop/compare/?from=1&to=2")
    answer = api_json(viewer, COMPARE, **{"from": 1, "to": 2})
    expect(page.locator("#compare-title")).to_contain_text("snapshot 1")
    expect(page.locator("#compare-title")).to_contain_text("snapshot 2")
    keys = {
        "cross-zone": "crossZoneFraction",
        "cost": "costPerGbMean",
        "monthly": "monthlyCost",
        "dropped": "dropped",
        "overloaded": "overloadedServices",
        "dropping": "droppingServices",
        "services": "services",
    }
    rows = page.locator("#figures-table tbody tr")
    assert rows.count() == len(keys)
    figures = answer["figures"]
    for figure, key in keys.items():
        row = page.locator(f'#figures-table tr[data-figure="{figure}"]')
        for col, side in (("before", "from"), ("after", "to"), ("delta", "delta")):
            cell = row.locator(f'td[data-col="{col}"]')
            assert _number(cell.get_attribute("data-value")) == figures[side][key], (figure, col)
    # Without volumes: no monthly figure on either side, and the page says so in words.
    monthly = page.locator('#figures-table tr[data-figure="monthly"]')
    expect(monthly.locator('td[data-col="before"]')).to_have_text("no traffic measured")
    expect(page.locator("#compare-volumes")).to_have_attribute("data-same", "true")
    expect(page.locator("#compare-volumes")).to_contain_text(
        "No traffic measured for either snapshot"
    )

    # The Services whose figures changed: cart, both sides from the API.
    listed = page.locator("#services-table tbody tr")
    assert listed.count() == len(answer["services"]) >= 1
    cart = next(s for s in answer["services"] if s["name"] == "cart")
    row = page.locator('#services-table tr[data-key="shop/cart"]')
    expect(row.locator(".policy").first).to_have_text(cart["from"]["policy"])
    expect(row.locator(".policy--to")).to_have_text(cart["to"]["policy"])
    for col, key in (("cross-zone", "crossZoneFraction"), ("cost", "costPerGb")):
        cell = row.locator(f'td[data-col="{col}"]')
        assert float(cell.get_attribute("data-from")) == cart["from"][key]
        assert float(cell.get_attribute("data-to")) == cart["to"][key]
    link = row.locator("a").first
    assert link.get_attribute("href") == "/clusters/shop/services/shop/cart/?snapshot=2"

    # What changed, in the timeline's words.
    first = page.locator("#compare-changes .diff li").first
    expect(first).to_have_text("shop/cart: trafficDistribution PreferClose → PreferSameNode")
    screenshot(page, "compare-1440")


def test_different_volumes_are_said_and_monthly_figures_are_the_apis(
    page, web_server, viewer, shop
):
    # One fetch in force for snapshot 1 (made before snapshot 2 was taken), another after.
    first, second = shop.snapshots.order_by("seq")
    stored_fetch(shop, {("shop", "catalog"): 800.0}, at=first.taken_at - timedelta(minutes=1))
    stored_fetch(shop, {("shop", "catalog"): 2000.0}, at=second.taken_at + timedelta(seconds=1))
    _open(page, web_server, viewer, "/clusters/shop/compare/?from=1&to=2")
    answer = api_json(viewer, COMPARE, **{"from": 1, "to": 2})
    assert answer["volumes"]["same"] is False
    volumes = page.locator("#compare-volumes")
    expect(volumes).to_have_attribute("data-same", "false")
    expect(volumes).to_contain_text("Different volumes")
    expect(volumes).to_contain_text("change with the traffic as well as with the routing")
    monthly = page.locator('#figures-table tr[data-figure="monthly"]')
    for col, side in (("before", "from"), ("after", "to"), ("delta", "delta")):
        value = monthly.locator(f'td[data-col="{col}"]').get_attribute("data-value")
        assert float(value) == answer["figures"][side]["monthlyCost"], col
    assert answer["figures"]["delta"]["monthlyCost"] > 0  # more GB, the same routing
    screenshot(page, "compare-volumes-1440")


def test_compare_with_from_the_services_page_by_keyboard(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/services/")
    page.get_by_label("Snapshot", exact=True).focus()
    page.keyboard.press("Tab")  # Show
    page.keyboard.press("Tab")  # Compare with
    assert page.evaluate("document.activeElement.id") == "compare-select"
    picker = page.get_by_label("Compare with")
    expect(picker).to_have_value("1")  # the snapshot before the one shown
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "compare-go"
    page.keyboard.press("Enter")
    page.wait_for_url("**/clusters/shop/compare/?to=2&from=1")
    expect(page.locator("#compare-title")).to_contain_text("snapshot 1")
    expect(page.locator("#figures-table")).to_be_visible()
    # The chooser on the page is preset to the pair, and changing it by keyboard compares again
    # (turned round to read oldest to newest).
    expect(page.get_by_label("Before")).to_have_value("1")
    expect(page.get_by_label("After")).to_have_value("2")
    page.get_by_label("Before").select_option("2")
    page.get_by_label("After").select_option("1")
    page.get_by_label("After").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "compare-submit"
    page.keyboard.press("Enter")
    page.wait_for_url("**/clusters/shop/compare/?from=1&to=2")


def test_a_pinned_page_compares_its_own_snapshot(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/recommendations/?snapshot=1")
    expect(page.get_by_label("Compare with")).to_have_value("2")  # nothing older than 1
    page.locator("#compare-go").click()
    page.wait_for_url("**/clusters/shop/compare/?from=1&to=2")  # turned round
    expect(page.locator("#figures-table")).to_be_visible()


@pytest.mark.http_error_page
def test_a_bad_link_says_what_is_wrong(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/compare/?from=7")
    expect(page.locator("#compare-problem")).to_have_text(
        "There is no snapshot 7 of Demo shop (pruned, or never taken)."
    )
    expect(page.locator("#figures-table")).to_have_count(0)
    expect(page.get_by_label("Before")).to_be_visible()  # the way on


def test_the_comparison_on_a_phone(page, web_server, viewer, shop):
    page.set_viewport_size({"width": 390, "height": 800})
    _open(page, web_server, viewer, "/clusters/shop/compare/?from=1&to=2")
    expect(page.locator("#figures-table")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    # Every figure's three values side by side in its card, none cut off by the card's edge.
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('#figures-table td, #services-table td')]
            .filter((td) => td.scrollWidth > td.clientWidth + 1).map((td) => td.textContent)"""
    )
    assert clipped == []
    screenshot(page, "compare-390")
    page.goto(f"{web_server.url}/clusters/shop/services/")
    expect(page.get_by_label("Compare with")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "compare-with-bar-390")
