"""The Services table: the latest snapshot's Services, filtered, sorted and paged as the list API
does it (the same query serializer, filters and ordering), rendered on the server for the first
paint; js/services.js then drives it from GET /api/v1/clusters/<name>/services/."""

import math
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from dashboard.pages.common import cluster_context, get_cluster, service_url, viewer_required
from dashboard.pages.format import (
    NO_TRAFFIC,
    count,
    pct,
    per_gb,
    source_word,
    times,
    usd,
    volume_label,
)
from dashboard.pages.volumes import fetch_view
from routing.api.pagination import PageNumberPagination
from routing.api.report_serializers import ServiceQuerySerializer
from routing.figures.health import Thresholds
from routing.figures.service_keys import count_of, keys_reader, page_values
from routing.figures.service_list import (
    KNOWN_POLICIES,
    MECHANISMS,
    default_ordering,
    policy_error,
    summary_rows,
)
from routing.figures.zone_filter import UNKNOWN, snapshot_zones, zone_error, zone_nodes
from routing.models import ServiceSummary
from routing.volumes.lookup import MEASURED, SIMULATED, SnapshotVolumes

PAGE_SIZE = PageNumberPagination.page_size
# The list API's query parameters the page keeps in its own query string.
FILTERS = (
    "search",
    "namespace",
    "zone",
    "policy",
    "mechanism",
    "min_cross_zone",
    "has_diagnostics",
    "overloaded",
)
# The table's columns, each sorted by the list API's ordering of the same name.
SORTABLE = (
    "name",
    "health",
    "policy",
    "cross_zone",
    "dropped",
    "overload",
    "cost",
    "monthly_cost",
    "recommendation",
)
EXPORT_FORMATS = ("csv", "json")
HINTS_DOCS = "https://kubernetes.io/docs/concepts/services-networking/service/#traffic-distribution"


# --- formatting, as js/format.js does it, so the first paint and the live updates agree ---------


# --- the query ----------------------------------------------------------------------------------


def parse_query(params) -> tuple[dict[str, Any], list[str]]:
    """The list API's validated query from the page's query string, and what was refused."""
    raw = {k: v for k, v in params.items() if k in (*FILTERS, "ordering") and v != ""}
    query = ServiceQuerySerializer(data=raw)
    if query.is_valid():
        return dict(query.validated_data), []
    refused = sorted(query.errors)
    kept = {k: v for k, v in raw.items() if k not in query.errors}
    query = ServiceQuerySerializer(data=kept)
    query.is_valid()
    return dict(query.validated_data), refused


def page_number(params) -> int:
    try:
        return max(1, int(params.get("page", 1)))
    except (TypeError, ValueError):
        return 1


def source_label(source: str | None, fetch: dict[str, Any] | None, now) -> str:
    """A row's monthly figure's source in words, from what a list row carries (its source)
    and the fetch in force (js/services.js says it the same way after a live update)."""
    if source in (MEASURED, SIMULATED) and fetch is not None:
        return volume_label(source, fetch["detail"], fetch["at"], now)
    return volume_label(source, None, None, now)


def row_view(
    cluster: str, row: dict[str, Any], fetch: dict[str, Any] | None, limits: Thresholds, now
) -> dict[str, Any]:
    """One list row plus the text the table shows for it (js/services.js: rowElement)."""
    diagnostics = row["diagnostics"]
    top = row["topDiagnostic"]
    return {
        **row,
        "key": f"{row['namespace']}/{row['name']}",
        "url": service_url(cluster, row["namespace"], row["name"]),
        "crossZoneText": pct(row["crossZoneFraction"]),
        "droppedText": pct(row["dropped"]),
        "overloadText": times(row["maxOverload"]),
        "overloaded": row["maxOverload"] > limits.overload_limit,
        "crossZoneAlert": row["crossZoneFraction"] > limits.cross_zone_alert,
        "healthWhy": health_why(row, limits),
        "costText": per_gb(row["costPerGb"]),
        "monthlyText": usd(row["monthlyCost"]) if row["monthlyCost"] is not None else NO_TRAFFIC,
        "sourceWord": source_word(row["volumeSource"]),
        "sourceLabel": source_label(row["volumeSource"], fetch, now),
        "diagnosticCount": sum(diagnostics.values()),
        "topSeverity": top["severity"] if top else None,
        "topMessage": top["message"] if top else "",
    }


