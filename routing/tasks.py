"""Scheduled jobs: snapshot each cluster on its interval, prune past retention, recompute.

Celery runs them in production (worker + beat on Redis, see dashboard/celery.py); the embedded
default calls the same functions from routing/jobs/scheduler.py. A snapshot is one transaction, so a
worker killed half-way leaves nothing behind, and with acks_late its job runs again elsewhere.

Each run is recorded when it ends, successful or not, for /metrics (routing.jobs.jobstats): here,
so that Celery and the embedded scheduler are counted alike. A skipped snapshot is not a run.

Watched clusters are skipped while their watcher renews its lease (routing.jobs.watching). A lapsed
lease means the watcher died or was cut off: its cluster is recorded stale, snapshotted at once
(the watcher may have died with changes unwritten) and then on its interval until a watcher
takes it over again.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from routing.jobs import jobstats
from routing.jobs.ingest import LIVE_SOURCES, record_lease_lapsed, set_status, snapshot_now
from routing.jobs.locks import Lease
from routing.kube.connect import ConnectError
from routing.models import Cluster, Snapshot
from routing.snapshots import objects_at, prune, write_snapshot
from routing.volumes.refresh import RefreshError, due_sources, prune_fetches, refresh

logger = logging.getLogger(__name__)

SNAPSHOT_LOCK_TTL = 600.0  # longer than any snapshot should take; released as soon as it ends


@shared_task(name="routing.snapshot_cluster")
def snapshot_cluster(cluster_id: int, source: str = Snapshot.Source.SCHEDULED) -> int | None:
    """Snapshot one cluster now; returns the snapshot id, or None when skipped or unreachable."""
    lock = Lease(f"snapshot:{cluster_id}", ttl=SNAPSHOT_LOCK_TTL)
    if not lock.acquire():
        logger.info("cluster %s: a snapshot is already running; skipped", cluster_id)
        return None
    try:
        with jobstats.recorded(jobstats.SNAPSHOT, cluster_id) as outcome:
            cluster = Cluster.objects.get(pk=cluster_id)
            try:
                return snapshot_now(cluster, source=source).pk
            except (ConnectError, ApiException, HTTPError, OSError) as exc:
                set_status(cluster_id, Cluster.Status.STALE, f"snapshot failed: {exc}")
                logger.warning("cluster %s: snapshot failed: %s", cluster.name, exc)
                outcome.fail(f"snapshot failed: {jobstats.describe(exc)}")
                return None
    finally:
        lock.release()


def due_clusters(now: datetime | None = None) -> list[Cluster]:
    """Live clusters no live watcher holds whose last snapshot is older than their interval."""
    now = now or timezone.now()
    due = []
    candidates = Cluster.objects.filter(source__in=LIVE_SOURCES).exclude(Cluster.watched_q(now))
    for cluster in candidates:
        latest = cluster.snapshots.order_by("-seq").values_list("taken_at", flat=True).first()
        if latest is None or now - latest >= timedelta(seconds=cluster.snapshot_interval):
            due.append(cluster)
    return due


def record_lapsed_watchers(now: datetime) -> list[int]:
    """Record every `watching` cluster whose lease lapsed as stale; returns their ids."""
    lapsed = Cluster.objects.filter(
        source__in=LIVE_SOURCES,
        status=Cluster.Status.WATCHING,
        watch_lease_expires_at__lte=now,
    )
    ids = [pk for pk in lapsed.values_list("pk", flat=True) if record_lease_lapsed(pk, now)]
    for pk in ids:
        logger.warning("cluster %s: its watcher stopped renewing its lease; snapshotting it", pk)
    return ids


@shared_task(name="routing.snapshot_due_clusters")
def snapshot_due_clusters() -> list[int]:
    """Dispatch a snapshot for every due cluster (to the workers, or here without Redis)."""
    with jobstats.recorded(jobstats.SNAPSHOT_DUE):
        now = timezone.now()
        orphaned = record_lapsed_watchers(now)
        ids = sorted({*orphaned, *(c.pk for c in due_clusters(now))})
        _dispatch(snapshot_cluster, ids)
    return ids


def _dispatch(task: Any, cluster_ids: list[int]) -> None:
    """Run the task for each cluster: on the workers with Redis, else here (make run)."""
    for cluster_id in cluster_ids:
        if settings.REDIS_URL:
            task.delay(cluster_id)
        else:
            task(cluster_id)


@shared_task(name="routing.prune_snapshots")
def prune_snapshots() -> int:
    """Delete snapshots past each cluster's retention; returns how many went."""
    with jobstats.recorded(jobstats.PRUNE):
        clusters = list(Cluster.objects.all())
        gone = sum(prune(cluster) for cluster in clusters)
        for cluster in clusters:  # volume fetches that no kept snapshot is costed with
            prune_fetches(cluster)
        return gone


@shared_task(name="routing.recompute_summaries")
def recompute_summaries(cluster_id: int) -> int | None:
    """Re-analyse the latest snapshot's objects (e.g. after a price change) as a new snapshot.

    History keeps the figures it was computed with; the new snapshot carries the new ones.
    """
    with jobstats.recorded(jobstats.RECOMPUTE, cluster_id):
        cluster = Cluster.objects.get(pk=cluster_id)
        latest = cluster.snapshots.order_by("-seq").first()
        if latest is None:
            return None
        objects = objects_at(latest)
        snapshot = write_snapshot(
            cluster, objects, source=Snapshot.Source.MANUAL, reanalyze_all=True
        )
    return snapshot.pk


VOLUMES_LOCK_TTL = 900.0  # a refresh is one query; its timeout is at most 600 s


@shared_task(name="routing.refresh_volumes")
def refresh_volumes(cluster_id: int) -> int | None:
    """Refresh one cluster's measured volumes; returns the new fetch's id, or None when it
    failed (the source records why; the previous volumes stay) or another refresh is running."""
    lock = Lease(f"volumes:{cluster_id}", ttl=VOLUMES_LOCK_TTL)
    if not lock.acquire():
        return None
    try:
        with jobstats.recorded(jobstats.VOLUMES, cluster_id) as outcome:
            cluster = Cluster.objects.get(pk=cluster_id)
            try:
                found = refresh(cluster)
            except RefreshError as exc:
                outcome.fail(str(exc))
                return None
            return found.fetch.pk if found.fetch else None
    finally:
        lock.release()


@shared_task(name="routing.refresh_due_volumes")
def refresh_due_volumes() -> list[int]:
    """Dispatch a refresh for every cluster whose source is due (to the workers, or here)."""
    with jobstats.recorded(jobstats.VOLUMES_DUE):
        ids = [source.cluster_id for source in due_sources()]
        _dispatch(refresh_volumes, ids)
    return ids
