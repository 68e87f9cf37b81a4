"""The live socket (routing.live.consumers) through Channels' WebsocketCommunicator.

Sign-in is checked through the real ASGI stack (session cookie, origin check); the rest talks to
the URL router with a user in the scope. Runs on the configured channel layer: Redis in CI.
"""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.urls import path

from dashboard.asgi import application
from dashboard.ws_urls import websocket_urlpatterns
from routing.jobs.ingest import set_status
from routing.live import events
from routing.live.consumers import ClusterConsumer
from routing.live.publish import publish, publisher
from routing.models import Cluster
from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP, user_with_role

router = URLRouter(websocket_urlpatterns)
HELLO_KEYS = {"name", "status", "message", "seq", "takenAt"}


# Transactional: a consumer's database calls close the connection they find in a transaction
# (Channels' database_sync_to_async), which a rolled-back test case would be using.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def viewer(transactional_db):
    return user_with_role("vera", "viewer")


@pytest.fixture
def shop(transactional_db):
    return Cluster.objects.create(name="shop", source=Cluster.Source.UPLOAD, status="watching")


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


async def _connect(path: str, user) -> tuple[WebsocketCommunicator, dict]:
    communicator = WebsocketCommunicator(router, path)
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator, await communicator.receive_json_from(timeout=5)


async def _closed_with(communicator: WebsocketCommunicator) -> int:
    message = await communicator.receive_output(timeout=5)
    assert message["type"] == "websocket.close"
    return message["code"]


def test_a_socket_without_a_session_is_refused_with_4401(shop):
    async def scenario():
        communicator = WebsocketCommunicator(
            application, "/ws/clusters/shop/", headers=[(b"origin", b"http://127.0.0.1")]
        )
        connected, _ = await communicator.connect()
        assert connected  # accepted so that the page gets the code, then closed
        assert await _closed_with(communicator) == 4401
        await communicator.disconnect()

    run(scenario)


def test_a_session_cookie_signs_the_socket_in(shop, viewer, client):
    client.force_login(viewer)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    async def scenario():
        communicator = WebsocketCommunicator(
            application,
            "/ws/clusters/shop/",
            headers=[
                (b"origin", b"http://127.0.0.1"),
                (b"cookie", cookie),
                (b"host", b"127.0.0.1"),
            ],
        )
        connected, _ = await communicator.connect()
        assert connected
        hello = await communicator.receive_json_from(timeout=5)
        assert hello["type"] == "hello" and [c["name"] for c in hello["clusters"]] == ["shop"]
        await communicator.disconnect()

    run(scenario)


def test_a_foreign_origin_is_rejected(shop, viewer, client):
    async def scenario():
        communicator = WebsocketCommunicator(
            application, "/ws/clusters/shop/", headers=[(b"origin", b"https://evil.example")]
        )
        connected, _ = await communicator.connect()
        assert not connected

    run(scenario)


def test_anonymous_no_role_and_unknown_cluster_get_their_codes(shop):
    nobody = User.objects.create_user("nobody", password="x" * 12)

    async def scenario():
        for url, user, code in [
            ("/ws/clusters/shop/", AnonymousUser(), 4401),
            ("/ws/clusters/shop/", nobody, 4403),
            ("/ws/clusters/", nobody, 4403),
        ]:
            communicator = WebsocketCommunicator(router, url)
            communicator.scope["user"] = user
            assert (await communicator.connect())[0]
            assert await _closed_with(communicator) == code, (url, user)
            await communicator.disconnect()

    run(scenario)


def test_unknown_cluster_is_4404(shop, viewer):
    async def scenario():
        communicator = WebsocketCommunicator(router, "/ws/clusters/nope/")
        communicator.scope["user"] = viewer
        assert (await communicator.connect())[0]
        assert await _closed_with(communicator) == 4404
        await communicator.disconnect()

    run(scenario)


def test_hello_lists_each_cluster_with_its_status_and_latest_seq(shop, viewer):
    import_dump(shop, DEMO_DUMP.read_bytes())
    import_dump(shop, DEMO_DUMP.read_bytes())
    Cluster.objects.create(name="empty", source=Cluster.Source.UPLOAD)

    async def scenario():
        one, hello = await _connect("/ws/clusters/shop/", viewer)
        assert hello["type"] == "hello"
        [entry] = hello["clusters"]
        assert set(entry) == HELLO_KEYS
        assert (entry["name"], entry["status"], entry["seq"]) == ("shop", "watching", 2)
        everyone, hello = await _connect("/ws/clusters/", viewer)
        assert [(c["name"], c["seq"]) for c in hello["clusters"]] == [("empty", None), ("shop", 2)]
        await one.disconnect()
        await everyone.disconnect()

    run(scenario)


class _Recording(ClusterConsumer):
    channels: list[str] = []

    async def connect(self) -> None:
        await super().connect()
        _Recording.channels.append(self.channel_name)


