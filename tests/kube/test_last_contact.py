"""A watched cluster's "Last contact" moves while its API server talks: with every snapshot the
watch writes, and, for a quiet cluster, with the supervisor's heartbeat (a watch re-opened counts).

Before this, only a status change (idle -> watching -> stale) recorded contact, so a healthy
watched cluster showed the time its watch started, however many snapshots arrived since.
"""

import pytest

from routing.jobs.ingest import start_watch
from routing.jobs.watching import WatchSupervisor
from routing.models import Cluster, Snapshot
from tests.kube.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

FAST = {"debounce": 0.1, "max_delay": 0.5, "stale_after": 1.0}


@pytest.fixture
def cluster():
    return Cluster.objects.create(name="demo", source="simulated", kube_context="simcluster")


def latest(cluster):
    return Snapshot.objects.filter(cluster=cluster).order_by("-seq").first()


def contact(cluster):
    return Cluster.objects.values_list("last_contact_at", flat=True).get(pk=cluster.pk)


def test_contact_moves_with_every_snapshot_the_watch_writes(demo_sim, cluster):
    watcher = start_watch(cluster, **FAST)
    try:
        wait_for(lambda: latest(cluster), 15)
        seen = [contact(cluster)]
        for policy in ("PreferSameZone", "PreferSameNode", "PreferClose"):
            before = latest(cluster).seq
            demo_sim.set_traffic_distribution("shop", "catalog", policy)
            wait_for(lambda b=before: latest(cluster).seq > b, 5)
            snapshot = latest(cluster)
            now = contact(cluster)
            assert now > seen[-1], "contact moved forward"
            # Heard before the snapshot was taken, and not long before: the event that caused it.
            assert now <= snapshot.taken_at
            assert (snapshot.taken_at - now).total_seconds() < 2.0
            seen.append(now)
    finally:
        watcher.stop()


def test_the_heartbeat_moves_contact_of_a_quiet_cluster(demo_sim, cluster):
    supervisor = WatchSupervisor(lease_ttl=3.0, **FAST)
    try:
        supervisor.tick()
        (held,) = supervisor.held.values()
        wait_for(lambda: latest(cluster), 15)
        supervisor.tick()
        first, seq = contact(cluster), latest(cluster).seq
        opened = [w.heard_at for w in held.watcher.watchers]
        # The server ends its watches: each stream re-opens, hears the server, changes nothing.
        demo_sim.faults.drop_watches()
        wait_for(
            lambda: all(w.heard_at > o for w, o in zip(held.watcher.watchers, opened, strict=True)),
            10,
        )
        supervisor.tick()
        assert contact(cluster) > first
        assert latest(cluster).seq == seq, "no snapshot was written: the heartbeat moved it"
    finally:
        supervisor.shutdown()
