"""Every page of the product, at desktop and phone widths: the checks each page must pass.

For each page and size: it loads and settles (network idle) with no console or page errors (the
`page` fixture fails on them), has one <h1>, a <main id="main"> and a <title> naming it; every
visible form control, image and chart has an accessible name; every table has a caption and <th>
header cells; nothing makes the page scroll sideways at 390 px; Tab from the top reaches the skip
link first, Enter on it moves focus to #main, and every element reached in 40 Tabs shows a focus
indicator. A full-page screenshot is saved as build/test-screenshots/every-<page>-<size>.png.

All checks run and their failures are reported together, so one run lists every defect of a page.
"""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User

from routing.models import TrafficVolume
from tests.web import audit
from tests.web.conftest import PASSWORD, screenshot, sign_in
from tests.web.measured import stored_fetch, traffic_source

SIZES = {"desktop": (1400, 900), "narrow": (390, 844)}
TABS = 40


@dataclass(frozen=True)
class Page:
    id: str
    path: str
    title: str  # what the <title> must name (case-insensitive)
    user: str = "viewer"  # viewer | admin | roleless | anonymous
    status: int = 200
    cluster: bool = True  # a cluster page: the cluster bar's h1 is the page's one h1
    measured: bool = False  # with a traffic source and a fetch (tests/web/measured.py)


PAGES = [
    Page("signin", "/accounts/login/", "Sign in", user="anonymous", cluster=False),
    Page("clusters", "/", "Clusters", cluster=False),
    Page("topology", "/clusters/shop/", "topology"),
    Page("topology-whatif", "/clusters/shop/?policy=none", "topology"),
    Page("services", "/clusters/shop/services/", "Services"),
    Page("service-checkout", "/clusters/shop/services/shop/checkout/", "checkout"),
    Page(
        "service-node-exporter",
        "/clusters/shop/services/monitoring/node-exporter/",
        "node-exporter",
    ),
    Page("timeline", "/clusters/shop/timeline/", "Timeline"),
    Page("recommendations", "/clusters/shop/recommendations/", "Recommendations"),
    Page("compare", "/clusters/shop/compare/?from=1&to=2", "Compare"),
    Page("settings", "/clusters/shop/settings/", "Settings"),
    # The traffic source's form (open while there is no source) and the pages with volumes.
    Page("settings-admin", "/clusters/shop/settings/", "Settings", user="admin"),
    Page("topology-measured", "/clusters/shop/", "topology", measured=True),
    Page("services-measured", "/clusters/shop/services/", "Services", measured=True),
    Page("settings-measured", "/clusters/shop/settings/", "Settings", user="admin", measured=True),
    Page("timeline-measured", "/clusters/shop/timeline/", "Timeline", measured=True),
    Page("upload", "/upload/", "Upload", user="admin", cluster=False),
]

ERROR_PAGES = [
    Page("forbidden", "/", "Not allowed", user="roleless", status=403, cluster=False),
    Page("unknown-cluster", "/clusters/no-such-cluster/", "Not found", status=404, cluster=False),
    Page(
        "unknown-service",
        "/clusters/shop/services/shop/no-such-service/",
        "no-such-service",
        status=404,
    ),
]


def visit(page, server, target: Page, request) -> int:
    """Sign in as the page's user, open it, wait until its scripts have settled; the status."""
    if target.user == "viewer":
        user = request.getfixturevalue("viewer")
    elif target.user == "admin":
        user = request.getfixturevalue("admin_user")
    elif target.user == "roleless":
        user = User.objects.create_user("nobody", password=PASSWORD)
    else:
        user = None
    if target.measured:
        shop = request.getfixturevalue("shop")
        traffic_source(shop)
        TrafficVolume.objects.create(cluster=shop, namespace="shop", name="cart", monthly_gb=50)
        stored_fetch(shop, {("shop", "catalog"): 800.0, ("shop", "payments"): 2500.0})
    if user is not None:
        sign_in(page, server, user, "/")
    response = page.goto(server.url + target.path, wait_until="networkidle")
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(1200)  # charts animate in for about a second
    page.wait_for_load_state("networkidle")
    return response.status


def check_structure(page, target: Page) -> list[str]:
    found = audit.structure(page)
    problems = []
    if len(found["h1"]) != 1:
        problems.append(f"{len(found['h1'])} <h1> elements, want exactly 1: {found['h1']}")
    elif found["h1Visible"] != 1:
        problems.append(f"the <h1> {found['h1']} is not visible")
    if found["mains"] != ["main"]:
        problems.append(f'want one <main id="main">, found ids {found["mains"]}')
    title = found["title"]
    if target.title.lower() not in title.lower():
        problems.append(f"<title> {title!r} does not name the page ({target.title!r})")
    if target.cluster and "shop" not in title.lower():
        problems.append(f"<title> {title!r} does not name the cluster")
    if found["skipLink"] != ["#main"]:
        problems.append(f"want one skip link to #main, found {found['skipLink']}")
    return problems


def check_names(page) -> list[str]:
    problems = [f"form control without a name: {c}" for c in audit.unnamed_controls(page)]
    problems += [f"image without a name: {c}" for c in audit.unnamed_images(page)]
    problems += [
        f"chart without a name or text alternative: {c}" for c in audit.unnamed_charts(page)
    ]
    problems += [f"table: {t}" for t in audit.table_problems(page)]
    return problems