def health_why(row: dict[str, Any], limits: Thresholds) -> str:
    """Why a row has its health, in words (the badge's title; js/services.js: healthWhy)."""
    reasons = []
    if row["dropped"] > 0:
        reasons.append(f"drops {pct(row['dropped'])} of its traffic")
    if row["maxOverload"] > limits.overload_limit:
        reasons.append(f"overload {times(row['maxOverload'])} (limit {limits.overload_limit:g}×)")
    if row["crossZoneFraction"] > limits.cross_zone_alert:
        reasons.append(
            f"{pct(row['crossZoneFraction'])} crosses zones (alert above "
            f"{pct(limits.cross_zone_alert)})"
        )
    top = row["topDiagnostic"]
    if top and top["severity"] in ("error", "warning"):
        reasons.append(f"{top['severity']}: {top['message']}")
    return "; ".join(reasons) or "nothing to flag"


def services_table(cluster, snapshot, query: dict, page: int) -> dict[str, Any]:
    """The rows of one page, as the list API would give them, plus the totals the page shows."""
    volumes = SnapshotVolumes(snapshot)
    limits = Thresholds.of(cluster)
    # The page's keys with the count of all, as the API reads them (from the snapshot's index
    # in this process where the query allows); a page past the end is the last page, again.
    keyed = keys_reader(snapshot, query, limits, volumes)
    keys = keyed((page - 1) * PAGE_SIZE, PAGE_SIZE)
    # No row on the first page is no row at all; past it, the count tells the last page.
    total = keys[0][1] if keys else (count_of(keyed) if page > 1 else 0)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if page > pages:
        page = pages
        keys = keyed((page - 1) * PAGE_SIZE, PAGE_SIZE)
    values = page_values(keyed, [key for key, _ in keys])
    shown = volumes.get({(v[0], v[1]) for v in values}) if values else {}
    return {
        "rows": summary_rows(values, limits, shown),
        "count": total,
        "page": page,
        "pages": pages,
    }


def volumes_note(volumes: SnapshotVolumes | None, fetch: dict[str, Any] | None, now) -> str:
    """Where the Monthly column's figures come from, in a sentence (js/services.js: note)."""
    manual = volumes is not None and volumes.state[1] > 0
    if fetch is None:
        return "Monthly: volumes set by hand." if manual else ""
    said = volume_label(fetch["source"], fetch["detail"], fetch["at"], now)
    return f"Monthly: {said}" + ("; volumes set by hand win." if manual else ".")


