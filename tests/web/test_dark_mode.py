"""Dark mode and the layout of issue 13 item 7, in Chromium.

- Every page in the light and the dark theme, at 1440 and 390 px: every visible text has 4.5:1
  against what it is drawn on (3:1 when large; tests/web/contrast.py measures, canvas charts
  included), the theme is the one asked for, and on a phone the header, cluster bar and tabs end
  within the top third of the screen (281 px of 844). Screenshots: build/test-screenshots/dark/.
- The header's theme control: reached and set by keyboard, kept per browser, applied before the
  first paint (theme_init.js alone), followed by the charts; System follows the system's setting.
- The topology picture: no text under 12 px however narrow, each zone text inside its box.
- A zone box leads to the Services with endpoints in that zone and lists the zone's nodes.
- The API docs page leads back to the app.
"""

import re

import pytest
from playwright.sync_api import expect

from routing.figures.zone_filter import zone_nodes
from tests.web import audit
from tests.web.conftest import SCREENSHOTS, api_json, screenshot, sign_in
from tests.web.contrast import chart_contrast, text_contrast
from tests.web.test_every_page import Page, visit

SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
PHONE_HEADER_MAX = 281  # a third of 844 px, rounded down
# The palettes' page background (app.css --bg), as the browser reports it.
BACKGROUND = {"light": "rgb(245, 246, 248)", "dark": "rgb(15, 19, 24)"}

PAGES = [
    Page("login", "/accounts/login/", "Sign in", user="anonymous", cluster=False),
    Page("overview", "/", "Clusters", cluster=False),
    Page("topology", "/clusters/shop/", "topology"),
    Page("services", "/clusters/shop/services/", "Services"),
    Page("services-zone", "/clusters/shop/services/?zone=us-east-1b", "Services"),
    Page("service", "/clusters/shop/services/shop/checkout/", "checkout", user="admin"),
    Page("recommendations", "/clusters/shop/recommendations/", "Recommendations"),
    Page("timeline", "/clusters/shop/timeline/", "Timeline", measured=True),
    Page("settings", "/clusters/shop/settings/", "Settings", user="admin", measured=True),
    Page("upload", "/upload/", "Upload", user="admin", cluster=False),
    Page("api-docs", "/api/v1/docs/", "API", cluster=False),
]


def settle(page, target: Page) -> None:
    """Beyond `visit`: the pages whose content arrives after the network is idle."""
    if target.id == "api-docs":
        page.wait_for_selector(".swagger-ui .opblock")
    if target.id.startswith("services"):
        page.wait_for_selector('body[data-services-ready="true"]:not([data-services-loading])')
    if target.id == "service":
        page.wait_for_selector('body[data-service-ready="true"]')


def shown_theme(page) -> str:
    return page.evaluate("() => document.documentElement.dataset.themeShown || ''")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("target", PAGES, ids=[p.id for p in PAGES])
def test_every_page_reads_in_both_themes(page, web_server, shop, target, theme, size, request):
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.emulate_media(color_scheme=theme)
    visit(page, web_server, target, request)
    settle(page, target)
    (SCREENSHOTS / "dark").mkdir(parents=True, exist_ok=True)
    screenshot(page, f"dark/{target.id}-{theme}-{width}")
    problems = []
    if target.id == "api-docs":  # Swagger UI's own dark mode (js/api_docs_theme.js)
        dark = page.evaluate("() => document.documentElement.classList.contains('dark-mode')")
        if dark != (theme == "dark"):
            problems.append(f"Swagger UI's dark mode is {'on' if dark else 'off'}")
    else:
        background = page.evaluate(
            "() => getComputedStyle(document.documentElement).backgroundColor"
        )
        if background != BACKGROUND[theme] or shown_theme(page) != theme:
            problems.append(f"page background {background}, theme {shown_theme(page)!r}")
    texts = text_contrast(page)
    charts = chart_contrast(page)
    problems += texts["failures"] + charts["failures"]
    if texts["checked"] < 5:
        problems.append(f"only {texts['checked']} texts found: the page did not render")
    if target.id == "timeline" and charts["checked"] < 9:
        problems.append(f"the timeline's three canvas charts gave {charts['checked']} texts")
    if size == "phone" and target.id != "api-docs":
        bottom = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('.site-header, .cluster-bar, .tabs')]"
            ".map((e) => e.getBoundingClientRect().bottom))"
        )
        if bottom > PHONE_HEADER_MAX:
            problems.append(
                f"header, cluster bar and tabs end at {bottom:.0f} px > {PHONE_HEADER_MAX}"
            )
    page.goto("about:blank")
    assert not problems, f"{target.id} in {theme} at {width} px:\n  " + "\n  ".join(problems)


