"""Severity at a glance (issue 13 item 1), in a browser against the API's figures: the Services
table's Health badges and coloured cells, the topology's headline cards, and the cluster's
cross-zone alert changed on the Settings page and followed by the table."""

from playwright.sync_api import expect

from routing.models import Cluster
from tests.web.conftest import screenshot, sign_in
from tests.web.test_services_page import api_rows

PAGE = "/clusters/shop/services/"


def _rows(user) -> dict[str, dict]:
    return {
        f"{r['namespace']}/{r['name']}": r for r in api_rows(user, "shop", page_size=100)["results"]
    }


def test_health_badges_and_cells_follow_the_api(page, web_server, viewer, shop):
    rows = _rows(viewer)
    sign_in(page, web_server, viewer, PAGE)
    for key, row in rows.items():
        tr = page.locator(f'#services-rows tr[data-key="{key}"]')
        badge = tr.locator("td[data-col=health] .health")
        expect(badge).to_have_text(row["health"])
        expect(badge).to_have_class(f"health health--{row['health']}")
        dropped = tr.locator("td[data-col=dropped]")
        if row["dropped"] > 0:
            expect(dropped).to_have_class("num cell--bad")
            assert row["health"] == "critical"
            assert "drops" in badge.get_attribute("title")
        else:
            expect(dropped).to_have_class("num")
        overloaded = row["maxOverload"] > 1.5
        expect(tr.locator("td[data-col=overload]")).to_have_class(
            "num cell--bad" if overloaded else "num"
        )
        crossing = row["crossZoneFraction"] > 0.5
        expect(tr.locator("td[data-col=crossZone]")).to_have_class(
            "num cell--warn" if crossing else "num"
        )
    # No dropping or overloaded Service looks healthy, and the demo has both kinds.
    assert any(r["dropped"] > 0 for r in rows.values())
    assert any(r["maxOverload"] > 1.5 for r in rows.values())
    screenshot(page, "severity-services-1440")


def test_topology_cards_are_coloured_by_threshold(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/")
    dropped = page.locator('#headline li[data-role="dropped"]')
    value = float(dropped.locator(".stats__value").get_attribute("data-value"))
    assert value > 0  # the demo drops traffic (node-exporter, legacy-db)
    expect(dropped).to_have_class("stat--bad")
    cross = page.locator('#headline li[data-role="cross-zone"]')
    share = float(cross.locator(".stats__value").get_attribute("data-value"))
    expect(cross).to_have_class("stat--warn" if share > 0.5 else "")


def test_the_alert_set_in_settings_reflags_services(page, web_server, admin_user, shop):
    before = _rows(admin_user)
    quiet = [k for k, r in before.items() if r["health"] == "ok" or r["health"] == "info"]
    crossing = [
        k
        for k, r in before.items()
        if r["crossZoneFraction"] > 0.1 and r["health"] in ("ok", "info", "warning")
    ]
    assert quiet and crossing
    sign_in(page, web_server, admin_user, "/clusters/shop/settings/")
    field = page.get_by_label("Cross-zone share above")
    expect(field).to_have_value("50")
    field.fill("150")
    page.locator("#save-alert").click()
    expect(page.locator("#cross-zone-alert-error")).to_be_visible()
    field.fill("10")
    page.locator("#save-alert").click()
    expect(page.locator("#alert-status")).to_contain_text("Saved")
    assert Cluster.objects.get(name="shop").cross_zone_alert == 0.1
    after = _rows(admin_user)
    for key in crossing:
        assert after[key]["health"] in ("warning", "critical"), key
    page.goto(f"{web_server.url}{PAGE}?ordering=-health")
    for key in crossing:
        badge = page.locator(f'#services-rows tr[data-key="{key}"] td[data-col=health] .health')
        expect(badge).to_have_text(after[key]["health"])
    screenshot(page, "severity-alert-10pct-1440")
