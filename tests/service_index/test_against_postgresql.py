"""The index against PostgreSQL's own answer where the two could part: NaN in the figures (which
PostgreSQL stores and orders above every number, and SQLite cannot store), NULL savings, and
text that is not ASCII. tests/api/test_service_keys.py compares them on ordinary rows."""

import itertools

import pytest
from django.db import connection
from django.db.models import Count, Window

from benchmarks.gen_cluster import generate
from routing.figures.health import Thresholds
from routing.figures.service_keys import keys_reader
from routing.figures.service_list import ORDERINGS, filtered_services
from routing.models import Cluster, ServiceSummary, Snapshot
from routing.snapshots import write_snapshot

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="NaN: PostgreSQL only"),
]

FILTERS = [
    {},
    {"min_cross_zone": 0.3},
    {"overloaded": True},
    {"overloaded": False},
    {"has_diagnostics": True, "policy": "Auto"},
    {"namespace": "zürich"},
]


def test_nan_null_and_non_ascii_rows_list_as_postgresql_orders_them():
    cluster = Cluster.objects.create(name="nan", source=Cluster.Source.UPLOAD)
    items = generate(services=90, endpoints=300, nodes=6, zones=3, seed=11, pods=False)["items"]
    write_snapshot(cluster, items, source="upload")
    rows = ServiceSummary.objects.filter(cluster=cluster).order_by("pk")
    keys = list(rows.values_list("pk", flat=True))
    nan = float("nan")
    # Figures as no analysis writes them, but a column may hold: NaN, and ties with them.
    for column, step in (
        ("cross_zone_fraction", 5),
        ("max_overload", 7),
        ("dropped", 11),
        ("cost_per_gb", 4),
        ("saving_per_gb", 6),
    ):
        ServiceSummary.objects.filter(pk__in=keys[::step]).update(**{column: nan})
    ServiceSummary.objects.filter(pk__in=keys[1::9]).update(namespace="zürich")
    ServiceSummary.objects.filter(pk__in=keys[2::9]).update(namespace="Zurich")
    assert ServiceSummary.objects.filter(cluster=cluster, saving_per_gb__isnull=True).exists()
    snapshot = Snapshot.objects.get(cluster=cluster)
    limits = Thresholds(1.5, 0.4)
    compared = 0
    for filters, ordering in itertools.product(FILTERS, ORDERINGS):
        if ordering.lstrip("-") == "monthly_cost":
            continue
        query = {**filters, "ordering": ordering}
        at = ServiceSummary.objects.at(cluster.pk, snapshot.seq)
        counted = filtered_services(at, query, limits).annotate(_total=Window(Count("pk")))
        expected = list(counted.values_list("pk", "_total"))
        got = keys_reader(snapshot, query, limits, None)(0, 1000)
        assert got == expected, query
        compared += bool(expected)
    assert compared > 100
