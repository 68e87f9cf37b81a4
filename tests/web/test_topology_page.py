"""The topology page: the zone picture, arrows and heatmap equal the flow map API's numbers, for
the observed routing and each what-if policy, at desktop and phone widths, and live."""

import json

import pytest
from rest_framework.test import APIClient

from routing.models import Cluster
from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP
from tests.web.conftest import screenshot, sign_in
from tests.web.flashes import RECORD_FLASHES

POLICIES = ["PreferSameNode", "PreferSameZone", "Auto", "none", "observed"]


def snapshot_event(page, cluster: str, seq: int) -> None:
    """What live.js dispatches when the socket hears of a committed snapshot."""
    page.evaluate(
        "([cluster, seq]) => document.dispatchEvent("
        "new CustomEvent('tl:snapshot', {detail: {cluster, seq}}))",
        [cluster, seq],
    )


def flowmap(user, cluster: str = "shop", policy: str = "observed") -> dict:
    api = APIClient()
    api.force_authenticate(user)
    response = api.get(f"/api/v1/clusters/{cluster}/flowmap/", {"policy": policy})
    assert response.status_code == 200, response.content
    return response.json()


def pct(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def without_hints(service: str) -> bytes:
    """The demo dump with `service`'s policy removed and its EndpointSlices' hints gone."""
    data = json.loads(DEMO_DUMP.read_text())
    for item in data["items"]:
        labels = item["metadata"].get("labels") or {}
        if item["kind"] == "Service" and item["metadata"]["name"] == service:
            item["spec"].pop("trafficDistribution", None)
        if item["kind"] == "EndpointSlice" and labels.get("kubernetes.io/service-name") == service:
            for endpoint in item.get("endpoints") or []:
                endpoint.pop("hints", None)
    return json.dumps(data).encode()


def wait_for(page, policy: str, seq: int | None = None) -> None:
    selector = f'body[data-topology-policy="{policy}"]:not([data-loading])'
    if seq is not None:
        selector += f'[data-topology-seq="{seq}"]'
    page.wait_for_selector(selector)


def headline(page) -> dict:
    return page.evaluate(
        """() => Object.fromEntries(
             [...document.querySelectorAll('#headline [data-role$="-value"]')]
             .map((el) => [el.dataset.role, el.dataset.value]))"""
    )


def arrows(page) -> list[dict]:
    return page.evaluate(
        """() => [...document.querySelectorAll('#topology-view path.flow-arrow')].map((p) => ({
             from: p.dataset.from, to: p.dataset.to, share: Number(p.dataset.share),
             width: Number(p.getAttribute('stroke-width')), crossing: p.dataset.crossing}))"""
    )


def legend_formula(page):
    scale = page.evaluate(
        """() => { const d = document.getElementById('topology-legend').dataset;
             return [Number(d.widthPerShare), Number(d.minWidth), Number(d.minShare),
                     Number(d.omitted)]; }"""
    )
    per_share, min_width, min_share, omitted = scale
    return (lambda share: round(max(min_width, share * per_share) * 100) / 100), min_share, omitted


def assert_matches(page, answer: dict) -> None:
    """What the page shows is the API's answer: headline, boxes, arrows and heatmap."""
    shown = headline(page)
    assert float(shown["cross-zone-value"]) == answer["crossZoneFraction"]
    assert float(shown["dropped-value"]) == answer["dropped"]
    assert int(shown["services-value"]) == answer["services"]
    if answer["monthlyCost"] is None:
        assert float(shown["cost-value"]) == answer["costPerGbMean"]
    else:
        assert float(shown["cost-value"]) == answer["monthlyCost"]
    text = page.locator("#headline").inner_text()
    assert pct(answer["crossZoneFraction"]) in text
    assert pct(answer["dropped"]) in text

    zones = {z["zone"] for z in answer["zones"]} | set(answer["matrix"])
    for row in answer["matrix"].values():
        zones |= set(row)
    boxes = page.eval_on_selector_all(
        "#topology-view g[data-zone]", "gs => gs.map(g => g.dataset.zone)"
    )
    assert sorted(boxes) == sorted(zones)  # exactly one box per zone
    for item in answer["bySourceZone"]:
        box = page.locator(f'#topology-view g[data-zone="{item["zone"]}"]')
        assert float(box.get_attribute("data-same-zone")) == item["sameZone"]
        if item["zone"] == "unknown":  # never a green "stays in zone" for a zone nobody knows
            assert "Stays in zone" not in box.text_content()
            assert "Not counted as crossing" in box.text_content()
        else:
            assert f"Stays in zone {pct(item['sameZone'])}" in box.text_content()

    width_of, min_share, omitted = legend_formula(page)
    expected = {
        (src, dst): share
        for src, row in answer["matrix"].items()
        for dst, share in row.items()
        if src != dst and share >= min_share
    }
    left_out = sum(
        1
        for src, row in answer["matrix"].items()
        for dst, share in row.items()
        if src != dst and 0 < share < min_share
    )
    drawn = arrows(page)
    assert {(a["from"], a["to"]): a["share"] for a in drawn} == expected
    assert omitted == left_out
    for arrow in drawn:
        assert arrow["width"] == width_of(arrow["share"])
        assert arrow["crossing"] == "zone"  # one region in the demo
    by_share = sorted(drawn, key=lambda a: a["share"])
    widths = [a["width"] for a in by_share]
    assert widths == sorted(widths)  # monotone in share
    labels = page.eval_on_selector_all(
        "#topology-view text.flow-label",
        "ts => ts.map(t => [t.dataset.from, t.dataset.to, t.textContent])",
    )
    assert sorted(labels) == sorted([f, t, pct(s)] for (f, t), s in expected.items())

    cells = page.eval_on_selector_all(
        "#heatmap td[data-from]",
        "tds => tds.map(td => [td.dataset.from, td.dataset.to, Number(td.dataset.value),"
        " td.textContent])",
    )
    for src, dst, value, text in cells:
        assert value == answer["matrix"].get(src, {}).get(dst, 0)
        assert text == (pct(value) if dst in answer["matrix"].get(src, {}) else "–")
    assert len(cells) == len(zones) ** 2


def test_the_topology_view_draws_the_flow_map(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/")
    wait_for(page, "observed", 2)
    answer = flowmap(viewer)
    assert_matches(page, answer)
    svg = page.locator("#topology-view svg")
    assert svg.get_attribute("role") == "group"  # its zone boxes are links (topology_view.js)
    label = svg.get_attribute("aria-label")
    assert "3 zones in 1 region" in label and pct(answer["crossZoneFraction"]) in label
    assert page.locator("#topology-view svg").get_attribute("data-orientation") == "row"
    assert page.get_by_role("button", name="Observed").get_attribute("aria-pressed") == "true"
    assert (
        page.locator("#heatmap caption")
        .text_content()
        .startswith("Zone-to-zone matrix, as observed")
    )
    assert page.locator("#heatmap-about").inner_text().startswith("Share of all client traffic")
    assert page.locator("#heatmap-scroll-hint").is_hidden()  # it fits: nothing to scroll
    # Top Services: as the list API orders them without volumes.
    api = APIClient()
    api.force_authenticate(viewer)
    listed = api.get("/api/v1/clusters/shop/services/?ordering=-cost&page_size=10").json()
    rows = page.locator("#top-services-table tbody tr")
    assert rows.count() == len(listed["results"])
    first = listed["results"][0]
    link = rows.first.get_by_role("link")
    assert link.inner_text() == f"{first['namespace']}/{first['name']}"
    assert (
        link.get_attribute("href")
        == f"/clusters/shop/services/{first['namespace']}/{first['name']}/"
    )
    assert "no traffic measured" in page.locator("#headline").inner_text()
    screenshot(page, "cluster-topology")


def test_each_what_if_policy_shows_the_api_numbers(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/")
    wait_for(page, "observed")
    seen = set()
    for policy in POLICIES:
        button = page.locator(f'#policy-toggle button[data-policy="{policy}"]')
        button.click()
        wait_for(page, policy)
        assert button.get_attribute("aria-pressed") == "true"
        assert page.locator('#policy-toggle button[aria-pressed="true"]').count() == 1
        answer = flowmap(viewer, policy=policy)
        assert answer["policy"] == policy
        assert_matches(page, answer)
        seen.add(answer["crossZoneFraction"])
        if policy != "observed":
            assert f"policy={policy}" in page.url
            observed = flowmap(viewer)
            assert (
                f"(observed {pct(observed['crossZoneFraction'])})"
                in page.locator("#headline").inner_text()
            )
            screenshot(page, f"cluster-topology-{policy}")
    assert len(seen) > 1  # the policies do change the picture
    # A policy in the address is where a reload starts.
    page.goto(f"{web_server.url}/clusters/shop/?policy=none")
    wait_for(page, "none")
    assert_matches(page, flowmap(viewer, policy="none"))


def test_keyboard_switches_the_policy(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/")
    wait_for(page, "observed")
    page.locator('#policy-toggle button[data-policy="none"]').focus()
    page.keyboard.press("Enter")
    wait_for(page, "none")
    assert_matches(page, flowmap(viewer, policy="none"))


def test_narrow_window(page, web_server, viewer, shop):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, web_server, viewer, "/clusters/shop/")
    wait_for(page, "observed")
    assert page.locator("#topology-view svg").get_attribute("data-orientation") == "column"
    assert_matches(page, flowmap(viewer))
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    # Top Services: each row a card whose figures are in view, under their labels.
    rows = page.locator("#top-services-table tbody tr")
    assert rows.count() > 0
    for i in range(rows.count()):
        for label in ("Cross-zone", "USD/GB"):
            cell = rows.nth(i).locator(f'td[data-label="{label}"]')
            assert cell.is_visible()
            box = cell.evaluate(
                "td => { const r = td.getBoundingClientRect(), w = td.closest('.table-wrap')"
                ".getBoundingClientRect(); return r.left >= w.left && r.right <= w.right; }"
            )
            assert box, f"row {i}: {label} is outside its box"
    labels = rows.first.locator("td.num").evaluate_all(
        "tds => tds.map((td) => getComputedStyle(td, '::before').content)"
    )
    assert labels == ['"Cross-zone"', '"USD/GB"']
    # The zone matrix scrolls sideways here, and says so.
    assert page.evaluate(
        "() => { const w = document.getElementById('heatmap').parentElement;"
        " return w.scrollWidth > w.clientWidth; }"
    )
    assert page.locator("#heatmap-scroll-hint").is_visible()
    # The picture's card title looks like every other card title (size, weight, alignment, place).
    titles = page.evaluate(
        """() => ['view-title', 'heatmap-title', 'top-title'].map((id) => {
             const el = document.getElementById(id), cs = getComputedStyle(el);
             return [cs.fontSize, cs.fontWeight, cs.textAlign,
                     Math.round(el.getBoundingClientRect().left)]; })"""
    )
    assert titles[0] == titles[1] == titles[2]
    screenshot(page, "cluster-narrow")


def test_a_new_snapshot_redraws_live(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/?policy=PreferSameZone")
    wait_for(page, "PreferSameZone", 2)
    page.locator('#policy-toggle button[data-policy="observed"]').click()
    wait_for(page, "observed", 2)
    before = flowmap(viewer)
    import_dump(shop, without_hints("cart"))  # cart loses its policy and its hints
    after = flowmap(viewer)
    assert after["snapshot"] == 3
    assert after["crossZoneFraction"] != before["crossZoneFraction"]
    page.evaluate(RECORD_FLASHES)
    snapshot_event(page, "shop", 3)
    wait_for(page, "observed", 3)
    assert_matches(page, after)
    # The headline figures the snapshot changed flashed; the Service count (the same) did not.
    flashed = page.evaluate("window.__flashed")
    assert pct(after["crossZoneFraction"]) in flashed, flashed
    assert str(after["services"]) not in flashed
    cart = page.locator('#top-services-table tr[data-service="shop/cart"]')
    assert cart.count() == 1 and "none" in cart.inner_text()
    # Another cluster's snapshot changes nothing here.
    snapshot_event(page, "other", 9)
    assert page.evaluate("document.body.dataset.topologySeq") == "3"


def test_waiting_for_the_first_snapshot_then_filling_in(page, web_server, viewer):
    cluster = Cluster.objects.create(name="fresh", source="upload")
    sign_in(page, web_server, viewer, "/clusters/fresh/")
    waiting = page.locator("#topology-waiting")
    assert waiting.is_visible()
    assert "Waiting for the first snapshot" in waiting.inner_text()
    assert page.locator("#topology-body").is_hidden()
    import_dump(cluster, DEMO_DUMP.read_bytes())
    snapshot_event(page, "fresh", 1)
    wait_for(page, "observed", 1)
    assert waiting.is_hidden()
    assert_matches(page, flowmap(viewer, "fresh"))


def test_a_single_zone_cannot_cross(page, web_server, viewer):
    cluster = Cluster.objects.create(name="onezone", source="upload")
    text = (
        DEMO_DUMP.read_text()
        .replace("us-east-1b", "us-east-1a")
        .replace("us-east-1c", "us-east-1a")
    )
    import_dump(cluster, text.encode())
    sign_in(page, web_server, viewer, "/clusters/onezone/")
    wait_for(page, "observed", 1)
    note = page.locator("#topology-note")
    assert note.inner_text() == "Everything stays in zone us-east-1a: nothing can cross."
    assert page.locator("#topology-view g[data-zone]").count() == 1
    assert page.locator("#topology-view path.flow-arrow").count() == 0
    assert_matches(page, flowmap(viewer, "onezone"))


def test_more_than_three_zones_give_the_matrix_the_full_width(page, web_server, viewer):
    from benchmarks.gen_cluster import generate

    cluster = Cluster.objects.create(name="wide", source="upload")
    doc = generate(services=30, endpoints=240, nodes=16, zones=5, seed=2, pods=False)
    import_dump(cluster, json.dumps(doc).encode())
    sign_in(page, web_server, viewer, "/clusters/wide/")
    wait_for(page, "observed", 1)
    assert page.locator("#topology-view g[data-zone]").count() == 5
    tables = page.locator(".topology-tables")
    assert "topology-tables--stacked" in tables.get_attribute("class")
    matrix, top = page.locator(".topology-tables > section").all()
    assert matrix.bounding_box()["width"] == top.bounding_box()["width"]  # one column
    assert page.locator("#heatmap-scroll-hint").is_hidden()  # the whole matrix fits
    screenshot(page, "cluster-topology-five-zones")


@pytest.mark.parametrize("path", ["/clusters/nowhere/"])
@pytest.mark.http_error_page
def test_an_unknown_cluster_is_404(page, web_server, viewer, path):
    sign_in(page, web_server, viewer, "/")
    response = page.goto(web_server.url + path)
    assert response.status == 404
