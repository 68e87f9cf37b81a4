"""Which volume costs each Service of a snapshot (routing.volumes.lookup), and pruning."""

from datetime import timedelta

import pytest
from django.utils import timezone

from routing.figures.reports import service_detail
from routing.figures.traffic import flow_map, recommendations
from routing.models import Cluster, Snapshot, TrafficVolume
from routing.snapshots import write_snapshot
from routing.volumes.lookup import MANUAL, MEASURED, SnapshotVolumes, volumes_for
from routing.volumes.models import MeasuredVolume, TrafficSource, VolumeFetch
from routing.volumes.refresh import prune_fetches

pytestmark = pytest.mark.django_db


def _fetch(cluster, at, volumes: dict, preset="cadvisor") -> VolumeFetch:
    fetch = VolumeFetch.objects.create(
        cluster=cluster,
        fetched_at=at,
        preset=preset,
        source=f"test {preset}",
        window_seconds=3600,
        services=len(volumes),
        total_gb=sum(volumes.values()),
    )
    for (namespace, name), gb in volumes.items():
        MeasuredVolume.objects.create(fetch=fetch, namespace=namespace, name=name, monthly_gb=gb)
    return fetch


@pytest.fixture
def shop(demo_objects):
    cluster = Cluster.objects.create(name="shop", source=Cluster.Source.UPLOAD)
    write_snapshot(cluster, demo_objects, source="upload")
    return cluster


def _at(snapshot: Snapshot, seconds: float):
    return snapshot.taken_at + timedelta(seconds=seconds)


def test_a_manual_volume_wins_over_a_measured_one_and_says_so(shop):
    snapshot = shop.latest_snapshot()
    _fetch(shop, _at(snapshot, 1), {("shop", "payments"): 100.0, ("shop", "cart"): 40.0})
    found = volumes_for(snapshot)
    assert found[("shop", "payments")].gb == 100.0
    assert found[("shop", "payments")].source == MEASURED
    manual = TrafficVolume.objects.create(
        cluster=shop, namespace="shop", name="payments", monthly_gb=7, source="finance sheet"
    )
    found = volumes_for(snapshot)
    assert (found[("shop", "payments")].gb, found[("shop", "payments")].source) == (7.0, MANUAL)
    assert found[("shop", "payments")].detail == "finance sheet"
    assert found[("shop", "cart")].source == MEASURED
    detail = service_detail(snapshot, "shop", "payments")
    assert detail["cost"]["monthlyGb"] == 7.0 and detail["cost"]["volume"]["source"] == MANUAL
    manual.delete()  # back to the measured figure
    detail = service_detail(snapshot, "shop", "payments")
    assert detail["cost"]["monthlyGb"] == 100.0 and detail["cost"]["volume"]["source"] == MEASURED


def test_a_past_snapshot_keeps_the_volumes_it_was_costed_with(shop, demo_objects):
    first = shop.latest_snapshot()
    _fetch(shop, _at(first, 10), {("shop", "payments"): 100.0})
    for obj in demo_objects:
        if obj["kind"] == "Service" and obj["metadata"]["name"] == "cart":
            obj["spec"]["trafficDistribution"] = "PreferSameNode"
    second = write_snapshot(shop, demo_objects, source="upload")
    Snapshot.objects.filter(pk=second.pk).update(taken_at=_at(first, 60))
    second.refresh_from_db()
    _fetch(shop, _at(first, 120), {("shop", "payments"): 300.0})
    assert volumes_for(first)[("shop", "payments")].gb == 100.0  # in force until the second
    assert volumes_for(second)[("shop", "payments")].gb == 300.0  # the newest fetch
    assert flow_map(first)["monthlyGb"] == 100.0 and flow_map(second)["monthlyGb"] == 300.0


def test_before_any_fetch_or_manual_volume_nothing_is_measured(shop):
    snapshot = shop.latest_snapshot()
    volumes = SnapshotVolumes(snapshot)
    assert not volumes.any() and volumes.get() == {}
    figures = flow_map(snapshot)
    assert figures["monthlyCost"] is None and figures["weighting"] == "equal"
    assert figures["volumes"] == {
        "measured": 0,
        "simulated": 0,
        "manual": 0,
        "fetchedAt": None,
        "source": None,
    }


def test_flow_map_and_recommendations_name_the_source_of_the_volumes(shop):
    snapshot = shop.latest_snapshot()
    at = _at(snapshot, 1)
    _fetch(shop, at, {("shop", "payments"): 1000.0, ("shop", "catalog"): 10.0})
    figures = flow_map(snapshot)
    assert figures["volumes"]["measured"] == 2 and figures["volumes"]["fetchedAt"] == at
    assert figures["volumes"]["source"] == "test cadvisor"
    ranked = recommendations(snapshot)
    payments = next(item for item in ranked if item["name"] == "payments")
    assert payments["volumeSource"] == MEASURED and payments["monthlyGb"] == 1000.0
    assert payments["monthlySaved"] == pytest.approx(payments["costPerGbSaved"] * 1000.0)
    assert ranked[0]["name"] == "payments"  # the largest monthly saving first
    # Items are built when read; the page's totals come from the ranking without building them.
    items = list(ranked)
    assert ranked[:2] == items[:2] and len(items) == len(ranked)
    assert ranked.monthly_savings() == [
        i["monthlySaved"] for i in items if i["monthlySaved"] is not None
    ]
    assert ranked.volume_sources() == [i["volumeSource"] for i in items if i["volumeSource"]]


def test_pruning_keeps_the_fetch_in_force_for_the_oldest_snapshot(shop):
    snapshot = shop.latest_snapshot()
    old = [_fetch(shop, _at(snapshot, -s), {("shop", "cart"): float(s)}) for s in (300, 200, 100)]
    newer = _fetch(shop, _at(snapshot, 50), {("shop", "cart"): 1.0})
    assert prune_fetches(shop) == 2
    kept = set(VolumeFetch.objects.filter(cluster=shop).values_list("pk", flat=True))
    assert kept == {old[2].pk, newer.pk}
    assert not MeasuredVolume.objects.filter(fetch_id__in=[old[0].pk, old[1].pk]).exists()


def test_a_failed_source_shows_when_its_volumes_went_stale(shop):
    now = timezone.now()
    source = TrafficSource.objects.create(
        cluster=shop, url="http://127.0.0.1:9", last_success_at=now, last_attempt_at=now
    )
    assert source.status()["state"] == "ok" and source.status()["staleSince"] is None
    source.last_error = "cannot reach Prometheus"
    assert source.status()["state"] == "failing" and source.status()["staleSince"] == now
