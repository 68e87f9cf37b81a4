"""The watcher's database lease: what a lapsed one shows, what the scheduler and supervisor do.

A `watching` cluster whose lease lapsed is stale on every surface (API, /metrics, the cluster
bar and banner, the overview card, the socket's hello) through Cluster.effective_status; the
scheduler records it once, with the time, and snapshots the cluster; the supervisor's heartbeat
is one UPDATE per tick, puts back a status written over its watcher's, and clears the lease
when it stops cleanly.
"""

import re
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from dashboard.ws_urls import websocket_urlpatterns
from routing import tasks
from routing.jobs.watching import WatchSupervisor
from routing.models import Cluster

from .test_watcher_live import FAST, latest, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def lapsed(seconds_ago: float = 30.0):
    return timezone.now() - timedelta(seconds=seconds_ago)


def ahead(seconds: float = 30.0):
    return timezone.now() + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("status", "message", "lease", "shown"),
    [
        ("watching", "", "ahead", ("watching", "")),
        ("watching", "", None, ("watching", "")),  # never held by a lease: nothing lapsed
        ("idle", "", None, ("idle", "")),
        ("upload-only", "", None, ("upload-only", "")),
        ("watching", "", "lapsed", ("stale", "LAPSED")),
        ("idle", "", "lapsed", ("stale", "LAPSED")),
        ("stale", "snapshot failed: 503", "lapsed", ("stale", "snapshot failed: 503")),
    ],
)
def test_effective_status(status, message, lease, shown):
    expires = {"ahead": ahead(), "lapsed": lapsed(), None: None}[lease]
    cluster = Cluster(name="c", status=status, status_message=message)
    cluster.watch_lease_expires_at = expires
    code, text, label = cluster.effective_status()
    assert code == shown[0]
    assert label == dict(Cluster.Status.choices)[code]
    if shown[1] == "LAPSED":
        stamp = expires.strftime("%Y-%m-%d %H:%M:%S")
        assert text == f"the watcher stopped renewing its lease, which lapsed at {stamp} UTC"
    else:
        assert text == shown[1]


@pytest.fixture
def admin():
    return User.objects.create_superuser("root", password="x" * 12)


def surfaces(admin) -> dict[str, str]:
    client = APIClient()
    client.force_login(admin)
    page = client.get("/clusters/shop/").content.decode()
    overview = client.get("/").content.decode()
    metrics = client.get("/metrics").content.decode()

    async def hello() -> str:
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/clusters/")
        communicator.scope["user"] = admin
        assert (await communicator.connect())[0]
        message = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return message["clusters"][0]["status"]

    banner = re.search(r'<div id="stale-banner"[^>]*>', page)[0]
    return {
        "api": client.get("/api/v1/clusters/shop/").json()["status"],
        "list": client.get("/api/v1/clusters/").json()["results"][0]["status"],
        "bar": re.search(r'id="cluster-status" data-status="([a-z-]+)"', page)[1],
        "banner": "hidden" if "hidden" in banner else "shown",
        "card": re.search(r'data-role="status" data-status="([a-z-]+)"', overview)[1],
        "metric": re.search(r'^trafficlens_cluster_stale\{cluster="shop"\} (\d)$', metrics, re.M)[
            1
        ],
        "hello": async_to_sync(hello)(),
    }


def test_a_lapsed_lease_shows_stale_on_every_surface(admin):
    shop = Cluster.objects.create(name="shop", source="simulated", status="watching")
    Cluster.objects.filter(pk=shop.pk).update(watch_lease_expires_at=ahead())
    watching = dict.fromkeys(("api", "list", "bar", "card", "hello"), "watching")
    assert surfaces(admin) == {**watching, "banner": "hidden", "metric": "0"}

    Cluster.objects.filter(pk=shop.pk).update(watch_lease_expires_at=lapsed())
    stale = dict.fromkeys(("api", "list", "bar", "card", "hello"), "stale")
    assert surfaces(admin) == {**stale, "banner": "shown", "metric": "1"}


def test_the_scheduler_records_a_lapsed_lease_once_and_snapshots_the_cluster(
    demo_sim, admin, eager_celery
):
    demo = Cluster.objects.create(
        name="demo", source="simulated", kube_context="simcluster", status="watching"
    )
    held = Cluster.objects.create(
        name="held", source="simulated", kube_context="simcluster", status="watching"
    )
    Cluster.objects.filter(pk=held.pk).update(watch_lease_expires_at=ahead(3600))
    expired = lapsed(5)
    Cluster.objects.filter(pk=demo.pk).update(watch_lease_expires_at=expired)

    async def scenario() -> list[dict]:
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/clusters/")
        communicator.scope["user"] = admin
        assert (await communicator.connect())[0]
        await communicator.receive_json_from(timeout=5)  # hello
        dispatched = await sync_to_async(tasks.snapshot_due_clusters)()
        assert dispatched == [demo.pk]  # at once, though `held` has no snapshot either
        events = []
        while not any(e["type"] == "snapshot.committed" for e in events):
            events.append(await communicator.receive_json_from(timeout=5))
        await communicator.disconnect()
        return events

    events = async_to_sync(scenario)()
    statuses = [e for e in events if e["type"] == "cluster.status"]
    assert [(e["cluster"], e["status"]) for e in statuses] == [("demo", "stale")]
    stamp = expired.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert (
        statuses[0]["message"] == f"the watcher stopped renewing its lease, which lapsed at {stamp}"
    )
    row = Cluster.objects.get(pk=demo.pk)
    assert (row.status, row.status_message) == ("stale", statuses[0]["message"])
    assert latest(demo).source == "scheduled"
    # Recorded once; the next fallback waits for the interval, and the listing that succeeded
    # did not make the cluster look healthy (idle) while no watcher holds it.
    assert tasks.snapshot_due_clusters() == []
    assert Cluster.objects.get(pk=demo.pk).effective_status().code == "stale"
    later = timezone.now() + timedelta(seconds=demo.snapshot_interval + 1)
    assert [c.pk for c in tasks.due_clusters(later)] == [demo.pk]


def test_supervisor_heartbeat_is_one_update_and_puts_its_status_back(demo_sim):
    names = ["a", "b"]
    for name in names:
        Cluster.objects.create(name=name, source="simulated", kube_context="simcluster")
    supervisor = WatchSupervisor(lease_ttl=30.0, **FAST)
    try:
        supervisor.tick()
        assert len(supervisor.held) == 2
        rows = Cluster.objects.filter(name__in=names)
        wait_for(lambda: all(c.status == "watching" for c in rows.all()), 15)
        # What the scheduler writes when it finds the lease lapsed (this replica was cut off).
        rows.filter(name="a").update(status="stale", status_message="the watcher stopped ...")
        with CaptureQueriesContext(connection) as queries:
            supervisor.tick()
        updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
        assert len([sql for sql in updates if "watch_lease_expires_at" in sql]) == 1
        for cluster in rows.all():
            left = cluster.watch_lease_expires_at - timezone.now()
            assert timedelta(seconds=28) < left <= timedelta(seconds=30)
            assert cluster.effective_status().code == "watching"
    finally:
        supervisor.shutdown()
    assert list(rows.values_list("status", "watch_lease_expires_at")) == [("idle", None)] * 2


@pytest.mark.parametrize("ttl", ["0.5", "nan", "inf", "7200"])
def test_watch_refuses_a_lease_ttl_out_of_range(ttl):
    with pytest.raises(CommandError, match="--lease-ttl must be between 1 and 3600 seconds"):
        call_command("watch", "--lease-ttl", ttl)
