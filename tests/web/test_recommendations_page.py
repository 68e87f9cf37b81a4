"""Recommendations page: the API's ranking and changes, savings with volumes, empty states, live."""

import json

import pytest

from routing.models import Cluster, TrafficVolume
from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP
from tests.web.conftest import api_json, screenshot, sign_in

PATH = "/clusters/shop/recommendations/"


def _cards(page):
    return page.locator("article.rec")


# Where each kubectl command's lines break: the pieces of text cut across two lines (none may be:
# a command wraps at spaces and after , { : / only), whether "topology-mode" lies inside one piece,
# and how far the <pre> would have to scroll sideways.
COMMAND_LINES = """() => [...document.querySelectorAll("[data-kind='kubectl'] pre")].map((pre) => ({
  split: [...pre.querySelectorAll('.code-piece')].filter((p) => p.getClientRects().length > 1)
    .map((p) => p.textContent),
  whole: !pre.textContent.includes('topology-mode') || [...pre.querySelectorAll('.code-piece')]
    .some((p) => p.textContent.includes('topology-mode')),
  lines: Math.round(pre.querySelector('code').getBoundingClientRect().height
    / parseFloat(getComputedStyle(pre).lineHeight)),
  scroll: pre.scrollWidth - pre.clientWidth,
  patch: pre.textContent.includes(' patch '),
}))"""


def assert_commands_wrap_between_words(page) -> None:
    for command in page.evaluate(COMMAND_LINES):
        assert command["split"] == []
        assert command["whole"]
        assert command["scroll"] <= 0


def test_the_list_is_the_apis_ranking_with_its_changes(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, PATH)
    ranked = api_json(viewer, "/api/v1/clusters/shop/recommendations/")["results"]
    assert len(ranked) >= 3
    cards = _cards(page)
    assert cards.count() == len(ranked)
    shown = cards.evaluate_all("els => els.map(e => e.dataset.service)")
    assert shown == [f"{r['namespace']}/{r['name']}" for r in ranked]
    for i, rec in enumerate(ranked):
        card = cards.nth(i)
        assert card.locator(".rec__reason").inner_text() == rec["reason"]
        if rec["recommendedPolicy"] is None:  # a fix other than a policy switch (issue 12)
            best = rec["fixes"][0]
            assert card.locator(".policy").all_inner_texts() == [f"fix: {best['kind']}"]
            commands = card.locator("[data-kind='kubectl'] pre")
            if best["commands"]:
                assert commands.inner_text() == "\n".join(best["commands"])
            else:
                assert commands.count() == 0
                assert card.locator(".rec__tradeoff").inner_text() == (
                    f"Trade-off: {best['tradeoff']}."
                )
            continue
        assert card.locator("[data-kind='kubectl'] pre").inner_text() == rec["change"]
        assert card.locator(".policy").all_inner_texts() == [
            rec["currentPolicy"],
            rec["recommendedPolicy"],
        ]
        link = card.get_by_role("link", name=f"{rec['namespace']}/{rec['name']}")
        assert link.get_attribute("href") == (
            f"/clusters/shop/services/{rec['namespace']}/{rec['name']}/"
        )
        # Without a volume: "no traffic measured" and a link to set one, no monthly figure.
        assert "no traffic measured" in card.locator(".figures").inner_text()
        assert card.get_by_role("link", name="set a volume").is_visible()
    assert page.locator("#stat-count").inner_text() == str(len(ranked))
    assert page.locator("#stat-saving").inner_text() == "–"
    assert page.locator("#no-topology").is_hidden()  # the demo uses topology hints
    assert_commands_wrap_between_words(page)
    screenshot(page, "recommendations")

    first = cards.nth(0)
    first.get_by_text("As a YAML merge patch").click()
    assert first.locator("[data-kind='yaml'] pre").inner_text().strip() == ranked[0]["yaml"].strip()


def test_copy_puts_the_change_on_the_clipboard(page, web_server, viewer, shop):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, web_server, viewer, PATH)
    ranked = api_json(viewer, "/api/v1/clusters/shop/recommendations/")["results"]
    name = f"{ranked[0]['namespace']}/{ranked[0]['name']}"
    page.get_by_role("button", name=f"Copy the kubectl command for {name}").click()
    page.wait_for_function(
        "() => document.getElementById('copy-announce').textContent === 'Copied'"
    )
    assert page.evaluate("navigator.clipboard.readText()") == ranked[0]["change"]


