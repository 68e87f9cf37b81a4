"""Volumes are refreshed on schedule: by Celery beat in production, by the embedded scheduler of
`make run` (the same task functions)."""

import time

import pytest
from django.conf import settings

from routing.jobs.scheduler import InProcessScheduler
from routing.models import Cluster, JobStats
from routing.volumes.models import TrafficSource

pytestmark = pytest.mark.django_db(transaction=True)


def test_beat_schedules_the_due_volumes_task():
    from dashboard.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["refresh-due-volumes"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks and "routing.refresh_volumes" in app.tasks


def test_the_embedded_scheduler_refreshes_due_sources(settings):
    settings.REDIS_URL = None  # the embedded default: tasks run in the scheduler's thread
    cluster = Cluster.objects.create(name="c", source=Cluster.Source.UPLOAD)
    TrafficSource.objects.create(cluster=cluster, url="http://127.0.0.1:9", refresh_interval=3600)
    scheduler = InProcessScheduler(tick=0.1)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        source = TrafficSource.objects.get(cluster=cluster)
        while source.last_attempt_at is None:
            assert time.monotonic() < deadline, "the scheduler did not refresh within 10 s"
            time.sleep(0.1)
            source.refresh_from_db()
    finally:
        scheduler.stop()
        scheduler.join(5)
    # No snapshot yet: the refresh says so and stores nothing; the job's run is recorded.
    assert "has no snapshot yet" in source.last_error
    stats = JobStats.objects.get(job="volumes", cluster=cluster)
    assert stats.failures == 1 and "no snapshot yet" in stats.last_message