# --- the theme control ------------------------------------------------------------------------

# Run before the page's own scripts: what the page looks like when its first frame is drawn.
FIRST_FRAME = """
requestAnimationFrame(() => {
  window.__firstFrame = {
    theme: document.documentElement.dataset.theme || '',
    background: getComputedStyle(document.documentElement).backgroundColor,
  };
});
"""


def tab_to(page, predicate: str, limit: int = 60) -> bool:
    """Press Tab from the top of the page until `predicate(activeElement)` holds."""
    assert audit.focus_top(page)
    for _ in range(limit):
        page.keyboard.press("Tab")
        script = f"() => {{ const el = document.activeElement; return Boolean({predicate}); }}"
        if page.evaluate(script):
            return True
    return False


def test_the_theme_control_by_keyboard_is_kept_and_applied_before_the_first_paint(
    page, web_server, viewer, shop
):
    page.emulate_media(color_scheme="light")
    sign_in(page, web_server, viewer, "/clusters/shop/")
    assert shown_theme(page) == "light"
    control = page.locator("#theme-mode")
    expect(control).to_have_accessible_name(re.compile("Colour theme"))
    assert control.input_value() == "system"
    assert tab_to(page, "el.id === 'theme-mode'"), "Tab never reached the theme control"
    page.keyboard.press("ArrowDown")  # System -> Light
    page.keyboard.press("ArrowDown")  # Light -> Dark
    page.wait_for_function("() => document.documentElement.dataset.themeShown === 'dark'")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert page.evaluate("() => localStorage.getItem('trafficlens.theme')") == "dark"
    assert (
        page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor")
        == BACKGROUND["dark"]
    )
    # The heatmap's cells are coloured by script: redrawn from the dark surface, not white.
    cell = page.locator("#heatmap td.heat-cell--local").first
    assert sum(map(int, re.findall(r"\d+", cell.evaluate("c => c.style.background")))) < 3 * 128
    screenshot(page, "dark/theme-chosen-dark")

    # Another page: dark before its first frame, with only theme_init.js to set it (the
    # control's module answers an empty file).
    page.route(
        "**/theme_toggle.js",
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=""),
    )
    page.add_init_script(FIRST_FRAME)
    page.goto(f"{web_server.url}/clusters/shop/services/")
    page.wait_for_function("() => window.__firstFrame !== undefined")
    first = page.evaluate("() => window.__firstFrame")
    assert first == {"theme": "dark", "background": BACKGROUND["dark"]}, first
    page.unroute("**/theme_toggle.js")

    # Back to System: the system's setting (light) again, and the choice forgotten.
    page.goto(f"{web_server.url}/clusters/shop/")
    page.locator("#theme-mode").select_option("system")
    page.wait_for_function("() => document.documentElement.dataset.themeShown === 'light'")
    assert page.evaluate("() => localStorage.getItem('trafficlens.theme')") is None
    assert page.evaluate("() => document.documentElement.dataset.theme") is None


CHART_COLOURS = """() => {
  const probe = (name) => {
    const el = document.createElement('span');
    el.style.color = getComputedStyle(document.documentElement).getPropertyValue(name);
    document.body.append(el);
    const c = getComputedStyle(el).color;
    el.remove();
    return c;
  };
  const fills = (sel) => [...new Set([...document.querySelectorAll(sel)]
    .filter((t) => t.textContent.trim()).map((t) => getComputedStyle(t).fill))];
  return {
    text: probe('--text'), muted: probe('--muted'),
    sankey: fills('#flow-sankey svg text'),
    history: fills('#history-chart svg text'),
  };
}"""


def test_the_charts_follow_the_system_setting(page, web_server, admin_user, shop):
    """Under System, the system switching to dark redraws the Service page's charts in the dark
    palette, without a reload."""
    page.emulate_media(color_scheme="light")
    sign_in(page, web_server, admin_user, "/clusters/shop/services/shop/checkout/")
    page.wait_for_selector('body[data-service-ready="true"]')
    light = page.evaluate(CHART_COLOURS)
    page.emulate_media(color_scheme="dark")
    page.wait_for_function("() => document.documentElement.dataset.themeShown === 'dark'")
    page.wait_for_function(
        "(before) => { const t = document.querySelector('#flow-sankey svg text');"
        " return t && getComputedStyle(t).fill !== before; }",
        arg=light["sankey"][0],
    )
    dark = page.evaluate(CHART_COLOURS)
    assert light["text"] != dark["text"]
    assert light["sankey"] == [light["text"]] and dark["sankey"] == [dark["text"]], (light, dark)
    # The history's axis texts: the theme's muted colour (its point labels, when any, the text).
    assert dark["muted"] in dark["history"] and light["muted"] not in dark["history"], dark
    screenshot(page, "dark/service-charts-redrawn-dark")


