"""Two watch replicas split the clusters evenly, a replica that joins late gets its share handed
over (all it is owed, at once), one that leaves or dies gives them all to the other: a dead one's
once its presence lapses (half a lease), a hung one's when their leases run out, each without
waiting for the next regular tick, taking every lease before it starts their watchers."""

import time

import pytest
from django.db import connections

from routing.jobs.locks import Lease
from routing.jobs.watching import WatchSupervisor
from routing.models import Cluster
from tests.kube.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

FAST = {"debounce": 0.1, "max_delay": 0.5, "stale_after": 1.0}
TTL = 2.0


@pytest.fixture
def clusters(demo_sim):
    return [
        Cluster.objects.create(name=f"c{i}", source="simulated", kube_context="simcluster")
        for i in range(4)
    ]


def test_a_late_replica_gets_its_share_and_a_leaving_one_hands_all_over(clusters):
    first, second = WatchSupervisor(lease_ttl=TTL, **FAST), WatchSupervisor(lease_ttl=TTL, **FAST)
    try:
        first.tick()
        assert len(first.held) == 4  # alone: all of them
        second.tick()  # announces itself; every cluster is held
        assert second.held == {}
        first.tick()  # over its share: hands the rest over at once
        assert len(first.held) == 2
        second.tick()
        assert len(first.held) == len(second.held) == 2
        assert set(first.held) | set(second.held) == {c.pk for c in clusters}
        first.shutdown()  # leaves: its presence and leases are released at once
        second.tick()
        assert len(second.held) == 4
    finally:
        first.shutdown()
        second.shutdown()


def test_a_replica_wakes_when_anothers_lease_runs_out_and_takes_over(clusters):
    """The other replica is present (its presence beats) but its supervisor stopped renewing
    the lease (hung): the cluster is taken on the first tick after the lease ran out."""
    Cluster.objects.exclude(pk=clusters[0].pk).delete()
    first, second = WatchSupervisor(lease_ttl=TTL, **FAST), WatchSupervisor(lease_ttl=TTL, **FAST)
    try:
        first.tick()
        first.presence.start(on_departure=lambda: None)
        second.tick()
        assert list(first.held) == [clusters[0].pk] and second.held == {}
        left = Lease(f"watch:{clusters[0].pk}", ttl=TTL).remaining()
        assert left is not None and 0 < left <= TTL
        # The second knows when the lease would lapse, within the lease's own time left, and
        # its next tick comes no later than that (not a regular third of the lease later).
        assert second.next_free_at is not None
        assert second.next_free_at - time.monotonic() <= TTL
        assert second.next_wait() <= max(0.05, second.next_free_at - time.monotonic()) + 0.05
        second.next_free_at = time.monotonic() + 0.2
        assert second.next_wait() < TTL / 3
        # The first's supervisor hangs: its watcher stops, its presence goes on beating.
        for held in first.held.values():
            held.watcher.stop()
        first.held.clear()
        ticks_after_expiry = 0
        while not second.held:
            time.sleep(second.next_wait())
            expired = Lease(f"watch:{clusters[0].pk}", ttl=TTL).remaining() is None
            second.tick()
            ticks_after_expiry += expired
        assert ticks_after_expiry == 1  # taken on the first tick after the lease ran out
        assert first.presence.lease.remaining() is not None  # present all along
        wait_for(lambda: second.held[clusters[0].pk].watcher.snapshots_written, 15)
    finally:
        first.shutdown()
        second.shutdown()


def die(replica: WatchSupervisor, lease_left: float, monkeypatch) -> None:
    """The replica dies without a word (SIGKILL): its watchers stop, nothing is released, its
    presence is no longer renewed; its leases are left `lease_left` seconds to run, as if it
    had renewed them just before dying with that lease."""
    monkeypatch.setattr(replica.presence, "announce", lambda: None)  # its beat renews nothing
    for pk, held in replica.held.items():
        held.watcher.stop()
        assert Lease(f"watch:{pk}", ttl=lease_left, holder=replica.holder).renew()
    replica.held.clear()


