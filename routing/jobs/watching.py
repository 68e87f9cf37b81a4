"""Supervise watchers: each live cluster watched by exactly one replica, holding a lease.

A replica holds each cluster it watches by two leases, renewed on every tick (a third of their
time-to-live): the Redis one (routing.jobs.locks) decides which replica watches it; the database one
(Cluster.watch_lease_expires_at, one UPDATE per tick for all its clusters) is the heartbeat that
readers and the scheduler see, so a killed watcher's cluster turns stale and gets the scheduled
fallback snapshots (routing.tasks) until a replica takes it over. Each replica also announces
itself by a presence of its own (routing.jobs.presence), which tells the others when it died.

Neither an outage of Redis nor of the database stops the watchers: their state is in memory,
Redis is retried with backoff (the heartbeat and the snapshots go on in PostgreSQL meanwhile),
and each outage is logged when it starts and when it ends. When Redis answers again the leases
are renewed, or taken again if they expired; a cluster another replica took meanwhile is left to
it. Each watcher records its reconnects and snapshot writes for /metrics (routing.jobs.jobstats).
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import DatabaseError, close_old_connections
from django.utils import timezone
from redis import RedisError

from routing.jobs import jobstats
from routing.jobs.ingest import LIVE_SOURCES, record_contact, set_status, start_watch
from routing.jobs.locks import Lease
from routing.jobs.presence import NAMED, SHARING, Presence
from routing.kube.connect import ConnectError
from routing.kube.runner import ClusterWatcher
from routing.models import Cluster

logger = logging.getLogger(__name__)

REDIS_RETRY_MIN = 0.5  # seconds before the first retry of an unreachable Redis ...
REDIS_RETRY_MAX = 10.0  # ... doubling up to this


@dataclass
class _Held:
    lease: Lease
    watcher: ClusterWatcher


class Outage:
    """One dependency's outage: logged once as it starts and once as it ends; with `backoff`,
    `ready()` spaces the attempts out meanwhile (otherwise every tick tries)."""

    def __init__(self, what: str, backoff: bool) -> None:
        self.what = what
        self.backoff = backoff
        self.since: float | None = None
        self.delay = 0.0
        self.retry_at = 0.0

    def ready(self) -> bool:
        return self.since is None or time.monotonic() >= self.retry_at

    def failed(self, exc: Exception) -> None:
        now = time.monotonic()
        if self.since is None:
            self.since, self.delay = now, REDIS_RETRY_MIN
            logger.warning(
                "%s is unreachable (%s); the watchers go on, retrying it%s",
                self.what,
                jobstats.describe(exc).splitlines()[0],
                " with backoff" if self.backoff else " every tick",
            )
        else:
            self.delay = min(self.delay * 2, REDIS_RETRY_MAX)
        self.retry_at = now + (self.delay if self.backoff else 0.0)

    def succeeded(self) -> None:
        if self.since is not None:
            down = time.monotonic() - self.since
            logger.warning("%s is reachable again after %.1f s", self.what, down)
        self.since = None


class WatchSupervisor:
    """Acquires a lease per cluster, runs its watcher, renews the lease, lets go when it loses it.

    Several replicas may run `manage.py watch`: a cluster's lease is held by one at a time, and
    when that replica dies another takes the cluster over once the dead one's presence lapses
    (routing.jobs.presence, half a lease), or when the lease runs out if the replica lives on
    but stopped renewing it, waking for either rather than waiting for its next regular tick.
    The live replicas split the clusters evenly: each takes up to its share and a replica over
    its share (one joined) hands the rest over.
    """

    def __init__(self, names: list[str] | None = None, lease_ttl: float = 15.0, **tuning: object):
        self.names = names
        self.lease_ttl = lease_ttl
        self.holder = f"watch-{uuid.uuid4().hex[:12]}"
        # Half the lease: a dead replica's clusters are taken once its presence lapses, inside
        # the lease period however soon after a renewal it died (routing.jobs.presence).
        self.presence = Presence(self.holder, ttl=lease_ttl / 2, sharing=not names)
        self.wake = threading.Event()  # set when a replica is gone (or on stop): tick now
        self.next_free_at: float | None = None  # when another replica's lease may lapse
        self.renewed_at = time.monotonic()  # the presence and held leases' last renewal
        self.tuning = tuning
        self.held: dict[int, _Held] = {}
        self.redis = Outage("Redis", backoff=True)
        self.database = Outage("the database", backoff=False)

    def clusters(self) -> list[Cluster]:
        query = Cluster.objects.filter(source__in=LIVE_SOURCES)
        if self.names:
            query = query.filter(name__in=self.names)
        return list(query.order_by("name"))

    def tick(self) -> None:
        """Heartbeat, renew held leases (dropping lost ones) and take free clusters."""
        self._attempt(self._heartbeat)
        if self.redis.ready():
            # Presence first: a replica that dies then has its presence lapse before its
            # clusters' leases, so the one that wakes for those counts it gone and takes them.
            self._attempt(self._announce)
            self._attempt(self._renew_leases)
        if self.redis.ready() and self.database.ready():
            self._attempt(self._take_free_clusters)

    def _attempt(self, step: Callable[[], None]) -> None:
        try:
            step()
        except RedisError as exc:
            self.redis.failed(exc)
        except DatabaseError as exc:
            self.database.failed(exc)

    def _write_leases(self, ids: list[int]) -> None:
        expires = timezone.now() + timedelta(seconds=self.lease_ttl)
        Cluster.objects.filter(pk__in=ids).update(watch_lease_expires_at=expires)

    def _heartbeat(self) -> None:
        """Push the database lease of every held cluster forward, and put right its status where
        someone else wrote over what its watcher reports (the scheduler while this replica could
        not renew, a write that failed during a database outage)."""
        close_old_connections()
        if self.held:
            ids = list(self.held)
            self._write_leases(ids)
            rows = Cluster.objects.filter(pk__in=ids).values_list("pk", "status", "source")
            found = {pk: (status, source) for pk, status, source in rows}
            for cluster_id in ids:
                if cluster_id not in found or found[cluster_id][1] not in LIVE_SOURCES:
                    logger.info("cluster %s is no longer watched live; stopping", cluster_id)
                    self._drop(cluster_id, release=True)
                    continue
                watcher = self.held[cluster_id].watcher
                # A quiet cluster writes no snapshot for minutes; its contact still moves.
                record_contact(cluster_id, watcher.last_heard())
                wanted = watcher.status
                if wanted[0] and wanted[0] != found[cluster_id][0]:
                    set_status(cluster_id, *wanted)
        self.database.succeeded()

    def _keep_alive(self, pending: list[Lease]) -> None:
        """Renew the presence and the held leases when a third of the lease has passed since
        they were: starting watchers one after the other (a client each, while the ones started
        already list their clusters in this process's threads) took longer than the lease
        under load, and the other replica, seeing this one gone, took every cluster
        (docs/benchmarks.md, target 5). `pending`: the leases taken whose watchers are yet to
        start (one lost meanwhile is still started: the next tick's renewal drops it)."""
        if time.monotonic() - self.renewed_at >= self.lease_ttl / 3:
            self._announce()
            self._renew_leases()
            for lease in pending:
                lease.renew()

    def _announce(self) -> None:
        self.presence.announce()  # also beaten in its own thread while run() runs

    def _renew_leases(self) -> None:
        self.renewed_at = time.monotonic()
        for cluster_id, held in list(self.held.items()):
            # Not renewed: the key expired (Redis restarted empty, or this replica was cut off
            # for longer than the lease) or another replica holds the cluster now.
            if not held.lease.renew() and not held.lease.acquire():
                logger.warning("cluster %s is held by another replica; stopping", cluster_id)
                self._drop(cluster_id, release=False, clear=False)
        self.redis.succeeded()

    def fair_share(self, clusters: int) -> int:
        """How many clusters this replica should hold: an even split over the live replicas
        (each announces itself with a presence lease, routing.jobs.presence). A replica started
        for named clusters (`watch --cluster`) takes all of those and is not counted."""
        if self.names:
            return clusters
        return -(-clusters // self.presence.sharing())  # ceil

    def _take_free_clusters(self) -> None:
        clusters = self.clusters()
        fair = self.fair_share(len(clusters))
        self.next_free_at = None
        if len(self.held) > fair:
            # A replica joined (or two started together and this one ticked first, alone):
            # hand what is over the share over at once; the others take it on their next tick,
            # and each watch that takes one relists, so no change is lost. One a tick left a
            # replica joining ten clusters' holder uneven for ten ticks (50 s).
            for pk in list(reversed(self.held))[: len(self.held) - fair]:
                logger.info("cluster %s: handed over to even out the replicas' share", pk)
                self._drop(pk, release=True)
            return
        # Leases first, then the watchers: taking a dead replica's clusters over is then a few
        # Redis calls, and no lease waits for the other clusters' watchers to start (each
        # client and first list costs CPU that the running watchers share; docs/benchmarks.md).
        taken: list[tuple[Cluster, Lease]] = []
        for cluster in clusters:
            if cluster.pk in self.held:
                continue
            lease = Lease(f"watch:{cluster.pk}", ttl=self.lease_ttl, holder=self.holder)
            # At its share, a replica only notes when the others' leases run out. Under it (a
            # replica died: its presence lapsed, the share grew) it takes free leases and those
            # of replicas whose presence is gone, without waiting for them to lapse.
            if len(self.held) + len(taken) >= fair or not lease.claim((SHARING, NAMED)):
                # Held by another replica: wake when its lease would run out, so that the
                # cluster of a replica that died is taken over within one lease period.
                left = lease.remaining()
                if left is not None:
                    at = time.monotonic() + left
                    self.next_free_at = min(self.next_free_at or at, at)
                continue
            taken.append((cluster, lease))
        if taken:  # before their watchers report `watching`
            self._write_leases([cluster.pk for cluster, _ in taken])
        for i, (cluster, lease) in enumerate(taken):
            self._keep_alive([later for _, later in taken[i:]])
            try:
                watcher = start_watch(
                    cluster, **{**jobstats.watch_hooks(cluster.pk), **self.tuning}
                )
            except ConnectError as exc:
                Cluster.objects.filter(pk=cluster.pk).update(watch_lease_expires_at=None)
                set_status(cluster.pk, Cluster.Status.STALE, str(exc))
                lease.release()
                continue
            logger.info("watching cluster %s", cluster.name)
            self.held[cluster.pk] = _Held(lease, watcher)
        self.redis.succeeded()

    def _drop(self, cluster_id: int, *, release: bool, clear: bool = True) -> None:
        """Stop watching a cluster; `release` its Redis lease, `clear` its database one."""
        held = self.held.pop(cluster_id)
        held.watcher.stop()
        if release:
            try:
                held.lease.release()
            except RedisError as exc:
                logger.warning("lease of cluster %s not released (%s); it expires", cluster_id, exc)
        if clear:
            Cluster.objects.filter(pk=cluster_id).update(watch_lease_expires_at=None)

    def next_wait(self) -> float:
        """Seconds to the next tick: a third of the lease (renewals), or sooner when another
        replica's lease on a cluster this one would take runs out before then."""
        wait = self.lease_ttl / 3
        if self.next_free_at is not None:
            wait = min(wait, max(0.05, self.next_free_at - time.monotonic() + 0.05))
        return wait

    def run(self, stop: threading.Event) -> None:
        """Tick until `stop` is set, then stop every watcher and release the leases. The presence
        beats in its own thread meanwhile and wakes the loop when another replica is gone."""
        threading.Thread(target=self._wake_on, args=(stop,), name="watch-stop", daemon=True).start()
        self.presence.start(on_departure=self.wake.set)
        try:
            while not stop.is_set():
                self.wake.clear()  # before the tick: a departure seen during it wakes the next
                try:
                    self.tick()
                except Exception:  # a bug must not end every cluster's watch
                    logger.exception("watch supervisor: tick failed; the next one retries")
                self.wake.wait(self.next_wait())
        finally:
            self.shutdown()

    def _wake_on(self, stop: threading.Event) -> None:
        stop.wait()
        self.wake.set()

    def shutdown(self) -> None:
        self.presence.stop()  # released: the others' share grows now, not when it expires
        for cluster_id in list(self.held):
            try:
                self._drop(cluster_id, release=True)
                set_status(cluster_id, Cluster.Status.IDLE, "watcher stopped")
            except DatabaseError as exc:
                logger.warning("cluster %s: status not recorded (%s)", cluster_id, exc)
