"""Measured traffic volumes stored straight into the database, as a refresh would leave them: a
cluster's TrafficSource, a VolumeFetch and its MeasuredVolume rows (as tests/volumes/test_lookup.py
makes them), for the browser tests of what the pages say about volumes."""

from datetime import datetime, timedelta

from django.utils import timezone

from routing.figures.traffic import flow_map
from routing.models import Cluster
from routing.volumes.models import MeasuredVolume, TrafficSource, VolumeFetch

PROMETHEUS = "http://prometheus.monitoring:9090"
SOURCE_TEXT = f"Prometheus {PROMETHEUS}, cadvisor preset, rate over 7d"
AGE = timedelta(minutes=12)


def traffic_source(cluster: Cluster, **fields) -> TrafficSource:
    fields = {
        "url": PROMETHEUS,
        "preset": TrafficSource.Preset.CADVISOR,
        "window_seconds": 7 * 86_400,
        "refresh_interval": 3600,
        **fields,
    }
    return TrafficSource.objects.create(cluster=cluster, **fields)


def stored_fetch(
    cluster: Cluster,
    volumes: dict[tuple[str, str], float],
    *,
    at: datetime | None = None,
    preset: str = TrafficSource.Preset.CADVISOR,
    source: str = SOURCE_TEXT,
    notes: list[str] | None = None,
    unmatched: list[dict] | None = None,
) -> VolumeFetch:
    """A fetch with these monthly GB per (namespace, name), made `at` (default: 12 min ago);
    its monthly cost is the latest snapshot's with it in force (manual volumes winning), as a
    refresh records it."""
    at = at or timezone.now() - AGE
    fetch = VolumeFetch.objects.create(
        cluster=cluster,
        fetched_at=at,
        preset=preset,
        source=source,
        window_seconds=7 * 86_400,
        services=len(volumes),
        series=len(volumes) + len(unmatched or []),
        unmatched_series=len(unmatched or []),
        total_gb=sum(volumes.values()),
        notes=notes or [],
        unmatched=unmatched or [],
    )
    MeasuredVolume.objects.bulk_create(
        MeasuredVolume(fetch=fetch, namespace=ns, name=name, monthly_gb=gb)
        for (ns, name), gb in volumes.items()
    )
    snapshot = cluster.latest_snapshot()
    if snapshot is not None:
        VolumeFetch.objects.filter(pk=fetch.pk).update(
            monthly_cost=flow_map(snapshot)["monthlyCost"]
        )
        fetch.refresh_from_db()
    TrafficSource.objects.filter(cluster=cluster).update(
        last_attempt_at=at, last_success_at=at, last_error=""
    )
    return fetch


def failing(cluster: Cluster, error: str, at: datetime | None = None) -> None:
    """The source's last refresh failed with `error` (its volumes are now stale)."""
    TrafficSource.objects.filter(cluster=cluster).update(
        last_attempt_at=at or timezone.now(), last_error=error
    )
