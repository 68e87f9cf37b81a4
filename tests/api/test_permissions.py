"""Who may do what: every endpoint for anonymous, each role, a wrong and an expired token."""

import pytest
from rest_framework.test import APIClient

from routing.models import TrafficVolume
from tests.factories import DEMO_DUMP

from .conftest import assert_error

pytestmark = pytest.mark.django_db

PRINCIPALS = ("anonymous", "wrong-token", "expired-token", "nobody", "viewer", "editor", "admin")
READ = {"viewer": 200, "editor": 200, "admin": 200, "nobody": 403}
UPLOAD = {"viewer": 403, "editor": 201, "admin": 201, "nobody": 403}
EDIT = {"viewer": 403, "editor": 200, "admin": 200, "nobody": 403}
VOLUME = "/api/v1/clusters/demo/services/shop/"
NOWHERE = {"viewer": 404, "editor": 404, "admin": 404, "nobody": 404}  # any method, any user


def _admin_only(success: int) -> dict[str, int]:
    return {"viewer": 403, "editor": 403, "admin": success, "nobody": 403}


# (method, url, body, content type, expected status per role); anonymous and bad tokens: 401
ENDPOINTS = [
    ("get", "/api/v1/", None, None, READ),
    ("get", "/api/v1/clusters/", None, None, READ),
    ("get", "/api/v1/clusters/demo/", None, None, READ),
    ("post", "/api/v1/clusters/", {"name": "new", "source": "upload"}, "json", _admin_only(201)),
    ("patch", "/api/v1/clusters/demo/", {"displayName": "Demo"}, "json", _admin_only(200)),
    ("delete", "/api/v1/clusters/demo/", None, None, _admin_only(204)),
    ("get", "/api/v1/clusters/demo/snapshots/", None, None, READ),
    ("get", "/api/v1/clusters/demo/snapshots/1/", None, None, READ),
    ("get", "/api/v1/clusters/demo/snapshots/2/diff/?against=1", None, None, READ),
    ("post", "/api/v1/clusters/demo/snapshots/", "demo", "application/json", UPLOAD),
    ("get", "/api/v1/clusters/demo/services/", None, None, READ),
    ("get", "/api/v1/clusters/demo/services/shop/payments/", None, None, READ),
    ("get", f"{VOLUME}cart/volume/", None, None, READ),
    ("put", f"{VOLUME}cart/volume/", {"monthlyGb": 5}, "json", EDIT),
    ("delete", f"{VOLUME}cart/volume/", None, None, {**EDIT, "editor": 204, "admin": 204}),
    ("post", f"{VOLUME}cart/what-if/", {"topologyMode": "Auto"}, "json", EDIT),
    ("get", "/api/v1/clusters/demo/prices/", None, None, READ),
    ("patch", "/api/v1/clusters/demo/prices/", {"priceCrossZone": 0.01}, "json", EDIT),
    ("get", "/api/v1/clusters/demo/flowmap/", None, None, READ),
    ("get", "/api/v1/clusters/demo/top-services/?policy=none", None, None, READ),
    ("get", "/api/v1/clusters/demo/namespaces/", None, None, READ),
    ("get", "/api/v1/clusters/demo/services/?format=csv", None, None, READ),
    ("get", "/api/v1/clusters/demo/recommendations/", None, None, READ),
    ("get", "/api/v1/clusters/demo/timeseries/", None, None, READ),
    ("get", f"{VOLUME}payments/timeseries/", None, None, READ),
    ("get", "/api/v1/tokens/", None, None, _admin_only(200)),
    ("post", "/api/v1/tokens/", {"name": "matrix"}, "json", _admin_only(201)),
    ("get", "/api/v1/schema/", None, None, READ),
    ("get", "/api/v1/docs/", None, None, READ),
    ("get", "/api/v1/no/such/endpoint", None, None, NOWHERE),
    ("post", "/api/v1/no/such/endpoint", {"name": "x"}, "json", NOWHERE),
]


def _call(client: APIClient, method: str, url: str, body, content_type):
    if body == "demo":
        return client.post(url, DEMO_DUMP.read_bytes(), content_type=content_type)
    if content_type == "json":
        return getattr(client, method)(url, body, format="json")
    return getattr(client, method)(url)


