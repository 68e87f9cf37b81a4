"""Settings page: prices and traffic volumes saved through the API, errors beside the field,
read-only for viewers."""

from decimal import Decimal

import pytest
from django.test import Client

from routing.models import ServiceSummary, TrafficVolume
from tests.web.conftest import screenshot, sign_in

PATH = "/clusters/shop/settings/"


def _get(user, path):
    client = Client()
    client.force_login(user)
    return client.get(path)


def _row(page, service):
    namespace, name = service.split("/")
    return page.locator(f"#volume-table tr[data-namespace='{namespace}'][data-name='{name}']")


def test_setting_a_volume_reaches_the_api_and_gives_monthly_figures(page, web_server, editor, shop):
    sign_in(page, web_server, editor, PATH)
    services = ServiceSummary.objects.at(shop.pk, 2).count()
    assert page.locator("#volume-table tbody tr").count() == services
    assert page.locator("#total-with").inner_text() == f"0 of {services}"
    screenshot(page, "settings")

    row = _row(page, "shop/catalog")
    row.get_by_label("GB a month for shop/catalog").fill("1500")
    row.get_by_role("button", name="Save the volume of shop/catalog").click()
    row.get_by_text("Saved").wait_for()
    volume = _get(editor, "/api/v1/clusters/shop/services/shop/catalog/volume/").json()
    assert volume["monthlyGb"] == 1500 and volume["updatedBy"] == "eddie"
    cost = ServiceSummary.objects.at(shop.pk, 2).get(namespace="shop", name="catalog").cost_per_gb
    assert row.locator(".monthly-cost").inner_text() == f"${cost * 1500:,.2f}"
    assert page.locator("#total-with").inner_text() == f"1 of {services}"
    assert page.locator("#total-gb").inner_text() == "1,500"
    assert page.locator("#total-cost").inner_text() == f"${cost * 1500:,.2f}"

    # The recommendations now carry the monthly saving.
    recs = _get(editor, "/api/v1/clusters/shop/recommendations/").json()["results"]
    assert recs[0]["name"] == "catalog" and recs[0]["monthlyGb"] == 1500

    # A reload shows it stored; Clear removes it.
    page.reload()
    row = _row(page, "shop/catalog")
    assert row.get_by_label("GB a month for shop/catalog").input_value() == "1500"
    assert "set by eddie" in row.inner_text()
    row.get_by_role("button", name="Clear the volume of shop/catalog").click()
    row.get_by_text("Cleared").wait_for()
    assert not TrafficVolume.objects.filter(cluster=shop).exists()
    assert row.locator(".monthly-cost").inner_text() == "–"


@pytest.mark.http_error_page
def test_api_validation_errors_show_beside_the_field(page, web_server, editor, shop):
    sign_in(page, web_server, editor, PATH)
    row = _row(page, "shop/cart")
    row.get_by_label("GB a month for shop/cart").fill("-3")
    row.get_by_label("GB a month for shop/cart").press("Enter")
    client = Client()
    client.force_login(editor)
    expected = client.put(
        "/api/v1/clusters/shop/services/shop/cart/volume/",
        {"monthlyGb": "-3"},
        content_type="application/json",
    ).json()["error"]["details"]["monthlyGb"][0]
    row.locator(".status--error").wait_for()
    assert row.locator(".status").inner_text() == expected
    assert row.get_by_label("GB a month for shop/cart").get_attribute("aria-invalid") == "true"
    assert not TrafficVolume.objects.exists()

    page.get_by_label("Price across zones").fill("-1")
    page.get_by_role("button", name="Save prices").click()
    error = page.locator("#price-zone-error")
    error.wait_for()
    assert "greater than or equal to 0" in error.inner_text()
    shop.refresh_from_db()
    assert shop.price_cross_zone is None
    assert all("status of 400" in e for e in page.console_errors), page.console_errors


def test_setting_and_clearing_a_price(page, web_server, editor, shop):
    sign_in(page, web_server, editor, PATH)
    prices = page.locator("#prices")
    assert (
        "AWS" in prices.inner_text()
        and "detected from the nodes' providerID" in prices.inner_text()
    )
    assert "$0.0200/GB" in prices.inner_text()  # AWS's list price across zones
    assert page.get_by_label("Price across zones").get_attribute("placeholder") == "0.02"
    page.get_by_label("Price across zones").fill("0.015")
    page.get_by_role("button", name="Save prices").click()
    page.get_by_text("Saved: your prices replace the list prices.").wait_for()
    shop.refresh_from_db()
    assert shop.price_cross_zone == Decimal("0.015") and shop.price_cross_region is None
    answer = _get(editor, "/api/v1/clusters/shop/prices/").json()
    assert answer == {"priceCrossZone": 0.015, "priceCrossRegion": None}

    page.get_by_label("Price across zones").fill("")
    page.get_by_role("button", name="Save prices").click()
    page.get_by_text("Saved: the list prices apply.").wait_for()
    shop.refresh_from_db()
    assert shop.price_cross_zone is None


