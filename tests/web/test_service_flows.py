"""The Service page (issue 13 item 6) in a browser: kube-proxy's outcome said once for the zones
that share it (and per zone where they differ, with long node lists cut), the sankey's tooltips
and "Flows as a table" giving each flow's share, cost class, price and month as the detail API's
figures make them, the table's toggle reachable by keyboard, and the page at 1440 and 390 px."""

import re

import orjson
import pytest
from playwright.sync_api import expect

from dashboard.pages import format as fmt
from routing.models import Cluster, TrafficVolume
from routing.snapshots import import_dump
from tests.engine.test_edge_cases import endpoint, node, service, slice_
from tests.web.conftest import api_json, screenshot, sign_in

CLASS_WORDS = {
    "local": "same zone",
    "zone": "cross-zone",
    "region": "cross-region",
    "unknown": "zone unknown",
    "dropped": "dropped",
}
SANKEY = "() => echarts.getInstanceByDom(document.getElementById('flow-sankey'))"


def detail(user, namespace: str, name: str, cluster: str = "shop") -> dict:
    return api_json(user, f"/api/v1/clusters/{cluster}/services/{namespace}/{name}/")


def open_service(page, server, user, namespace: str, name: str, cluster: str = "shop") -> None:
    sign_in(page, server, user, f"/clusters/{cluster}/services/{namespace}/{name}/")
    page.wait_for_selector("body[data-service-ready]", state="attached")


def expected_flows(report: dict) -> list[dict]:
    """Each flow the table and the tooltips must show, computed here from the API's report: the
    matrix's shares; the price of its class (routing/engine/cost.py); the monthly volume split
    over the delivering flows. Dropped flows are checked against the report's `dropped`."""
    cost, zones, matrix = report["cost"], report["cluster"]["zones"], report["flows"]["matrix"]
    forwarded = sum(v for row in matrix.values() for v in row.values() if v > 0)
    volume = cost.get("monthlyGb")
    flows = []
    for src in sorted(matrix):
        for dst in sorted(matrix[src]):
            share = matrix[src][dst]
            if share <= 0:
                continue
            if "unknown" in (src, dst):
                cls, price = "unknown", None
            elif src == dst:
                cls, price = "local", 0.0
            elif zones[src]["region"] != zones[dst]["region"]:
                cls, price = "region", cost["pricePerGbCrossRegion"]
            else:
                cls, price = "zone", cost["pricePerGbCrossZone"]
            month = None if volume is None else share / forwarded * volume
            usd = None if month is None or price is None else month * price
            flows.append({"from": src, "to": dst, "share": share, "cls": cls, "price": price,
                          "gb": month, "usd": usd})  # fmt: skip
    return flows


def table_rows(page) -> list[dict[str, str]]:
    return page.locator("#flow-table-rows tr").evaluate_all(
        """rows => rows.map(r => ({
            from: r.dataset.from, to: r.dataset.to, cls: r.dataset.cls,
            cells: Object.fromEntries([...r.children].map(c => [c.dataset.col, c.textContent])),
        }))"""
    )


def test_zones_with_one_outcome_are_said_once(page, web_server, viewer, shop):
    # checkout: one endpoint without a hint, so every zone falls back, for one reason.
    open_service(page, web_server, viewer, "shop", "checkout")
    report = detail(viewer, "shop", "checkout")
    zones = sorted(report["proxyByZone"])
    assert len(zones) == 3
    items = page.locator("#proxy-words li")
    expect(items).to_have_count(1)
    expect(items).to_have_text(
        f"Every zone ({zones[0]}, {zones[1]} and {zones[2]}) falls back to all 4 endpoints "
        "cluster-wide (2 in us-east-1a, 1 in us-east-1b, 1 in us-east-1c), because 10.1.2.4 has "
        "no zone hint, and one endpoint without a hint turns zone filtering off everywhere."
    )
    assert page.locator("#proxy-words").inner_text().count("10.1.2.4 has no zone hint") == 1