def test_the_timeline_charts_redraw_in_the_chosen_theme(page, web_server, viewer, shop):
    page.emulate_media(color_scheme="light")
    sign_in(page, web_server, viewer, "/clusters/shop/timeline/")
    read = """() => {
      const chart = window.echarts.getInstanceByDom(document.getElementById('chart-cost'));
      const model = chart.getModel();
      return {
        axis: model.getComponent('xAxis').get(['axisLabel', 'color']),
        line: chart.getOption().series[0].lineStyle.color,
        accent: getComputedStyle(document.documentElement).getPropertyValue('--accent').trim(),
        muted: getComputedStyle(document.documentElement).getPropertyValue('--muted').trim(),
      };
    }"""
    light = page.evaluate(read)
    assert light["axis"] == light["muted"] and light["line"] == light["accent"], light
    page.locator("#theme-mode").select_option("dark")
    page.wait_for_function("() => document.documentElement.dataset.themeShown === 'dark'")
    dark = page.evaluate(read)
    assert dark["axis"] == dark["muted"] != light["muted"], dark
    assert dark["line"] == dark["accent"] != light["accent"], dark


# --- the topology picture ---------------------------------------------------------------------

TEXT_SIZES = """() => [...document.querySelectorAll('#topology-view svg text')].map((t) => {
  const box = t.closest('.zone-box');
  const r = t.getBoundingClientRect();
  const b = box ? box.querySelector('rect').getBoundingClientRect() : null;
  return {
    text: t.textContent,
    px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
    inside: b ? r.left >= b.left - 0.5 && r.right <= b.right + 0.5 && r.top >= b.top - 0.5
      && r.bottom <= b.bottom + 0.5 : true,
  };
})"""


@pytest.mark.parametrize("width", [320, 390, 1440])
def test_the_topology_text_is_never_under_12px(page, web_server, viewer, shop, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, web_server, viewer, "/clusters/shop/")
    page.wait_for_selector('body[data-topology-policy="observed"]:not([data-loading])')
    svg = page.locator("#topology-view svg")
    stacked = width < 1000
    assert svg.get_attribute("data-orientation") == ("column" if stacked else "row")
    # Drawn smaller than its own size on a phone, so its text was set larger.
    assert (float(svg.get_attribute("data-text-scale")) > 1) == stacked
    texts = page.evaluate(TEXT_SIZES)
    assert len(texts) >= 20
    small = [t for t in texts if t["px"] < 12 - 0.01]
    assert not small, small
    outside = [t for t in texts if not t["inside"]]
    assert not outside, outside
    screenshot(page, f"dark/topology-text-{width}")


# --- a zone box leads to its Services and nodes -----------------------------------------------


def services_shown(page) -> list[str]:
    return page.locator("#services-rows tr").evaluate_all("rows => rows.map((r) => r.dataset.key)")


