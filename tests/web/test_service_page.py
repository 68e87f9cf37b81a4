"""One Service's page in a browser: its numbers equal the detail API's, endpoints by zone with their
hints, the sankey's links equal the matrix, the recommendation's change is the API's, and a new
snapshot re-renders it without a reload."""

import re

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from routing.figures.traffic import patch_yaml
from routing.snapshots import import_dump
from tests.factories import demo_with_checkout_hinted
from tests.web.conftest import SCREENSHOTS, api_json, screenshot, sign_in

POLICIES = ["PreferSameNode", "PreferSameZone", "Auto", "none"]


def detail(user, namespace: str, name: str) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/clusters/shop/services/{namespace}/{name}/")
    assert response.status_code == 200, response.content
    return response.json()


def history_points(user, namespace: str, name: str) -> int:
    client = APIClient()
    client.force_authenticate(user)
    url = f"/api/v1/clusters/shop/services/{namespace}/{name}/timeseries/"
    return len(client.get(url).json()["points"])


def pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def open_service(page, server, user, namespace: str, name: str) -> None:
    sign_in(page, server, user, f"/clusters/shop/services/{namespace}/{name}/")
    page.wait_for_selector("body[data-service-ready]")


def sankey_links(page) -> dict[tuple[str, str], float]:
    links = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('flow-sankey'))"
        ".getOption().series[0].links.map(l => [l.source, l.target, l.value])"
    )
    return {(s.removeprefix("from "), t.removeprefix("to ")): v for s, t, v in links}


def matrix_links(report: dict) -> dict[tuple[str, str], float]:
    return {
        (src, dst): value
        for src, row in report["flows"]["matrix"].items()
        for dst, value in row.items()
        if value > 0
    }


def test_checkout_shows_the_apis_numbers(page, web_server, viewer, shop):
    open_service(page, web_server, viewer, "shop", "checkout")
    report = detail(viewer, "shop", "checkout")
    expect(page.locator("#stat-cross-zone")).to_have_text(pct(report["flows"]["crossZoneFraction"]))
    expect(page.locator("#stat-dropped")).to_have_text(pct(report["flows"]["dropped"]))
    expect(page.locator("#stat-overload")).to_have_text(f"{report['flows']['maxOverload']:.2f}×")
    expect(page.locator("#stat-cost")).to_have_text(f"${report['cost']['costPerGb']:.4f}/GB")
    expect(page.locator("#policy-mechanism")).to_have_text("trafficDistribution: PreferSameZone")

    # The comparison: each policy's row holds its whatIf numbers as displayed.
    for policy in POLICIES:
        outcome = report["whatIf"][policy]
        row = page.locator(f'#compare-rows tr[data-policy="{policy}"]')
        expect(row.locator('[data-col="crossZone"]')).to_have_text(
            pct(outcome["crossZoneFraction"])
        )
        expect(row.locator('[data-col="dropped"]')).to_have_text(pct(outcome["dropped"]))
        expect(row.locator('[data-col="overload"]')).to_have_text(f"{outcome['maxOverload']:.2f}×")
        expect(row.locator('[data-col="cost"]')).to_have_text(f"${outcome['costPerGb']:.4f}/GB")
        for event in outcome["events"]:
            expect(row.locator('[data-col="events"]')).to_contain_text(event["message"])
    expect(page.locator('#compare-rows tr[data-policy="PreferSameZone"] th')).to_have_text(
        "PreferSameZone (declared)"
    )

    # Endpoints by zone, then node, with their hints; the one without says so.
    for ep in report["endpoints"]:
        item = page.locator(
            f'#endpoints .zone-block[data-zone="{ep["zone"]}"] '
            f'.node-block[data-node="{ep["nodeName"]}"] li[data-ip="{ep["ip"]}"]'
        )
        zones = (ep["hints"] or {}).get("forZones") or []
        expect(item).to_contain_text(f"hinted for zone {zones[0]}" if zones else "no hints")
        expect(item).to_contain_text("ready")
    expect(page.locator("#hints-note")).to_contain_text(
        "10.1.2.4 has no zone hint, so kube-proxy ignores zone hints"
    )

    # kube-proxy in words: every zone falls back to all four endpoints, and why, said once.
    zones = sorted(report["proxyByZone"])
    expect(page.locator("#proxy-words li")).to_have_count(1)
    expect(page.locator("#proxy-words li")).to_have_attribute("data-zones", " ".join(zones))
    expect(page.locator("#proxy-words li")).to_have_text(
        re.compile(
            rf"Every zone \({zones[0]}, {zones[1]} and {zones[2]}\) falls back to all 4 endpoints "
            r"cluster-wide .*because 10\.1\.2\.4 has no zone hint"
        )
    )
    assert sankey_links(page) == pytest.approx(matrix_links(report))
    findings = page.locator("#diagnostics .finding")
    expect(findings).to_have_count(len(report["diagnostics"]))
    expect(findings.first).to_contain_text(report["diagnostics"][0]["message"])
    expect(page.get_by_role("heading", name="No change recommended")).to_be_visible()
    expect(page.locator("#history-chart")).to_have_attribute(
        "data-points", str(history_points(viewer, "shop", "checkout"))
    )
    screenshot(page, "service-checkout")


