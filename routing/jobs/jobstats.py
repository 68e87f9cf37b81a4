"""Record what /metrics reports about background work: job runs and watch reconnects.

Jobs (Celery workers, the embedded scheduler) and watchers (`manage.py watch`) run outside the
web process, so they write their figures to the database and any web replica reads them at scrape
time (routing.figures.metrics). Every count is one UPDATE with F() expressions, so concurrent
workers never lose an increment to a read-modify-write. Recording never fails the job it records: a
database error is logged and the job's own outcome (its return value or exception) stands.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.db.models import F
from django.utils import timezone

from routing.models import Cluster, JobStats

logger = logging.getLogger(__name__)

# Job names: the `job` label of the metrics.
SNAPSHOT = "snapshot"  # tasks.snapshot_cluster: list the cluster once and store it
SNAPSHOT_DUE = "snapshot_due"  # tasks.snapshot_due_clusters: beat's tick that dispatches them
PRUNE = "prune"  # tasks.prune_snapshots, over all clusters
RECOMPUTE = "recompute"  # tasks.recompute_summaries
WATCH_SNAPSHOT = "watch_snapshot"  # a watcher storing its in-memory state (no listing)
VOLUMES = "volumes"  # tasks.refresh_volumes: one cluster's measured traffic volumes
VOLUMES_DUE = "volumes_due"  # tasks.refresh_due_volumes: beat's tick that dispatches them

MESSAGE_MAX = JobStats._meta.get_field("last_message").max_length


@dataclass
class Outcome:
    """What a run inside `recorded()` may say about itself besides raising."""

    ok: bool = True
    message: str = ""

    def fail(self, message: str) -> None:
        """The run failed but handled it (e.g. the cluster was unreachable) and returns normally."""
        self.ok, self.message = False, message


@contextmanager
def recorded(job: str, cluster_id: int | None = None) -> Iterator[Outcome]:
    """Time the block and record it as one run of `job`; an exception counts as a failure and
    propagates unchanged."""
    outcome = Outcome()
    started = time.perf_counter()
    try:
        yield outcome
    except Exception as exc:
        record_run(job, cluster_id, time.perf_counter() - started, ok=False, message=describe(exc))
        raise
    record_run(job, cluster_id, time.perf_counter() - started, outcome.ok, outcome.message)


def record_run(
    job: str, cluster_id: int | None, duration: float, ok: bool, message: str = ""
) -> None:
    """Count one finished run of `job` and keep it as the last one."""
    now = timezone.now()
    counts: dict[str, Any] = (
        {"successes": F("successes") + 1, "last_success_at": now}
        if ok
        else {"failures": F("failures") + 1, "last_failure_at": now}
    )
    fields = {
        "last_finished_at": now,
        "last_duration_seconds": duration,
        "last_ok": ok,
        "last_message": "" if ok else message[:MESSAGE_MAX],
        **counts,
    }
    try:
        rows = JobStats.objects.filter(job=job, cluster=cluster_id)
        with transaction.atomic():  # a failure here must not break a transaction around us
            if rows.update(**fields):
                return
            if cluster_id is not None and not Cluster.objects.filter(pk=cluster_id).exists():
                return  # deleted while the job ran: its figures went with it
            try:
                with transaction.atomic():
                    JobStats.objects.create(job=job, cluster_id=cluster_id)
            except IntegrityError:
                pass  # another worker created the row first; count on it all the same
            rows.update(**fields)
    except DatabaseError:
        logger.exception("could not record a run of job %s (cluster %s)", job, cluster_id)


def record_reconnects(cluster_id: int, count: int) -> None:
    """Add `count` re-established watch streams to the cluster's counter (one UPDATE)."""
    if count <= 0:
        return
    Cluster.objects.filter(pk=cluster_id).update(
        watch_reconnects=F("watch_reconnects") + count, last_reconnect_at=timezone.now()
    )


def watch_hooks(cluster_id: int) -> dict[str, Callable[..., None]]:
    """The ClusterWatcher callbacks that record a cluster's reconnects and snapshot writes.

    Both are called from the watcher's snapshot thread, never from its resource threads; like
    its other callbacks (routing.jobs.ingest) they first drop a connection the database closed.
    """

    def on_reconnects(count: int) -> None:
        close_old_connections()
        record_reconnects(cluster_id, count)

    def on_snapshot(duration: float, ok: bool, message: str) -> None:
        close_old_connections()
        record_run(WATCH_SNAPSHOT, cluster_id, duration, ok, message)

    return {"on_reconnects": on_reconnects, "on_snapshot": on_snapshot}


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MESSAGE_MAX]
