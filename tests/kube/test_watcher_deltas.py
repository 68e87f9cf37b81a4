"""The watcher hands over only what changed: after its first snapshot each one is a delta
(routing.snapshots.write_changes), and it stores what a full write of the same objects stores.
"""

from typing import Any

import pytest

from routing.jobs.ingest import start_watch
from routing.models import Cluster, Snapshot
from routing.snapshots import delta, objects_at, summaries_at, write_snapshot
from tests.kube.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

FAST = {"debounce": 0.1, "max_delay": 0.5, "stale_after": 1.0}
_FIGURES = (
    "nodes",
    "services",
    "endpoint_slices",
    "pods",
    "endpoints",
    "cross_zone_fraction",
    "cost_per_gb_mean",
    "services_with_diagnostics",
    "cluster_report",
    "ready_endpoints_by_zone",
)


def latest(cluster: Cluster) -> Snapshot | None:
    return Snapshot.objects.filter(cluster=cluster).order_by("-seq").first()


def summaries(snapshot: Snapshot) -> dict[tuple[str, str], str]:
    return {(r.namespace, r.name): r.content_hash for r in summaries_at(snapshot)}


def test_after_its_first_snapshot_the_watcher_writes_only_what_changed(demo_sim, monkeypatch):
    every_object: list[str] = []
    real = delta._write_paused

    def full_write(cluster: Cluster, *args: Any, **kwargs: Any) -> Snapshot:
        every_object.append(cluster.name)
        return real(cluster, *args, **kwargs)

    monkeypatch.setattr(delta, "_write_paused", full_write)
    cluster = Cluster.objects.create(name="demo", source="simulated", kube_context="simcluster")
    watcher = start_watch(cluster, **FAST)
    try:
        first = wait_for(lambda: latest(cluster), 15)
        demo_sim.set_traffic_distribution("shop", "catalog", "PreferSameZone")
        demo_sim.scale("shop", "cart", 3)
        pods = len(demo_sim.objects("pods"))

        def caught_up() -> Snapshot | None:
            snapshot = latest(cluster)
            if snapshot is None or snapshot.pods != pods:
                return None
            catalog = summaries_at(snapshot).filter(name="catalog").first()
            return snapshot if catalog and catalog.policy == "PreferSameZone" else None

        last = wait_for(caught_up, 10)
    finally:
        watcher.stop()
    assert last.seq > first.seq
    assert every_object == ["demo"]  # the first snapshot only
    # The same objects written whole, every Service analysed, store the same.
    other = Cluster.objects.create(name="other", source="upload")
    whole = write_snapshot(
        other, objects_at(last), source="upload", trimmed=True, reanalyze_all=True
    )
    assert summaries(last) == summaries(whole)
    assert {f: getattr(last, f) for f in _FIGURES} == {f: getattr(whole, f) for f in _FIGURES}
