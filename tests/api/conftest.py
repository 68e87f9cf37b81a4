"""Fixtures for the API tests: users in each role, token clients, a cluster with two snapshots."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from routing.models import ApiToken, Cluster, ObjectVersion, ServiceSummary, Snapshot
from routing.snapshots import write_snapshot
from tests.factories import user_with_role


@pytest.fixture
def make_user(db):
    """make_user("editor") -> a user in that group ("superuser": a superuser, None: no group)."""

    def make(role: str | None, username: str | None = None) -> User:
        return user_with_role(username or f"{role or 'nobody'}-user", role)

    return make


@pytest.fixture
def token_client(make_user):
    """token_client("viewer") -> an APIClient sending a Bearer token of a user in that role."""

    def client(role: str | None, *, expires_at=None) -> APIClient:
        user = make_user(role, username=f"{role or 'nobody'}-{ApiToken.objects.count()}")
        _, raw = ApiToken.objects.issue(user, "tests", expires_at=expires_at)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        api.user = user
        return api

    return client


@pytest.fixture
def principal(token_client):
    """principal(kind) -> a client for anonymous, viewer, editor, admin, wrong or expired."""

    def client(kind: str) -> APIClient:
        if kind == "anonymous":
            return APIClient()
        if kind == "wrong-token":
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token-anyone-was-given")
            return api
        if kind == "expired-token":
            return token_client("admin", expires_at=timezone.now() - timedelta(seconds=1))
        return token_client(kind)

    return client


def _find(objects: list[dict], kind: str, name: str) -> dict:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


@pytest.fixture
def demo_cluster(db, demo_objects) -> Cluster:
    """Cluster "demo" with two snapshots: the demo shop, then catalog switched to PreferSameZone."""
    cluster = Cluster.objects.create(
        name="demo", source=Cluster.Source.UPLOAD, status=Cluster.Status.UPLOAD_ONLY
    )
    t0 = timezone.now() - timedelta(hours=2)
    write_snapshot(cluster, demo_objects, source="upload", taken_at=t0)
    _find(demo_objects, "Service", "catalog")["spec"]["trafficDistribution"] = "PreferSameZone"
    write_snapshot(cluster, demo_objects, source="upload", taken_at=t0 + timedelta(hours=1))
    return cluster


def stored_counts() -> tuple[int, int, int, int]:
    """Rows that an upload writes: (clusters, snapshots, object versions, summaries)."""
    return (
        Cluster.objects.count(),
        Snapshot.objects.count(),
        ObjectVersion.objects.count(),
        ServiceSummary.objects.count(),
    )


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is an error in the API's one shape; returns its body's `error`."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}, error
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert "\n" not in error["message"]
    assert isinstance(error["details"], dict)
    if code is not None:
        assert error["code"] == code, error
    return error


@pytest.fixture
def cluster(db):
    """An upload-only cluster `demo` with no snapshot yet (the upload tests' target)."""
    return Cluster.objects.create(name="demo", source=Cluster.Source.UPLOAD)


@pytest.fixture
def editor(token_client):
    return token_client("editor")


@pytest.fixture
def redis_cache(own_redis, settings, monkeypatch):
    """The API's cache in the test's own Redis (which the test may stop), with a fresh outage
    state that retries after 0.2 s; returns the server."""
    from routing.api import cache as api_cache

    settings.CACHES = {
        "default": {
            "BACKEND": "dashboard.redis_cache.RedisCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": "api-test",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    monkeypatch.setattr(api_cache, "_outage", api_cache.Outage())
    monkeypatch.setattr(api_cache, "RETRY_SECONDS", 0.2)
    return own_redis


def plan_without_seqscan(sql: str, params=None) -> str:
    """PostgreSQL's plan of `sql` with sequential scans disabled: the tests' tables are small
    enough that the planner would scan them whatever indexes exist, so a test of which index a
    statement can use takes that alternative away."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())