@viewer_required
def services_page(request: HttpRequest, cluster: str, **kwargs: str) -> HttpResponse:
    found = get_cluster(cluster)
    context = cluster_context(request, found, "services")
    snapshot = context["snapshot"]
    query, refused = parse_query(request.GET)
    volumes = SnapshotVolumes(snapshot) if snapshot is not None else None
    default = default_ordering(volumes)
    query["ordering"] = query.get("ordering") or default
    limits = Thresholds.of(found)
    limit = limits.overload_limit
    fetch = fetch_view(volumes.fetch) if volumes is not None else None
    now = timezone.now()
    table: dict[str, Any] = {"rows": [], "count": 0, "page": 1, "pages": 1}
    namespaces: list[str] = []
    zones: list[str] = []
    zone_note: dict[str, Any] | None = None
    policies: list[str] = list(KNOWN_POLICIES)
    in_snapshot = with_topology = 0
    if snapshot is not None:
        # As the API refuses it: a policy neither Kubernetes nor this snapshot declares.
        every = ServiceSummary.objects.at(found.pk, snapshot.seq)
        if policy_error(every, query.get("policy")):
            refused = sorted([*refused, "policy"])
            del query["policy"]
        if zone_error(snapshot, query.get("zone")):
            refused = sorted([*refused, "zone"])
            del query["zone"]
        zones = snapshot_zones(snapshot)
        if query.get("zone") and query["zone"] not in zones:
            zones.append(query["zone"])  # `unknown`, valid in every snapshot
        zone_note = _zone_note(snapshot, query.get("zone"))
        table = services_table(found, snapshot, query, page_number(request.GET))
        namespaces = sorted(set(every.values_list("namespace", flat=True)))
        policies += sorted(set(every.values_list("policy", flat=True)) - set(KNOWN_POLICIES))
        in_snapshot = every.count()
        with_topology = every.exclude(mechanism="none").count()
    rows = [row_view(found.name, row, fetch, limits, now) for row in table["rows"]]
    for row in rows:  # a pinned page's Service links keep the pin
        row["url"] = f"{row['url']}{context['pin_query']}" if row["url"] else row["url"]
    has_volumes = volumes is not None and volumes.any()
    first = (table["page"] - 1) * PAGE_SIZE + 1 if table["count"] else 0
    last = first + len(rows) - 1 if rows else 0
    filters = {k: request.GET[k] for k in FILTERS if request.GET.get(k) and k not in refused}
    ordering = query["ordering"]
    pager_keys = {"snapshot": snapshot.seq, **filters} if context["pinned"] else filters
    services_api = reverse("api:service-list", kwargs={"cluster": found.name})
    data = {
        "cluster": found.name,
        "servicesApi": services_api,
        "seq": snapshot.seq if snapshot else None,
        "pageSize": PAGE_SIZE,
        "overloadLimit": limit,
        "crossZoneAlert": limits.cross_zone_alert,
        "defaultOrdering": default,
        "fetch": fetch,
        "manualVolumes": volumes is not None and volumes.state[1] > 0,
        "inSnapshot": in_snapshot,
        "count": table["count"],
        "page": table["page"],
    }
    return render(
        request,
        "pages/services.html",
        {
            **context,
            "rows": rows,
            "has_volumes": has_volumes,
            "volumes_note": volumes_note(volumes, fetch, now),
            "settings_url": reverse("settings", args=[found.name]),
            "count": table["count"],
            "count_text": count(table["count"]),
            "range_text": f"{count(first)}–{count(last)}" if rows else "",
            "page": table["page"],
            "pages": table["pages"],
            "namespaces": namespaces,
            "zones": zones,
            "zone_note": zone_note,
            "zone_clear_url": _page_query(
                {k: v for k, v in pager_keys.items() if k != "zone"}, ordering, default, 1
            ),
            "policies": policies,
            "mechanisms": MECHANISMS,
            "filters": filters,
            "min_cross_zone_pct": (
                f"{query['min_cross_zone'] * 100:g}" if "min_cross_zone" in filters else ""
            ),
            "ordering": ordering,
            "sort_columns": _sort_columns(ordering),
            "export_urls": _export_urls(
                services_api, filters, ordering, snapshot.seq if context["pinned"] else None
            ),
            "refused": refused,
            "in_snapshot": in_snapshot,
            "with_topology": with_topology,
            "overload_limit": f"{limit:g}",
            "hints_docs": HINTS_DOCS,
            "clear_url": request.path,
            "prev_query": _page_query(pager_keys, ordering, default, table["page"] - 1),
            "next_query": _page_query(pager_keys, ordering, default, table["page"] + 1),
            "data": data,
        },
    )


def _zone_note(snapshot, zone: str | None) -> dict[str, Any] | None:
    """What the page says of the zone it filters by: its Nodes (the first NODES_LISTED by name),
    as the snapshot has them. Read only when a zone is asked for: it decodes the Nodes."""
    if not zone:
        return None
    nodes = zone_nodes(snapshot).get(zone, {"count": 0, "ready": 0, "nodes": []})
    return {
        "zone": zone,
        "unknown": zone == UNKNOWN,
        "seq": snapshot.seq,
        **nodes,
        "more": nodes["count"] - len(nodes["nodes"]),
    }


def _page_query(filters: dict, ordering: str, default: str, page: int) -> str:
    params = dict(filters)
    if ordering != default:
        params["ordering"] = ordering
    if page > 1:
        params["page"] = page
    return "?" + urlencode(params) if params else "?"


def _export_urls(api: str, filters: dict, ordering: str, pinned: int | None) -> dict[str, str]:
    """The list API's export of what the table shows: every row under its filters and order,
    of the snapshot it shows when pinned (js/services.js builds the same after each change)."""
    pin = {"snapshot": pinned} if pinned is not None else {}
    return {
        fmt: f"{api}?{urlencode({**filters, 'ordering': ordering, **pin, 'format': fmt})}"
        for fmt in EXPORT_FORMATS
    }


def _sort_columns(ordering: str) -> dict[str, str]:
    """aria-sort for each sortable column under `ordering`."""
    key = ordering.lstrip("-")
    direction = "descending" if ordering.startswith("-") else "ascending"
    return {column: direction if column == key else "none" for column in SORTABLE}
