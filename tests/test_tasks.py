"""Scheduled jobs: due clusters, one snapshot at a time per cluster, and real Celery on Redis."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from routing import tasks
from routing.jobs.locks import Lease
from routing.models import Cluster, Snapshot

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def sim(demo_sim):
    return demo_sim


@pytest.fixture
def demo(sim):
    return Cluster.objects.create(
        name="demo", source="simulated", kube_context="simcluster", snapshot_interval=60
    )


def test_snapshot_cluster_lists_through_the_client_and_stores(demo):
    snapshot_id = tasks.snapshot_cluster(demo.pk)
    snapshot = Snapshot.objects.get(pk=snapshot_id)
    assert snapshot.services == 12 and snapshot.source == "scheduled"
    assert Cluster.objects.get(pk=demo.pk).status == "idle"


def test_a_second_snapshot_of_the_same_cluster_waits_its_turn(demo):
    held = Lease(f"snapshot:{demo.pk}", ttl=30)
    assert held.acquire()
    try:
        assert tasks.snapshot_cluster(demo.pk) is None  # skipped, not run concurrently
        assert not Snapshot.objects.exists()
    finally:
        held.release()
    assert tasks.snapshot_cluster(demo.pk) is not None


def test_due_clusters_follow_interval_and_skip_watched_and_uploads(demo):
    upload = Cluster.objects.create(name="up", source="upload")
    assert [c.pk for c in tasks.due_clusters()] == [demo.pk]
    tasks.snapshot_cluster(demo.pk)
    assert tasks.due_clusters() == []
    assert [c.pk for c in tasks.due_clusters(timezone.now() + timedelta(seconds=61))] == [demo.pk]
    Cluster.objects.filter(pk=demo.pk).update(status="watching")
    assert tasks.due_clusters(timezone.now() + timedelta(days=1)) == []
    assert upload not in tasks.due_clusters()


def test_unreachable_cluster_is_marked_stale(demo, sim):
    sim.faults.fail_next_requests(100, code=503)
    assert tasks.snapshot_cluster(demo.pk) is None
    cluster = Cluster.objects.get(pk=demo.pk)
    assert cluster.status == "stale" and "503" in cluster.status_message


def test_prune_and_recompute(demo):
    first = tasks.snapshot_cluster(demo.pk)
    again = tasks.recompute_summaries(demo.pk)
    assert again != first and Snapshot.objects.get(pk=again).changed_objects == 0
    Snapshot.objects.filter(pk=first).update(taken_at=timezone.now() - timedelta(days=90))
    assert tasks.prune_snapshots() == 1
    assert list(Snapshot.objects.values_list("pk", flat=True)) == [again]


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL") or connection.vendor != "postgresql",
    reason="runs Celery worker and beat on Redis against PostgreSQL (as CI does)",
)
def test_celery_worker_and_beat_snapshot_a_due_cluster(demo):
    from django.conf import settings

    s = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
        f"/{s['NAME']}",
        "TRAFFICLENS_SIM_KUBECONFIG": str(settings.TRAFFICLENS_SIM_KUBECONFIG),
    }
    celery = [sys.executable, "-m", "celery", "-A", "dashboard"]
    worker = subprocess.Popen(
        [*celery, "worker", "--pool=solo", "--queues=trafficlens", "--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
    )
    beat = subprocess.Popen(
        [
            *celery,
            "beat",
            "--loglevel=WARNING",
            "--schedule",
            str(Path(settings.TRAFFICLENS_SIM_KUBECONFIG).parent / "beat"),
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 40
        while not Snapshot.objects.filter(cluster=demo).exists():
            assert time.monotonic() < deadline, "no snapshot from Celery within 40 s"
            assert worker.poll() is None and beat.poll() is None
            time.sleep(0.25)
        assert Snapshot.objects.get(cluster=demo).source == "scheduled"
    finally:
        for proc in (beat, worker):
            proc.terminate()
        for proc in (beat, worker):
            proc.wait(20)
