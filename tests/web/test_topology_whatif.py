"""The topology page under a what-if policy (issue 13 item 5): the top Services table is the one
GET .../top-services/?policy= computed (ranked under the policy, observed figures beside, Δ,
"N of M Services would change"), observed mode keeps the observed list, equal-weight figures
say "Services weighted equally", at desktop and phone widths, pinned and live."""

from playwright.sync_api import expect

from routing.models import TrafficVolume
from routing.snapshots import import_dump
from tests.web.conftest import api_json, screenshot, sign_in
from tests.web.test_topology_page import snapshot_event, wait_for, without_hints

TOP = "/api/v1/clusters/shop/top-services/"


def shown_rows(page) -> list[dict]:
    """The table's rows as the page wrote them: Service, figures, observed figures and Δ."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#top-services-table tbody tr')].map((tr) => {
             const cell = (col) => tr.querySelector(`td[data-col="${col}"]`);
             const num = (td, key) => td && td.dataset[key] !== undefined && td.dataset[key] !== ''
               ? Number(td.dataset[key]) : null;
             return {
               service: tr.dataset.service,
               changed: tr.dataset.changed,
               crossZone: num(cell('cross-zone'), 'value'),
               crossZoneObserved: num(cell('cross-zone'), 'observed'),
               cost: num(cell('cost'), 'value'),
               costObserved: num(cell('cost'), 'observed'),
               monthly: num(cell('monthly'), 'value'),
               monthlyObserved: num(cell('monthly'), 'observed'),
               delta: num(cell('delta'), 'value'),
               deltaCrossZone: num(cell('delta'), 'crossZone'),
               deltaText: cell('delta') ? cell('delta').innerText : null,
             }; })"""
    )


def assert_table_is(page, answer: dict) -> None:
    """The page's table is the API's answer, row for row, figure for figure."""
    rows = shown_rows(page)
    top = answer["topServices"]
    assert [r["service"] for r in rows] == [f"{t['namespace']}/{t['name']}" for t in top]
    monthly = answer["servicesWithVolume"] > 0
    for row, item in zip(rows, top, strict=True):
        assert row["changed"] == ("true" if item["changed"] else "false")
        assert row["crossZone"] == item["crossZoneFraction"]
        assert row["crossZoneObserved"] == item["observed"]["crossZoneFraction"]
        assert row["cost"] == item["costPerGb"]
        assert row["costObserved"] == item["observed"]["costPerGb"]
        if monthly:
            assert row["monthly"] == item["monthlyCost"]
            assert row["monthlyObserved"] == item["observed"]["monthlyCost"]
        if not item["changed"]:
            assert row["deltaText"] == "no change"
            continue
        with_volume = item["monthlyCost"] is not None
        assert row["delta"] == item["delta"]["monthlyCost" if with_volume else "costPerGb"]
        assert row["deltaCrossZone"] == item["delta"]["crossZoneFraction"]
        if item["delta"]["crossZoneFraction"] < 0:
            points = f"{abs(item['delta']['crossZoneFraction']) * 100:.1f} pts cross-zone"
            assert f"\u2212{points}" in row["deltaText"]
        if with_volume and item["delta"]["monthlyCost"]:
            assert "a month" in row["deltaText"]
    line = page.locator("#top-services-changed")
    services = answer["services"]
    assert line.get_attribute("data-changed") == str(answer["changedServices"])
    assert line.get_attribute("data-services") == str(services)
    policy = answer["policy"]
    expected = f"{answer['changedServices']} of {services} Services would change under {policy}"
    assert expected in line.inner_text()


def assert_fits(page) -> None:
    """Every cell of the table is inside the table's box: nothing is cut off or scrolled to."""
    outside = page.evaluate(
        """() => { const wrap = document.querySelector('#top-services .table-wrap');
             const w = wrap.getBoundingClientRect();
             return wrap.scrollWidth > wrap.clientWidth + 1 ? ['the table scrolls'] :
               [...wrap.querySelectorAll('tbody th, tbody td, tbody .delta__line, tbody .was')]
               .filter((c) => { const r = c.getBoundingClientRect();
                                return r.left < w.left - 0.5 || r.right > w.right + 0.5; })
               .map((c) => c.closest('tr').dataset.service + ': ' + c.textContent); }"""
    )
    assert outside == []


def assert_observed_list(page, viewer) -> None:
    """Observed mode: the list API's observed order and figures, no what-if line, no Δ."""
    listed = api_json(viewer, "/api/v1/clusters/shop/services/", ordering="-cost", page_size=10)
    rows = page.locator("#top-services-table tbody tr")
    names = rows.evaluate_all("trs => trs.map((tr) => tr.dataset.service)")
    assert names == [f"{r['namespace']}/{r['name']}" for r in listed["results"]]
    values = page.eval_on_selector_all(
        '#top-services-table td[data-label="Cross-zone"]',
        "tds => tds.map((td) => td.dataset.value)",
    )
    assert [float(v) for v in values] == [r["crossZoneFraction"] for r in listed["results"]]
    assert page.locator("#top-services-changed").count() == 0
    assert page.locator('#top-services-table td[data-col="delta"]').count() == 0
    assert page.locator("#top-services-table .was").count() == 0


