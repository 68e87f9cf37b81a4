"""The watcher end to end: the real `kubernetes` client against simcluster, into the database.

A change in the simulated cluster is stored within 2 seconds; after a forced 410 the watcher
relists and loses nothing; dropped connections and 500s are survived; a cluster whose API stops
answering is marked stale and recovers by itself; each cluster is watched by one lease holder.
"""

import time

import pytest

from routing.jobs.ingest import start_watch
from routing.jobs.watching import WatchSupervisor
from routing.models import Cluster, Snapshot
from routing.snapshots import objects_at, summaries_at
from tests.kube.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

FAST = {"debounce": 0.1, "max_delay": 0.5, "stale_after": 1.0}


@pytest.fixture
def sim(demo_sim):
    return demo_sim


@pytest.fixture
def cluster():
    return Cluster.objects.create(name="demo", source="simulated", kube_context="simcluster")


def latest(cluster):
    return Snapshot.objects.filter(cluster=cluster).order_by("-seq").first()


def policy_of(cluster, ns, name):
    snapshot = latest(cluster)
    if snapshot is None:
        return None
    row = summaries_at(snapshot).filter(namespace=ns, name=name).first()
    return row.policy if row else None


@pytest.fixture
def watching(sim, cluster):
    watcher = start_watch(cluster, **FAST)
    wait_for(lambda: latest(cluster), 15)
    yield watcher
    watcher.stop()


def test_a_change_is_in_the_database_within_2_seconds(sim, cluster, watching):
    assert policy_of(cluster, "shop", "catalog") == "none"
    started = time.monotonic()
    sim.set_traffic_distribution("shop", "catalog", "PreferSameZone")
    wait_for(lambda: policy_of(cluster, "shop", "catalog") == "PreferSameZone", 2.0)
    assert time.monotonic() - started < 2.0
    assert Cluster.objects.get(pk=cluster.pk).status == "watching"


def test_forced_410_relists_and_loses_no_change(sim, cluster, watching):
    relists = sum(w.relists for w in watching.watchers)
    sim.faults.expire_next_watches(8)
    sim.faults.drop_watches()
    sim.set_traffic_distribution("shop", "email", "PreferSameNode")  # made while expired
    wait_for(lambda: sum(w.relists for w in watching.watchers) > relists, 10)
    wait_for(lambda: policy_of(cluster, "shop", "email") == "PreferSameNode", 5)
    services = [o for o in objects_at(latest(cluster)) if o["kind"] == "Service"]
    assert len(services) == len(sim.objects("services"))


def test_dropped_connections_and_500s_are_survived(sim, cluster, watching):
    sim.faults.fail_next_requests(6, code=500)
    sim.faults.drop_watches(abrupt=True)
    sim.scale("shop", "cart", 3)
    wait_for(lambda: sum(w.reconnects for w in watching.watchers) > 0, 10)
    count = len(sim.objects("pods"))
    wait_for(lambda: sum(1 for o in objects_at(latest(cluster)) if o["kind"] == "Pod") == count, 10)


def test_unreachable_cluster_is_marked_stale_then_recovers(sim, cluster, watching):
    sim.faults.fail_next_requests(10_000, code=503)
    sim.faults.drop_watches(abrupt=True)
    wait_for(lambda: Cluster.objects.get(pk=cluster.pk).status == "stale", 10)
    assert "unreachable" in Cluster.objects.get(pk=cluster.pk).status_message
    sim.faults.clear()
    wait_for(lambda: Cluster.objects.get(pk=cluster.pk).status == "watching", 15)
    sim.set_traffic_distribution("shop", "catalog", "PreferSameNode")
    wait_for(lambda: policy_of(cluster, "shop", "catalog") == "PreferSameNode", 5)


def test_each_cluster_is_watched_by_exactly_one_replica(sim, cluster):
    first, second = WatchSupervisor(lease_ttl=2.0, **FAST), WatchSupervisor(lease_ttl=2.0, **FAST)
    try:
        first.tick()
        second.tick()
        assert list(first.held) == [cluster.pk] and second.held == {}
        wait_for(lambda: latest(cluster), 15)
        # The first replica dies without releasing: its lease expires and the second takes over.
        for held in first.held.values():
            held.watcher.stop()
        first.held.clear()
        wait_for(lambda: (second.tick(), second.held)[1], 6, step=0.5)
        assert list(second.held) == [cluster.pk]
    finally:
        first.shutdown()
        second.shutdown()