def test_sockets_join_their_clusters_group_and_leave_it_on_disconnect(shop, viewer):
    other = Cluster.objects.create(name="other", source=Cluster.Source.UPLOAD)
    _Recording.channels = []
    recording = URLRouter([path("ws/clusters/<slug:cluster>/", _Recording.as_asgi())])
    layer = get_channel_layer()

    async def scenario():
        communicator = WebsocketCommunicator(recording, "/ws/clusters/shop/")
        communicator.scope["user"] = viewer
        assert (await communicator.connect())[0]
        await communicator.receive_json_from(timeout=5)  # hello
        [channel] = _Recording.channels
        # Joined: an event of its cluster arrives; one of another cluster does not.
        await layer.group_send(
            events.group_name(other.pk), {"type": "live.event", "event": {"n": 0}}
        )
        await layer.group_send(
            events.group_name(shop.pk), {"type": "live.event", "event": {"n": 1}}
        )
        assert await communicator.receive_json_from(timeout=5) == {"n": 1}
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        # Left: the group no longer delivers to its channel.
        await layer.group_send(
            events.group_name(shop.pk), {"type": "live.event", "event": {"n": 2}}
        )
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(layer.receive(channel), timeout=0.5)

    run(scenario)


def test_a_committed_snapshot_reaches_the_socket_as_a_small_typed_event(viewer):
    shop = Cluster.objects.create(name="shop", source=Cluster.Source.UPLOAD)

    async def scenario():
        communicator, hello = await _connect("/ws/clusters/shop/", viewer)
        assert hello["clusters"][0]["seq"] is None
        # Commits, then the hook publishes from the publisher's thread.
        snapshot = await sync_to_async(import_dump)(shop, DEMO_DUMP.read_bytes())
        event = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return snapshot, event

    snapshot, event = run(scenario)
    assert set(event) == {
        "type", "cluster", "seq", "takenAt", "source", "services", "changedObjects",
        "crossZoneFraction", "costPerGbMean", "sentAt",
    }  # fmt: skip
    assert (event["type"], event["cluster"], event["seq"]) == ("snapshot.committed", "shop", 1)
    assert event["services"] == snapshot.services == 12
    assert event["crossZoneFraction"] == pytest.approx(snapshot.cross_zone_fraction)


def test_a_rolled_back_snapshot_is_never_announced(viewer):
    shop = Cluster.objects.create(name="shop", source=Cluster.Source.UPLOAD)

    def rolled_back_import():
        with pytest.raises(RuntimeError), transaction.atomic():
            import_dump(shop, DEMO_DUMP.read_bytes())
            raise RuntimeError("roll back")
        publisher.flush()

    async def scenario():
        communicator, _ = await _connect("/ws/clusters/shop/", viewer)
        await sync_to_async(rolled_back_import)()
        assert await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()

    run(scenario)


def test_status_changes_are_announced(viewer):
    shop = Cluster.objects.create(name="shop", source=Cluster.Source.SIMULATED)

    async def scenario():
        communicator, _ = await _connect("/ws/clusters/shop/", viewer)
        await sync_to_async(set_status)(shop.pk, "stale", "watch failed: connection refused")
        event = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return event

    event = run(scenario)
    assert {k: event[k] for k in ("type", "cluster", "status", "message")} == {
        "type": "cluster.status",
        "cluster": "shop",
        "status": "stale",
        "message": "watch failed: connection refused",
    }


def test_publish_never_blocks_and_caps_a_burst_of_changes(shop, viewer):
    changes = [
        {"type": "MODIFIED", "kind": "Pod", "namespace": "shop", "name": f"p{i}", "at": 0.0}
        for i in range(80)
    ]
    event = events.cluster_changed("shop", changes, more=5)
    assert len(event["changes"]) == events.MAX_CHANGES and event["more"] == 5 + 30

    async def scenario():
        communicator, _ = await _connect("/ws/clusters/shop/", viewer)
        publish(shop.pk, event)
        received = await communicator.receive_json_from(timeout=5)
        assert received["type"] == "cluster.changed" and received["more"] == 35
        await communicator.disconnect()

    run(scenario)


def test_forwarding_an_event_skips_the_database_clean_up(shop, viewer, monkeypatch):
    """Channels closes stale database connections in a worker thread before every handler; an
    event is forwarded without that hop (it touches no database): with 1,000 sockets the hop was
    40% of the ASGI server's time (docs/benchmarks.md). Connecting still gets it."""
    import channels.consumer

    hops: list[str] = []
    real = channels.consumer.aclose_old_connections

    async def counted():
        hops.append("clean-up")
        return await real()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    layer = get_channel_layer()

    async def scenario():
        communicator, hello = await _connect("/ws/clusters/shop/", viewer)
        assert hello["type"] == "hello" and hops  # connect: cleaned up as before
        before = len(hops)
        for n in range(3):
            event = {"type": "live.event", "event": {"n": n, "name": "ünï"}}
            await layer.group_send(events.group_name(shop.pk), event)
        got = [await communicator.receive_json_from(timeout=5) for _ in range(3)]
        assert got == [{"n": n, "name": "ünï"} for n in range(3)]
        assert len(hops) == before
        await communicator.disconnect()

    run(scenario)
