"""Sign-in: every page needs it; a wrong password says so; signing out ends the session."""

import pytest

from tests.web.conftest import PASSWORD, screenshot, sign_in

PAGES = [
    "/",
    "/upload/",
    "/clusters/shop/",
    "/clusters/shop/services/",
    "/clusters/shop/services/shop/checkout/",
    "/clusters/shop/timeline/",
    "/clusters/shop/recommendations/",
    "/clusters/shop/settings/",
]


@pytest.mark.parametrize("path", PAGES)
def test_an_unauthenticated_visit_is_sent_to_sign_in(page, web_server, shop, path):
    page.goto(web_server.url + path)
    assert page.url.startswith(f"{web_server.url}/accounts/login/?next=")
    assert page.get_by_role("heading", name="Sign in").is_visible()


def test_sign_in_then_sign_out(page, web_server, viewer):
    page.goto(f"{web_server.url}/accounts/login/")
    screenshot(page, "signin")
    page.get_by_label("User name").fill(viewer.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("That user name and password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{web_server.url}/")
    assert page.get_by_text(viewer.username).is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{web_server.url}/")
    assert "/accounts/login/" in page.url


@pytest.mark.http_error_page
def test_a_user_without_a_role_is_refused_politely(page, web_server, transactional_db):
    from django.contrib.auth.models import User

    user = User.objects.create_user("nobody", password=PASSWORD)
    sign_in(page, web_server, user, "/")
    assert page.get_by_role("heading", name="You cannot see this page").is_visible()
