"""Stored XSS, in the browser: a cluster whose every free-text field is an HTML/script payload.

The data goes straight into the store (tests/web/hostile.py), past any validation at the upload,
as defence in depth. Each test signs in as a superuser whose name is a payload too, opens pages,
switches every toggle, hovers every chart element, opens every <details> and clicks the copy
buttons, then asserts: no dialog fired (page.on("dialog")), nothing injected is in the DOM (no
on* attribute, no img[src=x], no <script> but the page's own, no javascript: link), the payloads
are shown as text, and, through the `page` fixture, no console error (a CSP violation is one).
Screenshots are saved as build/test-screenshots/hostile-*.png.
"""

import json
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from routing.models import ObjectVersion
from routing.snapshots import summaries_at
from tests.web import hostile
from tests.web.conftest import PASSWORD, ensure_roles, screenshot

# Everything the page itself did not put there: handlers in attributes, the payloads' images,
# scripts that are neither json_script data nor same-origin files, javascript: links, frames.
INJECTED = r"""() => {
  const found = [];
  const describe = (el) => el.outerHTML.slice(0, 160);
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) found.push(`${attr.name} attribute: ${describe(el)}`);
      if (/^(href|src|action|formaction|xlink:href)$/i.test(attr.name)
          && /^\s*javascript:/i.test(attr.value)) found.push(`javascript: URL: ${describe(el)}`);
    }
  }
  for (const el of document.querySelectorAll('img[src="x"], iframe, object, embed')) {
    found.push(`element: ${describe(el)}`);
  }
  for (const s of document.querySelectorAll('script')) {
    if (s.type === 'application/json') continue;
    const url = s.src ? new URL(s.src) : null;
    const own = url && url.origin === location.origin
      && /^\/(static\/|admin\/jsi18n\/$|api\/v1\/docs\/$)/.test(url.pathname);
    if (!own) found.push(`script: ${describe(s)}`);
  }
  return found;
}"""

# The text of a chart's tooltip: the container's <div>s that hold no canvas or svg.
TOOLTIP = """(el) => [...el.children]
  .filter((d) => d.tagName === 'DIV' && !d.querySelector('canvas, svg'))
  .filter((d) => d.style.display !== 'none')
  .map((d) => d.textContent).join(' | ')"""

# Every data item and every link of every series shown as a tooltip through ECharts' API.
SHOW_TIPS = (
    """async (selector) => {
  const el = document.querySelector(selector);
  const chart = echarts.getInstanceByDom(el);
  const tooltip = """
    + TOOLTIP
    + """;
  const injected = """
    + INJECTED
    + """;
  const texts = [];
  const found = [];
  const settle = () => new Promise((resolve) => setTimeout(resolve, 80));
  const series = chart.getOption().series;
  for (let s = 0; s < series.length; s++) {
    const nodes = (series[s].data || []).length;
    const kinds = [['node', nodes], ['edge', (series[s].links || []).length]];
    for (const [dataType, n] of kinds) {
      for (let i = 0; i < n; i++) {
        chart.dispatchAction({type: 'showTip', seriesIndex: s, dataIndex: i, dataType});
        await settle();
        texts.push(tooltip(el));
        found.push(...injected());
      }
    }
  }
  chart.dispatchAction({type: 'hideTip'});
  return [texts, found];
}"""
)

# Centres of the shapes an SVG chart drew, to move the mouse over.
SVG_SHAPES = """(selector) => [...document.querySelectorAll(`${selector} svg path`)]
  .map((p) => p.getBoundingClientRect())
  .filter((r) => r.width > 0 && r.height > 0)
  .map((r) => [r.x + r.width / 2, r.y + r.height / 2])"""


@pytest.fixture
def intruder(transactional_db):
    """A superuser whose user name is a payload (it is shown in every page's header)."""
    ensure_roles()
    return User.objects.create_superuser(hostile.USERNAME, password=PASSWORD)


@pytest.fixture
def cluster(intruder):
    return hostile.hostile_cluster(intruder)


@pytest.fixture
def dialogs(page):
    fired = []

    def record(dialog):
        fired.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", record)
    return fired


def sign_in_as(page, server, user) -> None:
    # The admin's pages name no icon, so chromium asks for /favicon.ico: a 404 in the console.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/")


def open_page(page, server, path: str) -> None:
    page.goto(server.url + path, wait_until="networkidle")
    page.wait_for_timeout(300)


def assert_clean(page, dialogs, where: str) -> None:
    assert dialogs == [], f"{where}: dialogs fired"
    injected = page.evaluate(INJECTED)
    assert injected == [], f"{where}: injected into the DOM"


