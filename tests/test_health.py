"""/healthz and /api/v1/health report the database and Redis; only the database makes them 503.

Redis is a redis-server of each test's own (tests/redis_server.py), stopped and started again.
"""

import socket
import time

import pytest
from django.db import DatabaseError, connection

pytestmark = pytest.mark.django_db

PATHS = ["/healthz", "/api/v1/health"]


@pytest.fixture
def redis_at(settings):
    def point(url: str | None) -> None:
        settings.REDIS_URL = url

    return point


def _health(client, path: str) -> tuple[int, dict]:
    started = time.monotonic()
    response = client.get(path)
    assert time.monotonic() - started < 3, "the health check must not hang"
    return response.status_code, response.json()


@pytest.mark.parametrize("path", PATHS)
def test_redis_up_then_down_then_up_again(client, own_redis, redis_at, path):
    redis_at(own_redis.url)
    assert _health(client, path) == (200, {"status": "ok", "database": "ok", "redis": "ok"})
    own_redis.stop()
    # The app still serves (the database answers), so the check stays 200 and says what is off.
    assert _health(client, path) == (200, {"status": "ok", "database": "ok", "redis": "down"})
    own_redis.start()
    assert _health(client, path) == (200, {"status": "ok", "database": "ok", "redis": "ok"})


@pytest.mark.parametrize("path", PATHS)
def test_a_redis_that_accepts_but_never_answers_is_down_within_the_probe_timeout(
    client, redis_at, path
):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete in the backlog; nothing ever replies
        redis_at(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        status, body = _health(client, path)
    assert (status, body["redis"]) == (200, "down")


@pytest.mark.parametrize("path", PATHS)
def test_without_redis_url_redis_is_not_configured(client, redis_at, path):
    redis_at(None)
    assert _health(client, path) == (
        200,
        {"status": "ok", "database": "ok", "redis": "not_configured"},
    )


@pytest.mark.parametrize("path", PATHS)
def test_without_the_database_it_is_503_and_still_reports_redis(
    client, own_redis, redis_at, monkeypatch, path
):
    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    redis_at(own_redis.url)
    monkeypatch.setattr(connection, "cursor", broken_cursor)
    status, body = _health(client, path)
    assert status == 503
    assert body["status"] == "error" and body["database"] == "unreachable"
    assert body["redis"] == "ok"
