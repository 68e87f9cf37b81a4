"""Every write that changes Service summaries leaves their table's pages all-visible again
(PostgreSQL), so the Services list keeps answering from its covering index alone instead of
scanning the heap (routing.snapshots.store.vacuum_summaries; docs/benchmarks.md)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from routing.models import Cluster, ServiceSummary
from routing.snapshots import prune, write_snapshot
from routing.snapshots import store as snapshot_store
from routing.snapshots.trim import trim_object

from .builders import find, small_cluster
from .watching import WatcherWrites

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the visibility map is PostgreSQL's"
)


def unmarked_pages() -> int:
    """How many of the summary table's pages the visibility map does not mark all-visible (the
    rows there a list's index-only scan must read from the heap)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE routing_servicesummary")  # counts the table's marked pages
        cursor.execute(
            "SELECT relpages, relallvisible FROM pg_class WHERE relname = %s",
            [ServiceSummary._meta.db_table],
        )
        pages, marked = cursor.fetchone()
    assert pages > 0
    return pages - marked


def trimmed(objects: list[dict]) -> list[dict]:
    return [trim_object(o) for o in objects]


def relabelled(i: int) -> list[dict]:
    objs = small_cluster(hinted=i % 2 == 0)
    find(objs, "Service", "api")["metadata"]["labels"] = {"round": str(i)}
    return objs


@on_postgresql
@pytest.mark.django_db(transaction=True)  # VACUUM runs after a commit, outside a transaction
def test_every_write_path_leaves_the_summary_pages_all_visible(cluster, demo_objects):
    watcher = WatcherWrites(cluster)
    watcher.write(trimmed(demo_objects))  # the first: every object
    assert unmarked_pages() == 0
    # A change of one Service's policy: the watcher's delta closes one row and opens another.
    changed = [dict(o) for o in demo_objects]
    service = next(o for o in changed if o["kind"] == "Service")
    spec = dict(service["spec"])
    spec["trafficDistribution"] = (
        "PreferClose" if spec.get("trafficDistribution") != "PreferClose" else "PreferSameZone"
    )
    service["spec"] = spec
    snapshot = watcher.write(trimmed(changed))
    assert ServiceSummary.objects.filter(cluster=cluster, first_seq=snapshot.seq).count() == 1
    assert unmarked_pages() == 0
    # write_snapshot (uploads, listings, recomputes) and retention's deletes, on another cluster
    # sharing the table.
    cluster = Cluster.objects.create(name="other", source=Cluster.Source.UPLOAD)
    now = timezone.now()
    for i, days in enumerate([40, 35, 0]):
        write_snapshot(
            cluster, relabelled(i), source="scheduled", taken_at=now - timedelta(days=days)
        )
        assert unmarked_pages() == 0
    assert prune(cluster, now=now) == 2
    assert unmarked_pages() == 0


@pytest.mark.django_db
def test_writes_that_change_summaries_ask_for_the_vacuum_and_others_do_not(
    cluster, demo_objects, django_capture_on_commit_callbacks
):
    vacuum = snapshot_store.vacuum_summaries
    watcher = WatcherWrites(cluster)
    with django_capture_on_commit_callbacks(execute=True) as first:
        watcher.write(trimmed(demo_objects))
    with django_capture_on_commit_callbacks(execute=True) as unchanged:
        watcher.write(trimmed(demo_objects))
    with django_capture_on_commit_callbacks(execute=True) as uploaded_again:
        write_snapshot(cluster, demo_objects, source="upload")
    # Inside a caller's transaction (this test's) it runs and does nothing: VACUUM cannot.
    assert vacuum in first
    assert vacuum not in unchanged
    assert vacuum not in uploaded_again
    assert ServiceSummary.objects.filter(cluster=cluster).count() > 0  # the transaction lives


@pytest.mark.django_db
def test_retention_that_frees_rows_asks_for_the_vacuum(cluster, django_capture_on_commit_callbacks):
    now = timezone.now()
    for i, days in enumerate([40, 0]):
        write_snapshot(
            cluster, relabelled(i), source="scheduled", taken_at=now - timedelta(days=days)
        )
    with django_capture_on_commit_callbacks(execute=True) as pruned:
        assert prune(cluster, now=now) == 1
    with django_capture_on_commit_callbacks(execute=True) as nothing:
        assert prune(cluster, now=now) == 0
    assert snapshot_store.vacuum_summaries in pruned
    assert snapshot_store.vacuum_summaries not in nothing
