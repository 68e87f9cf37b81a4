"""Measured traffic volumes in the browser: with a stored fetch (tests/web/measured.py), the
overview, topology, Services table, Service page and recommendations show monthly dollars equal to
the API's figures, written by the pages' own formatter (dashboard/pages/format.py, the same as
js/format.js), each saying where its volume came from; a failing source shows "stale since" on
every cluster page; the settings page shows the source, its fetches and each Service's volume in
use, sets a source (admins) and refreshes it (editors, a 502 shown as the API words it); the
timeline draws the monthly cost at each fetch. Screenshots: build/test-screenshots/volumes-*.png.
"""

import http.server
import json
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.pages.format import gb, source_word, usd, when
from routing.models import Cluster, ServiceSummary, TrafficVolume
from routing.volumes.models import TrafficSource, VolumeFetch
from tests.web.conftest import api_json, screenshot, sign_in
from tests.web.measured import SOURCE_TEXT, failing, stored_fetch, traffic_source

MEASURED = {
    ("shop", "frontend"): 4000.0,
    ("shop", "payments"): 2500.0,
    ("shop", "checkout"): 1200.5,
    ("shop", "catalog"): 800.0,
    ("shop", "cart"): 300.0,  # also set by hand (50 GB), which wins
}
ERROR = "Prometheus at http://prometheus.monitoring:9090 refused the connection"


@pytest.fixture
def measured(shop):
    """`shop` with a traffic source whose fetch (12 min ago) measured five Services, one of
    which also has a volume set by hand."""
    traffic_source(shop)
    TrafficVolume.objects.create(
        cluster=shop, namespace="shop", name="cart", monthly_gb=50, source="finance sheet"
    )
    stored_fetch(shop, MEASURED, notes=["3 series of pods without a Service were left out"])
    return shop


def monthly_cell_text(cell) -> tuple[str, str | None]:
    """(the figure, the source tag's text) of a Monthly cell."""
    tag = cell.locator(".source-tag")
    word = tag.inner_text() if tag.count() else None
    text = cell.inner_text()
    return (text[: -len(word)] if word else text).strip(), word


def test_overview_and_topology_show_the_flow_maps_monthly_cost(page, web_server, viewer, measured):
    flows = api_json(viewer, "/api/v1/clusters/shop/flowmap/")
    assert flows["volumes"]["measured"] == 4 and flows["volumes"]["manual"] == 1
    provenance = "from 4 measured / 1 manual Services, fetched 12 min ago"

    sign_in(page, web_server, viewer, "/")
    card = page.locator('.cluster-card[data-cluster="shop"]')
    assert card.locator('[data-role="cost"]').get_attribute("data-kind") == "monthly"
    value = card.locator('[data-role="cost-value"]')
    assert value.inner_text() == usd(flows["monthlyCost"])
    assert float(value.get_attribute("data-value")) == flows["monthlyCost"]
    assert card.locator('[data-role="cost-source"]').inner_text() == provenance
    assert card.locator('[data-role="volumes-stale"]').count() == 0
    screenshot(page, "volumes-clusters")

    page.goto(f"{web_server.url}/clusters/shop/")
    page.wait_for_selector("body[data-topology-seq]")
    cost = page.locator('#headline [data-role="cost"]')
    assert cost.get_attribute("data-kind") == "monthly"
    assert cost.locator('[data-role="cost-value"]').inner_text() == usd(flows["monthlyCost"])
    assert cost.locator('[data-role="cost-source"]').inner_text().startswith(provenance)
    # The top Services: the most expensive a month first, each with its volume's source.
    listed = api_json(viewer, "/api/v1/clusters/shop/services/", ordering="-monthly_cost")
    with_volume = [r for r in listed["results"] if r["monthlyCost"] is not None]
    rows = page.locator("#top-services-table tbody tr")
    for i, row in enumerate(with_volume):
        tr = rows.nth(i)
        assert tr.get_attribute("data-service") == f"{row['namespace']}/{row['name']}"
        figure, word = monthly_cell_text(tr.locator('td[data-col="monthly"]'))
        assert (figure, word) == (usd(row["monthlyCost"]), source_word(row["volumeSource"]))
    after = rows.nth(len(with_volume)).locator('td[data-col="monthly"]')
    assert after.inner_text() == "no traffic measured"
    assert page.locator("#volumes-stale-banner").is_hidden()
    screenshot(page, "volumes-topology")


