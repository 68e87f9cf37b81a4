"""The Services of one snapshot as a list: filters, orderings and the rows, from stored summaries.

Shared by the API's Services list (routing.api.service_views) and the Services page
(dashboard.pages.services), which validate the same query (the API's ServiceQuerySerializer)
and so show the same rows in the same order.
"""

import functools
from collections.abc import Iterable
from typing import Any

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import (
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Collate, Concat

from routing import prepared
from routing.models import SEVERITY_RANK, ServiceSummary, TrafficVolume
from routing.volumes.lookup import SnapshotVolumes, Volume, model_mismatch
from routing.volumes.models import MeasuredVolume

from .health import Thresholds, health_level, health_rank
from .zone_filter import in_zone, services_in_zone

MECHANISMS = ("trafficDistribution", "topologyAuto", "none")
SEVERITIES = ("error", "warning", "info")
# The declared policies Kubernetes defines (trafficDistribution values, the Auto annotation, none).
# A snapshot may hold others as written (a newer API server's value): those are valid filters
# only where the snapshot has them (`policy_error`).
KNOWN_POLICIES = ("PreferSameZone", "PreferClose", "PreferSameNode", "Auto", "none")
# A recommendation's saving per GB is its own column (null, sorted last, without one), as is
# the most severe diagnostic's rank: no JSON is read to filter or sort (migration 0017).
# Each sort key's column, ascending; `-key` is the same, descending. Ties (and `name` itself)
# are broken by namespace and name, bytewise; the text columns are compared bytewise too.
# routing.service_index orders a snapshot's index the same way.
SORT_COLUMNS: dict[str, str | None] = {
    "name": None,
    "policy": "policy",
    "cross_zone": "cross_zone_fraction",
    "dropped": "dropped",
    "overload": "max_overload",
    "cost": "cost_per_gb",
    # The Service's monthly cost: cost per GB x its volume; Services without one come last.
    "monthly_cost": "monthly_cost",  # an annotation (with_monthly_cost), not a column
    "diagnostics": "severity",
    "recommendation": "saving_per_gb",
    "health": None,  # routing.figures.health.health_rank: it reads the cluster's thresholds
}
TEXT_COLUMNS = ("policy", "namespace", "name")
ORDERINGS = tuple(key for name in SORT_COLUMNS for key in (name, f"-{name}"))
BY_VOLUME = ("monthly_cost", "-monthly_cost")

# The diagnostics leave the database as JSON text, parsed by orjson in summary_rows; of the
# recommendation and the fixes (large, out of line, and a row shows neither) only the
# recommended policy and the best verified fix's kind, from their own columns (migration 0024:
# reading them out of the JSON was half of the page's rows' PostgreSQL time).
SUMMARY_ROW_COLUMNS = (
    "namespace",
    "name",
    "policy",
    "mechanism",
    "internal_traffic_policy",
    "cross_zone_fraction",
    "cross_region_fraction",
    "dropped",
    "max_overload",
    "cost_per_gb",
    Cast("diagnostics", TextField()),
    "recommended_policy",
    "best_fix",
)


def summary_values(keys: list[int]) -> list[tuple]:
    """`values_list(*SUMMARY_ROW_COLUMNS)` of the summaries with these keys, in their order.

    A page is read in two steps, its keys in the list's order and then this: PostgreSQL
    computes a select list's expressions (the JSON as text, a key of it) for every row it
    sorts, not only the page's, and those columns are stored out of line (migration 0021).

    The select is the ORM's, compiled once (`_by_key_select`); only the test of the keys is
    added here. Building and compiling the queryset with its 100-key IN list each time, and
    the ORM's row iteration, took 1.0-1.5 ms of Python a page (docs/benchmarks.md)."""
    if not keys:
        return []
    sql, columns = _by_key_select(connection.vendor)
    if connection.vendor == "postgresql":  # one array: the same statement for any page
        sql, params = f"{sql} = ANY(%s)", [*columns, keys]
    else:
        sql, params = f"{sql} IN ({', '.join(['%s'] * len(keys))})", [*columns, *keys]
    by_key = {row[0]: row[1:] for row in prepared.fetch(sql, params)}
    return digested(by_key[k] for k in keys)


def digested(values: Iterable[tuple]) -> list[tuple]:
    """Rows read as `values_list(*SUMMARY_ROW_COLUMNS)` with their diagnostics' JSON text
    replaced by its digest (`diagnostics_digest`): the rows summary_rows takes."""
    return [(*v[:10], diagnostics_digest(v[10]), *v[11:]) for v in values]


def diagnostics_digest(text: str) -> str:
    """What a row of the list shows of a Service's diagnostics (their JSON text): how many of
    each severity and the first (the most severe), as the JSON of that pair. The snapshot's
    index keeps this rather than every diagnostic (routing.service_index)."""
    diags = orjson.loads(text)
    counts = dict.fromkeys(SEVERITIES, 0)
    for diagnostic in diags:
        counts[diagnostic["severity"]] = counts.get(diagnostic["severity"], 0) + 1
    # As text: orjson's bytes keep a 4 KiB buffer however short (40 MiB an index of 10,000).
    return orjson.dumps([counts, diags[0] if diags else None]).decode()


@functools.cache
def _by_key_select(vendor: str) -> tuple[str, tuple]:
    """`SELECT pk, SUMMARY_ROW_COLUMNS FROM summaries WHERE pk` and its parameters, as the ORM
    compiles it for this database vendor (the cache's key)."""
    query = ServiceSummary.objects.order_by().values_list("pk", *SUMMARY_ROW_COLUMNS).query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    # The rows are the cursor's as they come: no column may need the ORM's conversion (none
    # does on PostgreSQL or SQLite: text, numbers, JSON as text).
    converters = compiler.get_converters([column for column, _, _ in compiler.select])
    assert not converters, f"{vendor}: summary_values cannot convert columns {converters}"
    key = compiler.compile(ServiceSummary._meta.pk.get_col(query.get_initial_alias()))[0]
    return f"{sql} WHERE {key}", tuple(params)


def summary_rows(
    values, limits: Thresholds, volumes: dict[tuple[str, str], Volume] | None = None
) -> list[dict]:
    """ServiceSummarySerializer's output for rows read as `values_list(*SUMMARY_ROW_COLUMNS)`,
    their diagnostics digested (`digested`; as a snapshot's index gives them, too), with each
    Service's monthly figures from `volumes` (routing.volumes.lookup) where it has one and its
    health under `limits` (routing.figures.health).

    A page of 100 Services is on every dashboard load and in every tool's poll; serializing
    it field by field took most of the request's time.
    """
    volumes = volumes or {}
    mismatch = settings.TRAFFICLENS_MODEL_MISMATCH
    rows = []
    for ns, name, policy, mech, itp, cz, cr, dropped, overload, cost, digest, rec, fix in values:
        counts, top = orjson.loads(digest)
        volume = volumes.get((ns, name))
        rows.append(
            {
                "namespace": ns,
                "name": name,
                "policy": policy,
                "mechanism": mech,
                "internalTrafficPolicy": itp,
                "crossZoneFraction": cz,
                "crossRegionFraction": cr,
                "dropped": dropped,
                "maxOverload": overload,
                "costPerGb": cost,
                "health": health_level(
                    dropped, overload, cz, top["severity"] if top else None, limits
                ),
                "diagnostics": counts,
                "topDiagnostic": top,
                "recommendedPolicy": rec,
                "bestFix": fix,
                "monthlyGb": volume.gb if volume else None,
                "monthlyCost": cost * volume.gb if volume else None,
                "volumeSource": volume.source if volume else None,
                "measuredCrossZoneFraction": volume.cross_zone if volume else None,
                "modelMismatch": model_mismatch(volume, cz, mismatch),
            }
        )
    return rows


def default_ordering(volumes: SnapshotVolumes | None) -> str:
    """Monthly cost, largest first, once any volume exists; cost per GB before that."""
    return "-monthly_cost" if volumes is not None and volumes.any() else "-cost"


def with_monthly_cost(rows, volumes: SnapshotVolumes):
    """Annotate `monthly_gb` and `monthly_cost` (null without a volume), manual over measured,
    so the database can order by them."""
    manual = TrafficVolume.objects.filter(
        cluster_id=volumes.snapshot.cluster_id,
        namespace=OuterRef("namespace"),
        name=OuterRef("name"),
    ).values("monthly_gb")[:1]
    fetch_id = volumes.state[0]  # the id is enough: no need to load the fetch itself
    measured = MeasuredVolume.objects.filter(
        fetch_id=fetch_id, namespace=OuterRef("namespace"), name=OuterRef("name")
    ).values("monthly_gb")[:1]
    gb: Func = Cast(Subquery(manual), FloatField())
    if fetch_id is not None:
        gb = Coalesce(gb, Subquery(measured), output_field=FloatField())
    return rows.annotate(monthly_gb=gb).annotate(monthly_cost=F("cost_per_gb") * F("monthly_gb"))


def bytewise_collation() -> str:
    """The collation that compares text byte by byte: the same order on every database
    (PostgreSQL's default collation ignores punctuation)."""
    return "C" if connection.vendor == "postgresql" else "BINARY"


def _bytewise(field: str):
    return Collate(F(field), bytewise_collation())


def column_tests(query: dict) -> list[tuple[str, str, Any]]:
    """The query's filters that test one column against a value, as (column, lookup, value):
    all but `search` and `zone`. Applied by filtered_services through the ORM and by
    routing.service_index to a snapshot's index."""
    tests: list[tuple[str, str, Any]] = [
        (column, "exact", query[column])
        for column in ("namespace", "policy", "mechanism")
        if column in query
    ]
    if query.get("min_cross_zone") is not None:
        tests.append(("cross_zone_fraction", "gte", query["min_cross_zone"]))
    limit = settings.TRAFFICLENS_OVERLOAD_LIMIT
    if query.get("overloaded") is True:
        tests.append(("max_overload", "gt", limit))
    elif query.get("overloaded") is False:
        tests.append(("max_overload", "lte", limit))
    # A warning or an error; an info alone does not count.
    if query.get("has_diagnostics") is True:
        tests.append(("severity", "gte", SEVERITY_RANK["warning"]))
    elif query.get("has_diagnostics") is False:
        tests.append(("severity", "lt", SEVERITY_RANK["warning"]))
    return tests


def filtered_services(
    rows, query: dict, limits: Thresholds, volumes: SnapshotVolumes | None = None
):
    """The rows that pass the query's filters, in its order (`ordering` resolved by the caller
    with `default_ordering`; ordering by monthly cost needs the snapshot's volumes, by health
    the cluster's `limits`)."""
    for column, lookup, value in column_tests(query):
        rows = rows.filter(**{f"{column}__{lookup}": value})
    if query.get("search"):
        # One substring test on "namespace/name", so "shop/check" finds shop/checkout.
        rows = rows.annotate(_key=Concat("namespace", Value("/"), "name")).filter(
            _key__icontains=query["search"]
        )
    if query.get("zone"):
        # A column test; only rows from before the column (null) read their stored report.
        zone = query["zone"]
        older = services_in_zone(rows.filter(endpoint_zones__isnull=True), zone)
        rows = rows.filter(in_zone(zone) | Q(pk__in=older))
    ordering = query.get("ordering") or "-cost"
    if ordering in BY_VOLUME:
        assert volumes is not None, "ordering by monthly cost needs the snapshot's volumes"
        rows = with_monthly_cost(rows, volumes)
    return rows.order_by(*_order_by(ordering, limits))


def _order_by(ordering: str, limits: Thresholds) -> list:
    descending = ordering.startswith("-")
    name = ordering.lstrip("-")
    column = SORT_COLUMNS[name]
    keys: list[Any] = (
        [] if column is None else [_bytewise(column) if column in TEXT_COLUMNS else F(column)]
    )
    if name == "health":
        keys = [health_rank(limits)]
    # Names follow the column's direction only when sorting by name; else they break ties A-Z.
    ties = [_bytewise("namespace"), _bytewise("name")]
    if name == "name":
        return [t.desc() if descending else t.asc() for t in ties]
    # Nulls (no volume, no recommendation) last in both directions.
    primary = [k.desc(nulls_last=True) if descending else k.asc(nulls_last=True) for k in keys]
    return [*primary, *(t.asc() for t in ties)]


def policy_error(rows, policy: str | None) -> str | None:
    """Why `policy` is not a valid filter for these rows, or None: a policy Kubernetes defines
    always is (an empty answer is an answer), any other only where one of the rows declares it,
    so that `?policy=bogus` is refused instead of answered with nothing. `rows`: a queryset, or
    a function that makes it (building one costs more than the rest of this test)."""
    if policy is None or policy in KNOWN_POLICIES:
        return None
    if callable(rows):
        rows = rows()
    if rows.filter(policy=policy).exists():
        return None
    return (
        f'"{policy}" is not a declared policy: one of {", ".join(KNOWN_POLICIES)}, or one that '
        "a Service of the snapshot declares."
    )
