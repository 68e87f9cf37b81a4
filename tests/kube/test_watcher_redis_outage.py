"""Redis outages do not stop the watcher, lose changes or make the cluster look stale.

A redis-server of the test's own is stopped while a real `manage.py watch` runs against it: the
process stays alive, every change made meanwhile reaches PostgreSQL, the database heartbeat keeps
the cluster `watching`, the outage is logged once, and when Redis returns the lease is taken
again. In process: a lease taken by another replica during the outage stops that cluster's
watcher; live events published while Redis is down are dropped without raising.
"""

import logging
import time

import pytest
from django.db import connection
from django.utils import timezone

from routing.jobs.ingest import client_for
from routing.jobs.presence import SHARING
from routing.jobs.watching import WatchSupervisor
from routing.kube.listing import list_cluster
from routing.live.publish import Publisher
from routing.models import Cluster
from routing.snapshots import objects_at
from routing.snapshots.trim import trim_object

from .test_watcher_live import FAST, latest, policy_of, wait_for
from .watch_process import WatchProcess

pytestmark = pytest.mark.django_db(transaction=True)
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a watcher process on PostgreSQL (as CI runs it)"
)

LEASE_TTL = 2.0
CHANGES = [
    ("shop", "catalog", "PreferSameZone"),
    ("shop", "email", "PreferSameNode"),
    ("shop", "cart", "PreferClose"),
    ("shop", "checkout", None),
]


@pytest.fixture
def cluster(demo_sim):
    return Cluster.objects.create(name="demo", source="simulated", kube_context="simcluster")


def lease_key(cluster: Cluster) -> str:
    return f"trafficlens:watch:{cluster.pk}"


def keyed(objects: list[dict]) -> dict[tuple, dict]:
    return {
        (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in objects
    }


@postgres_only
def test_watcher_process_outlives_redis_and_loses_no_change(
    cluster, demo_sim, own_redis, settings, tmp_path
):
    log = tmp_path / "watch.log"
    watcher = WatchProcess(settings.TRAFFICLENS_SIM_KUBECONFIG, own_redis.url, log, LEASE_TTL)
    watcher.start()
    try:
        holder = watcher.holder()
        wait_for(lambda: latest(cluster), 60, step=0.2)
        assert own_redis.client().get(lease_key(cluster)) == holder.encode()

        own_redis.stop()
        down_at = time.monotonic()
        for namespace, name, policy in CHANGES:
            demo_sim.set_traffic_distribution(namespace, name, policy)
            expected = policy or "none"
            wait_for(lambda: policy_of(cluster, namespace, name) == expected, 10)  # noqa: B023
            time.sleep(1.0)
        demo_sim.scale("shop", "cart", 3)
        while time.monotonic() - down_at < 3 * LEASE_TTL:  # past the Redis lease's expiry
            time.sleep(0.2)
        assert watcher.alive(), watcher.output()
        row = Cluster.objects.get(pk=cluster.pk)
        assert row.effective_status().code == "watching"
        assert row.watch_lease_expires_at > timezone.now()

        own_redis.start()  # empty, as after a restart without persistence
        wait_for(lambda: own_redis.client().get(lease_key(cluster)) == holder.encode(), 30, 0.2)
        demo_sim.set_traffic_distribution("shop", "catalog", "PreferSameNode")
        wait_for(lambda: policy_of(cluster, "shop", "catalog") == "PreferSameNode", 10)
        assert watcher.alive(), watcher.output()

        wait_for(
            lambda: (
                keyed(objects_at(latest(cluster)))
                == keyed(list_cluster(client_for(cluster), trim=trim_object)[0])
            ),
            10,
            step=0.2,
        )
        output = watcher.output()
        assert output.count("Redis is unreachable") == 1, output
        assert output.count("Redis is reachable again") == 1, output
        assert "Traceback" not in output, output
    finally:
        watcher.stop()
    assert watcher.proc.returncode == 0, watcher.output()
    assert own_redis.client().get(lease_key(cluster)) is None  # released on the way out


def test_lease_taken_by_another_replica_during_an_outage_stops_that_watcher(
    cluster, own_redis, settings
):
    settings.REDIS_URL = own_redis.url
    supervisor = WatchSupervisor(lease_ttl=LEASE_TTL, **FAST)
    try:
        supervisor.tick()
        held = supervisor.held[cluster.pk]
        wait_for(lambda: latest(cluster), 15)

        own_redis.stop()
        supervisor.tick()  # must not raise
        assert supervisor.held[cluster.pk] is held and not held.watcher.stop_event.is_set()

        own_redis.start()
        wait_for(lambda: (supervisor.tick(), own_redis.client().get(lease_key(cluster)))[1], 15)
        assert supervisor.held[cluster.pk] is held  # nobody else wanted it: taken again

        own_redis.stop()
        supervisor.tick()
        own_redis.start()
        # Another replica, present (routing.jobs.presence), took the lease meanwhile.
        own_redis.client().set(f"trafficlens:{SHARING}watch-other", "watch-other", px=60_000)
        own_redis.client().set(lease_key(cluster), "watch-other", px=60_000)
        wait_for(lambda: (supervisor.tick(), cluster.pk not in supervisor.held)[1], 15)
        assert held.watcher.stop_event.is_set()
        assert own_redis.client().get(lease_key(cluster)) == b"watch-other"
    finally:
        supervisor.shutdown()


@pytest.fixture
def own_layer(own_redis, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [own_redis.url]},
        }
    }


def test_live_events_while_redis_is_down_are_dropped_and_logged_once(own_redis, own_layer, caplog):
    publisher = Publisher()  # a publisher of its own, on the test's own Redis
    publisher.publish(1, {"type": "cluster.status"})
    publisher.flush()
    assert (publisher.sent, publisher.dropped) == (1, 0)

    own_redis.stop()
    with caplog.at_level(logging.WARNING, logger="routing.live.publish"):
        for _ in range(20):
            publisher.publish(1, {"type": "cluster.status"})
        publisher.flush(timeout=30)
    assert (publisher.sent, publisher.dropped) == (1, 20)
    assert len([r for r in caplog.records if r.name == "routing.live.publish"]) == 1

    own_redis.start()
    deadline = time.monotonic() + 30
    while publisher.sent == 1 and time.monotonic() < deadline:
        publisher.publish(1, {"type": "cluster.status"})
        publisher.flush()
        time.sleep(0.2)
    assert publisher.sent >= 2


def test_no_live_event_is_lost_to_a_connection_pooled_before_a_redis_restart(own_redis, own_layer):
    publisher = Publisher()
    publisher.publish(1, {"type": "cluster.status"})
    publisher.flush()
    own_redis.stop()
    own_redis.start()
    publisher.publish(1, {"type": "cluster.status"})
    publisher.flush()
    assert (publisher.sent, publisher.dropped) == (2, 0)