def test_zones_that_differ_are_said_apart(page, web_server, viewer, shop):
    # recommendations: zone-c has no hinted endpoint of its own, the two others keep their traffic.
    open_service(page, web_server, viewer, "shop", "recommendations")
    items = page.locator("#proxy-words li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_attribute("data-zones", "us-east-1a us-east-1b")
    expect(items.nth(0)).to_have_text(
        "Zones us-east-1a and us-east-1b keep traffic in their zone: 2 endpoints each."
    )
    expect(items.nth(0)).to_have_class(re.compile(r"proxy-item--local\b"))
    expect(items.nth(1)).to_have_attribute("data-zone", "us-east-1c")
    expect(items.nth(1)).to_have_text(
        "Nodes in us-east-1c fall back to all 4 endpoints cluster-wide (2 in us-east-1a, "
        "2 in us-east-1b), because no endpoint is hinted for us-east-1c."
    )
    expect(items.nth(1)).to_have_class(re.compile(r"proxy-item--zone\b"))


def big_cluster_dump(per_zone: int, every: int) -> bytes:
    """`3 × per_zone` nodes in three zones; a PreferSameNode Service with an endpoint hinted for
    its node and zone on every `every`-th node."""
    nodes = [node(f"n-{z}-{i:03}", f"zone-{z}") for z in "abc" for i in range(per_zone)]
    eps = []
    for i, n in enumerate(nodes[::every]):
        name = n["metadata"]["name"]
        zone = n["metadata"]["labels"]["topology.kubernetes.io/zone"]
        eps.append(endpoint(f"10.2.0.{i + 1}", name, zone, for_zones=[zone], for_nodes=[name]))
    items = [*nodes, service(td="PreferSameNode"), slice_("s1", *eps)]
    return orjson.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def test_a_long_list_of_nodes_is_cut_and_given_whole_on_request(page, web_server, viewer):
    big = Cluster.objects.create(name="big", display_name="Many nodes", source="upload")
    import_dump(big, big_cluster_dump(per_zone=20, every=3))
    report = detail(viewer, "default", "svc", cluster="big")
    hosts = sorted(report["proxy"])  # the nodes that differ from their zone: each has an endpoint
    assert len(hosts) == 20
    open_service(page, web_server, viewer, "default", "svc", cluster="big")
    items = page.locator("#proxy-words li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text(
        "Apart from the nodes named below, every zone (zone-a, zone-b and zone-c) keeps traffic "
        "in its zone"
    )
    expect(items.nth(1)).to_have_text(
        re.compile(
            re.escape(
                f"Nodes {', '.join(hosts[:8])} and 12 more (in zone-a, zone-b and zone-c): each "
                "sends to the endpoint hinted for it (same node)."
            )
        )
    )
    everyone = items.nth(1).locator("details.proxy-item__all")
    expect(everyone.locator("summary")).to_have_text("All 20 nodes")
    everyone.locator("summary").click()
    expect(everyone.locator("p")).to_have_text(", ".join(hosts))
    screenshot(page, "service-flows-many-nodes")


def test_the_table_and_tooltips_are_the_apis_flows(page, web_server, viewer, shop):
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="checkout", monthly_gb=1200)
    report = detail(viewer, "shop", "checkout")
    assert report["cost"]["monthlyGb"] == 1200 and report["cost"]["monthlyCost"] > 0
    flows = expected_flows(report)
    assert {f["cls"] for f in flows} == {"local", "zone"}
    open_service(page, web_server, viewer, "shop", "checkout")
    page.locator("#flow-table-box summary").click()
    expect(page.locator("#flow-table")).to_be_visible()

    rows = table_rows(page)
    assert [(r["from"], r["to"]) for r in rows] == [(f["from"], f["to"]) for f in flows]
    for row, flow in zip(rows, flows, strict=True):
        assert row["cls"] == flow["cls"]
        assert row["cells"] == {
            "from": flow["from"],
            "to": flow["to"],
            "share": fmt.pct(flow["share"]),
            "class": CLASS_WORDS[flow["cls"]],
            "perGb": fmt.per_gb(flow["price"]),
            "monthlyGb": fmt.gb(flow["gb"]),
            "monthlyUsd": fmt.usd(flow["usd"]),
        }
    # The flows' dollars add up to the Service's month, as the headline says it.
    total = page.locator("#flow-table-total")
    expect(total.locator('[data-col="monthlyUsd"]')).to_have_text(
        fmt.usd(report["cost"]["monthlyCost"])
    )
    expect(total.locator('[data-col="monthlyGb"]')).to_have_text(fmt.gb(1200))
    expect(total.locator('[data-col="perGb"]')).to_have_text(
        fmt.per_gb(report["cost"]["costPerGb"])
    )
    expect(page.locator("#stat-monthly")).to_have_text(fmt.usd(report["cost"]["monthlyCost"]))
    expect(page.locator("#flow-table-note")).to_contain_text("set by hand")

    # Each band's tooltip: from → to, its share, its class and price, its month.
    tips = page.evaluate(
        f"""() => {{
        const chart = ({SANKEY})();
        const option = chart.getOption();
        const format = option.tooltip[0].formatter;
        return option.series[0].links.map((l) => [...format({{ dataType: "edge", data: l }})
            .children].map((c) => c.textContent));
    }}"""
    )
    assert tips == [
        [
            f"{f['from']} → {f['to']}",
            f"{fmt.pct(f['share'])} of the Service's client traffic",
            f"{CLASS_WORDS[f['cls']]} · {fmt.per_gb(f['price'])}",
            f"{fmt.gb(f['gb'])} · {fmt.usd(f['usd'])} a month, volume set by hand",
        ]
        for f in flows
    ]
    screenshot(page, "service-flows-table-1440")