@pytest.mark.parametrize("kind", PRINCIPALS)
@pytest.mark.parametrize(
    ("method", "url", "body", "content_type", "expected"),
    ENDPOINTS,
    ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS],
)
def test_permission_matrix(
    demo_cluster, principal, token_client, kind, method, url, body, content_type, expected
):
    TrafficVolume.objects.create(cluster=demo_cluster, namespace="shop", name="cart", monthly_gb=1)
    client = token_client(None) if kind == "nobody" else principal(kind)
    response = _call(client, method, url, body, content_type)
    if kind in ("anonymous", "wrong-token", "expired-token"):
        code = "not_authenticated" if kind == "anonymous" else "authentication_failed"
        assert_error(response, 401, code)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        return
    assert response.status_code == expected[kind], (kind, response.content[:300])
    if response.status_code == 403:
        error = assert_error(response, 403, "permission_denied")
        assert "role" in error["message"]


@pytest.mark.parametrize("kind", PRINCIPALS)
def test_health_is_open_to_everyone(db, principal, token_client, kind):
    client = token_client(None) if kind == "nobody" else principal(kind)
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body == {"status": "ok", "database": "ok", "redis": body["redis"]}
    assert body["redis"] in {"ok", "not_configured"}  # tests/test_health.py covers "down"


def test_health_reports_a_database_failure(db, monkeypatch):
    from django.db import DatabaseError, connection

    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = APIClient().get("/api/v1/health")
    assert response.status_code == 503
    body = response.json()
    assert body == {"status": "error", "database": "unreachable", "redis": body["redis"]}


def test_superuser_counts_as_admin(demo_cluster, make_user):
    client = APIClient()
    client.force_login(make_user("superuser"))
    response = client.patch("/api/v1/clusters/demo/", {"displayName": "D"}, format="json")
    assert response.status_code == 200


def test_token_keyword_may_be_token_or_bearer(demo_cluster, make_user):
    from routing.models import ApiToken

    _, raw = ApiToken.objects.issue(make_user("viewer"), "t")
    for header in (f"Token {raw}", f"Bearer {raw}", f"bearer {raw}"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        assert client.get("/api/v1/clusters/").status_code == 200, header
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw} extra")
    assert_error(client.get("/api/v1/clusters/"), 401, "authentication_failed")


def test_token_of_an_inactive_user_is_refused(demo_cluster, token_client):
    client = token_client("admin")
    client.user.is_active = False
    client.user.save()
    assert_error(client.get("/api/v1/clusters/"), 401, "authentication_failed")


def test_token_use_is_recorded(demo_cluster, make_user):
    from routing.models import ApiToken

    token, raw = ApiToken.objects.issue(make_user("viewer"), "t")
    assert token.last_used_at is None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.get("/api/v1/clusters/")
    token.refresh_from_db()
    assert token.last_used_at is not None


# --- browser sessions and CSRF ------------------------------------------------------------------


def test_session_reads_without_csrf_token(demo_cluster, make_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(make_user("viewer"))
    assert client.get("/api/v1/clusters/demo/").status_code == 200


def test_session_post_without_csrf_token_is_refused(demo_cluster, make_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(make_user("admin"))
    response = client.post("/api/v1/clusters/", {"name": "x", "source": "upload"}, format="json")
    error = assert_error(response, 403, "permission_denied")
    assert "CSRF" in error["message"]
    upload = client.post(
        "/api/v1/clusters/demo/snapshots/", DEMO_DUMP.read_bytes(), content_type="application/json"
    )
    assert_error(upload, 403, "permission_denied")
    assert demo_cluster.snapshots.count() == 2


def test_session_post_with_csrf_token_is_accepted(demo_cluster, make_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(make_user("admin"))
    client.get("/admin/login/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/clusters/",
        {"name": "x", "source": "upload"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201, response.content


def test_token_requests_need_no_csrf_token(demo_cluster, token_client):
    client = token_client("admin")
    client.handler.enforce_csrf_checks = True
    response = client.post("/api/v1/clusters/", {"name": "x", "source": "upload"}, format="json")
    assert response.status_code == 201