def missing_text(page, *texts: str) -> list[str]:
    """The texts that the page does not show (visible text, as a reader sees it)."""
    shown = page.evaluate("() => document.body.innerText")
    return [t for t in texts if t not in shown]


def hover_chart(page, selector: str) -> list[str]:
    """Hover every item of the chart (through ECharts, then with the mouse); the tooltips'
    texts. Fails if anything was injected into the page while a tooltip was shown."""
    texts, injected = page.evaluate(SHOW_TIPS, selector)
    box = page.locator(selector).bounding_box()
    points = page.evaluate(SVG_SHAPES, selector)
    if not points:  # a canvas: sweep across the plot at mid-height
        points = [
            (box["x"] + box["width"] * i / 40, box["y"] + box["height"] / 2) for i in range(41)
        ]
    for x, y in points:
        page.mouse.move(x, y)
        page.wait_for_timeout(40)
        texts.append(page.locator(selector).evaluate(TOOLTIP))
        injected += page.evaluate(INJECTED)
    page.mouse.move(0, 0)
    assert injected == [], f"{selector}: injected while its tooltips were shown"
    return texts


def links_to_services(page, selector: str) -> list[str]:
    """The links among `selector` that do not lead to the page of the Service they name."""
    wrong = []
    for link in page.locator(selector).all():
        namespace, name = link.inner_text().split("/", 1)  # namespaces hold no "/"
        if unquote(link.get_attribute("href")) != f"/clusters/hostile/services/{namespace}/{name}/":
            wrong.append(f"{link.inner_text()}: {link.get_attribute('href')}")
    return wrong


def service_names(cluster) -> list[tuple[str, str]]:
    return [(s.namespace, s.name) for s in summaries_at(cluster.latest_snapshot())]


def test_overview_topology_and_services_show_payloads_as_text(
    page, web_server, intruder, cluster, dialogs
):
    sign_in_as(page, web_server, intruder)
    open_page(page, web_server, "/")
    assert_clean(page, dialogs, "clusters")
    zones = list(hostile.ZONES.values())
    assert missing_text(page, hostile.DISPLAY_NAME, hostile.STATUS_MESSAGE, *zones) == []
    # The failing traffic source's error, as text on the cluster's card.
    assert missing_text(page, hostile.VOLUMES_ERROR) == []
    screenshot(page, "hostile-clusters")

    open_page(page, web_server, "/clusters/hostile/")
    # The live socket connects under the CSP (connect-src 'self' covers ws: to this host).
    page.wait_for_selector("body[data-live-state='live']")
    assert missing_text(page, hostile.USERNAME, hostile.STATUS_MESSAGE, *zones) == []
    assert page.locator("#volumes-stale-error").inner_text() == hostile.VOLUMES_ERROR
    for button in page.locator("#policy-toggle button").all():
        policy = button.get_attribute("data-policy")
        button.click()
        page.wait_for_selector(f"body[data-topology-policy='{policy}']:not([data-loading])")
        for arrow in page.locator("#topology-view .flow").all():
            arrow.hover(force=True)
        assert_clean(page, dialogs, f"topology, {policy}")
    assert links_to_services(page, "#top-services-table a") == []
    screenshot(page, "hostile-topology")

    open_page(page, web_server, "/clusters/hostile/services/")
    names = [f"{ns}/{name}" for ns, name in service_names(cluster)]
    assert missing_text(page, *names) == []
    page.select_option("#f-namespace", hostile.NAMESPACES["shop"])
    page.wait_for_selector("body:not([data-services-loading])")
    page.select_option("#f-policy", hostile.BAD_DISTRIBUTION)
    page.wait_for_selector("body:not([data-services-loading])")
    assert page.locator("#services-rows tr").count() == 1
    assert page.locator("#volumes-stale-error").inner_text() == hostile.VOLUMES_ERROR
    # The measured Service's monthly figure names the hostile fetch in its source's title.
    page.select_option("#f-policy", "")
    page.wait_for_selector("body:not([data-services-loading])")
    key = f"{hostile.NAMESPACES['shop']}/{hostile.SERVICES[hostile.MEASURED_SERVICE]}"
    tag = page.locator("#services-rows tr", has=page.locator(".source-tag--measured"))
    assert tag.count() == 1 and tag.get_attribute("data-key") == key
    title = tag.locator(".source-tag").get_attribute("title")
    assert title.startswith(f"measured ({hostile.FETCH_SOURCE}, ")
    assert_clean(page, dialogs, "services")
    screenshot(page, "hostile-services")


