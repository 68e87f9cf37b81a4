"""Reading the columns a snapshot's Services list filters and sorts by, one row per Service.

On PostgreSQL the latest snapshot's rows are its open ones (`last_seq IS NULL`), which the
partial covering index of migration 0027 holds: the interval test would scan every row the
cluster ever had (a watcher writing every few seconds keeps 30 days of closed rows). The open
rows are the snapshot's only while no later snapshot exists, so the statement tests that
itself, in the same view of the database as its scan; a snapshot that is not the latest is read
by the interval test.
"""

from datetime import datetime

from django.db import connection
from django.db.models import Field, TextField
from django.db.models.functions import Cast

from routing.models import ServiceSummary, Snapshot

# In the order index.ServiceIndex takes them: what the list filters and sorts by (all in
# migration 0027's covering index), then what else a page's rows show (DISPLAY), so that a page
# read through the index is answered without reading its rows by key (service_list.summary_rows).
FILTERED = (
    "id",
    "namespace",
    "name",
    "policy",
    "mechanism",
    "severity",
    "cross_zone_fraction",
    "dropped",
    "max_overload",
    "cost_per_gb",
    "saving_per_gb",
)
DISPLAY = (
    "internal_traffic_policy",
    "cross_region_fraction",
    "diagnostics",  # as JSON text (index.ServiceIndex keeps its counts and the first only)
    "recommended_policy",
    "best_fix",
)
COLUMNS = FILTERED + DISPLAY


def snapshot_rows(cluster_id: int, seq: int) -> list[tuple]:
    """The COLUMNS of the Services of snapshot `seq` of the cluster, in no particular order."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_open_rows_statement(), [cluster_id, cluster_id, seq])
            rows = cursor.fetchall()
        # No row: a snapshot without Services, or `seq` was not the latest as it ran.
        if rows or not Snapshot.objects.filter(cluster_id=cluster_id, seq__gt=seq).exists():
            return rows
    at = ServiceSummary.objects.at(cluster_id, seq).order_by()
    orm = (Cast(c, TextField()) if c == "diagnostics" else c for c in COLUMNS)
    return list(at.values_list(*orm))


def changed_rows(
    cluster_id: int, seq: int, base: tuple[int, int, datetime]
) -> tuple[list[int], list[tuple]] | None:
    """What differs between snapshot `base` (its seq, id and created_at) and the later
    snapshot `seq` of the cluster: the keys of base's rows that seq no longer has, and seq's
    COLUMNS rows that base did not have. None when `base` no longer exists (retention may have
    pruned it, and the rows only it had), then the caller reads seq's rows whole.

    One statement, so all three parts are read in one view of the database."""
    base_seq, base_id, base_created = base
    table = connection.ops.quote_name(ServiceSummary._meta.db_table)
    snapshots = connection.ops.quote_name(Snapshot._meta.db_table)
    exists = (
        f"EXISTS (SELECT 1 FROM {snapshots} WHERE id = %s AND cluster_id = %s AND seq = %s"
        " AND created_at = %s)"
    )
    # The instant as the ORM sends it to this database (SQLite keeps text).
    created = connection.ops.adapt_datetimefield_value(base_created)
    exists_params = [base_id, cluster_id, base_seq, created]
    cluster, first, last = _column("cluster"), _column("first_seq"), _column("last_seq")
    nulls = ", ".join(["NULL"] * (len(COLUMNS) - 1))
    sql = (
        # seq's rows opened after base
        f"SELECT 0, {_selected()} FROM {table} WHERE {cluster} = %s"
        f" AND {first} > %s AND {first} <= %s AND ({last} IS NULL OR {last} > %s) AND {exists}"
        # base's rows closed by seq
        f" UNION ALL SELECT 1, {_column('id')}, {nulls} FROM {table} WHERE {cluster} = %s"
        f" AND {last} > %s AND {last} <= %s AND {first} <= %s AND {exists}"
        # whether base still exists
        f" UNION ALL SELECT 2, NULL, {nulls} WHERE {exists}"
    )
    params = [
        *[cluster_id, base_seq, seq, seq, *exists_params],
        *[cluster_id, base_seq, seq, base_seq, *exists_params],
        *exists_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not any(part == 2 for part, *_ in rows):
        return None
    removed = [row[1] for row in rows if row[0] == 1]
    return removed, [row[1:] for row in rows if row[0] == 0]


def _selected() -> str:
    """COLUMNS as a select list: the diagnostics as text (orjson parses them, not psycopg)."""
    return ", ".join(
        f"CAST({_column(c)} AS text)" if c == "diagnostics" else _column(c) for c in COLUMNS
    )


def _column(field: str) -> str:
    found = ServiceSummary._meta.get_field(field)
    assert isinstance(found, Field) and found.column
    return connection.ops.quote_name(found.column)


def _later() -> str:
    """Whether the cluster has a snapshot after a seq (Snapshot's unique (cluster, seq))."""
    table = connection.ops.quote_name(Snapshot._meta.db_table)
    return f"EXISTS (SELECT 1 FROM {table} WHERE cluster_id = %s AND seq > %s)"


def _open_rows_statement() -> str:
    """The COLUMNS of the cluster's open rows, none if a snapshot follows a seq: an InitPlan
    that PostgreSQL evaluates once, before the scan (parameters: cluster, cluster, seq)."""
    tests = [f"{_column('cluster')} = %s", f"{_column('last_seq')} IS NULL", f"NOT {_later()}"]
    table = connection.ops.quote_name(ServiceSummary._meta.db_table)
    return f"SELECT {_selected()} FROM {table} WHERE {' AND '.join(tests)}"