def test_volumes_give_monthly_savings_and_the_headline_total(page, web_server, viewer, shop):
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="payments", monthly_gb=2000)
    sign_in(page, web_server, viewer, PATH)
    answer = api_json(viewer, "/api/v1/clusters/shop/recommendations/")
    top = answer["results"][0]
    assert (top["namespace"], top["name"]) == ("shop", "payments")  # known savings rank first
    card = _cards(page).nth(0)
    assert card.get_attribute("data-service") == "shop/payments"
    saved = f"${top['monthlySaved']:,.2f}"
    assert saved in card.locator(".figures").inner_text()
    assert "(2,000 GB, set by hand)" in card.locator(".figures").inner_text()
    assert page.locator("#stat-saving").inner_text() == saved


def test_live_refresh_follows_a_new_snapshot(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, PATH)
    before = _cards(page).count()
    # Every Service of the demo switched to PreferSameZone: fewer would do better.
    dump = json.loads(DEMO_DUMP.read_text())
    for item in dump["items"]:
        if item["kind"] == "Service" and item["metadata"]["name"] in ("catalog", "email"):
            item["spec"]["trafficDistribution"] = "PreferSameZone"
    import_dump(shop, json.dumps(dump).encode())
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="payments", monthly_gb=100)
    page.evaluate(
        "document.dispatchEvent(new CustomEvent('tl:snapshot', "
        "{detail: {cluster: 'shop', seq: 3}}))"
    )
    answer = api_json(viewer, "/api/v1/clusters/shop/recommendations/")
    page.wait_for_function(
        f"() => document.querySelectorAll('article.rec').length === {answer['count']}"
    )
    assert answer["count"] < before
    shown = _cards(page).evaluate_all("els => els.map(e => e.dataset.service)")
    assert shown == [f"{r['namespace']}/{r['name']}" for r in answer["results"]]
    page.wait_for_function(
        "() => document.getElementById('rec-snapshot').textContent === 'From snapshot 3'"
    )
    assert (
        page.locator("#stat-saving").inner_text() == f"${answer['results'][0]['monthlySaved']:,.2f}"
    )


@pytest.fixture
def quiet(transactional_db):
    """A cluster whose one Service uses no topology hints and needs no change."""
    dump = json.loads(DEMO_DUMP.read_text())
    # Without the three nodes that run no node-exporter, its internalTrafficPolicy Local drops
    # nothing, so there is nothing to fix either.
    spare = {"ip-10-0-0-3", "ip-10-0-1-3", "ip-10-0-2-3"}
    dump["items"] = [
        i
        for i in dump["items"]
        if (i["kind"] == "Node" and i["metadata"]["name"] not in spare)
        or i["metadata"].get("namespace") == "monitoring"
    ]
    cluster = Cluster.objects.create(name="quiet", source="upload")
    import_dump(cluster, json.dumps(dump).encode())
    return cluster


def test_empty_states(page, web_server, viewer, quiet):
    assert api_json(viewer, "/api/v1/clusters/quiet/recommendations/")["count"] == 0
    sign_in(page, web_server, viewer, "/clusters/quiet/recommendations/")
    assert page.locator("#recs-empty").inner_text() == (
        "No Service would do better with another policy or a verified fix."
    )
    banner = page.locator("#no-topology")
    assert banner.is_visible()
    assert "No Services use topology hints yet." in banner.inner_text()
    assert banner.get_by_role("link").get_attribute("href") == (
        "https://kubernetes.io/docs/concepts/services-networking/service/#traffic-distribution"
    )
    assert page.locator("#stat-topology").inner_text() == "0 of 1"
    screenshot(page, "recommendations-empty")


def test_recommendations_in_a_narrow_window(page, web_server, viewer, shop):
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, web_server, viewer, PATH)
    _cards(page).nth(0).get_by_text("As a YAML merge patch").click()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    # The commands wrap over several lines, never inside a word.
    assert_commands_wrap_between_words(page)
    # (the patch one-liners: a short command such as `kubectl describe pod` fits on one line)
    assert all(c["lines"] > 1 for c in page.evaluate(COMMAND_LINES) if c["patch"])
    # The three stat cards fill the width: the third takes the whole second row.
    stats = page.locator("#rec-stats")
    width = stats.evaluate("el => el.getBoundingClientRect().width")
    last = stats.locator("li").nth(2).evaluate("el => el.getBoundingClientRect().width")
    assert last == pytest.approx(width, abs=1)
    # "1.00× (limit 1.5×)": the figure and its limit each stay on one line.
    overload = _cards(page).nth(0).locator("dd", has=page.locator(".figures__note"))
    for part in (".figures__value", ".figures__note"):
        assert overload.locator(part).evaluate("el => el.getClientRects().length") == 1
    screenshot(page, "recommendations-narrow")
