"""Access per cluster on the live socket: two teams, each granted a role on its own cluster.

/ws/clusters/ follows only the clusters one may see; a cluster one may not see closes with 4404,
as one that does not exist. Runs on the configured channel layer: Redis in CI.
"""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from dashboard.ws_urls import websocket_urlpatterns
from routing.live import events
from tests.teams import VIAS, two_teams

router = URLRouter(websocket_urlpatterns)

# Transactional: Channels' database_sync_to_async closes the connections it finds in a
# transaction, which a rolled-back test case would be using (as in test_consumer.py).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=VIAS)
def teams(request, transactional_db):
    return two_teams("viewer", request.param, snapshots=False)


async def _open(path: str, user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(router, path)
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _closed_with(communicator: WebsocketCommunicator) -> int:
    message = await communicator.receive_output(timeout=5)
    assert message["type"] == "websocket.close"
    return message["code"]


def test_the_other_teams_cluster_closes_as_a_missing_one(teams):
    async def scenario():
        for path, code in [("/ws/clusters/b/", 4404), ("/ws/clusters/nope/", 4404)]:
            communicator = await _open(path, teams.alice)
            assert await _closed_with(communicator) == code, path
            await communicator.disconnect()
        own = await _open("/ws/clusters/a/", teams.alice)
        hello = await own.receive_json_from(timeout=5)
        assert [c["name"] for c in hello["clusters"]] == ["a"]
        await own.disconnect()

    async_to_sync(scenario)()


def test_every_cluster_socket_follows_only_the_visible_ones(teams):
    layer = get_channel_layer()

    async def scenario():
        alice = await _open("/ws/clusters/", teams.alice)
        hello = await alice.receive_json_from(timeout=5)
        assert [c["name"] for c in hello["clusters"]] == ["a"]  # no "no role" close: 4403
        gina = await _open("/ws/clusters/", teams.gina)
        hello = await gina.receive_json_from(timeout=5)
        assert [c["name"] for c in hello["clusters"]] == ["a", "b"]
        for cluster, n in ((teams.b, 1), (teams.a, 2)):
            event = {"type": "live.event", "event": {"cluster": cluster.name, "n": n}}
            await layer.group_send(events.group_name(cluster.pk), event)
        assert await alice.receive_json_from(timeout=5) == {"cluster": "a", "n": 2}
        assert await alice.receive_nothing(timeout=0.3)
        received = [await gina.receive_json_from(timeout=5) for _ in range(2)]
        assert sorted(e["n"] for e in received) == [1, 2]
        await alice.disconnect()
        await gina.disconnect()

    async_to_sync(scenario)()
