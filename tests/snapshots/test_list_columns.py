"""The Services list's plain columns (severity, saving_per_gb; migration 0017) agree with the JSON
they are derived from, for every Service the write path stores, and the list filters by them."""

import pytest

from routing.models import SEVERITY_RANK, Cluster
from routing.snapshots import summaries_at, write_snapshot

pytestmark = pytest.mark.django_db


def test_each_summary_stores_its_worst_severity_and_saving(demo_objects):
    cluster = Cluster.objects.create(name="demo", source="upload")
    snapshot = write_snapshot(cluster, demo_objects, source="upload")
    rows = list(summaries_at(snapshot))
    assert {r.severity for r in rows} >= {0, 2, 3}, "the demo has clean, warned and failing ones"
    for row in rows:
        worst = max((SEVERITY_RANK[d["severity"]] for d in row.diagnostics), default=0)
        assert row.severity == worst, row
        rec = row.recommendation
        assert row.saving_per_gb == (rec["costPerGbSaved"] if rec else None), row
    # The snapshot's count of Services with a warning or an error comes from the column.
    assert snapshot.services_with_diagnostics == sum(
        any(d["severity"] in ("warning", "error") for d in r.diagnostics) for r in rows
    )
