"""Upload page: a dump becomes a snapshot (with a link to it); a bad one shows the API's message
and stores nothing; admins may create the cluster; viewers are refused."""

import pytest
from django.test import Client

from routing.models import Cluster, Snapshot
from routing.snapshots.intake import DUMP_COMMAND
from tests.factories import DEMO_DUMP
from tests.web.conftest import screenshot, sign_in


def test_upload_of_the_demo_dump_to_an_existing_cluster(page, web_server, editor, shop):
    Cluster.objects.create(name="prod", source="kubeconfig")  # watched: not offered to editors
    sign_in(page, web_server, editor, "/upload/")
    options = page.locator("#cluster-select option").evaluate_all("els => els.map(e => e.value)")
    assert options == ["shop"]
    assert page.get_by_role("radio").count() == 0  # editors cannot create clusters
    command = page.locator("#command").inner_text()
    assert command == f"{DUMP_COMMAND} > dump.json"
    screenshot(page, "upload")

    page.get_by_label("Cluster to add the snapshot to").select_option("shop")
    page.get_by_label("File (JSON or YAML)").set_input_files(str(DEMO_DUMP))
    page.get_by_role("button", name="Upload and analyse").click()
    success = page.locator("#result .banner--success")
    success.wait_for()
    assert Snapshot.objects.filter(cluster=shop).count() == 3
    latest = shop.latest_snapshot()
    assert latest.source == "upload"
    assert f"Snapshot {latest.seq} of shop is stored." in success.inner_text()
    assert f"{latest.services} Services" in success.inner_text()
    assert success.get_by_role("link", name="Open shop").get_attribute("href") == "/clusters/shop/"
    assert success.get_by_role("link", name="See it on the timeline").get_attribute("href") == (
        "/clusters/shop/timeline/"
    )
    screenshot(page, "upload-done")


def _only_refused_requests(page, status=400):
    """Chromium logs every 4xx answer as a console error; allow those and nothing else."""
    assert page.console_errors, "the API's refusal should have been logged"
    assert all(f"status of {status}" in e for e in page.console_errors), page.console_errors


@pytest.mark.http_error_page
def test_a_malformed_dump_shows_the_apis_message_and_stores_nothing(
    page, web_server, editor, shop, tmp_path
):
    bad = tmp_path / "broken.json"
    bad.write_text('{"kind": "List", "items": [')
    client = Client()
    client.force_login(editor)
    with bad.open("rb") as f:
        expected = client.post("/api/v1/clusters/shop/snapshots/", {"file": f}).json()["error"]
    assert expected["code"] == "invalid_dump"

    sign_in(page, web_server, editor, "/upload/")
    page.get_by_label("File (JSON or YAML)").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and analyse").click()
    alert = page.locator("#result [role=alert]")
    alert.wait_for()
    assert alert.locator(".api-message").inner_text() == expected["message"]
    assert "nothing was stored" in alert.inner_text()
    assert Snapshot.objects.filter(cluster=shop).count() == 2
    screenshot(page, "upload-error")

    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"kind": "List", "items": "nope"}')
    with wrong.open("rb") as f:
        expected = client.post("/api/v1/clusters/shop/snapshots/", {"file": f}).json()["error"]
    assert expected["message"] == "wrong.json: top level: items is a string, not a list"
    page.get_by_label("File (JSON or YAML)").set_input_files(str(wrong))
    page.get_by_role("button", name="Upload and analyse").click()
    page.wait_for_function(
        "() => document.querySelector('#result .api-message')?.textContent.includes('wrong.json')"
    )
    assert alert.locator(".api-message").inner_text() == expected["message"]
    assert Snapshot.objects.filter(cluster=shop).count() == 2
    _only_refused_requests(page)


def test_without_a_file_the_form_says_so(page, web_server, editor, shop):
    sign_in(page, web_server, editor, "/upload/")
    page.get_by_role("button", name="Upload and analyse").click()
    error = page.locator("#file-error")
    assert error.inner_text() == "Choose the dump file to upload."
    assert page.get_by_label("File (JSON or YAML)").get_attribute("aria-invalid") == "true"


