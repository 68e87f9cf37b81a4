"""Watch reconnects reach /metrics: the real watcher, through WatchSupervisor, against simcluster.

A watch the server ends cleanly is resumed and not counted; a dropped connection and a forced
410 Gone are, and the database counter catches up with the watcher's own count. The watcher's
snapshot writes are recorded as runs of the job `watch_snapshot`.
"""

import time

import pytest
from rest_framework.test import APIClient

from routing.jobs.watching import WatchSupervisor
from routing.models import Cluster, JobStats

from .test_watcher_live import FAST, latest, policy_of, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cluster(demo_sim):
    return Cluster.objects.create(name="demo", source="simulated", kube_context="simcluster")


@pytest.fixture
def supervised(cluster):
    supervisor = WatchSupervisor(lease_ttl=5.0, **FAST)
    supervisor.tick()
    wait_for(lambda: latest(cluster), 15)
    yield supervisor.held[cluster.pk].watcher
    supervisor.shutdown()


def stored(cluster) -> int:
    return Cluster.objects.get(pk=cluster.pk).watch_reconnects


def counted(watcher) -> int:
    return sum(w.reconnects for w in watcher.watchers)


def scraped(settings) -> str:
    settings.TRAFFICLENS_METRICS_PUBLIC = True
    response = APIClient().get("/metrics")
    assert response.status_code == 200
    return response.content.decode()


def test_reconnects_after_drops_and_410s_reach_the_metric(demo_sim, cluster, supervised, settings):
    sim = demo_sim
    assert stored(cluster) == 0 and Cluster.objects.get(pk=cluster.pk).last_reconnect_at is None

    # A clean end, as at the server's timeout: resumed, and no reconnect.
    sim.faults.drop_watches()
    sim.set_traffic_distribution("shop", "catalog", "PreferSameZone")
    wait_for(lambda: policy_of(cluster, "shop", "catalog") == "PreferSameZone", 5)
    time.sleep(1.5)  # longer than the watcher waits between reports
    assert counted(supervised) == 0 and stored(cluster) == 0

    # Connections reset mid-stream: every resource reconnects.
    sim.faults.drop_watches(abrupt=True)
    wait_for(lambda: stored(cluster) > 0, 10)
    wait_for(lambda: stored(cluster) == counted(supervised), 5)
    after_drop = stored(cluster)
    assert Cluster.objects.get(pk=cluster.pk).last_reconnect_at is not None
    assert f'trafficlens_watch_reconnects_total{{cluster="demo"}} {after_drop}\n' in scraped(
        settings
    )

    # 410 Gone on the next watches: a relist each, counted too.
    relists = sum(w.relists for w in supervised.watchers)
    sim.faults.expire_next_watches(2)
    sim.faults.drop_watches()
    wait_for(lambda: sum(w.relists for w in supervised.watchers) >= relists + 2, 10)
    wait_for(lambda: stored(cluster) >= after_drop + 2, 5)
    wait_for(lambda: stored(cluster) == counted(supervised), 5)
    final = stored(cluster)
    assert f'trafficlens_watch_reconnects_total{{cluster="demo"}} {final}\n' in scraped(settings)


def test_watcher_snapshots_are_recorded_as_job_runs(demo_sim, cluster, supervised, settings):
    demo_sim.scale("shop", "cart", 3)
    wait_for(lambda: JobStats.objects.filter(job="watch_snapshot", successes__gte=2).exists(), 5)
    row = JobStats.objects.get(job="watch_snapshot", cluster=cluster)
    assert row.failures == 0 and row.last_ok and row.last_duration_seconds > 0
    text = scraped(settings)
    assert 'trafficlens_job_runs_total{job="watch_snapshot",cluster="demo",outcome="success"}' in (
        text
    )
    assert 'trafficlens_job_last_duration_seconds{job="watch_snapshot",cluster="demo"}' in text
