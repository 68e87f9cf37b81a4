"""Sign-in lockout in a real browser against the ASGI server: the locked page explains itself."""

import pytest
from django.core.management import call_command

from tests.web.conftest import PASSWORD, screenshot


def _submit(page, username: str, password: str) -> None:
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.http_error_page  # the lockout answers 429, which chromium logs as a console error
def test_ten_wrong_passwords_lock_the_form_until_an_admin_resets_it(page, web_server, viewer):
    page.goto(f"{web_server.url}/accounts/login/")
    for i in range(10):
        _submit(page, viewer.username, f"wrong-{i}")
    # The tenth failure is answered with the lockout page.
    assert "Too many failed sign-ins" in page.get_by_role("alert").inner_text()
    page.get_by_role("link", name="Back to sign in").click()
    _submit(page, viewer.username, PASSWORD)
    alert = page.get_by_role("alert").inner_text()
    assert "Too many failed sign-ins" in alert and "15 minutes" in alert
    assert "/accounts/login/" in page.url
    screenshot(page, "signin-locked")
    call_command("axes_reset_username", viewer.username)
    page.goto(f"{web_server.url}/accounts/login/")
    _submit(page, viewer.username, PASSWORD)
    page.wait_for_url(f"{web_server.url}/")
