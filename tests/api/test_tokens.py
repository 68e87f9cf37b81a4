"""API tokens: only a hash is stored; the command and the admin show the token once."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from routing.models import ApiToken, hash_token
from routing.roles import role_of

pytestmark = pytest.mark.django_db


def _create_token(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_command_prints_a_token_that_works_and_stores_only_its_hash(db, make_user):
    user = make_user("viewer", username="ci")
    raw, err = _create_token("ci", "--name", "deploy-check")
    assert err == "" and len(raw) >= 40 and "\n" not in raw
    token = ApiToken.objects.get()
    assert token.user == user and token.name == "deploy-check" and token.expires_at is None
    assert token.key_hash == hash_token(raw) and token.prefix == raw[:8]
    assert raw not in {getattr(token, f.attname) for f in ApiToken._meta.fields}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/clusters/").status_code == 200


def test_command_sets_an_expiry(db, make_user):
    make_user("viewer", username="ci")
    _create_token("ci", "--name", "short", "--expires-days", "3")
    expires = ApiToken.objects.get().expires_at
    assert timedelta(days=2, hours=23) < expires - timezone.now() <= timedelta(days=3)


def test_each_token_is_different(db, make_user):
    make_user("viewer", username="ci")
    assert _create_token("ci", "--name", "a")[0] != _create_token("ci", "--name", "b")[0]


def test_command_warns_about_a_user_without_a_role(db, make_user):
    make_user(None, username="loner")
    raw, err = _create_token("loner", "--name", "x")
    assert raw and "none of the groups" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ghost", "--name", "x"], "no user named 'ghost'"),
        (["ci", "--name", "  "], "--name"),
        (["ci", "--name", "x", "--expires-days", "0"], "--expires-days"),
    ],
)
def test_command_errors(db, make_user, args, message):
    make_user("viewer", username="ci")
    with pytest.raises(CommandError, match=message):
        _create_token(*args)
    assert not ApiToken.objects.exists()


def test_expired_token_is_refused(db, make_user):
    token, raw = ApiToken.objects.issue(
        make_user("admin"), "old", expires_at=timezone.now() - timedelta(minutes=1)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get("/api/v1/clusters/")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Token has expired."


def test_admin_creates_a_token_and_shows_it_once(admin_client, admin_user):
    response = admin_client.post(
        "/admin/routing/apitoken/add/",
        {"user": admin_user.pk, "name": "grafana", "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="grafana")
    shown = [str(m) for m in response.context["messages"]]
    raw = next(m.split(" is ")[1].split(" ")[0] for m in shown if "grafana" in m)
    assert hash_token(raw) == token.key_hash
    page = admin_client.get(f"/admin/routing/apitoken/{token.pk}/change/").content.decode()
    assert token.prefix in page and raw not in page
    assert admin_client.get("/admin/routing/apitoken/").status_code == 200


def test_roles_come_from_groups(db, make_user):
    assert role_of(make_user("viewer")) == "viewer"
    assert role_of(make_user("superuser")) == "admin"
    assert role_of(make_user(None, username="plain")) is None
    both = make_user("viewer", username="both")
    both.groups.add(Group.objects.get(name="editor"))
    assert role_of(both) == "editor"


def test_migration_created_the_role_groups(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {"viewer", "editor", "admin"}
