"""The Service page's "What if…" panel in a browser: what it shows equals the what-if API's answer
for the same body (figures with their difference, the changes, controller events, the after
flows), it sends only the fields set, the API's field errors land beside their fields and a 403
in the status line, viewers get a note instead of the form, fillWhatIf sets the controls, it
fits a phone, it works from the keyboard, and hostile names stay text (also in the command)."""

import json
import shlex

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import expect
from rest_framework.test import APIClient

from dashboard.pages import format as fmt
from routing.engine.shell import kubectl_patch_service
from routing.models import TrafficVolume
from routing.snapshots import import_dump
from tests.factories import demo_with_checkout_hinted
from tests.web import audit, hostile
from tests.web.conftest import PASSWORD, SCREENSHOTS, ensure_roles, screenshot, sign_in
from tests.web.test_hostile_input import INJECTED

MINUS = "\u2212"
WHATIF_URL = "/api/v1/clusters/{cluster}/services/{namespace}/{name}/what-if/"
# The panel's module, imported in the page beside service.js (the same module instance).
IMPORT_PANEL = (
    "() => import(new URL('whatif_panel.js',"
    " document.querySelector('script[src*=\"/service.js\"]').src).href)"
)


def what_if(user, body: dict, cluster="shop", namespace="shop", name="catalog", status=200):
    """The what-if API's answer to `user` for `body`."""
    client = APIClient()
    client.force_authenticate(user)
    url = WHATIF_URL.format(cluster=cluster, namespace=namespace, name=name)
    response = client.post(url, body, format="json")
    assert response.status_code == status, response.content
    return response.json()


def screenshots(page, name: str) -> None:
    """The whole page as build/test-screenshots/<name>.png, and the panel alone as
    <name>-panel.png (the part to look at, at its real size)."""
    page.wait_for_timeout(200)  # the sankey settles
    screenshot(page, name)
    page.locator("#whatif").screenshot(path=str(SCREENSHOTS / f"{name}-panel.png"))


def open_service(page, server, user, namespace="shop", name="catalog", cluster="shop"):
    sign_in(page, server, user, reverse("service", args=[cluster, namespace, name]))
    page.wait_for_selector("body[data-service-ready]")


def latest_seq(cluster) -> int:
    return cluster.latest_snapshot().seq


def points(d: float) -> str:
    return f"{d * 100:.1f} pts"


def delta(before, after, write) -> str:
    """The panel's Change column: signed, in the figure's unit, "no change" when equal."""
    d = after - before
    if abs(d) < 1e-12:
        return "no change"
    return f"{'+' if d > 0 else MINUS}{write(abs(d))}"


def expected_figures(answer: dict, limit: float = 1.5) -> dict[str, tuple[str, str, str]]:
    """Figure id -> (before, after, change) as the panel must write them."""
    before, after = answer["before"], answer["after"]
    rows = [("cross-zone", "crossZoneFraction", fmt.pct, points)]
    if before["crossRegionFraction"] > 0 or after["crossRegionFraction"] > 0:
        rows.append(("cross-region", "crossRegionFraction", fmt.pct, points))
    rows += [
        ("dropped", "dropped", fmt.pct, points),
        ("overload", "maxOverload", fmt.times, fmt.times),
        ("cost", "costPerGb", fmt.per_gb, fmt.per_gb),
    ]
    if after["monthlyCost"] is not None:
        rows.append(("monthly", "monthlyCost", fmt.usd, fmt.usd))
    return {
        figure: (write(before[key]), write(after[key]), delta(before[key], after[key], change))
        for figure, key, write, change in rows
    }


def shown_figures(page) -> dict[str, tuple[str, str, str]]:
    rows = page.locator("#whatif-figures tbody tr")
    shown = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        cells = [row.locator(f'[data-col="{col}"]').inner_text() for col in ("before", "after")]
        shown[row.get_attribute("data-figure")] = (
            *cells,
            row.locator('[data-col="delta"]').inner_text(),
        )
    return shown


