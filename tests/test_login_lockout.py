"""Brute force on the sign-in forms (/accounts/login/ and /admin/login/): django-axes locks a user
name from one address after TRAFFICLENS_LOGIN_FAILURE_LIMIT failures; other addresses and other
users go on; `manage.py axes_reset_*` and the admin unlock."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

FORMS = ["/accounts/login/", "/admin/login/"]
PASSWORD = "right-horse-battery-staple"
ATTACKER = "203.0.113.5"
ELSEWHERE = "198.51.100.7"
LOCKED = "Too many failed sign-ins"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hundreds of sign-ins: a fast hasher (the lockout does not depend on it)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice():
    return User.objects.create_superuser("alice", password=PASSWORD)  # admin needs staff


@pytest.fixture
def bob():
    return User.objects.create_superuser("bob", password=PASSWORD)


def _sign_in(form: str, username: str, password: str, address: str, **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    response = client.post(form, {"username": username, "password": password})
    return response, client


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _fail(form: str, username: str, times: int, address: str = ATTACKER, **headers) -> list:
    return [
        _sign_in(form, username, f"wrong-{i}", address, **headers)[0].status_code
        for i in range(times)
    ]


@pytest.mark.parametrize("form", FORMS)
def test_ten_wrong_passwords_then_the_right_one_is_refused(form, alice, settings):
    assert settings.AXES_FAILURE_LIMIT == 10
    statuses = _fail(form, "alice", 10)
    assert statuses[:9] == [200] * 9  # the form again, with its error
    assert statuses[9] == 429  # the tenth failure locks
    response, client = _sign_in(form, "alice", PASSWORD, ATTACKER)
    assert response.status_code == 429
    assert not _signed_in(client)
    html = response.content.decode()
    assert LOCKED in html and "15 minutes" in html
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert response["Retry-After"] == "900"


@pytest.mark.parametrize("form", FORMS)
def test_the_lock_holds_only_that_user_from_that_address(form, alice, bob):
    _fail(form, "alice", 10)
    # Another address: the owner signs in (an attacker cannot lock a user out everywhere).
    response, client = _sign_in(form, "alice", PASSWORD, ELSEWHERE)
    assert response.status_code == 302 and _signed_in(client)
    # Another user from the attacker's address is not locked by alice's failures.
    response, client = _sign_in(form, "bob", PASSWORD, ATTACKER)
    assert response.status_code == 302 and _signed_in(client)


def test_one_address_spraying_many_users_is_locked_out(alice, bob, settings):
    settings.TRAFFICLENS_LOGIN_ADDRESS_FAILURE_LIMIT = 30
    statuses = []
    for i in range(10):  # 3 tries for each of 10 names: under the per-user limit every time
        statuses += _fail("/accounts/login/", f"user{i}", 3)
    assert statuses == [200] * 29 + [429]  # the address's 30th failure locks it
    response, client = _sign_in("/accounts/login/", "bob", PASSWORD, ATTACKER)
    assert response.status_code == 429 and not _signed_in(client)
    response, client = _sign_in("/accounts/login/", "bob", PASSWORD, ELSEWHERE)
    assert response.status_code == 302 and _signed_in(client)


@pytest.mark.parametrize(
    "command",
    [
        ["axes_reset_username", "alice"],
        ["axes_reset_ip", ATTACKER],
        ["axes_reset_ip_username", ATTACKER, "alice"],
        ["axes_reset"],
    ],
)
def test_axes_reset_unlocks(alice, command):
    _fail("/accounts/login/", "alice", 10)
    assert _sign_in("/accounts/login/", "alice", PASSWORD, ATTACKER)[0].status_code == 429
    call_command(*command)
    response, client = _sign_in("/accounts/login/", "alice", PASSWORD, ATTACKER)
    assert response.status_code == 302 and _signed_in(client)


def test_an_admin_unlocks_in_the_admin(alice, bob):
    from axes.models import AccessAttempt

    _fail("/accounts/login/", "alice", 10)
    attempt = AccessAttempt.objects.get(username="alice")
    admin = Client()
    admin.force_login(bob)
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and ATTACKER in listing.content.decode()
    url = f"/admin/axes/accessattempt/{attempt.pk}/delete/"
    assert admin.post(url, {"post": "yes"}).status_code == 302
    response, client = _sign_in("/accounts/login/", "alice", PASSWORD, ATTACKER)
    assert response.status_code == 302 and _signed_in(client)


def test_a_forged_forwarded_for_does_not_escape_the_lock_by_default(alice):
    for i in range(10):
        _fail("/accounts/login/", "alice", 1, HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    response, _ = _sign_in(
        "/accounts/login/", "alice", PASSWORD, ATTACKER, HTTP_X_FORWARDED_FOR="10.9.9.9"
    )
    assert response.status_code == 429


def test_behind_one_trusted_proxy_the_forwarded_address_is_the_client(alice, settings):
    settings.TRAFFICLENS_TRUSTED_PROXIES = 1
    proxy = "172.18.0.5"  # every request arrives from the proxy
    # The proxy appends the address it saw; what the client wrote before it is ignored.
    for i in range(10):
        _fail("/accounts/login/", "alice", 1, proxy, HTTP_X_FORWARDED_FOR=f"10.0.0.{i}, {ATTACKER}")
    locked, _ = _sign_in(
        "/accounts/login/", "alice", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ATTACKER
    )
    assert locked.status_code == 429
    response, client = _sign_in(
        "/accounts/login/", "alice", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE
    )
    assert response.status_code == 302 and _signed_in(client)


def test_a_success_clears_that_users_failures_from_that_address(alice):
    _fail("/accounts/login/", "alice", 9)
    assert _sign_in("/accounts/login/", "alice", PASSWORD, ATTACKER)[0].status_code == 302
    assert _fail("/accounts/login/", "alice", 9) == [200] * 9  # a fresh count: not locked