def test_every_service_page_with_its_charts_hovered(page, web_server, intruder, cluster, dialogs):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web_server.url)
    sign_in_as(page, web_server, intruder)
    tooltips = []
    for namespace, name in service_names(cluster):
        open_page(page, web_server, reverse("service", args=[cluster.name, namespace, name]))
        page.wait_for_selector("body[data-service-ready]")
        where = f"service {namespace}/{name}"
        assert page.locator("#service-title").inner_text() == f"{namespace}/{name}", where
        for details in page.locator("main details").all():
            details.evaluate("(d) => { d.open = true; }")
        if page.locator("#flow-sankey").is_visible():
            tooltips += hover_chart(page, "#flow-sankey")
            assert_clean(page, dialogs, f"{where}, flow picture")
            # The zones' names, shortened with "…" when long, never expanded as templates.
            labels = page.locator("#flow-sankey svg text").all_text_contents()
            assert labels, where
            zones = [*hostile.ZONES.values(), "dropped"]
            for label in labels:
                assert any(z.startswith(label.removesuffix("…")) for z in zones), (where, label)
        if page.locator("#history-chart").is_visible():
            hover_chart(page, "#history-chart")
        for button in page.locator("button[data-copy]").all():
            button.click()
            source = page.locator(f"#{button.get_attribute('data-copy')}").inner_text()
            assert page.evaluate("navigator.clipboard.readText()") == source, where
        assert_clean(page, dialogs, where)
        if name == hostile.SERVICES[hostile.MEASURED_SERVICE]:
            source = page.locator("#stat-monthly-source").inner_text()
            assert source.startswith(f"measured ({hostile.FETCH_SOURCE}, "), where
            assert hostile.FETCH_SOURCE in page.locator("#compare-monthly").inner_text(), where
        if name == hostile.SERVICES["checkout"]:
            screenshot(page, "hostile-service")
    shown = " ".join(tooltips)
    assert [zone for zone in hostile.ZONES.values() if zone not in shown] == []


@pytest.mark.http_error_page
def test_a_service_gone_from_the_latest_snapshot(page, web_server, intruder, cluster, dialogs):
    sign_in_as(page, web_server, intruder)
    namespace, name = hostile.NAMESPACES["shop"], hostile.SERVICES[hostile.REMOVED_SERVICE]
    open_page(page, web_server, reverse("service", args=[cluster.name, namespace, name]))
    assert missing_text(page, f"{namespace}/{name}") == []
    assert_clean(page, dialogs, "missing service")
    # The page's own 404 is reported by chromium; anything else (a CSP violation) is not allowed.
    assert all("status of 404" in e for e in page.console_errors), page.console_errors
    page.console_errors.clear()


def test_timeline_with_every_diff_open_and_charts_hovered(
    page, web_server, intruder, cluster, dialogs
):
    sign_in_as(page, web_server, intruder)
    open_page(page, web_server, "/clusters/hostile/timeline/")
    for summary in page.locator("#snapshots details summary").all():
        summary.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.snapshot__diff')]"
        ".every((d) => d.textContent && !d.textContent.includes('Loading'))"
    )
    shop = hostile.NAMESPACES["shop"]
    assert (
        missing_text(
            page,
            f"{shop}/{hostile.ADDED_SERVICE}",
            f"{shop}/{hostile.SERVICES[hostile.REMOVED_SERVICE]}",
            f"{shop}/{hostile.SERVICES['cart']}",
            f"to {hostile.ZONES['us-east-1c']}",
        )
        == []
    )
    for button in page.locator("#range button").all():
        button.click()
        page.wait_for_load_state("networkidle")
        hover_chart(page, "#chart-cost")
        hover_chart(page, "#chart-cross")
        hover_chart(page, "#chart-monthly")
    assert_clean(page, dialogs, "timeline")
    screenshot(page, "hostile-timeline")


