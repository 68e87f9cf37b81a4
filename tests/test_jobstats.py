"""Job runs and watch reconnects recorded for /metrics: counted with F(), failures re-raised.

The jobs run here are the real task functions (routing.tasks), as Celery and the embedded
scheduler call them; the watcher's side is in tests/kube/test_reconnect_metric.py.
"""

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from routing import tasks
from routing.jobs import jobstats
from routing.jobs.locks import Lease
from routing.models import Cluster, JobStats
from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(settings):
    """An upload cluster with one snapshot of the demo shop (no live cluster needed)."""
    cluster = Cluster.objects.create(name="shop", source=Cluster.Source.UPLOAD)
    import_dump(cluster, DEMO_DUMP.read_bytes())
    return cluster


def stats(job: str, cluster: Cluster | None = None) -> JobStats:
    return JobStats.objects.get(job=job, cluster=cluster)


def test_a_successful_job_records_its_duration_and_time(shop):
    before = timezone.now()
    snapshot_id = tasks.recompute_summaries(shop.pk)
    assert snapshot_id is not None
    row = stats("recompute", shop)
    assert (row.successes, row.failures, row.last_ok, row.last_message) == (1, 0, True, "")
    assert row.last_duration_seconds > 0
    assert before <= row.last_success_at == row.last_finished_at <= timezone.now()
    assert row.last_failure_at is None


def test_a_job_that_raises_records_a_failure_and_re_raises(shop, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tasks, "write_snapshot", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        tasks.recompute_summaries(shop.pk)
    row = stats("recompute", shop)
    assert (row.successes, row.failures, row.last_ok) == (0, 1, False)
    assert row.last_message == "RuntimeError: disk full"
    assert row.last_duration_seconds > 0
    assert row.last_failure_at is not None and row.last_success_at is None


def test_counts_add_up_and_the_last_run_wins(shop):
    tasks.recompute_summaries(shop.pk)
    tasks.recompute_summaries(shop.pk)
    jobstats.record_run("recompute", shop.pk, 0.5, False, "x" * 2000)
    row = stats("recompute", shop)
    assert (row.successes, row.failures, row.last_ok) == (2, 1, False)
    assert row.last_duration_seconds == 0.5 and len(row.last_message) == 500
    assert row.last_success_at is not None  # kept from the earlier success
    assert JobStats.objects.count() == 1


def test_a_handled_snapshot_failure_is_a_failed_run_that_returns_none(settings, tmp_path):
    settings.TRAFFICLENS_KUBECONFIG = str(tmp_path / "missing-kubeconfig")
    cluster = Cluster.objects.create(name="gone", source="kubeconfig", kube_context="nowhere")
    assert tasks.snapshot_cluster(cluster.pk) is None  # marked stale, not raised
    row = stats("snapshot", cluster)
    assert (row.successes, row.failures) == (0, 1)
    assert row.last_message.startswith("snapshot failed: ConnectError")
    assert Cluster.objects.get(pk=cluster.pk).status == "stale"


def test_a_skipped_snapshot_is_not_a_run(shop):
    held = Lease(f"snapshot:{shop.pk}", ttl=30)
    assert held.acquire()
    try:
        assert tasks.snapshot_cluster(shop.pk) is None
    finally:
        held.release()
    assert not JobStats.objects.filter(job="snapshot").exists()


def test_global_jobs_have_one_row_without_a_cluster(shop):
    tasks.prune_snapshots()
    tasks.prune_snapshots()
    tasks.snapshot_due_clusters()  # an upload cluster is never due: a run that dispatches none
    assert stats("prune").successes == 2
    assert stats("snapshot_due").successes == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        JobStats.objects.create(job="prune")  # NULLs do not slip past the unique constraint


def test_a_run_of_a_deleted_cluster_is_dropped_quietly(db):
    jobstats.record_run("snapshot", 987654, 0.1, True)
    assert not JobStats.objects.exists()


def test_recording_is_one_update_with_f_not_a_read_modify_write(shop):
    jobstats.record_run("snapshot", shop.pk, 0.1, True)  # creates the row
    with CaptureQueriesContext(connection) as queries:
        jobstats.record_run("snapshot", shop.pk, 0.2, True)
        jobstats.record_reconnects(shop.pk, 3)
    statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 2, statements
    assert all(sql.startswith("UPDATE") for sql in statements), statements
    assert '"successes" + ' in statements[0] and '"watch_reconnects" + ' in statements[1]


def test_reconnects_add_up(shop):
    jobstats.record_reconnects(shop.pk, 2)
    jobstats.record_reconnects(shop.pk, 3)
    jobstats.record_reconnects(shop.pk, 0)
    shop.refresh_from_db()
    assert shop.watch_reconnects == 5 and shop.last_reconnect_at is not None


def test_saving_a_stale_cluster_row_does_not_undo_the_counter(shop):
    loaded = Cluster.objects.get(pk=shop.pk)  # as the admin form or the API loads it
    jobstats.record_reconnects(shop.pk, 7)
    loaded.display_name = "Shop"
    loaded.save()
    client = APIClient()
    client.force_authenticate(User.objects.create_superuser("root"))
    response = client.patch("/api/v1/clusters/shop/", {"retentionDays": 9})
    assert response.status_code == 200
    shop.refresh_from_db()
    assert (shop.watch_reconnects, shop.display_name, shop.retention_days) == (7, "Shop", 9)


def test_a_recording_failure_never_hides_the_job_outcome(shop, monkeypatch):
    def unreachable(*args, **kwargs):
        raise DatabaseError("database went away")

    monkeypatch.setattr(JobStats.objects, "filter", unreachable)
    with (
        pytest.raises(ValueError, match="the job's own error"),
        jobstats.recorded("recompute", shop.pk),
    ):
        raise ValueError("the job's own error")
    with jobstats.recorded("recompute", shop.pk) as outcome:
        pass  # succeeds although it cannot be recorded
    assert outcome.ok
