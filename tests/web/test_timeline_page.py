"""Timeline page: snapshots newest first with their diff in words, the charts, paging, live."""

from datetime import timedelta

import pytest

from routing.models import Snapshot
from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP
from tests.web.conftest import api_json, screenshot, sign_in

SERIES = (
    """(id) => echarts.getInstanceByDom(document.getElementById(id)).getOption().series[0].data"""
)
# The chart's option, without its functions (formatters).
OPTION = """(id) => JSON.parse(JSON.stringify(
    echarts.getInstanceByDom(document.getElementById(id)).getOption()))"""


def _open(page, seq):
    item = page.locator(f"details.snapshot[data-seq='{seq}']")
    item.locator("summary").click()
    page.wait_for_function(
        "seq => { const el = document.querySelector(`details.snapshot[data-seq='${seq}'] "
        ".snapshot__diff`); return el.textContent && !el.textContent.startsWith('Loading'); }",
        arg=seq,
    )
    return item


def test_snapshots_and_their_diff_in_words(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/timeline/")
    listed = api_json(viewer, "/api/v1/clusters/shop/snapshots/")["results"]
    seqs = page.locator("details.snapshot").evaluate_all("els => els.map(e => +e.dataset.seq)")
    assert seqs == [s["seq"] for s in listed] == [2, 1]
    first = page.locator("details.snapshot").first.locator("summary").inner_text()
    assert first.startswith("Snapshot 2")
    assert listed[0]["source"] in first  # "upload", as a tag
    assert "12 Services" in first

    screenshot(page, "timeline")
    item = _open(page, 2)
    diff = api_json(viewer, "/api/v1/clusters/shop/snapshots/2/diff/", against=1)
    change = diff["policyChanges"][0]
    expected = (
        f"{change['namespace']}/{change['name']}: {change['field']} "
        f"{change['from']} → {change['to']}"
    )
    assert expected == "shop/cart: trafficDistribution PreferClose → PreferSameNode"
    lines = item.locator(".diff li").all_inner_texts()
    assert lines[0] == expected
    assert "Objects: Services 1 changed" in lines
    assert item.locator(".diff li a").first.get_attribute("href") == (
        "/clusters/shop/services/shop/cart/"
    )
    assert item.locator("summary").get_attribute("aria-expanded") is None  # <details> says it
    assert item.evaluate("el => el.open")
    screenshot(page, "timeline-expanded")

    first_item = _open(page, 1)
    assert "first snapshot of the cluster" in first_item.locator(".snapshot__diff").inner_text()


def test_charts_hold_the_api_points_and_follow_the_range(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/timeline/")
    points = api_json(viewer, "/api/v1/clusters/shop/timeseries/")["points"]
    cost = page.evaluate(SERIES, "chart-cost")
    cross = page.evaluate(SERIES, "chart-cross")
    assert len(cost) == len(cross) == len(points) >= 1
    assert [row[1] for row in cost] == [p["costPerGb"] for p in points]
    assert [row[1] for row in cross] == [p["crossZoneFraction"] for p in points]
    # The cross-zone chart says what its figure is: Services weighted equally (not the topology
    # page's share of forwarded traffic, weighted by volume).
    figure = page.locator("figure", has=page.locator("#chart-cross"))
    assert "Services weighted equally" in figure.locator("h3").inner_text()
    assert "Services weighted equally" in page.locator("#chart-cross").get_attribute("aria-label")
    for chart in ("chart-cost", "chart-cross"):
        option = page.evaluate(OPTION, chart)
        # Room for every axis label: the first time label keeps clear of the "0%" corner.
        assert option["grid"][0]["containLabel"] is True
        series = option["series"][0]
        # A visible dot even on the axis line (a value of 0).
        assert series["symbolSize"] >= 8 and series["clip"] is False
        assert series["itemStyle"]["borderWidth"] > 0
        first, last = (
            page.evaluate("t => new Date(t).getTime()", p["takenAt"])
            for p in (points[0], points[-1])
        )
        if last - first < 60e3:
            # One reading to the eye (the demo's snapshots are taken within a second): its
            # latest value written above it.
            assert series["label"]["show"] is True
        else:
            assert series["label"]["show"] is False
    assert page.evaluate(OPTION, "chart-cross")["series"][0]["name"] == (
        "Cross-zone share (Services weighted equally)"
    )

    hour = page.get_by_role("button", name="Last hour")
    hour.click()
    assert hour.get_attribute("aria-pressed") == "true"
    assert page.get_by_role("button", name="All").get_attribute("aria-pressed") == "false"
    page.wait_for_function(
        "() => document.getElementById('series-note').textContent.includes('last hour')"
    )
    assert len(page.evaluate(SERIES, "chart-cost")) == len(points)  # all taken just now


def test_a_new_snapshot_is_prepended_and_charted_live(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/timeline/")
    before = len(page.evaluate(SERIES, "chart-cost"))
    third = import_dump(shop, DEMO_DUMP.read_bytes())  # cart back to PreferClose
    page.evaluate(
        "seq => document.dispatchEvent(new CustomEvent('tl:snapshot', "
        "{detail: {cluster: 'shop', seq}}))",
        third.seq,
    )
    page.wait_for_selector(f"details.snapshot[data-seq='{third.seq}']")
    first = page.locator("details.snapshot").first
    assert first.get_attribute("data-seq") == str(third.seq)
    assert first.locator(".badge").inner_text().lower() == "new"
    assert "2 object versions changed" in first.locator("summary").inner_text()
    page.wait_for_function(
        f"() => echarts.getInstanceByDom(document.getElementById('chart-cost'))"
        f".getOption().series[0].data.length > {before} || "
        f"echarts.getInstanceByDom(document.getElementById('chart-cost'))"
        f".getOption().series[0].data.at(-1)[2] === {third.seq}"
    )
    points = api_json(viewer, "/api/v1/clusters/shop/timeseries/")["points"]
    assert page.evaluate(SERIES, "chart-cost")[-1][2] == points[-1]["seq"] == third.seq


def test_snapshots_are_paged(page, web_server, viewer, shop):
    body = DEMO_DUMP.read_bytes()
    for _ in range(21):  # 23 in all: two pages of 20
        import_dump(shop, body)
    assert Snapshot.objects.filter(cluster=shop).count() == 23
    sign_in(page, web_server, viewer, "/clusters/shop/timeline/")
    assert page.locator("details.snapshot").count() == 20
    assert page.get_by_text("Page 1 of 2").is_visible()
    page.get_by_role("button", name="Older →").click()
    page.wait_for_function(
        "() => document.getElementById('page-info').textContent === 'Page 2 of 2'"
    )
    seqs = page.locator("details.snapshot").evaluate_all("els => els.map(e => +e.dataset.seq)")
    assert seqs == [3, 2, 1]
    assert page.get_by_role("button", name="Older →").is_disabled()
    _open(page, 3)  # compared with snapshot 2, on this page too: cart back to PreferClose
    lines = page.locator("details.snapshot[data-seq='3'] .diff li").all_inner_texts()
    assert lines[0] == "shop/cart: trafficDistribution PreferSameNode → PreferClose"
    page.get_by_role("button", name="← Newer").click()
    page.wait_for_function(
        "() => document.getElementById('page-info').textContent === 'Page 1 of 2'"
    )
    _open(page, 4)  # the last of page 1: compared with snapshot 3, on the next page
    assert page.locator("details.snapshot[data-seq='4'] .diff li").all_inner_texts() == [
        "No objects changed."
    ]


@pytest.mark.parametrize("width", [390])
def test_timeline_in_a_narrow_window(page, web_server, viewer, shop, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, web_server, viewer, "/clusters/shop/timeline/")
    _open(page, 2)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "timeline-narrow")


AXIS = """(id) => {
    const option = echarts.getInstanceByDom(document.getElementById(id)).getOption();
    return {
        x: option.xAxis.map((a) => ({min: a.min, max: a.max, size: a.axisLabel.fontSize,
                                     hideOverlap: a.axisLabel.hideOverlap})),
        y: option.yAxis.map((a) => ({size: a.axisLabel.fontSize})),
        utc: option.useUTC,
    };
}"""


def _ms(page, iso: str) -> float:
    return page.evaluate("t => new Date(t).getTime()", iso)


def _range(page, name: str, words: str) -> None:
    page.get_by_role("button", name=name).click()
    page.wait_for_function(
        "w => document.getElementById('series-note').textContent.includes(w)", arg=words
    )


def _check_axis(page, chart: str, low: float, high: float) -> dict:
    """The chart's x axis lies within [low, high]; one y axis; labels of 12 px or more."""
    axis = page.evaluate(AXIS, chart)
    assert len(axis["x"]) == 1 and len(axis["y"]) == 1, axis  # one axis of each per chart
    x = axis["x"][0]
    assert low <= x["min"] < x["max"] <= high, (chart, x, low, high)
    assert x["size"] >= 12 and axis["y"][0]["size"] >= 12 and x["hideOverlap"] is True
    assert axis["utc"] is True  # as every time the pages write
    return x


@pytest.mark.parametrize("width", [1440, 390])
def test_a_range_longer_than_the_history_starts_at_the_first_snapshot(
    page, web_server, viewer, shop, width
):
    # Snapshots only from the last few seconds: a week picked shows those seconds, not an empty
    # week, and no range reaches past now.
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, web_server, viewer, "/clusters/shop/timeline/")
    snapshots = api_json(viewer, "/api/v1/clusters/shop/snapshots/")["results"]
    first = _ms(page, snapshots[-1]["takenAt"])
    for name, words in (("Last week", "last week"), ("Last hour", "last hour"), ("All", "all")):
        _range(page, name, words)
        now = page.evaluate("Date.now()")
        for chart in ("chart-cost", "chart-cross"):
            x = _check_axis(page, chart, first, now)
            assert x["min"] == first, (name, chart)  # the first snapshot, to the millisecond
        if name != "All":
            assert "the axis starts there" in page.locator("#series-note").inner_text()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.locator("#over-time").scroll_into_view_if_needed()
    screenshot(page, f"timeline-axis-{width}")


def test_a_range_shorter_than_the_history_starts_at_the_range(page, web_server, viewer, shop):
    # The first snapshot ten days old: a week starts a week ago (the snapshot before it is the
    # state then), "All" at that first snapshot.
    old = Snapshot.objects.get(cluster=shop, seq=1)
    old.taken_at -= timedelta(days=10)
    old.save(update_fields=["taken_at"])
    sign_in(page, web_server, viewer, "/clusters/shop/timeline/")
    first = _ms(page, api_json(viewer, "/api/v1/clusters/shop/snapshots/1/")["takenAt"])
    before = page.evaluate("Date.now()")
    _range(page, "Last week", "last week")
    after = page.evaluate("Date.now()")
    for chart in ("chart-cost", "chart-cross"):
        x = _check_axis(page, chart, before - 7 * 86400e3, after)
        assert x["min"] > first
    assert "the axis starts there" not in page.locator("#series-note").inner_text()
    _range(page, "All", "all time")
    now = page.evaluate("Date.now()")
    for chart in ("chart-cost", "chart-cross"):
        assert _check_axis(page, chart, first, now)["min"] == first
