"""Supervise watchers: each live cluster watched by exactly one replica, holding a lease.

Each watcher records its reconnects and snapshot writes for /metrics (routing.jobstats).
"""

import logging
import threading
import uuid
from dataclasses import dataclass

from django.db import close_old_connections

from routing import jobstats
from routing.ingest import LIVE_SOURCES, set_status, start_watch
from routing.kube.connect import ConnectError
from routing.kube.runner import ClusterWatcher
from routing.locks import Lease
from routing.models import Cluster

logger = logging.getLogger(__name__)


@dataclass
class _Held:
    lease: Lease
    watcher: ClusterWatcher


class WatchSupervisor:
    """Acquires a lease per cluster, runs its watcher, renews the lease, lets go when it loses it.

    Several replicas may run `manage.py watch`: a cluster's lease is held by one at a time, and
    when that replica dies its lease expires and another takes the cluster over.
    """

    def __init__(self, names: list[str] | None = None, lease_ttl: float = 15.0, **tuning: object):
        self.names = names
        self.lease_ttl = lease_ttl
        self.holder = f"watch-{uuid.uuid4().hex[:12]}"
        self.tuning = tuning
        self.held: dict[int, _Held] = {}

    def clusters(self) -> list[Cluster]:
        query = Cluster.objects.filter(source__in=LIVE_SOURCES)
        if self.names:
            query = query.filter(name__in=self.names)
        return list(query.order_by("name"))

    def tick(self) -> None:
        """Renew held leases (dropping lost ones) and take free clusters."""
        close_old_connections()
        for cluster_id, held in list(self.held.items()):
            if not held.lease.renew():
                logger.warning("lost the lease of cluster %s; stopping its watcher", cluster_id)
                held.watcher.stop()
                del self.held[cluster_id]
        for cluster in self.clusters():
            if cluster.pk in self.held:
                continue
            lease = Lease(f"watch:{cluster.pk}", ttl=self.lease_ttl, holder=self.holder)
            if not lease.acquire():
                continue
            try:
                watcher = start_watch(
                    cluster, **{**jobstats.watch_hooks(cluster.pk), **self.tuning}
                )
            except ConnectError as exc:
                set_status(cluster.pk, Cluster.Status.STALE, str(exc))
                lease.release()
                continue
            logger.info("watching cluster %s", cluster.name)
            self.held[cluster.pk] = _Held(lease, watcher)

    def run(self, stop: threading.Event) -> None:
        """Tick until `stop` is set, then stop every watcher and release the leases."""
        try:
            while True:
                self.tick()
                if stop.wait(self.lease_ttl / 3):
                    break
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        for cluster_id, held in self.held.items():
            held.watcher.stop()
            held.lease.release()
            set_status(cluster_id, Cluster.Status.IDLE, "watcher stopped")
        self.held.clear()
