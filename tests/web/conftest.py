"""Browser tests: Playwright driving Debian's chromium against the product in a subprocess.

Every test gets a fresh browser context; console errors and uncaught exceptions fail the test.
Screenshots go to build/test-screenshots/ (git ignores build/): look at them.
"""

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from routing.models import Cluster
from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP, PASSWORD, ensure_roles, user_with_role
from tests.web.server import ROOT, start_daphne

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SCREENSHOTS = ROOT / "build" / "test-screenshots"


# Per module, not per session: while Playwright runs, its event loop occupies the main thread,
# and Django refuses database calls there in whatever tests would run next.
@pytest.fixture(scope="module")
def browser(django_db_setup):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def web_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """Daphne serving the ASGI app from the test database, for the whole session."""
    with django_db_blocker.unblock():
        server = start_daphne(tmp_path_factory.mktemp("daphne"))
    yield server
    server.stop()


class LiveRelay:
    """The page's live sockets, passed through the test (Playwright's route_web_socket) to the
    server and back, for a test that writes a snapshot in this process and expects the open
    page to follow it.

    With a channel layer both processes share (Redis: CI) the server hears of the snapshot and
    pushes it. The in-memory layer (`make test` without REDIS_URL) is this process's alone:
    the server never hears of it there, so `written()` drops the page's socket, and the page
    learns of the snapshot from the server's hello on reconnecting, as after any lost
    connection (live.js)."""

    def __init__(self, page) -> None:
        self.sockets: list = []
        page.route_web_socket(re.compile(r"/ws/"), self._through)

    def _through(self, ws) -> None:
        ws.connect_to_server()
        self.sockets.append(ws)

    @staticmethod
    def shared() -> bool:
        return "redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"].lower()

    def written(self) -> None:
        """A snapshot was committed in this process: make sure the page can hear of it."""
        if not self.shared():
            assert self.sockets, "the page opened no live socket"
            self.sockets[-1].close()


@pytest.fixture
def live_relay(page):
    """Set up before the test's first navigation (fixtures run before its body)."""
    return LiveRelay(page)


class ConsoleErrors(list):
    def check(self) -> None:
        assert not self, "browser console errors:\n" + "\n".join(self)


@pytest.fixture
def page(browser, request, transactional_db):
    """A page in a fresh context (desktop size) that records console errors and page errors.

    It asks for the database so that it is closed before the database is emptied: a page left
    open would refresh itself with a session that no longer exists (a 401 in its console).
    """
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors = ConsoleErrors()
    page.on("console", lambda m: m.type == "error" and errors.append(f"{page.url}: {m.text}"))
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    page.console_errors = errors
    yield page
    page.goto("about:blank")
    context.close()
    if request.node.get_closest_marker("http_error_page") is None:
        errors.check()  # an error page's own status is reported by chromium as a console error


def api_json(user, path: str, **params) -> dict:
    """What the API answers `user` for GET `path` (read in this process, as the page would)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return response.json()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as build/test-screenshots/<name>.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def viewer(transactional_db):
    return user_with_role("vera", "viewer")


@pytest.fixture
def editor(transactional_db):
    return user_with_role("eddie", "editor")


@pytest.fixture
def admin_user(transactional_db):
    ensure_roles()
    return User.objects.create_superuser("ada", password=PASSWORD)


def sign_in(page, server, user, next_path: str = "/") -> None:
    page.goto(f"{server.url}/accounts/login/?next={next_path}")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}{next_path}")


@pytest.fixture
def shop(transactional_db):
    """Cluster `shop` with two snapshots of the demo dump, the second with one policy changed."""
    cluster = Cluster.objects.create(name="shop", display_name="Demo shop", source="upload")
    import_dump(cluster, DEMO_DUMP.read_bytes())
    changed = DEMO_DUMP.read_text().replace('"PreferClose"', '"PreferSameNode"', 1)
    import_dump(cluster, changed.encode())
    return cluster


@pytest.fixture(autouse=True)
def _database_beside_playwright(monkeypatch):
    """Playwright's sync API keeps an event loop running in the main thread, which Django takes
    for an async context and refuses database calls in; these tests are synchronous."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots():
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    yield