def test_the_services_table_orders_by_monthly_cost_and_says_where_each_came_from(
    page, web_server, viewer, measured
):
    default = api_json(viewer, "/api/v1/clusters/shop/services/")
    sign_in(page, web_server, viewer, "/clusters/shop/services/")
    page.wait_for_selector("body[data-services-ready]")
    keys = page.locator("#services-rows tr").evaluate_all("rs => rs.map((r) => r.dataset.key)")
    assert keys == [f"{r['namespace']}/{r['name']}" for r in default["results"]]
    monthly = page.locator('#services-table th[data-sort="monthly_cost"]')
    assert monthly.get_attribute("aria-sort") == "descending"  # the default: -monthly_cost
    note = page.locator("#services-volumes").inner_text()
    assert note == f"Monthly: measured ({SOURCE_TEXT}, 12 min ago); volumes set by hand win."

    def check_cells(answer):
        for row in answer["results"]:
            key = f"{row['namespace']}/{row['name']}"
            cell = page.locator(f'#services-rows tr[data-key="{key}"] td[data-col="monthly"]')
            if row["monthlyCost"] is None:
                assert cell.inner_text() == "no traffic measured", key
                continue
            assert float(cell.get_attribute("data-value")) == row["monthlyCost"], key
            figure, word = monthly_cell_text(cell)
            assert (figure, word) == (usd(row["monthlyCost"]), source_word(row["volumeSource"]))
            title = cell.locator(".source-tag").get_attribute("title")
            if row["volumeSource"] == "measured":
                assert title == f"measured ({SOURCE_TEXT}, 12 min ago)", key
            else:
                assert title == "set by hand", key

    check_cells(default)
    screenshot(page, "volumes-services")
    # Ascending, then descending again: as the API orders them, rendered by services.js.
    monthly.locator("button").click()
    page.wait_for_url("**ordering=monthly_cost**")
    page.wait_for_selector("body:not([data-services-loading])")
    ascending = api_json(viewer, "/api/v1/clusters/shop/services/", ordering="monthly_cost")
    keys = page.locator("#services-rows tr").evaluate_all("rs => rs.map((r) => r.dataset.key)")
    assert keys == [f"{r['namespace']}/{r['name']}" for r in ascending["results"]]
    assert monthly.get_attribute("aria-sort") == "ascending"
    check_cells(ascending)