def test_a_zone_box_opens_its_services_and_its_nodes(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/")
    page.wait_for_selector('body[data-topology-policy="observed"]:not([data-loading])')
    flowmap = api_json(viewer, "/api/v1/clusters/shop/flowmap/")
    links = page.locator("#topology-view a.zone-link")
    assert links.count() == len(flowmap["zones"]) >= 3
    # The keyboard: Tab to the first zone box, Enter.
    assert tab_to(page, "el.matches('a.zone-link')"), "Tab never reached a zone box"
    zone = page.evaluate("() => document.activeElement.dataset.zone")
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"
    screenshot(page, "dark/zone-box-focused")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/clusters/shop/services/\?zone={re.escape(zone)}$"))
    page.wait_for_selector('body[data-services-ready="true"]')
    answer = api_json(viewer, "/api/v1/clusters/shop/services/", zone=zone, page_size=1000)
    every = api_json(viewer, "/api/v1/clusters/shop/services/", page_size=1000)
    expected = [f"{r['namespace']}/{r['name']}" for r in answer["results"]]
    assert services_shown(page) == expected and expected
    assert page.locator("#f-zone").input_value() == zone
    # Its nodes, as the snapshot has them.
    snapshot = shop.snapshots.order_by("-seq")[0]
    nodes = zone_nodes(snapshot)[zone]
    note = page.locator("#zone-note")
    expect(note.locator("h3")).to_have_text(f"Zone {zone}")
    names = note.locator("#zone-nodes code").all_inner_texts()
    assert names == [n["name"] for n in nodes["nodes"]] and names
    expect(page.locator("#zone-node-count")).to_contain_text(
        f"{nodes['count']} node{'s' if nodes['count'] != 1 else ''} in snapshot {snapshot.seq}, "
        f"{nodes['ready']} ready"
    )
    screenshot(page, "dark/services-of-a-zone")

    # Another zone from the filter, by keyboard: the page of that zone, with its note.
    options = page.locator("#f-zone option").evaluate_all("os => os.map((o) => o.value)")
    at = options.index(zone)
    other = options[at + 1] if at + 1 < len(options) else options[at - 1]
    assert other, options
    page.locator("#f-zone").focus()
    page.keyboard.press("ArrowDown" if at + 1 < len(options) else "ArrowUp")
    page.wait_for_url(re.compile(rf"zone={re.escape(other)}$"))
    page.wait_for_selector('body[data-services-ready="true"]')
    expect(page.locator("#zone-note h3")).to_have_text(f"Zone {other}")
    answer = api_json(viewer, "/api/v1/clusters/shop/services/", zone=other, page_size=1000)
    assert services_shown(page) == [f"{r['namespace']}/{r['name']}" for r in answer["results"]]

    # "Show every zone": the whole list, no note.
    page.get_by_role("link", name="Show every zone").click()
    page.wait_for_url(re.compile(r"/clusters/shop/services/\??$"))
    page.wait_for_selector('body[data-services-ready="true"]')
    assert len(services_shown(page)) == every["count"]
    assert page.locator("#zone-note").count() == 0


def test_a_zone_the_snapshot_lacks_is_ignored_and_said(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/clusters/shop/services/?zone=mars-1a")
    page.wait_for_selector('body[data-services-ready="true"]')
    expect(page.get_by_role("alert")).to_contain_text("Ignored filters that are not valid: zone")
    assert page.locator("#zone-note").count() == 0
    every = api_json(viewer, "/api/v1/clusters/shop/services/", page_size=1000)
    assert len(services_shown(page)) == every["count"]


# --- the API docs -----------------------------------------------------------------------------


def test_the_api_docs_lead_back_to_the_app(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, "/")
    page.goto(f"{web_server.url}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock")
    back = page.get_by_role("link", name="Back to TrafficLens")
    expect(back).to_be_visible()
    assert back.get_attribute("href") == "/"
    assert tab_to(page, "el.id === 'docs-back'", limit=1), "the first Tab is not the way back"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{web_server.url}/")
    expect(page.locator("h1")).to_have_text("Clusters")


# --- the measure itself -----------------------------------------------------------------------

LOW_CONTRAST = """<!DOCTYPE html><html lang="en"><head><title>Contrast</title><style>
body { background: #ffffff; color: #111111; font: 16px sans-serif; }
.pale { color: #999999; }
.veil { background: rgba(0, 0, 0, 0.8); color: #777777; }
.big { color: #888888; font-size: 24px; }
.faded { opacity: 0.3; }
.label::before { content: "Label"; color: #bbbbbb; }
.mark::after { content: " \\2195"; color: #eeeeee; }
</style></head><body>
<p>Fine text</p>
<p class="pale">Pale on white</p>
<div class="veil"><span>Grey on a dark veil</span></div>
<p class="big">Large enough at 3:1</p>
<p class="faded">Faded by opacity</p>
<p class="label">x</p>
<p class="mark">Sorted</p>
<button disabled class="pale">Disabled: exempt</button>
<svg width="200" height="60"><rect width="200" height="60" fill="#222222"></rect>
  <text x="10" y="30" fill="#333333" font-size="14">Dark on dark</text></svg>
</body></html>"""


def test_the_contrast_measure_finds_what_it_looks_for(page):
    page.set_content(LOW_CONTRAST)
    found = text_contrast(page)["failures"]
    joined = "\n".join(found)
    wanted = ["Pale on white", "Grey on a dark veil", "Faded by opacity", "Dark on dark"]
    wanted.append("::before")
    for text in wanted:
        assert text in joined, (text, found)
    for text in ["Fine text", "Large enough", "Disabled", "Sorted"]:
        assert text not in joined, (text, found)
    assert len(found) == 5, found
