"""routing.service_index.cache and load on written snapshots: an index is read once per
snapshot and process, a later snapshot's from the earlier one's and the rows that differ (and
whole when the earlier one is gone), within the row budget; and with the budget at 0 the list
goes through the ORM."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.gen_cluster import generate
from routing.figures.health import Thresholds
from routing.figures.service_keys import keys_reader
from routing.figures.service_list import ORDERINGS
from routing.models import Cluster, ServiceSummary, Snapshot
from routing.service_index import cache
from routing.service_index.index import ServiceIndex
from routing.service_index.load import changed_rows, snapshot_rows
from routing.snapshots import write_snapshot

pytestmark = pytest.mark.django_db

COLUMN_ORDERINGS = [o for o in ORDERINGS if o.lstrip("-") != "monthly_cost"]


def written(name: str, snapshots: int, services: int = 40) -> tuple[Cluster, list[Snapshot]]:
    """A generated cluster written `snapshots` times, each time with a few Services switched
    to another policy, one Service gone and one new (a namespace the cluster had not)."""
    cluster = Cluster.objects.create(name=name, source=Cluster.Source.UPLOAD)
    items = generate(services=services, endpoints=120, nodes=6, zones=3, seed=5, pods=False)
    items = items["items"]
    write_snapshot(cluster, items, source="upload")
    for n in range(1, snapshots):
        services_ = [o for o in items if o["kind"] == "Service"]
        for service in services_[n::7]:
            service["spec"]["trafficDistribution"] = ("PreferSameNode", "PreferClose")[n % 2]
        gone = services_[n]
        items.remove(gone)
        new = {**gone, "metadata": {**gone["metadata"], "namespace": f"added-{n}"}}
        items.append(new)
        write_snapshot(cluster, items, source="upload")
    return cluster, list(Snapshot.objects.filter(cluster=cluster).order_by("seq"))


def pages(index: ServiceIndex, limits: Thresholds) -> dict:
    return {
        (ordering, repr(policy)): index.page({"ordering": ordering, **policy}, limits, 0, 1000)
        for ordering in COLUMN_ORDERINGS
        for policy in ({}, {"policy": "PreferSameNode"}, {"has_diagnostics": True})
    }


def test_a_snapshots_index_is_read_once_per_process():
    cluster, (snapshot,) = written("once", 1)
    with CaptureQueriesContext(connection) as first:
        index = cache.index_of(snapshot)
    assert len(first) >= 1 and index.size == 40
    with CaptureQueriesContext(connection) as again:
        assert cache.index_of(snapshot) is index
    assert len(again) == 0


def test_a_later_snapshots_index_is_the_earlier_one_changed_by_one_statement():
    cluster, snapshots = written("changed", 4)
    limits = Thresholds.of(cluster)
    cache.index_of(snapshots[0])
    for snapshot in snapshots[1:]:
        with CaptureQueriesContext(connection) as captured:
            index = cache.index_of(snapshot)
        assert len(captured) == 1 and "UNION ALL" in captured[0]["sql"]
        built = ServiceIndex.from_rows(snapshot_rows(cluster.pk, snapshot.seq))
        assert index.size == built.size == snapshot.services
        assert pages(index, limits) == pages(built, limits)
    # The difference was read, not nothing: the snapshots' lists differ.
    first = ServiceIndex.from_rows(snapshot_rows(cluster.pk, 1))
    assert pages(first, limits) != pages(cache.index_of(snapshots[-1]), limits)


def test_an_index_is_read_whole_when_the_earlier_snapshot_is_gone():
    cluster, (one, two) = written("pruned", 2)
    cache.index_of(one)
    one_key = (one.seq, one.pk, one.created_at)
    assert changed_rows(cluster.pk, two.seq, one_key) is not None
    Snapshot.objects.filter(pk=one.pk).delete()  # as retention does, with the rows only it had
    ServiceSummary.objects.filter(cluster=cluster, last_seq=two.seq).delete()
    assert changed_rows(cluster.pk, two.seq, one_key) is None
    with CaptureQueriesContext(connection) as captured:
        index = cache.index_of(two)
    assert "UNION ALL" in captured[0]["sql"] and "UNION ALL" not in captured[1]["sql"]
    built = ServiceIndex.from_rows(snapshot_rows(cluster.pk, two.seq))
    assert pages(index, Thresholds.of(cluster)) == pages(built, Thresholds.of(cluster))


def test_an_earlier_snapshot_of_another_name_or_seq_is_not_taken_for_the_base():
    cluster, (one, two) = written("same-id", 2)
    later_instant = (one.seq, one.pk, two.created_at)  # the id, but not the instant
    assert changed_rows(cluster.pk, two.seq, later_instant) is None
    assert changed_rows(cluster.pk, two.seq, (two.seq - 1, two.pk, one.created_at)) is None


def test_the_budget_keeps_the_most_recently_asked_snapshots(settings):
    cluster, snapshots = written("budget", 3)
    settings.SERVICE_INDEX_ROWS = 2 * 40  # two snapshots of 40 Services
    for snapshot in snapshots:
        cache.index_of(snapshot)
    kept = [key.seq for key in cache._kept]
    assert kept == [2, 3]
    cache.index_of(snapshots[1])  # asked again: the most recent
    assert [key.seq for key in cache._kept] == [3, 2]
    cache.index_of(snapshots[0])  # read again (from nothing: no earlier snapshot), 3 out
    assert [key.seq for key in cache._kept] == [2, 1]
    cache.forget_all()
    settings.SERVICE_INDEX_ROWS = 39  # smaller than one snapshot: used, never kept
    index = cache.index_of(snapshots[0])
    assert index.size == 40 and not cache._kept
    with CaptureQueriesContext(connection) as captured:
        cache.index_of(snapshots[0])
    assert len(captured) >= 1


def test_with_the_index_off_the_list_goes_through_the_orm(settings, monkeypatch):
    cluster, (snapshot,) = written("off", 1)
    limits = Thresholds.of(cluster)
    query = {"ordering": "-cost", "policy": "none"}
    on = keys_reader(snapshot, query, limits, None)(0, 100)
    settings.SERVICE_INDEX_ROWS = 0

    def refuse(snapshot):
        raise AssertionError("the index was asked for")

    monkeypatch.setattr("routing.figures.service_keys.index_of", refuse)
    with CaptureQueriesContext(connection) as captured:
        off = keys_reader(snapshot, query, limits, None)(0, 100)
    assert off == on and len(off) > 3
    assert "OVER" in captured[0]["sql"]  # the ORM's window count