def test_the_service_page_shows_its_monthly_figures_and_their_source(
    page, web_server, viewer, measured
):
    detail = api_json(viewer, "/api/v1/clusters/shop/services/shop/payments/")
    cost = detail["cost"]
    assert cost["volume"]["source"] == "measured"
    sign_in(page, web_server, viewer, "/clusters/shop/services/shop/payments/")
    page.wait_for_selector("body[data-service-ready]")
    assert page.locator("#stat-monthly").inner_text() == usd(cost["monthlyCost"])
    assert (
        page.locator('[data-stat="monthly"]')
        .inner_text()
        .startswith(f"A month ({gb(cost['monthlyGb'])})")
    )
    source = f"measured ({SOURCE_TEXT}, 12 min ago)"
    assert page.locator("#stat-monthly-source").inner_text() == source
    # Each policy's outcome a month, as the report has it.
    for policy, outcome in detail["whatIf"].items():
        cell = page.locator(f'#compare-rows tr[data-policy="{policy}"] td[data-col="monthly"]')
        assert cell.inner_text() == usd(outcome["monthlyCost"]), policy
    observed = page.locator('#compare-rows tr[data-policy="observed"] td[data-col="monthly"]')
    assert observed.inner_text() == usd(cost["monthlyCost"])
    assert source in page.locator("#compare-monthly").inner_text()
    saved = detail["recommendation"]["monthlySaved"]
    assert page.locator("#rec-saving").inner_text() == (
        f"Saves {usd(saved)} a month, with its measured volume of {gb(cost['monthlyGb'])}."
    )
    screenshot(page, "volumes-service")

    # Set by hand: says so (with its note); without a volume: no traffic measured.
    page.goto(f"{web_server.url}/clusters/shop/services/shop/cart/")
    page.wait_for_selector("body[data-service-ready]")
    assert (
        page.locator("#stat-monthly-source").inner_text().startswith("set by hand (finance sheet")
    )
    cart = api_json(viewer, "/api/v1/clusters/shop/services/shop/cart/")
    assert page.locator("#stat-monthly").inner_text() == usd(cart["cost"]["monthlyCost"])
    page.goto(f"{web_server.url}/clusters/shop/services/monitoring/node-exporter/")
    page.wait_for_selector("body[data-service-ready]")
    assert page.locator("#stat-monthly").inner_text() == "no traffic measured"
    assert page.locator("#stat-monthly-source").count() == 0
    assert page.locator('#compare-head th:has-text("Monthly")').count() == 0


def test_recommendations_show_each_saving_a_month_with_its_source(
    page, web_server, viewer, measured
):
    answer = api_json(viewer, "/api/v1/clusters/shop/recommendations/")
    sign_in(page, web_server, viewer, "/clusters/shop/recommendations/")
    page.wait_for_selector("#recs article")
    known = [i for i in answer["results"] if i["monthlySaved"] is not None]
    assert known, "no recommendation has a volume"
    for item in answer["results"]:
        card = page.locator(f'#recs article[data-service="{item["namespace"]}/{item["name"]}"]')
        month = card.locator("dl.figures > div").nth(3)
        term, value = month.locator("dt").inner_text(), month.locator("dd").inner_text()
        if item["monthlySaved"] is None:
            assert term == "Saving per month"
            assert value.startswith("no traffic measured")
            continue
        word = source_word(item["volumeSource"])
        assert term == f"Saving per month ({gb(item['monthlyGb'])}, {word})"
        saved = item["monthlySaved"]
        assert value == (usd(saved) if saved > 1e-9 else f"costs {usd(-saved)} more")
    assert page.locator("#stat-saving").inner_text() == usd(sum(i["monthlySaved"] for i in known))
    label = page.locator("#stat-saving-label").inner_text()
    assert f"over {len(known)} Service" in label and "measured" in label
    screenshot(page, "volumes-recommendations")


def test_a_failing_source_says_since_when_its_volumes_are_stale(page, web_server, viewer, measured):
    failing(measured, ERROR)
    source = TrafficSource.objects.get(cluster=measured)
    assert source.status()["staleSince"] == source.last_success_at  # the fetch's time
    headline = f"Traffic volumes stale since {when(source.last_success_at)}"

    sign_in(page, web_server, viewer, "/")
    stale = page.locator('.cluster-card[data-cluster="shop"] [data-role="volumes-stale"]')
    assert stale.inner_text() == f"{headline}: {ERROR}"
    for path in (
        "/clusters/shop/",
        "/clusters/shop/services/",
        "/clusters/shop/services/shop/payments/",
        "/clusters/shop/settings/",
    ):
        page.goto(web_server.url + path, wait_until="networkidle")
        banner = page.locator("#volumes-stale-banner")
        assert banner.is_visible(), path
        assert banner.inner_text().startswith(f"{headline}: {ERROR}"), path
    # The settings page's source says so too.
    assert page.locator("#source-state").get_attribute("data-state") == "failing"
    assert page.locator("#source-error").inner_text() == ERROR
    screenshot(page, "volumes-settings-stale")