def test_without_a_volume_nothing_monthly_is_made_up(page, web_server, viewer, shop):
    # node-exporter: internalTrafficPolicy Local drops a third; no volume is set.
    report = detail(viewer, "monitoring", "node-exporter")
    assert report["cost"]["monthlyGb"] is None and report["flows"]["dropped"] > 0
    open_service(page, web_server, viewer, "monitoring", "node-exporter")
    page.locator("#flow-table-box summary").click()
    heads = page.locator("#flow-table-head th").all_inner_texts()
    assert heads == ["From zone", "To zone", "Share", "Cost class", "USD/GB"]
    rows = table_rows(page)
    delivered = [r for r in rows if r["cls"] != "dropped"]
    assert [(r["from"], r["to"], r["cells"]["share"]) for r in delivered] == [
        (f["from"], f["to"], fmt.pct(f["share"])) for f in expected_flows(report)
    ]
    dropped = [r for r in rows if r["cls"] == "dropped"]
    assert dropped and all(r["to"] == "dropped" for r in dropped)
    assert all(r["cells"]["perGb"] == "not delivered" for r in dropped)
    shares = page.evaluate(
        f"() => ({SANKEY})().getOption().series[0].links"
        ".filter((l) => l.target === 'dropped').map((l) => l.value)"
    )
    assert sum(shares) == pytest.approx(report["flows"]["dropped"])
    expect(page.locator("#flow-table-note")).to_have_text(
        "A month: no traffic measured for this Service, so the flows have shares and prices but "
        "no volume."
    )
    tips = page.evaluate(
        f"""() => {{
        const option = ({SANKEY})().getOption();
        return option.series[0].links.map((l) => option.tooltip[0].formatter(
            {{ dataType: "edge", data: l }}).lastChild.textContent);
    }}"""
    )
    assert set(tips) == {fmt.NO_TRAFFIC, "not delivered: no volume, no cost"}


def test_the_table_toggle_is_reached_by_keyboard(page, web_server, viewer, shop):
    open_service(page, web_server, viewer, "shop", "payments")
    toggle = page.locator("#flow-table-box > summary")
    for _ in range(200):  # Tab through the page from its top until the toggle has the focus
        page.keyboard.press("Tab")
        if toggle.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the 'Flows as a table' toggle")
    expect(page.locator("#flow-table")).to_be_hidden()
    page.keyboard.press("Enter")
    expect(page.locator("#flow-table-box")).to_have_attribute("open", "")
    expect(page.locator("#flow-table")).to_be_visible()
    expect(page.locator("#flow-table-rows tr")).to_have_count(
        len(expected_flows(detail(viewer, "shop", "payments")))
    )


@pytest.mark.parametrize("width", [1440, 390])
def test_the_page_at_two_widths(page, web_server, viewer, shop, width):
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="checkout", monthly_gb=1200)
    page.set_viewport_size({"width": width, "height": 900})
    open_service(page, web_server, viewer, "shop", "checkout")
    page.locator("#flow-table-box summary").click()
    expect(page.locator("#flow-table")).to_be_visible()
    expect(page.locator("#flow-sankey svg")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # The table's cells stay inside its box (on a phone each flow is a small card).
    box = page.locator("#flow-table-box").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    screenshot(page, f"service-flows-{width}")
