"""The Services of one snapshot as a list: filters, orderings and the rows, from stored summaries.

Shared by the API's Services list (routing.api.service_views) and the Services page
(dashboard.pages.services), which validate the same query (the API's ServiceQuerySerializer)
and so show the same rows in the same order.
"""

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.db.models.functions import Collate

MECHANISMS = ("trafficDistribution", "topologyAuto", "none")
SEVERITIES = ("error", "warning", "info")
ORDERINGS = {
    "cost": ("cost_per_gb",),
    "-cost": ("-cost_per_gb",),
    "cross_zone": ("cross_zone_fraction",),
    "-cross_zone": ("-cross_zone_fraction",),
    "overload": ("max_overload",),
    "-overload": ("-max_overload",),
    "name": (),
}

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
    "diagnostics",
    "recommendation",
)


def summary_rows(values) -> list[dict]:
    """ServiceSummarySerializer's output for rows read as `values_list(*SUMMARY_ROW_COLUMNS)`.

    A page of 100 Services is on every dashboard load and in every tool's poll; serializing
    it field by field took most of the request's time.
    """
    rows = []
    for ns, name, policy, mech, itp, cz, cr, dropped, overload, cost, diags, rec in values:
        counts = dict.fromkeys(SEVERITIES, 0)
        for diagnostic in diags:
            counts[diagnostic["severity"]] = counts.get(diagnostic["severity"], 0) + 1
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
                "diagnostics": counts,
                "topDiagnostic": diags[0] if diags else None,
                "recommendedPolicy": (rec or {}).get("policy"),
            }
        )
    return rows


_PROBLEMS = ["error", "warning"]


def _bytewise(field: str):
    # The same order on every database (PostgreSQL's default collation ignores punctuation).
    return Collate(F(field), "C" if connection.vendor == "postgresql" else "BINARY")


def filtered_services(rows, query: dict):
    if "namespace" in query:
        rows = rows.filter(namespace=query["namespace"])
    if "policy" in query:
        rows = rows.filter(policy=query["policy"])
    if "mechanism" in query:
        rows = rows.filter(mechanism=query["mechanism"])
    if query.get("min_cross_zone") is not None:
        rows = rows.filter(cross_zone_fraction__gte=query["min_cross_zone"])
    limit = settings.TRAFFICLENS_OVERLOAD_LIMIT
    if query.get("overloaded") is True:
        rows = rows.filter(max_overload__gt=limit)
    elif query.get("overloaded") is False:
        rows = rows.filter(max_overload__lte=limit)
    # Diagnostics are stored most important first, so the first one's severity tells.
    problem = Q(diagnostics__0__severity__in=_PROBLEMS)
    if query.get("has_diagnostics") is True:
        rows = rows.filter(problem)
    elif query.get("has_diagnostics") is False:
        rows = rows.filter(Q(diagnostics__0__isnull=True) | Q(diagnostics__0__severity="info"))
    keys = ORDERINGS[query.get("ordering") or "-cost"]
    return rows.order_by(*keys, _bytewise("namespace").asc(), _bytewise("name").asc())
