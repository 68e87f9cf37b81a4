"""routing.prepared.compiled: a queryset compiled once by the ORM, its parameters named by the
stand-in values it was built with, then run with a request's own values (both backends)."""

import pytest
from django.db import connection
from django.db.models import Subquery, TextField
from django.db.models.functions import Cast

from routing import prepared
from routing.figures.reports import _report_statement, stored_report
from routing.models import Cluster, ServiceSummary, Snapshot


def test_parameters_are_named_by_their_stand_ins_in_the_order_the_sql_takes_them():
    rows = (
        ServiceSummary.objects.at(2_000_000_001, 2_000_000_002)
        .filter(namespace="\x00ns", name="\x00name")
        .values_list("name")
    )
    statement = prepared.compiled(
        rows, cluster=2_000_000_001, seq=2_000_000_002, namespace="\x00ns", name="\x00name"
    )
    # seq twice: the interval test reads it on both ends
    assert sorted(statement.names) == ["cluster", "name", "namespace", "seq", "seq"]
    assert statement.sql.count("%s") == len(statement.names)


@pytest.mark.parametrize(
    "rows, refused",
    [
        # a value in the query that is not a stand-in would be sent as the stand-in's
        (lambda: Cluster.objects.filter(pk=7, name="bench").values_list("pk"), "not stand-ins"),
        # a JSON column comes from the cursor as text; the ORM would have parsed it
        (lambda: Snapshot.objects.filter(pk=7).values_list("pk", "cluster_report"), "convert"),
    ],
)
@pytest.mark.django_db
def test_what_it_cannot_run_as_compiled_is_refused(rows, refused):
    with pytest.raises(AssertionError, match=refused):
        prepared.compiled(rows(), pk=7)


def test_stand_ins_must_differ():
    rows = Cluster.objects.filter(pk=7).values_list("pk")
    with pytest.raises(AssertionError, match="must differ"):
        prepared.compiled(rows, pk=7, other=7)


@pytest.mark.django_db
def test_the_report_statement_answers_as_the_orm(demo_cluster):
    """For every Service of every snapshot (and one that is not there), the compiled statement
    returns the row the ORM's query returns, with that snapshot's cluster section."""
    snapshots = list(Snapshot.objects.filter(cluster=demo_cluster).order_by("seq"))
    assert len(snapshots) >= 2
    keys = set(ServiceSummary.objects.filter(cluster=demo_cluster).values_list("namespace", "name"))
    keys.add(("shop", "no-such-service"))
    statement = _report_statement(connection.vendor)
    for snapshot in snapshots:
        for namespace, name in sorted(keys):
            expected = (
                ServiceSummary.objects.at(demo_cluster.pk, snapshot.seq)
                .filter(namespace=namespace, name=name)
                .annotate(
                    section=Cast(
                        Subquery(Snapshot.objects.filter(pk=snapshot.pk).values("cluster_report")),
                        TextField(),
                    )
                )
                .values_list("report", "section")
                .first()
            )
            got = statement.fetch(
                one=True,
                snapshot=snapshot.pk,
                cluster=demo_cluster.pk,
                seq=snapshot.seq,
                namespace=namespace,
                name=name,
            )
            if expected is None:
                assert got is None and stored_report(snapshot, namespace, name) == {}
                continue
            assert bytes(got[0]) == bytes(expected[0]) and got[1] == expected[1]
            assert stored_report(snapshot, namespace, name)["cluster"] == snapshot.cluster_report
