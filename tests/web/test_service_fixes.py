"""The Service page's verified fixes (issue 12): the list equals the stored report's `fixes`,
each card shows the engine's figures after it and its commands; "Try it" fills the what-if
panel with the fix's body and shows the API's answer, whose figures equal the fix's `after`;
a Service with nothing to fix says so. Screenshots: build/test-screenshots/fixes-*.png."""

import pytest

from dashboard.pages import format as fmt
from tests.web.conftest import api_json, screenshot
from tests.web.test_whatif_panel import open_service, what_if, zone_input


def _detail(user, name: str) -> dict:
    return api_json(user, f"/api/v1/clusters/shop/services/shop/{name}/")


def test_the_fixes_shown_are_the_reports(page, web_server, viewer, shop):
    detail = _detail(viewer, "payments")
    fixes = detail["fixes"]
    assert [f["kind"] for f in fixes] == ["set-policy", "add-endpoints"]
    open_service(page, web_server, viewer, name="payments")
    cards = page.locator("#fixes li.fix")
    assert cards.count() == len(fixes)
    for i, fix in enumerate(fixes):
        card = cards.nth(i)
        assert card.get_attribute("data-fix-kind") == fix["kind"]
        assert card.locator(".fix__summary").inner_text() == fix["summary"]
        after = card.locator(".fix__after dd").all_inner_texts()
        assert after[:2] == [
            fmt.pct(fix["after"]["crossZoneFraction"]),
            fmt.pct(fix["after"]["dropped"]),
        ]
        assert after[3] == fmt.per_gb(fix["after"]["costPerGb"])
        commands = card.locator("pre.change")
        if fix["commands"]:
            assert commands.inner_text() == "\n".join(fix["commands"])
        else:
            assert commands.count() == 0
        # A viewer has no what-if panel, so nothing to try.
        assert card.get_by_role("button", name="Fill the what-if panel with it").count() == 0
    screenshot(page, "fixes-payments")


def test_try_it_fills_the_panel_and_shows_the_same_figures(page, web_server, editor, shop):
    fix = next(f for f in _detail(editor, "payments")["fixes"] if f["kind"] == "add-endpoints")
    answer = what_if(editor, fix["whatIf"], name="payments")
    assert answer["after"]["crossZoneFraction"] == pytest.approx(fix["after"]["crossZoneFraction"])
    assert answer["after"]["maxOverload"] == pytest.approx(fix["after"]["maxOverload"])
    open_service(page, web_server, editor, name="payments")
    card = page.locator('#fixes li.fix[data-fix-kind="add-endpoints"]')
    card.get_by_role("button", name="Fill the what-if panel with it").click()
    page.wait_for_selector("#whatif-status:has-text('Done')")
    for zone, n in fix["whatIf"]["replicasPerZone"].items():
        assert zone_input(page, "replicas", zone).input_value() == str(n)
    shown = page.locator("#whatif").inner_text()
    assert fmt.times(fix["after"]["maxOverload"]) in shown
    screenshot(page, "fixes-try-it")


def test_nothing_to_fix_and_no_fix_found_are_said(page, web_server, viewer, shop):
    open_service(page, web_server, viewer, name="frontend")
    assert page.locator("#no-fix").inner_text() == (
        "Nothing to fix: no warning, and no better policy."
    )
