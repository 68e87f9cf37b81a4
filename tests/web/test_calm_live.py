"""A calm live view (issue 13 item 4), in a browser: the header's refresh control (live, every
N s, paused) holds new snapshots back while paused and shows them on resume, cells a snapshot
changed flash, and the cluster bar counts the snapshots since the page opened."""

from playwright.sync_api import expect

from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP
from tests.web.conftest import screenshot, sign_in

PAGE = "/clusters/shop/services/"
CART = '#services-rows tr[data-key="shop/cart"]'


def test_paused_pages_hold_snapshots_back_until_resumed(page, web_server, viewer, shop, live_relay):
    sign_in(page, web_server, viewer, PAGE)
    expect(page.locator("body")).to_have_attribute("data-live-hello", "true")
    policy = page.locator(f"{CART} td[data-col=policy] .svc-policy__name")
    expect(policy).to_have_text("PreferSameNode")  # the fixture's snapshot 2
    page.get_by_label("Page updates").select_option("paused")

    import_dump(shop, DEMO_DUMP.read_bytes())  # snapshot 3: cart back to PreferClose
    live_relay.written()
    indicator = page.locator("#live-indicator")
    expect(indicator).to_contain_text("Paused: snapshot 3 not shown yet", timeout=10_000)
    page.wait_for_timeout(1500)  # events arrived; nothing may move meanwhile
    expect(page.locator("#snapshot-info")).to_have_attribute("data-seq", "2")
    expect(policy).to_have_text("PreferSameNode")
    expect(page.locator("#since-open")).to_be_hidden()
    screenshot(page, "calm-paused-1440")

    page.get_by_label("Page updates").select_option("live")
    expect(policy).to_have_text("PreferClose")
    expect(page.locator("#snapshot-info")).to_have_attribute("data-seq", "3")
    expect(page.locator(f"{CART} td[data-col=policy]")).to_have_class("svc-policy changed")
    expect(page.locator("#since-open")).to_have_text("· 1 new snapshot since you opened this page")
    # The flash is brief.
    expect(page.locator(f"{CART} td[data-col=policy]")).to_have_class("svc-policy", timeout=5000)


def test_the_refresh_choice_is_kept_and_an_interval_delivers(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, PAGE)
    control = page.get_by_label("Page updates")
    control.select_option("30")
    page.reload()
    expect(control).to_have_value("30")
    expect(page.locator("#live-indicator")).to_contain_text("Updates every 30 s")
    # Keyboard: the control is reachable and operable without a mouse.
    control.focus()
    page.keyboard.press("End")
    expect(control).to_have_value("paused")
    control.select_option("live")
