"""The Services list exported as one file: every row that passes the filters, as CSV or JSON.

The rows are the list's own (`summary_rows`), so an export and the paged API give the same
figures. Exports are not cached: they are asked for rarely, and 10,000 Services' bytes (a few MB)
would push the pages that dashboards poll out of the cache. Built in memory: 10,000 Services take
well under a second (docs/benchmarks.md), so streaming would buy nothing but complexity.

Every string comes from a cluster and may be hostile: a CSV cell that a spreadsheet would take
for a formula (=, +, -, @, tab, carriage return first) is prefixed with a single quote, and the
csv module quotes separators, quotes and line breaks.
"""

import csv
import io
from collections.abc import Callable
from typing import Any

from django.http import HttpResponse

from routing.api.renderers import ORJSONRenderer
from routing.figures.health import Thresholds
from routing.figures.service_list import (
    SUMMARY_ROW_COLUMNS,
    digested,
    filtered_services,
    summary_rows,
)
from routing.models import ServiceSummary
from routing.volumes.lookup import SnapshotVolumes

Row = dict[str, Any]


def _top(field: str) -> Callable[[Row], Any]:
    return lambda row: row["topDiagnostic"][field] if row["topDiagnostic"] else None


def _count(severity: str) -> Callable[[Row], Any]:
    return lambda row: row["diagnostics"][severity]


def _field(name: str) -> Callable[[Row], Any]:
    return lambda row: row[name]


# The CSV's columns, in order: the list's fields, with the diagnostics flattened
# (docs/services-export.md describes each).
CSV_COLUMNS: tuple[tuple[str, Callable[[Row], Any]], ...] = (
    *(
        (name, _field(name))
        for name in (
            "namespace",
            "name",
            "health",
            "policy",
            "mechanism",
            "internalTrafficPolicy",
            "crossZoneFraction",
            "crossRegionFraction",
            "dropped",
            "maxOverload",
            "costPerGb",
            "monthlyGb",
            "monthlyCost",
            "volumeSource",
            "measuredCrossZoneFraction",
            "modelMismatch",
            "recommendedPolicy",
            "bestFix",
        )
    ),
    ("diagnosticErrors", _count("error")),
    ("diagnosticWarnings", _count("warning")),
    ("diagnosticInfos", _count("info")),
    ("topDiagnosticSeverity", _top("severity")),
    ("topDiagnosticCode", _top("code")),
    ("topDiagnosticMessage", _top("message")),
)

# What spreadsheets read as the start of a formula (OWASP's CSV injection list).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One value as CSV text: empty for null, true/false, floats to the last digit (repr),
    strings defused against formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def export_rows(
    cluster_id: int, snapshot, query: dict, volumes: SnapshotVolumes, limits: Thresholds
) -> list[Row]:
    """Every row of the snapshot that passes `query`'s filters, in its order (`ordering`
    resolved by the caller), as the list's rows."""
    rows = filtered_services(
        ServiceSummary.objects.at(cluster_id, snapshot.seq), query, limits, volumes
    )
    values = digested(rows.values_list(*SUMMARY_ROW_COLUMNS))
    # The cluster's volumes in one read, not an IN list of 10,000 names.
    every = volumes.get() if volumes.any() else {}
    shown = {(v[0], v[1]): every[(v[0], v[1])] for v in values if (v[0], v[1]) in every}
    return summary_rows(values, limits, shown)


def csv_body(rows: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow([name for name, _ in CSV_COLUMNS])
    writer.writerows([csv_cell(get(row)) for _, get in CSV_COLUMNS] for row in rows)
    return out.getvalue().encode()


def export_response(format: str, cluster: str, snapshot, rows: list[Row]) -> HttpResponse:
    """The file for `format` (csv or json), as an attachment named after cluster and snapshot."""
    seq = snapshot.seq if snapshot is not None else 0
    filename = f"{cluster}-snapshot-{seq}-services.{format}"  # the cluster is a slug
    if format == "csv":
        response = HttpResponse(csv_body(rows), content_type="text/csv; charset=utf-8")
    else:
        described = None
        if snapshot is not None:
            taken = snapshot.taken_at.isoformat().replace("+00:00", "Z")
            described = {"id": snapshot.pk, "seq": snapshot.seq, "takenAt": taken}
        # The list's own shape, every row on one page: what the schema documents for it.
        body = {
            "snapshot": described,
            "count": len(rows),
            "next": None,
            "previous": None,
            "results": rows,
        }
        response = HttpResponse(ORJSONRenderer().render(body), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