def test_a_dead_replicas_cluster_is_taken_once_its_presence_lapses_not_its_lease(
    clusters, monkeypatch
):
    Cluster.objects.exclude(pk=clusters[0].pk).delete()
    first, second = WatchSupervisor(lease_ttl=TTL, **FAST), WatchSupervisor(lease_ttl=TTL, **FAST)
    try:
        first.tick()
        first.presence.start(on_departure=lambda: None)
        second.tick()  # the first is present: nothing taken
        assert list(first.held) == [clusters[0].pk] and second.held == {}
        die(first, 60, monkeypatch)
        wait_for(lambda: first.presence.lease.remaining() is None, 5, step=0.05)
        second.tick()
        assert list(second.held) == [clusters[0].pk]
        lease = Lease(f"watch:{clusters[0].pk}", ttl=TTL, holder=second.holder)
        assert lease.renew()  # the second's now, 58 s before the first's would have lapsed
        wait_for(lambda: second.held[clusters[0].pk].watcher.snapshots_written, 15)
    finally:
        first.shutdown()
        second.shutdown()


def test_a_running_replica_wakes_when_another_departs(clusters, monkeypatch):
    """run(): the presence's beat sees the dead replica gone and wakes the loop, which takes its
    cluster; no regular tick (an hour here) and no lapse of its lease (a minute) is waited for.
    Setting `stop` wakes the loop too."""
    import threading

    Cluster.objects.exclude(pk=clusters[0].pk).delete()
    first, second = WatchSupervisor(lease_ttl=TTL, **FAST), WatchSupervisor(lease_ttl=TTL, **FAST)
    monkeypatch.setattr(second, "next_wait", lambda: 3600.0)
    stop = threading.Event()

    def run() -> None:
        try:
            second.run(stop)
        finally:
            connections.close_all()  # this thread's: the test database is dropped after

    runner = threading.Thread(target=run)
    try:
        first.tick()
        first.presence.start(on_departure=lambda: None)
        runner.start()
        wait_for(lambda: second.presence.seen == {first.holder, second.holder}, 10, step=0.05)
        assert second.held == {}  # its first tick found the cluster held by a live replica
        die(first, 60, monkeypatch)
        wait_for(lambda: clusters[0].pk in second.held, 20, step=0.05)
    finally:
        stop.set()
        runner.join(10)
        first.shutdown()
        second.shutdown()
    assert not runner.is_alive()  # stopped at once, not at its next (hourly) tick
    assert Lease(f"watch:{clusters[0].pk}", ttl=TTL).remaining() is None  # released


def test_a_replica_takes_every_lease_before_it_starts_a_watcher(clusters, monkeypatch):
    """Taking clusters over is a few Redis calls: no lease waits for other clusters' watchers
    to start (each lists its cluster first), so a dead replica's clusters are all held at once."""
    import routing.jobs.watching as watching

    started_with: list[list[bool]] = []
    real_start = watching.start_watch

    def start_watch(cluster, **tuning):
        held = [Lease(f"watch:{c.pk}", ttl=TTL).remaining() is not None for c in clusters]
        started_with.append(held)
        return real_start(cluster, **tuning)

    monkeypatch.setattr(watching, "start_watch", start_watch)
    replica = WatchSupervisor(lease_ttl=TTL, **FAST)
    try:
        replica.tick()
        assert len(replica.held) == 4
        assert started_with == [[True] * 4] * 4
    finally:
        replica.shutdown()


def test_leases_are_renewed_while_watchers_start_slowly(clusters, monkeypatch):
    """Starting watchers one by one can take longer than the lease under load: the presence and
    the leases already held are renewed between starts, so no other replica sees this one gone
    and takes its clusters in the meantime."""
    import routing.jobs.watching as watching

    real_start = watching.start_watch
    others = WatchSupervisor(lease_ttl=TTL, **FAST)
    replica = WatchSupervisor(lease_ttl=TTL, **FAST)

    def slow_start(cluster, **tuning):
        time.sleep(TTL / 2)  # four starts: twice the lease
        return real_start(cluster, **tuning)

    monkeypatch.setattr(watching, "start_watch", slow_start)
    replica.presence.start(on_departure=lambda: None)  # as run() does
    try:
        replica.tick()  # takes all four (alone), 4 x TTL/2 to start them
        assert len(replica.held) == 4
        assert replica.presence.lease.remaining() is not None  # still there
        for c in clusters:
            assert Lease(f"watch:{c.pk}", ttl=TTL).remaining() is not None
        monkeypatch.setattr(watching, "start_watch", real_start)
        others.tick()  # sees two replicas and every cluster held: takes none
        assert others.held == {}
    finally:
        replica.shutdown()
        others.shutdown()
