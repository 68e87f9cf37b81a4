"""Finding and exporting Services in a browser: the search box (and `/`), every column's sort,
export links whose files equal the API's answer, the namespace roll-up and the header's jump box."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.web.conftest import screenshot, sign_in
from tests.web.test_services_page import api_rows, expect_rows, header, keys

PAGE = "/clusters/shop/services/"


def every_row(user, **params) -> list[dict]:
    return api_rows(user, "shop", page_size=1000, **params)["results"]


def test_search_box_and_slash(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, PAGE)
    search = page.get_by_label("Search")
    page.locator("body").press("/")
    expect(search).to_be_focused()
    page.keyboard.type("SHOP/C")
    expected = keys(api_rows(viewer, "shop", search="SHOP/C"))
    assert 1 < len(expected) < 12
    expect_rows(page, expected)
    assert "search=SHOP%2FC" in page.url
    screenshot(page, "services-search-1440")

    # "/" typed in another field is text, not a jump to the search.
    other = page.locator("#f-min-cross-zone")
    other.focus()
    page.keyboard.press("/")
    expect(other).to_be_focused()

    page.reload()  # the search is in the URL
    expect(search).to_have_value("SHOP/C")
    assert [r.strip() for r in keys(api_rows(viewer, "shop", search="SHOP/C"))] == expected
    search.press("Escape")  # clears the search
    expect_rows(page, keys(api_rows(viewer, "shop")))
    page.go_back()
    expect(search).to_have_value("SHOP/C")
    expect_rows(page, expected)


@pytest.mark.parametrize(
    ("button", "first", "second"),
    [
        ("Dropped", "-dropped", "dropped"),
        ("Recommendation", "-recommendation", "recommendation"),
        ("Health", "-health", "health"),
        ("Policy", "policy", "-policy"),
        ("Service", "name", "-name"),
    ],
)
def test_every_column_sorts(page, web_server, viewer, shop, button, first, second):
    sign_in(page, web_server, viewer, PAGE)
    head = header(page, button)
    head.get_by_role("button").click()
    expect_rows(page, keys(api_rows(viewer, "shop", ordering=first)))
    direction = "descending" if first.startswith("-") else "ascending"
    expect(head).to_have_attribute("aria-sort", direction)
    head.get_by_role("button").click()
    expect_rows(page, keys(api_rows(viewer, "shop", ordering=second)))


def test_export_links_give_the_apis_rows_for_the_view(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, f"{PAGE}?ordering=-dropped")
    page.get_by_label("Search").fill("shop/")
    page.get_by_label("Namespace").select_option("shop")
    expected = every_row(viewer, search="shop/", namespace="shop", ordering="-dropped")
    expect_rows(page, [f"{r['namespace']}/{r['name']}" for r in expected])

    json_link = page.get_by_role("link", name="JSON")
    href = json_link.get_attribute("href")
    assert "format=json" in href and "search=shop%2F" in href and "ordering=-dropped" in href
    answer = page.request.get(web_server.url + href)  # the page's session, as a click would
    assert answer.ok and "attachment" in answer.headers["content-disposition"]
    assert answer.json()["results"] == expected

    csv_href = page.get_by_role("link", name="CSV").get_attribute("href")
    text = page.request.get(web_server.url + csv_href).text()
    lines = list(csv.DictReader(io.StringIO(text)))
    assert [(r["namespace"], r["name"]) for r in lines] == [
        (r["namespace"], r["name"]) for r in expected
    ]
    for line, row in zip(lines, expected, strict=True):
        assert float(line["crossZoneFraction"]) == row["crossZoneFraction"]
        assert float(line["costPerGb"]) == row["costPerGb"]
        assert float(line["dropped"]) == row["dropped"]

    with page.expect_download() as download:  # a click downloads the file, named
        page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename == "shop-snapshot-2-services.csv"


def test_namespace_rollup_filters_the_table(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, PAGE)
    page.locator("#ns-rollup summary").click()
    rows = page.locator("#ns-rows tr")
    expect(rows).to_have_count(2)  # shop and monitoring
    expect(page.locator("#ns-rollup-status")).to_contain_text("2 namespaces in snapshot 2")
    screenshot(page, "services-namespaces-1440")
    page.locator("#ns-rows").get_by_role("button", name="monitoring").click()
    expect_rows(page, keys(api_rows(viewer, "shop", namespace="monitoring")))
    expect(page.get_by_label("Namespace")).to_have_value("monitoring")


def test_jump_box_in_the_cluster_bar(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/")
    box = page.get_by_role("searchbox", name="Jump to a Service")
    screenshot(page, "cluster-bar-jump-1440")
    box.fill("payments")
    box.press("Enter")
    page.wait_for_url(f"{web_server.url}{PAGE}?search=payments")
    expect_rows(page, ["shop/payments"])
    expect(page.get_by_label("Search")).to_have_value("payments")


def test_narrow_window(page, web_server, viewer, shop):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, web_server, viewer, f"{PAGE}?search=shop")
    page.locator("#ns-rollup summary").click()
    expect(page.locator("#ns-rows tr")).to_have_count(2)  # the whole snapshot, unfiltered
    # Nothing wider than the window.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "services-find-390")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{web_server.url}{PAGE}")
    screenshot(page, "services-find-1440")
