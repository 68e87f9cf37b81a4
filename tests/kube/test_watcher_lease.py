"""A killed watcher is seen: real `manage.py watch` processes on PostgreSQL and Redis.

After SIGKILL of the only watcher its lease lapses, and within twice the lease's time-to-live
the cluster is stale wherever it is read (API, /metrics, the page, the socket's hello), the
scheduler records why and takes the fallback snapshot; a new watcher process then takes over.
"""

import os
import re
import time

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.test import APIClient

from dashboard.ws_urls import websocket_urlpatterns
from routing import tasks
from routing.models import Cluster

from .test_watcher_live import latest, policy_of, wait_for
from .watch_process import WatchProcess

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL") or connection.vendor != "postgresql",
        reason="real watcher processes with a Redis lease on PostgreSQL (as CI runs it)",
    ),
]

LEASE_TTL = 2.0


@pytest.fixture
def admin_client():
    client = APIClient()
    client.force_login(User.objects.create_superuser("root", password="x" * 12))
    return client


def api_status(client: APIClient) -> tuple[str, str]:
    body = client.get("/api/v1/clusters/demo/").json()
    return body["status"], body["statusMessage"]


def stale_metric(client: APIClient) -> int:
    text = client.get("/metrics").content.decode()
    return int(re.search(r'^trafficlens_cluster_stale\{cluster="demo"\} (\d)$', text, re.M)[1])


def page_status(client: APIClient) -> tuple[str, bool]:
    """The cluster bar's badge and whether the stale banner shows, as rendered."""
    html = client.get("/clusters/demo/").content.decode()
    badge = re.search(r'id="cluster-status" data-status="([a-z-]+)"', html)[1]
    banner = re.search(r'<div id="stale-banner"[^>]*>', html)[0]
    return badge, "hidden" not in banner


def hello_status(user: User) -> str:
    async def connect() -> str:
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/clusters/demo/")
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        assert connected
        hello = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return hello["clusters"][0]["status"]

    return async_to_sync(connect)()


def test_killed_watcher_is_stale_gets_the_fallback_snapshot_and_is_replaced(
    demo_sim, settings, tmp_path, admin_client, eager_celery
):
    cluster = Cluster.objects.create(
        name="demo", source="simulated", kube_context="simcluster", snapshot_interval=10
    )
    user = User.objects.get(username="root")

    def watcher(name: str) -> WatchProcess:
        log = tmp_path / f"{name}.log"
        kubeconfig = settings.TRAFFICLENS_SIM_KUBECONFIG
        return WatchProcess(kubeconfig, settings.REDIS_URL, log, LEASE_TTL).start()

    first = watcher("first")
    try:
        wait_for(lambda: latest(cluster), 60, step=0.2)
        assert api_status(admin_client)[0] == "watching"
        demo_sim.set_traffic_distribution("shop", "catalog", "PreferSameZone")
        wait_for(lambda: policy_of(cluster, "shop", "catalog") == "PreferSameZone", 10)
        assert stale_metric(admin_client) == 0 and page_status(admin_client) == ("watching", False)
    finally:
        first.kill()
    killed_at = time.monotonic()
    watched_seq = latest(cluster).seq
    # Made after the watcher died: only the fallback snapshot can store it.
    demo_sim.set_traffic_distribution("shop", "email", "PreferSameNode")

    wait_for(lambda: api_status(admin_client)[0] == "stale", 2 * LEASE_TTL, step=0.1)
    assert time.monotonic() - killed_at <= 2 * LEASE_TTL
    assert stale_metric(admin_client) == 1
    assert page_status(admin_client) == ("stale", True)
    assert hello_status(user) == "stale"
    assert "stopped renewing its lease" in api_status(admin_client)[1]

    # The scheduler's tick (beat's every 10 s) records it and snapshots the orphaned cluster.
    assert tasks.snapshot_due_clusters() == [cluster.pk]
    assert time.monotonic() - killed_at <= 2 * LEASE_TTL
    row = Cluster.objects.get(pk=cluster.pk)
    assert row.status == "stale" and "stopped renewing its lease" in row.status_message
    fallback = latest(cluster)
    assert (fallback.seq, fallback.source) == (watched_seq + 1, "scheduled")
    assert policy_of(cluster, "shop", "email") == "PreferSameNode"
    # Still stale after a successful fallback: the watcher is still gone.
    assert api_status(admin_client)[0] == "stale" and stale_metric(admin_client) == 1
    # The next fallback comes per the snapshot interval, not on every tick.
    assert tasks.snapshot_due_clusters() == []

    second = watcher("second")
    try:
        wait_for(lambda: api_status(admin_client)[0] == "watching", 60, step=0.2)
        assert stale_metric(admin_client) == 0 and page_status(admin_client) == ("watching", False)
        demo_sim.set_traffic_distribution("shop", "catalog", "PreferSameNode")
        wait_for(lambda: policy_of(cluster, "shop", "catalog") == "PreferSameNode", 10)
        assert latest(cluster).source == "watch" and latest(cluster).seq > fallback.seq
        assert tasks.snapshot_due_clusters() == []
    finally:
        second.stop()
    assert second.proc.returncode == 0, second.output()