def test_a_what_if_policy_recomputes_the_top_services(page, web_server, viewer, shop):
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, web_server, viewer, "/clusters/shop/")
    wait_for(page, "observed", 2)
    assert_observed_list(page, viewer)
    # No volume anywhere: the headline, legend and matrix note say how the Services weigh.
    assert page.locator('#headline [data-role="weighting"]').count() == 2
    assert "Services weighted equally" in page.locator("#headline").inner_text()
    assert (
        "Services weighted equally (no traffic measured)"
        in page.locator("#topology-legend").inner_text()
    )
    assert "Services weighted equally" in page.locator("#heatmap-about").inner_text()

    page.locator('#policy-toggle button[data-policy="PreferSameZone"]').click()
    wait_for(page, "PreferSameZone", 2)
    answer = api_json(viewer, TOP, policy="PreferSameZone")
    # The demo has Services that PreferSameZone changes and Services it leaves as they are.
    assert 0 < answer["changedServices"] < answer["services"]
    assert_table_is(page, answer)
    changed = page.locator('#top-services-table tr[data-changed="true"]')
    assert changed.count() == sum(1 for t in answer["topServices"] if t["changed"])
    assert changed.count() > 0
    assert page.locator("#top-services-table thead th").last.inner_text() == "Δ"
    assert (
        page.locator("#top-services-about")
        .inner_text()
        .startswith("What if every Service used PreferSameZone")
    )
    assert_fits(page)
    screenshot(page, "topology-whatif-1440")

    # Each policy is its own answer; back to observed is the observed list again.
    page.locator('#policy-toggle button[data-policy="none"]').click()
    wait_for(page, "none", 2)
    assert_table_is(page, api_json(viewer, TOP, policy="none"))
    page.locator('#policy-toggle button[data-policy="observed"]').click()
    wait_for(page, "observed", 2)
    assert_observed_list(page, viewer)


def test_monthly_figures_and_their_change(page, web_server, viewer, shop):
    # Volumes for every Service: the table ranks by month under the policy, Δ in dollars.
    rows = api_json(viewer, "/api/v1/clusters/shop/services/", page_size=100)["results"]
    for i, row in enumerate(rows):
        TrafficVolume.objects.create(
            cluster=shop, namespace=row["namespace"], name=row["name"], monthly_gb=100 * (i + 1)
        )
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, web_server, viewer, "/clusters/shop/?policy=PreferSameZone")
    wait_for(page, "PreferSameZone", 2)
    answer = api_json(viewer, TOP, policy="PreferSameZone")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1440
    assert answer["servicesWithVolume"] == answer["services"]
    assert_table_is(page, answer)
    months = [t["monthlyCost"] for t in answer["topServices"]]
    assert months == sorted(months, reverse=True)
    assert any(t["changed"] and t["delta"]["monthlyCost"] < 0 for t in answer["topServices"])
    # The falling cost is green, as on the Service page's what-if panel.
    assert page.locator("#top-services-table td.delta--better").count() > 0
    assert "Services weighted equally" not in page.locator("#headline").inner_text()
    assert_fits(page)
    screenshot(page, "topology-whatif-monthly-1440")


def test_narrow_window_from_a_deep_link(page, web_server, viewer, shop):
    page.set_viewport_size({"width": 390, "height": 844})
    # A reload on a what-if address starts from the server's own answer (no request needed).
    sign_in(page, web_server, viewer, "/clusters/shop/?policy=PreferSameZone")
    wait_for(page, "PreferSameZone", 2)
    assert_table_is(page, api_json(viewer, TOP, policy="PreferSameZone"))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert_fits(page)  # each row a card whose figures and Δ stay in the table's box
    screenshot(page, "topology-whatif-390")


def test_a_pinned_snapshot_stays_pinned_across_policies(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/?snapshot=1")
    wait_for(page, "observed", 1)
    page.locator('#policy-toggle button[data-policy="PreferSameZone"]').click()
    wait_for(page, "PreferSameZone", 1)
    assert_table_is(page, api_json(viewer, TOP, policy="PreferSameZone", snapshot=1))
    flows = api_json(viewer, "/api/v1/clusters/shop/flowmap/", policy="PreferSameZone", snapshot=1)
    value = page.locator('#headline [data-role="cross-zone-value"]').get_attribute("data-value")
    assert float(value) == flows["crossZoneFraction"]


def test_a_new_snapshot_recomputes_the_what_if_table(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/?policy=PreferSameZone")
    page.wait_for_selector('body[data-live-hello="true"]')
    wait_for(page, "PreferSameZone", 2)
    before = api_json(viewer, TOP, policy="PreferSameZone")
    import_dump(shop, without_hints("cart"))  # cart loses its policy and its hints
    after = api_json(viewer, TOP, policy="PreferSameZone")
    assert after["snapshot"] == 3
    cart = {t["name"]: t for t in after["topServices"]}.get("cart")
    assert cart is None or cart["policy"] == "none"
    assert after["topServices"] != before["topServices"]
    snapshot_event(page, "shop", 3)
    wait_for(page, "PreferSameZone", 3)
    assert_table_is(page, after)


def test_the_namespace_rollup_says_services_weighted_equally(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/services/")
    page.locator("#ns-rollup summary").click()
    status = page.locator("#ns-rollup-status")
    expect(status).to_contain_text("namespaces in snapshot 2")
    assert api_json(viewer, "/api/v1/clusters/shop/namespaces/")["weighting"] == "equal"
    assert status.inner_text().endswith("No traffic measured: Services weighted equally.")