def _opacity(page, selector: str) -> float:
    return float(page.locator(selector).evaluate("el => getComputedStyle(el).opacity"))


def test_the_file_picker_is_styled_labelled_and_keyboard_usable(page, web_server, editor, shop):
    sign_in(page, web_server, editor, "/upload/")
    picker = page.get_by_label("File (JSON or YAML)")
    assert picker.get_attribute("type") == "file"  # still the real input, named by its label
    assert page.locator("#file-name").inner_text() == "No file chosen"
    # The input lies over the styled button, so a click on the button reaches it.
    button = page.locator(".file-picker__button")
    assert button.inner_text() == "Choose a file…"
    hit = button.evaluate(
        "b => { const r = b.getBoundingClientRect();"
        " return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2).id; }"
    )
    assert hit == "dump-file"
    # Tab reaches it after the cluster list, with a visible ring round the button.
    page.get_by_label("Cluster to add the snapshot to").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "dump-file"
    ring = page.locator(".file-picker__control").evaluate("el => getComputedStyle(el).outlineStyle")
    assert ring == "solid"
    # The chosen file's name and size show beside the button.
    picker.set_input_files(str(DEMO_DUMP))
    size = DEMO_DUMP.stat().st_size
    shown = f"{size / 1024:.1f} KB" if 1024 <= size < 1024**2 else None
    assert shown is not None  # the demo dump is some KB
    assert page.locator("#file-name").inner_text() == f"{DEMO_DUMP.name} · {shown}"
    assert page.locator("#file-name").get_attribute("data-empty") is None
    screenshot(page, "upload-file-chosen")


@pytest.mark.http_error_page
def test_an_admin_creates_a_cluster_with_its_first_upload(page, web_server, admin_user, shop):
    Cluster.objects.create(name="prod", source="kubeconfig")
    sign_in(page, web_server, admin_user, "/upload/")
    options = page.locator("#cluster-select option").evaluate_all("els => els.map(e => e.value)")
    assert options == ["shop", "prod"]  # upload-only clusters first
    # "An existing cluster" is chosen: the new cluster's fields are disabled and look it.
    assert page.get_by_label("An existing cluster").is_checked()
    assert page.get_by_label("Name", exact=True).is_disabled()
    assert page.get_by_label("Display name").is_disabled()
    assert _opacity(page, "#new-body") < 1 and _opacity(page, "#existing-body") == 1
    page.get_by_label("A new cluster").check()
    assert page.locator("#cluster-select").is_disabled()
    assert page.get_by_label("Name", exact=True).is_enabled()
    assert page.get_by_label("Display name").is_enabled()
    assert _opacity(page, "#new-body") == 1 and _opacity(page, "#existing-body") < 1
    page.get_by_label("Name", exact=True).fill("shop")
    page.get_by_label("File (JSON or YAML)").set_input_files(str(DEMO_DUMP))
    page.get_by_role("button", name="Upload and analyse").click()
    page.locator("#new-name-error").wait_for()
    assert (
        page.locator("#new-name-error").inner_text() == "A cluster with this name already exists."
    )
    assert Snapshot.objects.filter(cluster=shop).count() == 2

    page.get_by_label("Name", exact=True).fill("staging")
    page.get_by_label("Display name").fill("Staging")
    page.get_by_role("button", name="Upload and analyse").click()
    page.locator("#result .banner--success").wait_for()
    created = Cluster.objects.get(name="staging")
    assert (created.source, created.display_name) == ("upload", "Staging")
    assert created.latest_snapshot().seq == 1
    assert page.locator("#cluster-select").input_value() == "staging"
    _only_refused_requests(page)  # the refused name


@pytest.mark.http_error_page
def test_a_viewer_is_refused(page, web_server, viewer):
    sign_in(page, web_server, viewer, "/upload/")
    assert page.get_by_role("heading", name="You cannot see this page").is_visible()
    assert "editor" in page.locator("main").inner_text()


def test_upload_in_a_narrow_window(page, web_server, editor, shop):
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, web_server, editor, "/upload/")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(page, "upload-narrow")