def submit(page) -> dict:
    """Press "Try it" and return the body the page POSTed."""
    with page.expect_request(lambda r: r.url.endswith("/what-if/")) as request:
        page.get_by_role("button", name="Try it").click()
    return request.value.post_data_json


def wait_for_answer(page) -> None:
    expect(page.locator("#whatif-result")).to_be_visible()
    expect(page.locator("#whatif-status")).to_contain_text("Done:")


def zone_input(page, kind: str, zone: str):
    return page.locator(f"#whatif-{kind}-zones input[data-zone={json.dumps(zone)}]")


def sankey_links(page, selector: str) -> dict[tuple[str, str], float]:
    links = page.evaluate(
        "(s) => echarts.getInstanceByDom(document.querySelector(s))"
        ".getOption().series[0].links.map(l => [l.source, l.target, l.value])",
        selector,
    )
    return {(s.removeprefix("from "), t.removeprefix("to ")): v for s, t, v in links}


def test_prefer_same_zone_shows_the_apis_answer(page, web_server, editor, shop):
    TrafficVolume.objects.create(cluster=shop, namespace="shop", name="catalog", monthly_gb=1200)
    open_service(page, web_server, editor)
    policy = page.get_by_label("Topology policy")
    assert policy.locator("option:checked").inner_text() == "Keep as is"
    # catalog declares no policy: the list says so.
    assert "None (no topology policy) (now)" in policy.inner_text()
    policy.select_option("PreferSameZone")
    sent = submit(page)
    wait_for_answer(page)
    seq = latest_seq(shop)
    assert sent == {"trafficDistribution": "PreferSameZone", "snapshot": seq}  # only what was set

    answer = what_if(editor, sent)
    assert shown_figures(page) == expected_figures(answer)
    assert answer["after"]["crossZoneFraction"] < answer["before"]["crossZoneFraction"]
    row = page.locator('#whatif-figures tr[data-figure="cross-zone"] [data-col="delta"]')
    expect(row).to_have_class("num delta delta--better")
    assert page.locator("#whatif-changes li").all_inner_texts() == answer["changes"]
    events = answer["report"]["controller"]["events"]
    if events:
        shown = page.locator("#whatif-events li").all_inner_texts()
        assert shown == [f"{e['type']} {e['reason']}: {e['message']}" for e in events]
    else:
        expect(page.locator("#whatif-events")).to_have_text("None: the controller reports nothing.")
    # What kube-proxy would do, in the page's own words: every client zone keeps its traffic,
    # said once for all of them.
    proxy = page.locator("#whatif-proxy li")
    zones = sorted(answer["report"]["proxyByZone"])
    assert proxy.evaluate_all("els => els.map(e => e.dataset.zones)") == [" ".join(zones)]
    expect(proxy.first).to_contain_text("keeps traffic in its zone")
    # The after flows' picture is the after report's matrix.
    matrix = answer["report"]["flows"]["matrix"]
    links = {(s, d): v for s, row in matrix.items() for d, v in row.items() if v > 0}
    assert sankey_links(page, "#whatif-sankey") == pytest.approx(links)
    command = kubectl_patch_service(
        "shop", "catalog", '{"spec":{"trafficDistribution":"PreferSameZone"}}'
    )
    assert page.locator("#whatif-command").inner_text() == command
    assert page.locator("#whatif-apply-replicas").count() == 0
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web_server.url)
    page.locator("#whatif-result button[data-whatif-copy]").click()
    expect(page.locator("#whatif-copy-status")).to_have_text("Command copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == command
    # The page's own figures above are untouched: a what-if changes nothing.
    expect(page.locator("#stat-cross-zone")).to_have_text(
        fmt.pct(answer["before"]["crossZoneFraction"])
    )
    screenshots(page, "whatif-prefer-same-zone")

    page.get_by_role("button", name="Reset").click()
    expect(page.locator("#whatif-result")).to_be_hidden()
    assert policy.input_value() == "keep"


def test_replicas_for_one_zone(page, web_server, editor, shop):
    open_service(page, web_server, editor)
    replicas = zone_input(page, "replicas", "us-east-1c")
    # Labelled with its zone, for a screen reader with what it counts.
    assert replicas.evaluate("el => el.labels[0].textContent") == "Ready endpoints in us-east-1c"
    replicas.fill("3")
    sent = submit(page)
    wait_for_answer(page)
    assert sent == {"replicasPerZone": {"us-east-1c": 3}, "snapshot": latest_seq(shop)}
    answer = what_if(editor, sent)
    assert shown_figures(page) == expected_figures(answer)
    assert page.locator("#whatif-changes li").all_inner_texts() == answer["changes"]
    assert any("us-east-1c" in line for line in answer["changes"])
    # No kubectl command for endpoints: which zone needs how many, in words.
    assert page.locator("#whatif-command").count() == 0
    assert page.locator("#whatif-apply-replicas li").all_inner_texts() == [
        "us-east-1c: 3 ready endpoints"
    ]
    screenshots(page, "whatif-replicas")


def test_auto_with_cpu_and_local_policy(page, web_server, editor, shop):
    """payments declares Auto: PreferSameZone removes the annotation too, and the command says so;
    CPU per zone and internalTrafficPolicy go in the same body."""
    open_service(page, web_server, editor, name="payments")
    assert (
        "topology-mode annotation: Auto (now)" in page.get_by_label("Topology policy").inner_text()
    )
    page.get_by_label("Topology policy").select_option("PreferSameZone")
    page.get_by_label("internalTrafficPolicy").select_option("Local")
    zone_input(page, "cpu", "us-east-1a").fill(" 24000m ")
    sent = submit(page)
    wait_for_answer(page)
    assert sent == {
        "trafficDistribution": "PreferSameZone",
        "topologyMode": None,
        "internalTrafficPolicy": "Local",
        "cpuPerZone": {"us-east-1a": "24000m"},
        "snapshot": latest_seq(shop),
    }
    answer = what_if(editor, sent, name="payments")
    assert shown_figures(page) == expected_figures(answer)
    assert page.locator("#whatif-changes li").all_inner_texts() == answer["changes"]
    patch = {
        "metadata": {
            "annotations": {
                "service.kubernetes.io/topology-mode": None,
                "service.kubernetes.io/topology-aware-hints": None,
            }
        },
        "spec": {"trafficDistribution": "PreferSameZone", "internalTrafficPolicy": "Local"},
    }
    command = kubectl_patch_service("shop", "payments", json.dumps(patch, separators=(",", ":")))
    assert page.locator("#whatif-command").inner_text() == command
    assert page.locator("#whatif-apply-cpu li").all_inner_texts() == ["us-east-1a: 24000m CPU"]


@pytest.mark.http_error_page
def test_the_apis_field_errors_are_shown_beside_their_fields(page, web_server, editor, shop):
    open_service(page, web_server, editor)
    body = {"replicasPerZone": {"us-east-1a": -1}, "cpuPerZone": {"us-east-1b": "lots"}}
    refused = what_if(editor, {**body, "snapshot": latest_seq(shop)}, status=400)["error"]
    zone_input(page, "replicas", "us-east-1a").fill("-1")
    zone_input(page, "cpu", "us-east-1b").fill("lots")
    assert submit(page) == {**body, "snapshot": latest_seq(shop)}
    replicas = zone_input(page, "replicas", "us-east-1a")
    error = page.locator(f"#{replicas.get_attribute('id')}-error")
    expect(error).to_have_text(refused["details"]["replicasPerZone"]["us-east-1a"][0])
    expect(replicas).to_have_attribute("aria-invalid", "true")
    cpu = zone_input(page, "cpu", "us-east-1b")
    cpu_error = page.locator(f"#{cpu.get_attribute('id')}-error")
    expect(cpu_error).to_have_text(refused["details"]["cpuPerZone"]["us-east-1b"][0])
    # Each message is announced with its own field.
    assert f"{replicas.get_attribute('id')}-error" in replicas.get_attribute("aria-describedby")
    expect(page.locator("#whatif-status")).to_have_text("Not tried: fix the fields marked.")
    expect(page.locator("#whatif-result")).to_be_hidden()
    screenshots(page, "whatif-field-error")

    # Too many for the API: its limit, beside the field; a number the browser cannot read is
    # refused before anything is sent.
    zone_input(page, "cpu", "us-east-1b").fill("")
    replicas.fill("5000")
    submit(page)
    expect(error).to_contain_text("1000")
    expect(cpu_error).to_be_hidden()
    expect(page.locator("#whatif-status")).to_have_text("Not tried: fix the field marked.")
    assert all("status of 400" in e for e in page.console_errors), page.console_errors
    page.console_errors.clear()


def test_nothing_to_try_sends_nothing(page, web_server, editor, shop):
    open_service(page, web_server, editor)
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/what-if/" in r.url else None)
    page.get_by_label("Topology policy").select_option("none")  # what catalog has already
    page.get_by_role("button", name="Try it").click()
    expect(page.locator("#whatif-status")).to_contain_text("Nothing to try")
    assert requests == []


@pytest.mark.http_error_page
def test_a_403_is_shown_in_the_status_line(page, web_server, editor, shop):
    open_service(page, web_server, editor)
    # The editor loses the role while the page is open.
    editor.groups.set([Group.objects.get_or_create(name="viewer")[0]])
    page.get_by_label("Topology policy").select_option("PreferSameNode")
    submit(page)
    refused = what_if(editor, {"trafficDistribution": "PreferSameNode"}, status=403)["error"]
    status = page.locator("#whatif-status")
    expect(status).to_have_text(f"Not tried: {refused['message']}")
    expect(status).to_have_class("status status--error")
    expect(page.locator("#whatif-result")).to_be_hidden()
    screenshots(page, "whatif-403")
    assert all("status of 403" in e for e in page.console_errors), page.console_errors
    page.console_errors.clear()


def test_a_network_failure_is_shown_in_the_status_line(page, web_server, editor, shop):
    open_service(page, web_server, editor)
    page.route("**/what-if/", lambda route: route.abort())
    page.get_by_label("Topology policy").select_option("PreferSameNode")
    page.get_by_role("button", name="Try it").click()
    expect(page.locator("#whatif-status")).to_have_text(
        "Not tried: The server cannot be reached; check the connection and try again."
    )
    page.console_errors.clear()  # chromium reports the aborted request


def test_viewers_get_a_note_not_the_form(page, web_server, viewer, shop):
    open_service(page, web_server, viewer)
    assert page.locator("#whatif-form").count() == 0
    expect(page.locator("#whatif-viewer-note")).to_have_text(
        "Editors and admins of this cluster can try a change to this Service here and see what it"
        " would do."
    )
    expect(page.get_by_role("heading", name="What if…")).to_be_visible()
    screenshots(page, "whatif-viewer")


def test_fill_what_if_sets_the_controls(page, web_server, editor, shop):
    open_service(page, web_server, editor)
    page.wait_for_selector("#whatif-form[data-ready]")
    zone_input(page, "cpu", "us-east-1c").fill("99")  # reset by filling
    missed = page.evaluate(
        "async (changes) => (await (" + IMPORT_PANEL + ")()).fillWhatIf(changes)",
        {
            "trafficDistribution": "PreferSameNode",
            "internalTrafficPolicy": "Local",
            "replicasPerZone": {"us-east-1b": 2, "eu-west-9z": 1},
            "cpuPerZone": {"us-east-1a": "8000m"},
        },
    )
    assert missed == ["replicasPerZone.eu-west-9z"]
    assert page.get_by_label("Topology policy").input_value() == "PreferSameNode"
    assert page.get_by_label("internalTrafficPolicy").input_value() == "Local"
    assert zone_input(page, "replicas", "us-east-1b").input_value() == "2"
    assert zone_input(page, "replicas", "us-east-1a").input_value() == ""
    assert zone_input(page, "cpu", "us-east-1a").input_value() == "8000m"
    assert zone_input(page, "cpu", "us-east-1c").input_value() == ""
    # Auto, and a removal, map back onto the list.
    fill = "async (changes) => (await (" + IMPORT_PANEL + ")()).fillWhatIf(changes)"
    assert page.evaluate(fill, {"topologyMode": "Auto"}) == []
    assert page.get_by_label("Topology policy").input_value() == "Auto"
    assert page.evaluate(fill, {"trafficDistribution": None}) == []
    assert page.get_by_label("Topology policy").input_value() == "none"
    assert page.evaluate(fill, {"trafficDistribution": "Sideways"}) == ["trafficDistribution"]
    # What a "try it" button would do: fill, then ask.
    with page.expect_request(lambda r: r.url.endswith("/what-if/")) as request:
        page.evaluate(
            "async (c) => { const m = await (" + IMPORT_PANEL + ")(); m.fillWhatIf(c);"
            " return m.submitWhatIf(); }",
            {"replicasPerZone": {"us-east-1b": 2}},
        )
    assert request.value.post_data_json == {
        "replicasPerZone": {"us-east-1b": 2},
        "snapshot": latest_seq(shop),
    }
    wait_for_answer(page)


def test_an_annotation_removed_leaves_the_services_own_field(page, web_server, editor, shop):
    """migrate-annotation's body ({"topologyMode": null}) fills the policy the Service's
    trafficDistribution gives once no annotation decides instead (cart), and
    "none" for a Service without the field (catalog)."""
    fill = "async (changes) => (await (" + IMPORT_PANEL + ")()).fillWhatIf(changes)"
    open_service(page, web_server, editor, name="cart")
    page.wait_for_selector("#whatif-form[data-ready]")
    assert page.evaluate(fill, {"topologyMode": None}) == []
    # (the fixture's second snapshot turned cart's PreferClose into PreferSameNode)
    assert page.get_by_label("Topology policy").input_value() == "PreferSameNode"
    page.goto(web_server.url + reverse("service", args=["shop", "shop", "catalog"]))
    page.wait_for_selector("body[data-service-ready]")
    page.wait_for_selector("#whatif-form[data-ready]")
    assert page.evaluate(fill, {"topologyMode": None}) == []
    assert page.get_by_label("Topology policy").input_value() == "none"


def test_a_new_snapshot_is_where_the_next_question_starts(page, web_server, editor, shop):
    open_service(page, web_server, editor)
    typed = zone_input(page, "replicas", "us-east-1b")
    typed.fill("4")
    typed.focus()
    snapshot = import_dump(shop, demo_with_checkout_hinted())
    page.evaluate(
        "seq => document.dispatchEvent(new CustomEvent('tl:snapshot', "
        "{detail: {cluster: 'shop', seq}}))",
        snapshot.seq,
    )
    page.wait_for_selector(f'body[data-service-seq="{snapshot.seq}"]')
    expect(page.locator("#whatif-seq")).to_have_text(str(snapshot.seq))
    # The same zones: the input is the same one, with what was typed and the focus.
    assert typed.input_value() == "4"
    assert page.evaluate("document.activeElement.dataset.zone") == "us-east-1b"
    sent = submit(page)
    assert sent == {"replicasPerZone": {"us-east-1b": 4}, "snapshot": snapshot.seq}
    wait_for_answer(page)
    assert shown_figures(page) == expected_figures(what_if(editor, sent))


def test_a_phone_keeps_to_its_width(page, web_server, editor, shop):
    page.set_viewport_size({"width": 390, "height": 844})
    open_service(page, web_server, editor, name="payments")
    width = "() => document.documentElement.scrollWidth"
    assert page.evaluate(width) <= 390
    # The zone inputs stack: one under another, each as wide as its fieldset allows.
    boxes = [
        zone_input(page, "replicas", z).bounding_box()
        for z in ("us-east-1a", "us-east-1b", "us-east-1c")
    ]
    assert boxes[0]["x"] == boxes[1]["x"] == boxes[2]["x"]
    assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]
    screenshots(page, "whatif-narrow-form")
    page.get_by_label("Topology policy").select_option("PreferSameZone")
    zone_input(page, "replicas", "us-east-1b").fill("2")
    submit(page)
    wait_for_answer(page)
    page.wait_for_timeout(300)
    assert page.evaluate(width) <= 390, audit.overflow(page)
    assert audit.unnamed_controls(page) == []
    assert audit.unnamed_charts(page) == []
    assert audit.table_problems(page) == []
    screenshots(page, "whatif-narrow-answer")