def check_overflow(page) -> list[str]:
    found = audit.overflow(page)
    if found["scrollWidth"] <= found["viewport"] + 1:
        return []
    return [
        f"the page scrolls sideways: scrollWidth {found['scrollWidth']} > {found['viewport']};"
        f" widest: {found['offenders']}"
    ]


def check_keyboard(page) -> list[str]:
    problems = []
    assert audit.focus_top(page), "could not put the focus starting point at the top"
    first = None
    seen = []
    for step in range(TABS):
        page.keyboard.press("Tab")
        focus = audit.active_focus(page)
        if focus is None:
            continue  # focus left the document (past the last element); the next Tab wraps
        if first is None:
            first = focus
        seen.append(focus["what"])
        if not focus["onScreen"]:
            problems.append(f"Tab {step + 1} focuses an element that is not shown: {focus['what']}")
        elif not focus["visible"]:
            problems.append(
                f"Tab {step + 1} focuses {focus['what']} with no visible focus indicator"
                f" ({focus['style']})"
            )
    if first is None:
        problems.append(f"{TABS} Tabs never focused anything")
    elif not first["isSkipLink"]:
        problems.append(f"the first Tab focuses {first['what']}, not the skip link")
    skip = page.locator("a.skip-link")
    if skip.count() != 1:
        problems.append(f"{skip.count()} skip links (a.skip-link), want 1")
    else:
        skip.focus()
        page.keyboard.press("Enter")
        page.wait_for_timeout(100)
        active = page.evaluate("document.activeElement && document.activeElement.id")
        if active != "main":
            problems.append(f"Enter on the skip link leaves focus on #{active!r}, not #main")
    page.evaluate("document.getElementById('audit-top')?.remove()")
    # Deduplicated, for problems repeated on every cycle of a short page.
    return list(dict.fromkeys(problems))


def audit_page(page, server, target: Page, size: str, request) -> None:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    status = visit(page, server, target, request)
    autofocus = audit.autofocused(page)
    if autofocus:
        print(f"{target.id}: focus starts on #{autofocus} (autofocus)")
    failures = {}
    if status != target.status:
        failures["status"] = [f"HTTP {status}, want {target.status}"]
    failures["structure"] = check_structure(page, target)
    failures["names"] = check_names(page)
    if size == "narrow":
        failures["overflow"] = check_overflow(page)
    screenshot(page, f"every-{target.id}-{size}")
    failures["keyboard"] = check_keyboard(page)
    # Leave the page, so that none of its scripts calls the API after the test's data is gone.
    page.goto("about:blank")
    report = "\n".join(
        f"  [{check}] {problem}" for check, problems in failures.items() for problem in problems
    )
    print(f"{target.id} at {size} ({width}x{height}), {page.url}:\n{report or '  all checks pass'}")
    assert not report, f"{target.id} at {size} ({page.url}):\n{report}"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("target", PAGES, ids=[p.id for p in PAGES])
def test_every_page(page, web_server, shop, target, size, request):
    audit_page(page, web_server, target, size, request)


@pytest.mark.http_error_page
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("target", ERROR_PAGES, ids=[p.id for p in ERROR_PAGES])
def test_every_error_page(page, web_server, shop, target, size, request):
    audit_page(page, web_server, target, size, request)
    # Chromium reports the page's own 403/404 as a console error; nothing else may be there.
    others = [e for e in page.console_errors if f"status of {target.status}" not in e]
    assert not others, "browser console errors:\n" + "\n".join(others)


BAD_PAGE = """<!DOCTYPE html><html lang="en"><head><title>Bad</title>
<style>.quiet:focus-visible { outline: none; } .wide { width: 900px; }</style></head><body>
<a class="skip-link" href="#main">Skip</a><h1>One</h1><h1>Two</h1>
<main id="main" tabindex="-1">
  <input id="nameless"><label for="named">Named</label><input id="named">
  <select aria-label="Pick"><option>a</option></select><textarea title="Notes"></textarea>
  <button class="quiet">Quiet</button><button></button><button aria-label="Close"></button>
  <img src="data:," width="10" height="10"><img src="data:," alt="" width="10" height="10">
  <svg role="img" width="10" height="10"></svg>
  <svg role="img" aria-label="Named picture" width="10" height="10"></svg>
  <table><tr><td>no caption, no header</td></tr></table>
  <table><caption>Fine</caption><thead><tr><th>h</th></tr></thead><tr><td>1</td></tr></table>
  <div class="wide">wider than a phone</div>
  <div style="overflow-x: auto"><div class="wide">scrolls in its box</div></div>
</main></body></html>"""


def test_the_checks_find_what_they_look_for(page):
    """The audit itself: a page with one defect of each kind, and the right offenders listed."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_content(BAD_PAGE)
    assert audit.structure(page)["h1"] == ["One", "Two"]
    controls = audit.unnamed_controls(page)
    assert len(controls) == 2, controls  # input#nameless and the empty button
    assert controls[0].startswith("input#nameless")
    images = audit.unnamed_images(page)
    assert len(images) == 2, images  # the <img> without alt and the unnamed svg
    tables = audit.table_problems(page)
    assert len(tables) == 2 and "no <caption>" in tables[0] and "no <th>" in tables[1], tables
    wide = audit.overflow(page)
    assert wide["scrollWidth"] > 391
    assert len(wide["offenders"]) == 1 and "wider than a phone" in wide["offenders"][0], wide
    problems = check_keyboard(page)
    assert not any("skip link" in p for p in problems), problems
    assert problems, "the button styled outline: none was not found"
    assert all("Quiet" in p and "no visible focus indicator" in p for p in problems), problems