def test_recommendations_and_settings(page, web_server, intruder, cluster, dialogs):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web_server.url)
    sign_in_as(page, web_server, intruder)
    open_page(page, web_server, "/clusters/hostile/recommendations/")
    cards = page.locator("#recs article")
    assert cards.count() > 0
    for details in page.locator("#recs details").all():
        details.locator("summary").click()
    for block in page.locator("#recs .code-block").all():
        block.get_by_role("button").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == block.locator("pre").inner_text()
    names = {c.get_attribute("data-service") for c in cards.all()}
    assert names <= {f"{ns}/{name}" for ns, name in service_names(cluster)}
    assert missing_text(page, *names) == []
    assert links_to_services(page, "#recs h3 a") == []
    assert_clean(page, dialogs, "recommendations")
    screenshot(page, "hostile-recommendations")

    open_page(page, web_server, "/clusters/hostile/settings/")
    assert missing_text(page, hostile.VOLUME_SOURCE, f"by {hostile.USERNAME}") == []
    # The traffic source: its URL and error, the fetch's description, note and unmatched
    # labels (opened), all as text; the admin's form holds the URL as a value.
    for details in page.locator("#fetch-table details").all():
        details.locator("summary").click()
    assert missing_text(page, hostile.VOLUMES_ERROR, hostile.FETCH_SOURCE, hostile.FETCH_NOTE) == []
    assert page.locator("#source-error").inner_text() == hostile.VOLUMES_ERROR
    unmatched = page.locator("#fetch-table details code").inner_text()
    assert json.loads(unmatched) == hostile.UNMATCHED
    url = page.locator("#source-table code").first.inner_text()
    assert (
        url
        == page.get_by_label("Prometheus URL").input_value()
        == f"http://prom{hostile.img('source-url')}:9090"
    )
    assert_clean(page, dialogs, "settings, traffic source")
    page.fill("#bulk-lines", f"{hostile.img('bulk')} 12\n{hostile.svg('bulk-2')}/x 5")
    page.fill("#bulk-source", hostile.script("bulk-source"))
    page.click("#bulk-save")
    page.wait_for_selector("#bulk-result .status")
    assert_clean(page, dialogs, "settings")
    screenshot(page, "hostile-settings")


@pytest.mark.http_error_page
def test_upload_of_a_dump_refused_with_a_payload_in_its_message(
    page, web_server, intruder, cluster, dialogs
):
    sign_in_as(page, web_server, intruder)
    open_page(page, web_server, "/upload/")
    assert missing_text(page, hostile.DISPLAY_NAME) == []
    # A new cluster with a hostile display name (offered in the list at once), then a dump
    # that the API refuses with a message that repeats a payload.
    page.get_by_label("A new cluster").check()
    page.fill("#new-name", "evil")
    page.fill("#new-display", hostile.script("new-display-name"))
    page.get_by_label("File (JSON or YAML)").set_input_files(
        files=[{"name": "x.json", "mimeType": "application/json", "buffer": hostile.bad_dump()}]
    )
    page.get_by_role("button", name="Upload and analyse").click()
    message = page.locator("#result .api-message")
    message.wait_for()
    assert "<img src=x onerror=alert(" in message.inner_text()
    assert hostile.script("new-display-name") in page.locator("#cluster-select").inner_text()
    assert_clean(page, dialogs, "upload")
    screenshot(page, "hostile-upload")
    assert all("status of 400" in e for e in page.console_errors), page.console_errors
    page.console_errors.clear()


def test_admin_and_api_docs(page, web_server, intruder, cluster, dialogs):
    sign_in_as(page, web_server, intruder)
    version = ObjectVersion.objects.filter(cluster=cluster, kind="Service").first()
    for path in (
        "/admin/",
        f"/admin/routing/cluster/{cluster.pk}/change/",
        "/admin/routing/objectversion/",
        f"/admin/routing/objectversion/{version.pk}/change/",
        "/admin/routing/servicesummary/",
        "/admin/auth/user/",
    ):
        open_page(page, web_server, path)
        assert_clean(page, dialogs, path)
    assert missing_text(page, hostile.USERNAME) == []
    open_page(page, web_server, "/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert_clean(page, dialogs, "API docs")
    screenshot(page, "hostile-api-docs")


def test_compare_shows_payloads_as_text(page, web_server, intruder, cluster, dialogs):
    sign_in_as(page, web_server, intruder)
    open_page(page, web_server, "/clusters/hostile/compare/?from=1&to=2")
    shop = hostile.NAMESPACES["shop"]
    names = (
        f"{shop}/{hostile.ADDED_SERVICE}",
        f"{shop}/{hostile.SERVICES[hostile.REMOVED_SERVICE]}",
        f"{shop}/{hostile.SERVICES['cart']}",
    )
    assert missing_text(page, hostile.DISPLAY_NAME, *names) == []
    assert_clean(page, dialogs, "compare")
    screenshot(page, "hostile-compare")
    # A payload as the seq: refused in words, shown as text.
    payload = "<img src=x onerror=alert(1)>"
    open_page(page, web_server, f"/clusters/hostile/compare/?from={payload}")
    assert missing_text(page, f"“{payload}” is not a snapshot number") == []
    assert_clean(page, dialogs, "compare, refused")
    # The page's own 400 is reported by chromium; anything else (a CSP violation) is not allowed.
    assert all("status of 400" in e for e in page.console_errors), page.console_errors
    page.console_errors.clear()
