"""Who may issue, list and revoke whose API tokens: a token acts as its user, so issuing one for
someone is acting as them. Superusers alone may touch superusers' tokens; global admins those
of everyone else; an admin of some clusters only their own."""

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from rest_framework.test import APIClient

from routing.models import ApiToken
from tests.teams import VIAS, two_teams

from .conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(make_user) -> User:
    return make_user("superuser", username="root")


@pytest.fixture
def admin(token_client):
    """A global admin (the admin group) who is not a superuser."""
    return token_client("admin")


def test_an_admin_may_not_issue_a_token_for_a_superuser(admin, root):
    response = admin.post("/api/v1/tokens/", {"name": "escalate", "user": "root"})
    error = assert_error(response, 403, "permission_denied")
    assert "superuser" in error["message"]
    assert not ApiToken.objects.filter(user=root).exists()


def test_an_admin_neither_sees_nor_revokes_a_superusers_tokens(admin, root, make_user):
    theirs, _ = ApiToken.objects.issue(root, "root-ci")
    other, _ = ApiToken.objects.issue(make_user("viewer", username="val"), "val-ci")
    listed = {row["id"] for row in admin.get("/api/v1/tokens/").json()["results"]}
    assert theirs.pk not in listed and other.pk in listed
    assert admin.get("/api/v1/tokens/", {"user": "root"}).json()["count"] == 0
    assert_error(admin.get(f"/api/v1/tokens/{theirs.pk}/"), 404, "not_found")
    assert_error(admin.delete(f"/api/v1/tokens/{theirs.pk}/"), 404, "not_found")
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_an_admin_still_manages_other_users_tokens(admin, make_user):
    make_user("editor", username="ci")
    issued = admin.post("/api/v1/tokens/", {"name": "deploy", "user": "ci"})
    assert issued.status_code == 201, issued.content
    assert admin.get(f"/api/v1/tokens/{issued.json()['id']}/").status_code == 200
    assert admin.delete(f"/api/v1/tokens/{issued.json()['id']}/").status_code == 204


def test_a_superuser_may_manage_another_superusers_tokens(token_client, make_user, root):
    boss = make_user("superuser", username="boss")
    _, raw = ApiToken.objects.issue(boss, "boss-cli")
    client = token_client(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    issued = client.post("/api/v1/tokens/", {"name": "ops", "user": "root"})
    assert issued.status_code == 201, issued.content
    assert issued.json()["user"] == "root"
    listed = client.get("/api/v1/tokens/", {"user": "root"}).json()
    assert listed["count"] == 1
    assert client.delete(f"/api/v1/tokens/{issued.json()['id']}/").status_code == 204


def test_the_django_admin_keeps_staff_away_from_superusers_tokens(root, make_user):
    staff = make_user(None, username="staff")
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_apitoken", "view_apitoken"])
    )
    hidden, _ = ApiToken.objects.issue(root, "root-ci")
    browser = Client()
    browser.force_login(staff)
    listing = browser.get("/admin/routing/apitoken/")
    assert listing.status_code == 200
    assert "root-ci" not in listing.content.decode()
    assert browser.get(f"/admin/routing/apitoken/{hidden.pk}/change/").status_code in (302, 404)
    response = browser.post(
        "/admin/routing/apitoken/add/", {"user": root.pk, "name": "escalate", "expires_at": ""}
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Select a valid choice" in response.content.decode()
    assert not ApiToken.objects.filter(name="escalate").exists()


@pytest.mark.parametrize("via", VIAS)
def test_a_cluster_admin_issues_tokens_for_itself_only(via, make_user):
    teams = two_teams("admin", via, snapshots=False)
    make_user("viewer", username="val")
    _, raw = ApiToken.objects.issue(teams.alice, "cli")
    alice = bearer(raw)
    for name in ("val", "bob"):
        refused = alice.post("/api/v1/tokens/", {"name": "for-someone", "user": name})
        error = assert_error(refused, 403, "permission_denied")
        assert "only for yourself" in error["message"]
    assert not ApiToken.objects.filter(name="for-someone").exists()
    bobs, _ = ApiToken.objects.issue(teams.bob, "bob-ci")
    assert [t["user"] for t in alice.get("/api/v1/tokens/").json()["results"]] == ["alice"]
    assert_error(alice.delete(f"/api/v1/tokens/{bobs.pk}/"), 404, "not_found")
    issued = alice.post("/api/v1/tokens/", {"name": "ci"})
    assert issued.status_code == 201, issued.content
    # The new token acts as alice: her grants, nothing more.
    ci = bearer(issued.json()["token"])
    assert [c["name"] for c in ci.get("/api/v1/clusters/").json()["results"]] == ["a"]
    assert_error(ci.get("/api/v1/clusters/b/"), 404, "not_found")
    assert ci.patch("/api/v1/clusters/a/", {"displayName": "A"}, format="json").status_code == 200