def test_the_settings_page_shows_the_source_its_fetches_and_each_volume_in_use(
    page, web_server, editor, measured
):
    fetch = VolumeFetch.objects.get(cluster=measured)
    sign_in(page, web_server, editor, "/clusters/shop/settings/")
    table = page.locator("#source-table")
    assert table.locator("#source-state").get_attribute("data-state") == "ok"
    assert "cadvisor" in table.locator('tr[data-field="Preset"]').inner_text()
    assert "http://prometheus.monitoring:9090" in table.inner_text()
    assert table.locator('tr[data-field="Window"] td').inner_text().startswith("7d")
    assert table.locator('tr[data-field="Refresh"] td').inner_text() == "every 1h"
    assert page.get_by_role("button", name="Refresh now").is_visible()
    assert page.locator("#source-form").count() == 0  # editors refresh; admins set the source
    row = page.locator("#fetch-table tbody tr").first
    assert row.locator('[data-col="services"]').inner_text() == "5"
    assert row.locator('[data-col="gb"]').inner_text() == gb(fetch.total_gb)
    assert row.locator('[data-col="cost"]').inner_text() == usd(fetch.monthly_cost)
    assert "3 series of pods without a Service were left out" in row.inner_text()

    def in_use(name):
        return page.locator(f"#volume-table tr[data-name='{name}'] td.in-use")

    assert in_use("catalog").get_attribute("data-source") == "measured"
    assert in_use("catalog").inner_text().startswith("800 GB")
    assert in_use("catalog").inner_text().endswith("fetched 12 min ago")
    label = in_use("catalog").locator(".source-tag").get_attribute("title")
    assert label == f"measured ({SOURCE_TEXT}, 12 min ago)"
    assert in_use("cart").get_attribute("data-source") == "manual"
    assert in_use("cart").inner_text().startswith("50 GB")
    cart_row = page.locator("#volume-table tr[data-name='cart']")
    assert "overrides the measured 300 GB" in cart_row.locator(".volume-meta").inner_text()
    assert in_use("email").inner_text() == "no traffic measured"
    cost = {
        s.name: s.cost_per_gb
        for s in ServiceSummary.objects.at(measured.pk, measured.latest_snapshot().seq)
    }
    catalog = page.locator("#volume-table tr[data-name='catalog']")
    assert catalog.locator(".monthly-cost").inner_text() == usd(cost["catalog"] * 800)
    screenshot(page, "volumes-settings")

    # Set by hand: it wins and says so; cleared: back to the measured volume.
    catalog.get_by_label("GB a month for shop/catalog").fill("1000")
    catalog.get_by_role("button", name="Save the volume of shop/catalog").click()
    catalog.get_by_text("Saved: overrides the measured volume").wait_for()
    assert in_use("catalog").get_attribute("data-source") == "manual"
    assert in_use("catalog").inner_text().startswith("1,000 GB")
    assert catalog.locator(".monthly-cost").inner_text() == usd(cost["catalog"] * 1000)
    detail = api_json(editor, "/api/v1/clusters/shop/services/shop/catalog/")
    assert detail["cost"]["volume"]["source"] == "manual"
    catalog.get_by_role("button", name="Clear the volume of shop/catalog").click()
    catalog.get_by_text("Cleared: back to the measured volume").wait_for()
    assert in_use("catalog").get_attribute("data-source") == "measured"
    assert in_use("catalog").inner_text().startswith("800 GB")
    assert catalog.locator(".monthly-cost").inner_text() == usd(cost["catalog"] * 800)
    detail = api_json(editor, "/api/v1/clusters/shop/services/shop/catalog/")
    assert detail["cost"]["volume"]["source"] == "measured"