def test_the_recommendation_and_its_copy_buttons(page, web_server, viewer, shop):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_service(page, web_server, viewer, "shop", "payments")
    report = detail(viewer, "shop", "payments")
    rec = report["recommendation"]
    expect(
        page.get_by_role("heading", name=f"Recommendation: switch to {rec['policy']}")
    ).to_be_visible()
    expect(page.locator("#rec-change")).to_have_text(rec["change"])
    expect(page.locator("#rec-yaml")).to_have_text(patch_yaml(rec["change"]))
    expect(page.locator("#rec-reason")).to_have_text(f"{rec['reason']}.")
    expect(page.locator(f'#compare-rows tr[data-policy="{rec["policy"]}"]')).to_have_class(
        re.compile("is-recommended")
    )
    page.get_by_role("button", name="Copy command").click()
    expect(page.locator(".copy-status")).to_have_text("Command copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == rec["change"]
    page.get_by_role("button", name="Copy YAML").click()
    assert page.evaluate("navigator.clipboard.readText()") == patch_yaml(rec["change"])
    expect(page.locator("#proxy-words li").first).to_contain_text("Auto is off")
    screenshot(page, "service-payments")


@pytest.mark.parametrize(
    ("namespace", "name", "words"),
    [
        ("shop", "sessions", "each sends to the endpoint hinted for it (same node)"),
        (
            "monitoring",
            "node-exporter",
            "Apart from the nodes named below, every zone (us-east-1a, us-east-1b and us-east-1c) "
            "drops the traffic (internalTrafficPolicy Local",
        ),
        (
            "shop",
            "legacy-db",
            "Every zone (us-east-1a, us-east-1b and us-east-1c) sends everything to the one "
            "endpoint kube-proxy can use, 10.1.11.1 in us-east-1a, because no endpoint is ready",
        ),
        ("shop", "recommendations", "because no endpoint is hinted for us-east-1c"),
    ],
)
def test_demo_services(page, web_server, viewer, shop, namespace, name, words):
    open_service(page, web_server, viewer, namespace, name)
    report = detail(viewer, namespace, name)
    expect(page.locator("#proxy-words")).to_contain_text(words)
    expect(page.locator("#stat-cross-zone")).to_have_text(pct(report["flows"]["crossZoneFraction"]))
    assert sankey_links(page) == pytest.approx(
        {
            **matrix_links(report),
            **{k: v for k, v in sankey_links(page).items() if k[1] == "dropped"},
        }
    )
    screenshot(page, f"service-{name}")


def test_node_exporter_sankey_shows_what_is_dropped(page, web_server, viewer, shop):
    open_service(page, web_server, viewer, "monitoring", "node-exporter")
    report = detail(viewer, "monitoring", "node-exporter")
    links = sankey_links(page)
    dropped = sum(v for (_, dst), v in links.items() if dst == "dropped")
    assert dropped == pytest.approx(report["flows"]["dropped"])
    expect(page.locator("#stat-dropped")).to_have_text(pct(report["flows"]["dropped"]))


HISTORY_OPTION = """() => JSON.parse(JSON.stringify(
    echarts.getInstanceByDom(document.getElementById('history-chart')).getOption()))"""


def test_the_history_chart_shows_a_lone_zero_reading(page, web_server, viewer, shop):
    # node-exporter: 0% crossing at $0/GB, both on the axis line, taken within a minute.
    open_service(page, web_server, viewer, "monitoring", "node-exporter")
    points = api_json(
        viewer, "/api/v1/clusters/shop/services/monitoring/node-exporter/timeseries/"
    )["points"]
    expect(page.locator("#history-chart")).to_have_attribute("data-points", str(len(points)))
    assert [p["crossZoneFraction"] for p in points] == [0] * len(points)
    assert [p["costPerGb"] for p in points] == [0] * len(points)
    option = page.evaluate(HISTORY_OPTION)
    # The two panels share their margins: one instant sits at one x in both.
    assert len({(g["left"], g["right"]) for g in option["grid"]}) == 1
    share, cost = option["series"]
    for series in (share, cost):
        # A filled symbol with a rim, drawn whole although it lies on the axis.
        assert series["symbolSize"] >= 8 and series["itemStyle"]["borderWidth"] > 0
        assert series["clip"] is False
    # One figure per panel, each with its own single y axis (issue 13, item 3).
    assert len(option["grid"]) == len(option["yAxis"]) == 2
    assert [s["yAxisIndex"] for s in (share, cost)] == [0, 1]
    assert [y["gridIndex"] for y in option["yAxis"]] == [0, 1]
    first, last = (
        page.evaluate("t => new Date(t).getTime()", p["takenAt"]) for p in (points[0], points[-1])
    )
    # The time axis starts at the first snapshot and ends now: never in the future.
    now = page.evaluate("Date.now()")
    for axis in option["xAxis"]:
        low, high = (
            page.evaluate("t => new Date(t).getTime()", t) for t in (axis["min"], axis["max"])
        )
        assert low == first and last <= high <= now
    if last - first < 60e3:  # one reading to the eye: its values written beside it
        assert share["label"]["show"] is True and cost["label"]["show"] is True
    else:
        assert share["label"]["show"] is False and cost["label"]["show"] is False
    screenshot(page, "service-node-exporter-history")
    page.locator("#history-chart").screenshot(path=SCREENSHOTS / "service-history-chart.png")


def test_live_refresh_after_a_new_snapshot(page, web_server, viewer, shop):
    open_service(page, web_server, viewer, "shop", "checkout")
    expect(page.locator("#stat-cross-zone")).to_have_text("66.7%")
    # The controller catches up: the endpoint without a hint gets one, so zone filtering applies.
    snapshot = import_dump(shop, demo_with_checkout_hinted())
    page.evaluate(
        "seq => document.dispatchEvent(new CustomEvent('tl:snapshot', "
        "{detail: {cluster: 'shop', seq}}))",
        snapshot.seq,
    )
    page.wait_for_selector(f'body[data-service-seq="{snapshot.seq}"]')
    report = detail(viewer, "shop", "checkout")
    assert report["flows"]["crossZoneFraction"] == 0
    expect(page.locator("#stat-cross-zone")).to_have_text("0.0%")
    expect(page.locator("#stat-cost")).to_have_text("$0.0000/GB")
    expect(page.locator('#proxy-words li[data-zones~="us-east-1c"]')).to_have_text(
        "Every zone (us-east-1a, us-east-1b and us-east-1c) keeps traffic in its zone: "
        "2 endpoints in us-east-1a, 1 in us-east-1b and 1 in us-east-1c."
    )
    expect(page.locator('li[data-ip="10.1.2.4"]')).to_contain_text("hinted for zone us-east-1c")
    assert sankey_links(page) == pytest.approx(matrix_links(report))
    expect(page.locator("#history-chart")).to_have_attribute(
        "data-points", str(history_points(viewer, "shop", "checkout"))
    )
    expect(page.locator('#diagnostics [data-code="endpoint-without-zone-hint"]')).to_have_count(0)


def test_narrow_window(page, web_server, viewer, shop):
    page.set_viewport_size({"width": 390, "height": 844})
    open_service(page, web_server, viewer, "shop", "payments")
    expect(page.locator("#flow-sankey svg")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "service-narrow")


@pytest.mark.http_error_page
def test_a_service_not_in_the_latest_snapshot(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/services/shop/nothing/")
    expect(
        page.get_by_role("heading", name="shop/nothing is not in the latest snapshot")
    ).to_be_visible()
    expect(page.locator("#service-missing").get_by_role("link", name="timeline")).to_have_attribute(
        "href", "/clusters/shop/timeline/"
    )
    screenshot(page, "service-missing")