def test_keyboard_only(page, web_server, editor, shop):
    open_service(page, web_server, editor)
    page.locator("#whatif-policy").focus()
    page.keyboard.press("End")  # the last choice: Auto
    assert page.locator("#whatif-policy").input_value() == "Auto"
    stops = []
    for _ in range(4):
        page.keyboard.press("Tab")
        focus = audit.active_focus(page)
        assert focus["visible"], focus
        stops.append(page.evaluate("document.activeElement.id"))
    # internalTrafficPolicy, then the first zone's inputs in order.
    assert stops == ["whatif-itp", "whatif-replicas-0", "whatif-replicas-1", "whatif-replicas-2"]
    page.keyboard.type("2")
    page.keyboard.press("Enter")  # submits the form
    wait_for_answer(page)
    page.locator("#whatif-result button[data-whatif-copy]").focus()
    assert audit.active_focus(page)["visible"]


# --- hostile names ------------------------------------------------------------------------------


@pytest.fixture
def intruder(transactional_db):
    from django.contrib.auth.models import User

    ensure_roles()
    return User.objects.create_superuser(hostile.USERNAME, password=PASSWORD)


def test_hostile_names_stay_text(page, web_server, intruder):
    cluster = hostile.hostile_cluster(intruder)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    namespace, name = hostile.NAMESPACES["shop"], hostile.SERVICES["checkout"]
    page.goto(f"{web_server.url}/accounts/login/")
    page.get_by_label("User name").fill(intruder.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{web_server.url}/")
    page.goto(web_server.url + reverse("service", args=[cluster.name, namespace, name]))
    page.wait_for_selector("body[data-service-ready]")
    zones = sorted(hostile.ZONES.values())
    labels = page.locator("#whatif-replicas-zones label").evaluate_all(
        "els => els.map(e => e.textContent)"
    )
    assert sorted(labels) == [f"Ready endpoints in {zone}" for zone in zones]
    zone = hostile.ZONES["us-east-1b"]
    page.get_by_label("Topology policy").select_option("PreferSameZone")
    zone_input(page, "replicas", zone).fill("2")
    sent = submit(page)
    wait_for_answer(page)
    assert sent["replicasPerZone"] == {zone: 2}
    answer = what_if(intruder, sent, cluster=cluster.name, namespace=namespace, name=name)
    assert page.locator("#whatif-changes li").all_inner_texts() == answer["changes"]
    assert page.locator("#whatif-apply-replicas li").all_inner_texts() == [
        f"{zone}: 2 ready endpoints"
    ]
    command = page.locator("#whatif-command").inner_text()
    patch = next(
        arg for arg in shlex.split(command) if arg.startswith("{")
    )  # the shell gives back the names and the patch whole
    assert shlex.split(command) == [
        "kubectl",
        "-n",
        namespace,
        "patch",
        "service",
        name,
        "--type",
        "merge",
        "-p",
        patch,
    ]
    assert json.loads(patch)["spec"]["trafficDistribution"] == "PreferSameZone"
    assert dialogs == []
    assert page.evaluate(INJECTED) == []
    screenshots(page, "whatif-hostile")
    # Long hostile zone names wrap inside a phone's width too.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, audit.overflow(page)
    screenshots(page, "whatif-hostile-narrow")