@pytest.fixture
def sim_traffic():
    """A stand-in for the simulated cluster's /_sim/traffic (what the `simulation` preset
    reads): two Services' bytes per second."""
    body = json.dumps(
        {
            "services": [
                {"namespace": "shop", "name": "cart", "bytesPerSecond": 2048},
                {"namespace": "shop", "name": "search", "bytesPerSecond": 4096},
            ]
        }
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/_sim/traffic":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.http_error_page
def test_an_admin_sets_the_source_and_refreshes_it(page, web_server, admin_user, shop, sim_traffic):
    # A simulated cluster, so that the simulation preset (the demo's model) is offered.
    Cluster.objects.filter(pk=shop.pk).update(source=Cluster.Source.SIMULATED)
    sign_in(page, web_server, admin_user, "/clusters/shop/settings/")
    assert page.locator("#source-none").inner_text().startswith("No traffic source")
    assert page.locator("#source-actions").is_hidden()
    rule = page.locator("#source-credentials-rule").inner_text()
    assert "TRAFFICLENS_PROMETHEUS_" in rule and "TRAFFICLENS_CREDENTIALS_DIR" in rule
    # A closed port: the refresh fails with Prometheus' error. A variable outside the prefix
    # is refused beside its field first.
    page.get_by_label("Prometheus URL").fill("http://127.0.0.1:9")
    page.get_by_label("Window").fill("1d")
    page.get_by_label("Refresh every").fill("30m")
    page.get_by_label("Authentication").select_option("bearer")
    page.get_by_label("Credentials: environment variable").fill("DATABASE_URL")
    page.get_by_role("button", name="Save the traffic source").click()
    error = page.locator("#source-env-error")
    error.wait_for()
    assert "TRAFFICLENS_PROMETHEUS_" in error.inner_text()
    assert not TrafficSource.objects.filter(cluster=shop).exists()
    page.get_by_label("Authentication").select_option("none")
    page.get_by_label("Credentials: environment variable").fill("")
    page.get_by_role("button", name="Save the traffic source").click()
    page.get_by_text("Saved. Refresh now").wait_for()
    stored = TrafficSource.objects.get(cluster=shop)
    assert (stored.url, stored.window_seconds, stored.refresh_interval) == (
        "http://127.0.0.1:9",
        86_400,
        1800,
    )
    assert page.locator("#source-state").get_attribute("data-state") == "never"

    page.get_by_role("button", name="Refresh now").click()
    status = page.locator("#refresh-status.status--error")
    status.wait_for()
    stored.refresh_from_db()
    assert stored.last_error
    assert status.inner_text() == f"Not refreshed: {stored.last_error}"
    page.wait_for_selector("#source-state[data-state='failing']")
    banner = page.locator("#volumes-stale-banner")
    assert banner.is_visible()
    assert banner.inner_text().startswith(f"Traffic volumes never fetched: {stored.last_error}")
    # The refused save (400) and the failed refresh (502), as chromium reports them; nothing else.
    assert all("status of 400" in e or "status of 502" in e for e in page.console_errors), (
        page.console_errors
    )
    page.console_errors.clear()
    screenshot(page, "volumes-settings-refresh-failed")

    # The demo's model instead (no Prometheus): a fetch labelled simulated.
    page.get_by_label("Prometheus URL").fill(sim_traffic)
    page.get_by_label("Preset query").select_option("simulation")
    page.get_by_role("button", name="Save the traffic source").click()
    page.wait_for_function(
        "() => document.querySelector('#source-table code')?.textContent.includes('"
        + sim_traffic
        + "')"
    )
    page.get_by_role("button", name="Refresh now").click()
    page.locator("#refresh-status.status--ok:has-text('Fetched')").wait_for()
    fetch = VolumeFetch.objects.get(cluster=shop)
    assert fetch.services == 2
    assert (
        page.locator("#refresh-status")
        .inner_text()
        .startswith(
            f"Fetched: 2 Services matched, 0 unmatched series, {gb(fetch.total_gb)} a month"
        )
    )
    first = page.locator("#fetch-table tbody tr").first
    assert first.get_attribute("data-id") == str(fetch.pk)
    assert first.locator(".source-tag").inner_text() == "simulated"
    page.wait_for_selector("#source-state[data-state='ok']")
    assert banner.is_hidden()
    screenshot(page, "volumes-settings-admin")

    page.reload()
    in_use = page.locator("#volume-table tr[data-name='search'] td.in-use")
    assert in_use.get_attribute("data-source") == "simulated"
    assert "demo model, not measured" in in_use.inner_text()
    label = in_use.locator(".source-tag").get_attribute("title")
    assert label == "simulated (demo model, not measured)"


def test_the_timeline_draws_the_monthly_cost_at_each_fetch(page, web_server, viewer, measured):
    earlier = stored_fetch(
        measured, {("shop", "frontend"): 1000.0}, at=timezone.now() - timedelta(hours=2)
    )
    fetches = api_json(viewer, "/api/v1/clusters/shop/volumes/fetches/")["results"]
    assert [f["id"] for f in fetches][-1] == earlier.pk
    sign_in(page, web_server, viewer, "/clusters/shop/timeline/")
    chart = page.locator("#chart-monthly")
    page.wait_for_function("() => document.getElementById('chart-monthly').dataset.points")
    assert chart.get_attribute("data-points") == "2"
    about = page.locator("#monthly-about").inner_text()
    assert "at each volume fetch (2 in all time, measured)" in about
    # The chart's points are the fetches' monthly costs, oldest first.
    values = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById('chart-monthly'))
             .getOption().series[0].data.map((d) => d[1])"""
    )
    assert values == [f["monthlyCost"] for f in reversed(fetches)]
    screenshot(page, "volumes-timeline")


def test_without_any_volume_every_page_says_no_traffic_measured(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/")
    cost = page.locator('.cluster-card[data-cluster="shop"] [data-role="cost-source"]')
    assert cost.inner_text().startswith("no traffic measured")
    page.goto(f"{web_server.url}/clusters/shop/", wait_until="networkidle")
    assert "no traffic measured" in page.locator("#headline").inner_text()
    page.goto(f"{web_server.url}/clusters/shop/services/", wait_until="networkidle")
    cells = page.locator('#services-rows td[data-col="monthly"]').all_inner_texts()
    assert cells and set(cells) == {"no traffic measured"}
    page.goto(f"{web_server.url}/clusters/shop/timeline/", wait_until="networkidle")
    assert page.locator("#monthly-about").inner_text().startswith("No traffic measured")
    page.goto(f"{web_server.url}/clusters/shop/settings/", wait_until="networkidle")
    assert page.locator("#fetches-none").inner_text() == "No fetch yet: no traffic measured."


def test_the_service_page_sets_a_measured_cross_zone_share_beside_the_model(
    page, web_server, viewer, measured
):
    from routing.volumes.models import MeasuredVolume

    # A source that saw every byte of payments cross zones (say, Beyla's src_zone/dst_zone).
    MeasuredVolume.objects.filter(name="payments").update(cross_zone_fraction=1.0)
    detail = api_json(viewer, "/api/v1/clusters/shop/services/shop/payments/")
    check = detail["modelCheck"]
    assert check["measuredCrossZoneFraction"] == 1.0 and check["differs"] is True
    sign_in(page, web_server, viewer, "/clusters/shop/services/shop/payments/")
    page.wait_for_selector("body[data-service-ready]")
    assert page.locator("#stat-measured-cross-zone").inner_text() == "100.0%"
    words = page.locator("#stat-measured-cross-zone-source").inner_text()
    assert words.startswith("differs from the simulated ") and "by more than 10.0%" in words
    assert "warn" in page.locator("#stat-measured-cross-zone").get_attribute("class")
    screenshot(page, "volumes-service-model-check")
    # Without a measured share (cart), no such figure.
    page.goto(f"{web_server.url}/clusters/shop/services/shop/cart/")
    page.wait_for_selector("body[data-service-ready]")
    assert page.locator("#stat-measured-cross-zone").count() == 0
