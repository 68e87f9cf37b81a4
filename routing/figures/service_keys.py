"""The keys of a slice of the Services list, each with the count of all the list's rows.

The API's Services list reads a page in two steps: the page's keys in the list's order, then
their rows (service_list.summary_values). For the first, the ORM built and compiled a new
queryset for every request: 1.7-2.3 ms of a cold request's Python, of which sending the
statement and reading its answer ~0.35 ms (issue 16, target 3; docs/benchmarks.md). So the
common lists, those filtered by column tests alone and ordered by a column, are written here
as SQL directly, from the same tables that filtered_services applies through the ORM
(`column_tests`, `SORT_COLUMNS`; the health order is health_rank's CASE as the ORM compiles
it); a search, a zone or an ordering by monthly cost still go through the ORM.
tests/api/test_service_keys.py holds the two equal, key for key, on every ordering.

On PostgreSQL the latest snapshot's keys are read from its open rows alone (`last_seq IS
NULL`, the partial covering index of migration 0027), not by the interval test, which scans
every row the cluster ever had up to that seq: a watcher writing every few seconds keeps 30
days of closed rows, so the list's cost grew with the history (docs/benchmarks.md, issue 16).
The open rows are the snapshot's only while no later snapshot exists; the statement itself
tests that, in the same view of the database as its scan, and an older snapshot's keys (or a
page read as a write commits) are read by the interval test.
"""

import functools
from collections.abc import Callable

from django.db import connection
from django.db.models import Count, Field, Window

from routing.models import ServiceSummary
from routing.volumes.lookup import SnapshotVolumes

from .health import Thresholds, health_rank
from .service_list import (
    SORT_COLUMNS,
    TEXT_COLUMNS,
    bytewise_collation,
    column_tests,
    filtered_services,
)

KeysReader = Callable[[int, int], list[tuple[int, int]]]

