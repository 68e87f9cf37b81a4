"""The Services list's keys (routing.figures.service_keys), from the snapshot's index in process
(routing.service_index), against the ORM's queryset for the same query
(service_list.filtered_services): the same keys in the same order, with the same total, for
every ordering the index answers and the filters it applies."""

import itertools
import re

import pytest
from django.db import connection
from django.db.models import Count, Window
from django.test.utils import CaptureQueriesContext

from benchmarks.gen_cluster import generate
from routing.figures.health import Thresholds
from routing.figures.service_keys import keys_reader, orm_only
from routing.figures.service_list import ORDERINGS, filtered_services
from routing.models import Cluster, ServiceSummary, Snapshot
from routing.service_index.load import snapshot_rows
from routing.snapshots import write_snapshot

from .conftest import plan_without_seqscan

pytestmark = pytest.mark.django_db

# One value of each filter the index applies, and its other values where it has them.
FILTERS = [
    {},
    {"namespace": "payments"},
    {"policy": "Auto"},
    {"policy": "none"},
    {"mechanism": "trafficDistribution"},
    {"min_cross_zone": 0.3},
    {"overloaded": True},
    {"overloaded": False},
    {"has_diagnostics": True},
    {"has_diagnostics": False},
    {"policy": "PreferSameZone", "has_diagnostics": False, "min_cross_zone": 0.0},
    {"mechanism": "none", "overloaded": False, "namespace": "payments"},
]
SQL_ORDERINGS = [o for o in ORDERINGS if o.lstrip("-") != "monthly_cost"]


@pytest.fixture(scope="module")
def two_snapshots(django_db_setup, django_db_blocker):
    """A generated cluster's 240 Services, then again with 40 of them switched to
    PreferSameNode: snapshot 1's rows and snapshot 2's overlap (closed and opened rows)."""
    with django_db_blocker.unblock():
        cluster = Cluster.objects.create(name="keys", source=Cluster.Source.UPLOAD)
        items = generate(services=240, endpoints=900, nodes=12, zones=3, seed=8, pods=False)
        items = items["items"]
        write_snapshot(cluster, items, source="upload")
        services = [o for o in items if o["kind"] == "Service"]
        for service in services[::6]:
            service["spec"]["trafficDistribution"] = "PreferSameNode"
        write_snapshot(cluster, items, source="upload")
        cluster.switched = {
            (s["metadata"]["namespace"], s["metadata"]["name"]) for s in services[::6]
        }
        yield cluster
        cluster.delete()


def at(cluster, seq: int) -> Snapshot:
    return Snapshot.objects.get(cluster=cluster, seq=seq)


def orm_slice(cluster, seq: int, query: dict, offset: int, size: int, limits=None) -> list[tuple]:
    limits = limits or Thresholds.of(cluster)
    rows = filtered_services(ServiceSummary.objects.at(cluster.pk, seq), query, limits)
    counted = rows.annotate(_total=Window(Count("pk"))).values_list("pk", "_total")
    return list(counted[offset : offset + size])


def test_the_index_gives_the_orms_keys_for_every_ordering_and_filter(two_snapshots):
    cluster = two_snapshots
    limits = Thresholds.of(cluster)
    compared = nonempty = 0
    for seq, filters, ordering in itertools.product((1, 2), FILTERS, SQL_ORDERINGS):
        query = {**filters, "ordering": ordering}
        assert not orm_only(query), query
        read = keys_reader(at(cluster, seq), query, limits, None)
        for offset, size in ((0, 100), (100, 100), (0, 1), (7, 30), (1000, 10)):
            got = [tuple(r) for r in read(offset, size)]
            assert got == orm_slice(cluster, seq, query, offset, size), (seq, query, offset)
            compared += 1
            nonempty += bool(got)
    assert nonempty > compared // 2  # most slices hold rows: the comparison is not of nothings


def test_the_order_by_health_follows_the_thresholds(two_snapshots):
    cluster = two_snapshots
    strict, lax = Thresholds(1.05, 0.1), Thresholds(3.0, 0.9)
    for ordering in ("health", "-health"):
        query = {"ordering": ordering}
        under = {t: keys_reader(at(cluster, 2), query, t, None)(0, 240) for t in (strict, lax)}
        assert under[strict] != under[lax]  # the thresholds reach the order
        for limits, keys in under.items():
            assert [tuple(k) for k in keys] == orm_slice(cluster, 2, query, 0, 240, limits)


