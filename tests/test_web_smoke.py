"""The web stack end to end: pages, health check, database backend and channel layer."""

import asyncio
import os
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer
from django.contrib.staticfiles import finders
from django.db import DatabaseError, connection

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_with_the_configured_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["redis"] in {"ok", "not_configured"}  # tests/test_health.py covers "down"
    assert body == {"status": "ok", "database": "ok", "redis": body["redis"]}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_the_database_is_unreachable(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body == {
        "status": "error",
        "message": "database unreachable",
        "database": "unreachable",
        "redis": body["redis"],
    }


def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405


def test_pages_send_a_signed_out_visitor_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_sign_in_renders_in_the_layout(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert [t.name for t in response.templates][:2] == ["registration/login.html", "base.html"]
    html = response.content.decode()
    assert "<h1>Sign in</h1>" in html and '<main id="main"' in html
    assert "dashboard/app.css" in html
    assert "data-live-url" not in html  # no socket before sign-in


def test_stylesheet_is_served(client):
    # Served by WhiteNoise from the app directories, as in `make run` (DEBUG defaults to true).
    assert finders.find("dashboard/app.css") is not None
    response = client.get("/static/dashboard/app.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")


def test_database_vendor_matches_database_url():
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        # CI sets a PostgreSQL URL: make sure the tests really ran against PostgreSQL.
        assert connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            assert cursor.fetchone()[0].startswith("PostgreSQL")
    elif not url:
        assert connection.vendor == "sqlite"
    else:
        pytest.fail(f"unexpected DATABASE_URL scheme in the test environment: {url.split(':')[0]}")


def test_channel_layer_matches_redis_url():
    layer = get_channel_layer()
    expected = (
        "RedisChannelLayer"
        if os.environ.get("REDIS_URL", "").strip()
        else "LoopSafeInMemoryChannelLayer"
    )
    assert type(layer).__name__ == expected


def test_channel_layer_round_trip():
    layer = get_channel_layer()
    channel = f"test.smoke.{uuid.uuid4().hex}"

    async def round_trip():
        await layer.send(channel, {"type": "smoke.ping", "n": 1})
        return await asyncio.wait_for(layer.receive(channel), timeout=5)

    assert async_to_sync(round_trip)() == {"type": "smoke.ping", "n": 1}


@pytest.mark.skipif(not os.environ.get("REDIS_URL", "").strip(), reason="REDIS_URL is not set")
def test_redis_channel_layer_carries_messages_between_layer_instances():
    # Two independent layer objects share nothing in-process; only Redis can carry this message,
    # as it must between the web, worker and watcher processes.
    sender = channel_layers.make_backend("default")
    receiver = channel_layers.make_backend("default")
    assert type(sender).__name__ == "RedisChannelLayer"
    channel = f"test.smoke.{uuid.uuid4().hex}"
    group = f"smoke-{uuid.uuid4().hex}"

    async def exchange():
        try:
            await receiver.group_add(group, channel)
            await sender.group_send(group, {"type": "smoke.event", "id": 7})
            return await asyncio.wait_for(receiver.receive(channel), timeout=5)
        finally:
            await receiver.group_discard(group, channel)
            await sender.flush()

    assert async_to_sync(exchange)() == {"type": "smoke.event", "id": 7}
