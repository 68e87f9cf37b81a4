"""Deleting a cluster deletes its snapshots, object versions and summaries, also while one of
its snapshots is being written: the version and summary rows have no foreign-key constraint in
the database (migration 0026), so this is Django's cascade after Cluster.delete's row lock."""

import threading
import time

import pytest
from django.db import connection, connections

from routing.models import Cluster, ObjectVersion, ServiceSummary, Snapshot
from routing.snapshots import store as snapshot_store
from routing.snapshots import write_snapshot

from .builders import small_cluster


def rows_of(pk: int) -> tuple[int, int, int]:
    return (
        Snapshot.objects.filter(cluster_id=pk).count(),
        ObjectVersion.objects.filter(cluster_id=pk).count(),
        ServiceSummary.objects.filter(cluster_id=pk).count(),
    )


@pytest.mark.django_db
def test_deleting_a_cluster_deletes_its_rows_and_no_other_clusters():
    kept, gone, also_gone = (
        Cluster.objects.create(name=name, source=Cluster.Source.UPLOAD)
        for name in ("kept", "gone", "also-gone")
    )
    for cluster in (kept, gone, also_gone):
        write_snapshot(cluster, small_cluster(), source="manual")
    before = rows_of(kept.pk)
    assert before[1] > 0 and before[2] > 0
    gone_pk = gone.pk
    gone.delete()
    assert rows_of(gone_pk) == (0, 0, 0)
    Cluster.objects.filter(name="also-gone").delete()  # the admin's bulk delete, a queryset's
    assert rows_of(also_gone.pk) == (0, 0, 0)
    assert rows_of(kept.pk) == before


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_cluster_deleted_while_a_snapshot_is_written_leaves_nothing_behind(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks across connections: PostgreSQL only (SQLite has one writer)")
    cluster = Cluster.objects.create(name="busy", source=Cluster.Source.SIMULATED)
    paused, resume = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    insert = snapshot_store._insert

    def insert_then_pause(model, columns, rows):
        count = insert(model, columns, rows)
        if model is ServiceSummary:  # versions and summaries in, not yet committed
            paused.set()
            resume.wait(timeout=60)
        return count

    monkeypatch.setattr(snapshot_store, "_insert", insert_then_pause)

    def run(call):
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - whatever it is, the main thread reports it
            errors.append(exc)
        finally:
            connections.close_all()

    writer = threading.Thread(
        target=run, args=(lambda: write_snapshot(cluster, small_cluster(), source="watch"),)
    )
    writer.start()
    assert paused.wait(timeout=60)
    deleter = threading.Thread(target=run, args=(Cluster.objects.get(pk=cluster.pk).delete,))
    deleter.start()
    # The delete waits for the writer's row lock before it collects anything to delete.
    deadline = time.monotonic() + 60
    while not _waiting_on_a_lock():
        assert time.monotonic() < deadline, "the delete never waited for the writer"
        time.sleep(0.02)
    resume.set()
    writer.join(timeout=60)
    deleter.join(timeout=60)
    assert errors == []
    assert not Cluster.objects.filter(pk=cluster.pk).exists()
    assert rows_of(cluster.pk) == (0, 0, 0)