_OPERATORS = {"exact": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
# What only the ORM path knows how to write: a search, a zone, the order by monthly cost.
_ORM_FILTERS = ("search", "zone")
_ORM_ORDERINGS = ("monthly_cost",)
# Whether the cluster has a snapshot after a seq (answered by Snapshot's unique (cluster, seq)).
_LATER = "EXISTS (SELECT 1 FROM routing_snapshot WHERE cluster_id = %s AND seq > %s)"


def count_of(keyed: KeysReader) -> int:
    """How many rows the reader's list has in all (its first key's count; 0 when empty)."""
    first = keyed(0, 1)
    return first[0][1] if first else 0


def no_keys(offset: int, size: int) -> list[tuple[int, int]]:
    """The KeysReader of a cluster without a snapshot."""
    return []


def keys_reader(
    cluster_id: int, seq: int, query: dict, limits: Thresholds, volumes: SnapshotVolumes | None
) -> KeysReader:
    """A function of (offset, size) giving that slice of the Services of snapshot `seq` that
    pass `query`, in its order (`ordering` resolved by the caller), as (key, total) pairs."""
    if _orm_only(query):
        rows = filtered_services(ServiceSummary.objects.at(cluster_id, seq), query, limits, volumes)
        counted = rows.annotate(_total=Window(Count("pk"))).values_list("pk", "_total")
        return lambda offset, size: list(counted[offset : offset + size])
    latest = keys_statement(cluster_id, seq, query, limits, open_rows=True)
    # Built on the first read that needs it (an older snapshot, a newer one committed), once.
    by_interval = functools.cache(lambda: keys_statement(cluster_id, seq, query, limits))

    def read(offset: int, size: int) -> list[tuple[int, int]]:
        # Not prepared (routing.prepared): its text varies with the filters (182 texts in 364
        # of bench_api's cold queries), and preparing it made no difference to PostgreSQL's
        # time, which is the scan and the sort, not the plan.
        with connection.cursor() as cursor:
            if latest is not None:
                cursor.execute(f"{latest[0]} LIMIT %s OFFSET %s", [*latest[1], size, offset])
                rows = cursor.fetchall()
                # No row: past the end, or `seq` was not the latest when the statement ran.
                if rows or not _later_snapshot(cursor, cluster_id, seq):
                    return rows
            statement = by_interval()
            assert statement is not None  # (not _orm_only)
            sql, params = statement
            cursor.execute(f"{sql} LIMIT %s OFFSET %s", [*params, size, offset])
            return cursor.fetchall()

    return read


def _orm_only(query: dict) -> bool:
    """Whether only the ORM writes this query's statement (a search, a zone, monthly cost)."""
    name = query["ordering"].lstrip("-")
    return name in _ORM_ORDERINGS or any(query.get(f) for f in _ORM_FILTERS)


def _later_snapshot(cursor, cluster_id: int, seq: int) -> bool:
    """Whether the cluster has a snapshot after `seq` (then its open rows are not seq's)."""
    cursor.execute(f"SELECT {_LATER}", [cluster_id, seq])
    return cursor.fetchone()[0]


def keys_statement(
    cluster_id: int, seq: int, query: dict, limits: Thresholds, *, open_rows: bool = False
) -> tuple[str, list] | None:
    """`SELECT key, COUNT(*) OVER ()` of the rows that filtered_services gives, in its order
    (by health: under `limits`), and its parameters; None where only the ORM writes it.

    `open_rows`: the statement reads the open rows (PostgreSQL only: None elsewhere) and gives
    no row unless `seq` is the cluster's latest snapshot as it runs (module docstring)."""
    if _orm_only(query) or (open_rows and connection.vendor != "postgresql"):
        return None
    ordering = query["ordering"]
    name = ordering.lstrip("-")
    meta = ServiceSummary._meta

    def column(field: str) -> str:
        found = meta.get_field(field)
        assert isinstance(found, Field) and found.column
        return connection.ops.quote_name(found.column)

    def bytewise(field: str) -> str:
        return f"{column(field)} COLLATE {connection.ops.quote_name(bytewise_collation())}"

    if open_rows:
        # The rows open now, which are seq's while no snapshot follows it: an InitPlan that
        # PostgreSQL evaluates once, before the scan and in the same view of the database.
        tests = [
            f"{column('cluster')} = %s",
            f"{column('last_seq')} IS NULL",
            f"NOT {_LATER}",
        ]
        params: list = [cluster_id, cluster_id, seq]
    else:
        # ServiceSummary.objects.at(cluster, seq): the rows whose interval holds seq.
        tests = [
            f"{column('cluster')} = %s",
            f"{column('first_seq')} <= %s",
            f"({column('last_seq')} IS NULL OR {column('last_seq')} > %s)",
        ]
        params = [cluster_id, seq, seq]
    for field, lookup, value in column_tests(query):
        tests.append(f"{column(field)} {_OPERATORS[lookup]} %s")
        params.append(value)
    direction = "DESC" if ordering.startswith("-") else "ASC"
    ties = [bytewise("namespace"), bytewise("name")]
    sort = SORT_COLUMNS[name]
    if name == "name":  # namespace and name in the asked direction
        order = [f"{t} {direction}" for t in ties]
    else:
        if name == "health":
            key, rank_params = _health_rank(connection.vendor, limits)
            params.extend(rank_params)
        else:
            assert sort is not None
            key = bytewise(sort) if sort in TEXT_COLUMNS else column(sort)
        order = [f"{key} {direction} NULLS LAST", *(f"{t} ASC" for t in ties)]
    sql = (
        f"SELECT {column('id')}, COUNT(*) OVER () FROM {connection.ops.quote_name(meta.db_table)}"
        f" WHERE {' AND '.join(tests)} ORDER BY {', '.join(order)}"
    )
    return sql, params


@functools.lru_cache(maxsize=64)
def _health_rank(vendor: str, limits: Thresholds) -> tuple[str, tuple]:
    """health_rank(limits) as the ORM compiles it for this database vendor, with its
    parameters: the one definition of the order by health, compiled once per thresholds."""
    query = ServiceSummary.objects.all().query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(health_rank(limits).resolve_expression(query))
    return sql, tuple(params)
