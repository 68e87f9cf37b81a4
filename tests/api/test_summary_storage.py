"""How the Service summaries are stored on PostgreSQL (migration 0021): the wide columns go out
of line once a row passes 128 bytes, so a list's scan over a snapshot's rows stays small; the
what-if runs' own columns and the zone matrix stay in the row (migration 0023: `what_if`
itself, read only for rows without those columns, goes out of line too)."""

import os

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from routing.models import ServiceSummary

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL storage setting")
def test_summaries_keep_their_wide_columns_out_of_line(demo_cluster):
    table = ServiceSummary._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        assert "toast_tuple_target=128" in cursor.fetchone()[0]
        # ... but not the what-if runs' columns and the zone matrix, which the flow map reads
        # for every row
        cursor.execute(
            "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = %s::regclass "
            "AND (attname IN ('what_if', 'matrix') OR attname LIKE 'run\\_%%')",
            [table],
        )
        assert dict(cursor.fetchall()) == {
            # out of line since each what-if run has its own column, which is what is read
            # (routing.models.WHAT_IF_COLUMNS, migration 0023)
            "what_if": "x",
            "matrix": "m",
            "run_none": "m",
            "run_auto": "m",
            "run_prefer_same_zone": "m",
            "run_prefer_same_node": "m",
        }
    # 300 rows as wide as the demo's widest (a fresh copy of its report entry, fixes and
    # what-ifs each), written as a snapshot writes them.
    widest = max(ServiceSummary.objects.all(), key=lambda s: len(s.report or b""))
    fields = model_to_dict(widest, exclude=["id", "cluster", "name"])
    copies = [
        ServiceSummary(
            **fields, cluster=demo_cluster, name=f"copy-{i}", report=os.urandom(len(widest.report))
        )
        for i in range(300)
    ]
    ServiceSummary.objects.bulk_create(copies)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pg_column_size(report) + pg_column_size(fixes) + pg_column_size(what_if) "
            f"+ pg_column_size(diagnostics), pg_column_size(run_none) + pg_column_size(run_auto) "
            f"+ pg_column_size(run_prefer_same_zone) + pg_column_size(run_prefer_same_node) "
            f"FROM {table} WHERE name = 'copy-0'"
        )
        wide, runs = cursor.fetchone()
        # The heap pages the copies take (other tests' rolled-back rows take pages too).
        cursor.execute(
            f"SELECT count(DISTINCT (ctid::text::point)[0]) FROM {table} WHERE name LIKE 'copy-%%'"
        )
        (pages,) = cursor.fetchone()
    assert wide > 2000  # all inline, the 300 copies would fill more than 70 pages of 8 kB
    # Out of line but for the what-if runs' columns and the matrix: under 1 kB a row besides
    # the runs' columns (compressed, in the row; ~640 bytes here), 2 kB without the setting.
    assert pages * 8192 / 300 < 1000 + runs, (pages, wide, runs)
