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
    statement = keys_statement(cluster_id, seq, query, limits)
    if statement is None:
        rows = filtered_services(ServiceSummary.objects.at(cluster_id, seq), query, limits, volumes)
        counted = rows.annotate(_total=Window(Count("pk"))).values_list("pk", "_total")
        return lambda offset, size: list(counted[offset : offset + size])
    sql, params = statement

    def read(offset: int, size: int) -> list[tuple[int, int]]:
        # Not prepared (routing.prepared): its text varies with the filters (182 texts in 364
        # of bench_api's cold queries), and preparing it made no difference to PostgreSQL's
        # time, which is the scan and the sort, not the plan.
        with connection.cursor() as cursor:
            cursor.execute(f"{sql} LIMIT %s OFFSET %s", [*params, size, offset])
            return cursor.fetchall()

    return read


def keys_statement(
    cluster_id: int, seq: int, query: dict, limits: Thresholds
) -> tuple[str, list] | None:
    """`SELECT key, COUNT(*) OVER ()` of the rows that filtered_services gives, in its order
    (by health: under `limits`), and its parameters; None where only the ORM writes it."""
    ordering = query["ordering"]
    name = ordering.lstrip("-")
    if name in _ORM_ORDERINGS or any(query.get(f) for f in _ORM_FILTERS):
        return None
    meta = ServiceSummary._meta

    def column(field: str) -> str:
        found = meta.get_field(field)
        assert isinstance(found, Field) and found.column
        return connection.ops.quote_name(found.column)

    def bytewise(field: str) -> str:
        return f"{column(field)} COLLATE {connection.ops.quote_name(bytewise_collation())}"

    # ServiceSummary.objects.at(cluster, seq): the rows whose interval holds seq.
    tests = [
        f"{column('cluster')} = %s",
        f"{column('first_seq')} <= %s",
        f"({column('last_seq')} IS NULL OR {column('last_seq')} > %s)",
    ]
    params: list = [cluster_id, seq, seq]
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