def test_bulk_paste(page, web_server, editor, shop):
    sign_in(page, web_server, editor, PATH)
    page.get_by_label("One Service a line").fill("shop/cart 200\nshop/email, 30.5 GB\nnonsense\n")
    page.get_by_label("Where the figures come from").fill("istio, October")
    page.get_by_role("button", name="Save all").click()
    result = page.locator("#bulk-result")
    result.get_by_text("Saved 2 volumes; 1 line not saved:").wait_for()
    assert "Line 3" in result.inner_text()
    stored = {(v.name, v.monthly_gb, v.source) for v in TrafficVolume.objects.filter(cluster=shop)}
    assert stored == {
        ("cart", Decimal("200"), "istio, October"),
        ("email", Decimal("30.5"), "istio, October"),
    }
    assert (
        _row(page, "shop/email").get_by_label("GB a month for shop/email").input_value() == "30.5"
    )


def test_filter_and_pages(page, web_server, editor, shop):
    sign_in(page, web_server, editor, PATH)
    page.get_by_label("Filter Services").fill("shop/ca")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**q=shop%2Fca**")
    names = page.locator("#volume-table tbody th").all_inner_texts()
    assert names == ["shop/cart", "shop/catalog"]
    page.get_by_label("Filter Services").fill("zzz")
    page.get_by_role("button", name="Filter").click()
    page.get_by_text("No Service matches “zzz”.").wait_for()


def test_a_viewer_sees_read_only_controls(page, web_server, viewer, shop):
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="cart", monthly_gb=10)
    sign_in(page, web_server, viewer, PATH)
    assert "needs the editor role" in page.locator("#readonly-note").inner_text()
    assert page.get_by_label("Price across zones").is_disabled()
    assert page.get_by_label("GB a month for shop/cart").is_disabled()
    assert page.get_by_label("GB a month for shop/cart").input_value() == "10"
    assert page.get_by_role("button", name="Save prices").count() == 0
    assert page.locator("#volume-table button").count() == 0
    assert page.locator("#bulk-form").count() == 0
    # The banner stands apart from the Prices card below it.
    gap = page.evaluate(
        "() => document.getElementById('prices').getBoundingClientRect().top"
        " - document.getElementById('readonly-note').getBoundingClientRect().bottom"
    )
    assert gap >= 12


def _box(locator) -> dict:
    return locator.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return {left: r.left, right: r.right, top: r.top, middle: (r.top + r.bottom) / 2}; }"
    )


def test_the_layout_lines_up(page, web_server, editor, shop):
    sign_in(page, web_server, editor, PATH)
    # The note under the price fields starts where the fields do.
    field = _box(page.locator("#prices-form .field").first)
    note = _box(page.locator(".prices-note"))
    assert abs(note["left"] - field["left"]) < 1
    # Each row's Service link is centred on the row's input, like the other cells.
    row = _row(page, "shop/catalog")
    link = _box(row.get_by_role("link", name="shop/catalog"))
    volume = _box(row.get_by_label("GB a month for shop/catalog"))
    policy = _box(row.locator("td[data-label='Policy']"))
    assert abs(link["middle"] - volume["middle"]) < 3
    assert abs(policy["middle"] - volume["middle"]) < 3


def test_settings_in_a_narrow_window(page, web_server, editor, shop):
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, web_server, editor, PATH)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    # Every cell of a row's card has its visible label above its value, the volume's input too,
    # and a long policy lays out as a short one does.
    labels = page.evaluate(
        """() => [...document.querySelectorAll('#volume-table tbody tr:first-child td')].map(
             (td) => { const b = getComputedStyle(td, '::before');
                       return [b.content, b.display]; })"""
    )
    assert labels == [
        ['"Policy"', "block"],
        ['"Cost per GB"', "block"],
        ['"Volume in use"', "block"],
        ['"Set by hand (GB a month)"', "block"],
        ['"Monthly cost"', "block"],
    ]
    heights = {
        service: _row(page, service)
        .locator("td[data-label='Policy']")
        .evaluate("td => td.getBoundingClientRect().height")
        for service in ("shop/cart", "shop/catalog")  # PreferSameNode and none
    }
    assert heights["shop/cart"] == heights["shop/catalog"]
    screenshot(page, "settings-narrow")
