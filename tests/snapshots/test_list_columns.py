"""The Services list's plain columns (severity, saving_per_gb: migration 0017; endpoint_zones:
0019; recommended_policy, best_fix: 0024) agree with the JSON they are derived from, for every
Service the write path stores, and the list filters by them."""

import zlib

import orjson
import pytest

from routing.figures.health import Thresholds
from routing.figures.service_list import filtered_services
from routing.models import SEVERITY_RANK, Cluster, ServiceSummary
from routing.snapshots import summaries_at, write_snapshot

pytestmark = pytest.mark.django_db


def test_each_summary_stores_its_worst_severity_and_saving(demo_objects):
    cluster = Cluster.objects.create(name="demo", source="upload")
    snapshot = write_snapshot(cluster, demo_objects, source="upload")
    rows = list(summaries_at(snapshot))
    assert {r.severity for r in rows} >= {0, 2, 3}, "the demo has clean, warned and failing ones"
    assert {r.recommended_policy is None for r in rows} == {True, False}
    assert {r.best_fix is None for r in rows} == {True, False}
    for row in rows:
        worst = max((SEVERITY_RANK[d["severity"]] for d in row.diagnostics), default=0)
        assert row.severity == worst, row
        rec = row.recommendation
        assert row.saving_per_gb == (rec["costPerGbSaved"] if rec else None), row
        assert row.recommended_policy == (rec["policy"] if rec else None), row
        assert row.best_fix == (row.fixes[0]["kind"] if row.fixes else None), row
    # The snapshot's count of Services with a warning or an error comes from the column.
    assert snapshot.services_with_diagnostics == sum(
        any(d["severity"] in ("warning", "error") for d in r.diagnostics) for r in rows
    )


def test_each_summary_stores_the_zones_of_its_endpoints(demo_objects):
    cluster = Cluster.objects.create(name="demo", source="upload")
    snapshot = write_snapshot(cluster, demo_objects, source="upload")
    for row in summaries_at(snapshot):
        endpoints = orjson.loads(zlib.decompress(row.report))["endpoints"]
        zones = {ep.get("zone") or "unknown" for ep in endpoints}
        assert row.endpoint_zones == ("|" + "|".join(sorted(zones)) + "|" if zones else ""), row


def test_the_zone_filter_reads_the_column_and_old_rows_from_their_report(demo_objects):
    """Rows from before the column (null) are still found, from their report."""
    cluster = Cluster.objects.create(name="demo", source="upload")
    snapshot = write_snapshot(cluster, demo_objects, source="upload")
    rows = summaries_at(snapshot)
    expected = {r.pk for r in rows if "|us-east-1c|" in r.endpoint_zones}
    assert expected and len(expected) < rows.count()
    query = {"zone": "us-east-1c", "ordering": "name"}
    found = {r.pk for r in filtered_services(rows, query, Thresholds.of(cluster))}
    assert found == expected
    ServiceSummary.objects.filter(pk__in=list(expected)[:2]).update(endpoint_zones=None)
    found = {r.pk for r in filtered_services(summaries_at(snapshot), query, Thresholds.of(cluster))}
    assert found == expected
