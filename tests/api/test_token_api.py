"""`/api/v1/tokens/`: admins list, issue and revoke API tokens; the token is shown once only."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from routing.models import ApiToken, hash_token

from .conftest import assert_error

pytestmark = pytest.mark.django_db

FIELDS = {"id", "name", "user", "prefix", "createdAt", "lastUsedAt", "expiresAt", "expired"}


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def admin(token_client):
    return token_client("admin")


def test_an_issued_token_works_and_is_shown_this_once(admin, make_user):
    make_user("viewer", username="grafana")
    response = admin.post("/api/v1/tokens/", {"name": "dashboards", "user": "grafana"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS | {"token"}
    raw = body["token"]
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.key_hash == hash_token(raw) and body["prefix"] == raw[:8] == stored.prefix
    assert (body["name"], body["user"], body["expiresAt"], body["expired"]) == (
        "dashboards",
        "grafana",
        None,
        False,
    )
    assert response["Location"].endswith(f"/api/v1/tokens/{body['id']}/")
    grafana = bearer(raw)
    assert grafana.get("/api/v1/clusters/").status_code == 200  # with grafana's role: viewer
    assert grafana.post("/api/v1/clusters/", {"name": "x", "source": "upload"}).status_code == 403
    # Never again: neither the detail nor the list holds the token or its hash.
    for url in (f"/api/v1/tokens/{body['id']}/", "/api/v1/tokens/"):
        page = admin.get(url)
        assert page.status_code == 200
        assert raw not in page.content.decode() and stored.key_hash not in page.content.decode()
    assert set(admin.get(f"/api/v1/tokens/{body['id']}/").json()) == FIELDS


def test_the_user_defaults_to_the_requester(admin):
    body = admin.post("/api/v1/tokens/", {"name": "mine"}).json()
    assert body["user"] == admin.user.username
    assert ApiToken.objects.get(pk=body["id"]).user == admin.user


def test_a_revoked_token_gets_401(admin, make_user):
    make_user("editor", username="ci")
    issued = admin.post("/api/v1/tokens/", {"name": "deploy", "user": "ci"}).json()
    ci = bearer(issued["token"])
    assert ci.get("/api/v1/clusters/").status_code == 200
    assert admin.delete(f"/api/v1/tokens/{issued['id']}/").status_code == 204
    assert_error(ci.get("/api/v1/clusters/"), 401, "authentication_failed")
    assert_error(admin.get(f"/api/v1/tokens/{issued['id']}/"), 404, "not_found")
    assert_error(admin.delete(f"/api/v1/tokens/{issued['id']}/"), 404, "not_found")


def test_an_admin_may_revoke_the_token_it_is_using(admin):
    own = ApiToken.objects.get(user=admin.user)
    assert admin.delete(f"/api/v1/tokens/{own.pk}/").status_code == 204
    assert_error(admin.get("/api/v1/tokens/"), 401, "authentication_failed")


def test_an_expiry_must_lie_ahead_and_is_reported(admin):
    ahead = timezone.now() + timedelta(days=30)
    body = admin.post("/api/v1/tokens/", {"name": "month", "expiresAt": ahead.isoformat()}).json()
    assert abs(ApiToken.objects.get(pk=body["id"]).expires_at - ahead) < timedelta(seconds=1)
    assert body["expired"] is False and body["expiresAt"] is not None
    past = (timezone.now() - timedelta(minutes=1)).isoformat()
    error = assert_error(admin.post("/api/v1/tokens/", {"name": "old", "expiresAt": past}), 400)
    assert error["details"] == {"expiresAt": ["Must be in the future."]}
    token = ApiToken.objects.get(pk=body["id"])
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert admin.get(f"/api/v1/tokens/{token.pk}/").json()["expired"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "user": "ghost"}, "user"),
        ({"name": "x", "user": "sleeper"}, "user"),  # inactive
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({}, "name"),
        ({"name": "x", "scopes": ["all"]}, "scopes"),
        ({"name": "x", "expiresAt": "soon"}, "expiresAt"),
    ],
)
def test_invalid_input_is_refused_and_nothing_is_stored(admin, make_user, body, field):
    sleeper = make_user("viewer", username="sleeper")
    sleeper.is_active = False
    sleeper.save()
    count = ApiToken.objects.count()
    error = assert_error(admin.post("/api/v1/tokens/", body), 400, "invalid")
    assert list(error["details"]) == [field], error
    assert ApiToken.objects.count() == count


def test_the_list_is_paged_newest_first_and_filters_by_user(admin, make_user):
    alice, bob = make_user("viewer", username="alice"), make_user("viewer", username="bob")
    for i in range(3):
        ApiToken.objects.issue(alice, f"a{i}")
    ApiToken.objects.issue(bob, "b0")
    page = admin.get("/api/v1/tokens/", {"page_size": 2}).json()
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"]
    assert all(set(row) == FIELDS for row in page["results"])
    everything = admin.get("/api/v1/tokens/").json()["results"]
    ids = [row["id"] for row in everything]
    assert ids == sorted(ids, reverse=True)
    mine = admin.get("/api/v1/tokens/", {"user": "alice"}).json()
    assert mine["count"] == 3 and {row["user"] for row in mine["results"]} == {"alice"}
    assert admin.get("/api/v1/tokens/", {"user": "nobody-at-all"}).json()["count"] == 0


def test_unknown_ids_are_404(admin):
    for token_id in ("424242", "9" * 30):
        assert_error(admin.get(f"/api/v1/tokens/{token_id}/"), 404, "not_found")
        assert_error(admin.delete(f"/api/v1/tokens/{token_id}/"), 404, "not_found")


@pytest.mark.parametrize("kind", ["anonymous", "wrong-token", "nobody", "viewer", "editor"])
def test_only_admins_may_see_or_touch_tokens(principal, token_client, make_user, kind):
    target, _ = ApiToken.objects.issue(make_user("viewer", username="target"), "target")
    client = token_client(None) if kind == "nobody" else principal(kind)
    calls = [
        client.get("/api/v1/tokens/"),
        client.get(f"/api/v1/tokens/{target.pk}/"),
        client.post("/api/v1/tokens/", {"name": "sneaky"}),
        client.delete(f"/api/v1/tokens/{target.pk}/"),
    ]
    for response in calls:
        if kind in ("anonymous", "wrong-token"):
            code = "not_authenticated" if kind == "anonymous" else "authentication_failed"
            assert_error(response, 401, code)
        else:
            error = assert_error(response, 403, "permission_denied")
            assert error["message"] == "This needs the admin role."
    assert ApiToken.objects.filter(pk=target.pk).exists()
    assert not ApiToken.objects.filter(name="sneaky").exists()


def test_a_superuser_session_may_issue_tokens(make_user):
    client = APIClient()
    client.force_login(make_user("superuser"))
    assert client.post("/api/v1/tokens/", {"name": "from-browser"}).status_code == 201


@pytest.mark.parametrize("tokens", [1, 30])
def test_the_list_runs_a_constant_number_of_queries(
    admin, make_user, django_assert_max_num_queries, tokens
):
    owner = make_user("viewer", username="owner")
    for i in range(tokens):
        ApiToken.objects.issue(owner, f"t{i}")
    admin.get("/api/v1/tokens/")
    with django_assert_max_num_queries(3):  # token with user and role, count, page with users
        body = admin.get("/api/v1/tokens/").json()
    assert body["count"] == tokens + 1  # and the admin's own