def test_each_snapshot_lists_its_own_rows(two_snapshots):
    cluster, limits = two_snapshots, Thresholds.of(two_snapshots)
    query = {"policy": "PreferSameNode", "ordering": "name"}
    before = keys_reader(at(cluster, 1), query, limits, None)(0, 1000)
    after = keys_reader(at(cluster, 2), query, limits, None)(0, 1000)
    assert before[0][1] == len(before) and after[0][1] == len(after)
    names = {
        k: (ns, n) for k, ns, n in ServiceSummary.objects.values_list("pk", "namespace", "name")
    }
    # Snapshot 2 lists the rows its switch opened (26: of the 40 switched, 8 declared it
    # already and 6 keep the Auto annotation, which takes precedence).
    opened = {names[k] for k, _ in after} - {names[k] for k, _ in before}
    assert len(opened) == 26 and opened <= two_snapshots.switched


@pytest.mark.parametrize(
    "query",
    [
        {"search": "payments/", "ordering": "name"},
        {"zone": "us-east-1a", "ordering": "-cost"},
        {"search": "a", "ordering": "health"},
    ],
)
def test_what_the_index_does_not_answer_goes_through_the_orm(two_snapshots, query):
    cluster = two_snapshots
    assert orm_only(query)
    read = keys_reader(at(cluster, 2), query, Thresholds.of(cluster), None)
    got = read(0, 50)
    assert got and got == orm_slice(cluster, 2, query, 0, 50)


def test_monthly_cost_is_left_to_the_orm(two_snapshots):
    # It orders by an annotation over the volumes (service_list.with_monthly_cost).
    for ordering in ("monthly_cost", "-monthly_cost"):
        assert orm_only({"ordering": ordering})


@pytest.mark.parametrize(
    "query",
    [
        {"ordering": "-cost"},
        {"ordering": "name", "policy": "PreferSameNode"},
        {"ordering": "-health", "search": "e"},  # a search: through the ORM
    ],
)
def test_the_dashboards_table_pages_as_the_orm_would(two_snapshots, query):
    """dashboard/pages/services.py reads its page through keys_reader: the ORM's rows for each
    page, the count of all, and a page past the end shown as the last."""
    from dashboard.pages.services import PAGE_SIZE, services_table

    cluster = two_snapshots
    snapshot = Snapshot.objects.get(cluster=cluster, seq=2)
    every = orm_slice(cluster, 2, query, 0, 10_000)
    assert len(every) > PAGE_SIZE or query.get("policy")
    rows = ServiceSummary.objects.filter(cluster=cluster).values_list("pk", "namespace", "name")
    names = {pk: (namespace, name) for pk, namespace, name in rows}
    pages = max(1, -(-len(every) // PAGE_SIZE))
    for asked, shown in ((1, 1), (2, min(2, pages)), (pages + 7, pages)):
        table = services_table(cluster, snapshot, query, asked)
        assert (table["page"], table["pages"], table["count"]) == (shown, pages, len(every))
        start = (shown - 1) * PAGE_SIZE
        expected = [k for k, _ in every[start : start + PAGE_SIZE]]
        got = [(r["namespace"], r["name"]) for r in table["rows"]]
        assert got == [names[k] for k in expected]


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the open rows' statement is PostgreSQL's"
)


@postgresql_only
def test_the_latest_snapshot_is_read_from_its_open_rows_in_one_statement(two_snapshots):
    cluster = two_snapshots
    with CaptureQueriesContext(connection) as captured:
        rows = snapshot_rows(cluster.pk, 2)
    assert len(captured) == 1 and '"last_seq" IS NULL' in captured[0]["sql"]
    assert sorted(r[0] for r in rows) == sorted(
        ServiceSummary.objects.at(cluster.pk, 2).values_list("pk", flat=True)
    )
    # The statement reads the open rows only, through an index of them (the partial indexes of
    # migrations 0001 and 0027), never every row the cluster had: the planner may prefer a
    # scan of this small table, so the alternative is taken away.
    plan = plan_without_seqscan(captured[0]["sql"])
    assert re.search(r"Index (Only )?Scan using routing_ss_open", plan), plan


@postgresql_only
def test_a_snapshot_read_after_a_later_one_committed_is_still_its_own():
    """The open rows are the snapshot's only until the next one commits: snapshot 1's rows read
    after snapshot 2 committed are snapshot 1's (the interval test)."""
    cluster = Cluster.objects.create(name="keys-race", source=Cluster.Source.UPLOAD)
    items = generate(services=60, endpoints=200, nodes=6, zones=3, seed=3, pods=False)["items"]
    write_snapshot(cluster, items, source="upload")
    first = sorted(snapshot_rows(cluster.pk, 1))
    for service in (o for o in items if o["kind"] == "Service"):
        service["spec"]["trafficDistribution"] = "PreferSameNode"
    write_snapshot(cluster, items, source="upload")
    with CaptureQueriesContext(connection) as captured:
        again = sorted(snapshot_rows(cluster.pk, 1))
    assert again == first
    assert len(captured) == 3  # the open rows (none: seq 1 is not the latest), the test, seq 1's
    assert sorted(snapshot_rows(cluster.pk, 2)) != first
