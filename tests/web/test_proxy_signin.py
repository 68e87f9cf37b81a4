"""Through compose's nginx (deploy/nginx.conf) on a port other than 80, with production
settings (DEBUG off, collected static files): a real browser signs in, uploads a dump and
follows the API's Location. Regression: `Host $host` dropped the port, so Django's CSRF origin
check refused every browser POST and absolute links lost the port."""

import pytest

from routing.models import Snapshot
from tests.factories import DEMO_DUMP
from tests.stack import ProductionStack, collect_static, compose_service
from tests.web.conftest import PASSWORD, screenshot
from tests.web.server import current_database_url

SECRET_KEY = "proxy-test-only-" + "s" * 40


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    collect_static({"DEBUG": "false", "SECRET_KEY": SECRET_KEY, "STATIC_ROOT": str(root)})
    return root


@pytest.fixture
def stack(tmp_path, static_root, transactional_db):
    env = {
        "DATABASE_URL": current_database_url(),
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "STATIC_ROOT": str(static_root),
        "TRUST_PROXY_HEADERS": compose_service("web")["environment"]["TRUST_PROXY_HEADERS"],
    }
    with ProductionStack(tmp_path, env) as running:
        assert running.port != 80
        yield running


# `stack` before `page`: the page closes before the servers stop (fixtures end in reverse).
def test_browser_signs_in_uploads_and_follows_location_through_the_proxy(stack, page, editor, shop):
    page.goto(f"{stack.url}/clusters/shop/")
    page.wait_for_url(f"{stack.url}/accounts/login/?next=/clusters/shop/")
    page.get_by_label("User name").fill(editor.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # The sign-in POST passed the CSRF origin check and the redirect kept the proxy's port.
    page.wait_for_url(f"{stack.url}/clusters/shop/")
    assert page.locator("h1").inner_text()

    before = Snapshot.objects.filter(cluster=shop).count()
    page.goto(f"{stack.url}/upload/")
    page.get_by_label("Cluster to add the snapshot to").select_option("shop")
    page.get_by_label("File (JSON or YAML)").set_input_files(str(DEMO_DUMP))
    page.get_by_role("button", name="Upload and analyse").click()
    page.locator("#result .banner--success").wait_for()
    assert Snapshot.objects.filter(cluster=shop).count() == before + 1
    screenshot(page, "proxy-upload-done")

    # The API's answer to an upload names the new snapshot in Location: absolute, with the port.
    answer = page.evaluate(
        """async (dump) => {
            const token = document.cookie.match(/(?:^|;\\s*)csrftoken=([^;]+)/)[1];
            const response = await fetch("/api/v1/clusters/shop/snapshots/", {
                method: "POST",
                headers: {"Content-Type": "application/json", "X-CSRFToken": token},
                body: dump,
            });
            return {status: response.status, location: response.headers.get("Location")};
        }""",
        DEMO_DUMP.read_text(),
    )
    assert answer["status"] == 201, answer
    latest = shop.latest_snapshot()
    assert answer["location"] == f"{stack.url}/api/v1/clusters/shop/snapshots/{latest.seq}/"
    followed = page.evaluate(
        """async (url) => {
            const response = await fetch(url, {headers: {Accept: "application/json"}});
            return {status: response.status, body: await response.json()};
        }""",
        answer["location"],
    )
    assert followed["status"] == 200, followed
    assert followed["body"]["seq"] == latest.seq
