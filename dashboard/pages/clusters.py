"""Clusters overview: each cluster's live status and latest snapshot's figures, as cards for a
few clusters and as one sortable table (with a cross-zone sparkline per cluster) for many."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dashboard.pages.common import viewer_required
from dashboard.pages.format import pct, per_gb, usd, volumes_summary
from dashboard.pages.volumes import status_view
from routing.api.cache import snapshot_value
from routing.figures.traffic import flow_map
from routing.models import Cluster, ServiceSummary, Snapshot
from routing.roles import visible_clusters
from routing.volumes.lookup import SnapshotVolumes
from routing.volumes.models import TrafficSource


def zones_by_region(cluster_report: dict) -> list[dict[str, Any]]:
    """[{region, zones: [names]}] from a snapshot's cluster report, regions and zones sorted;
    zones without a region label come last under region None."""
    regions: dict[str | None, list[str]] = {}
    for zone, figures in sorted((cluster_report.get("zones") or {}).items()):
        regions.setdefault((figures or {}).get("region"), []).append(zone)
    return [
        {"region": region, "zones": regions[region]}
        for region in sorted(regions, key=lambda r: (r is None, r or ""))
    ]


def _source(cluster: Cluster) -> TrafficSource | None:
    try:
        return cluster.traffic_source
    except ObjectDoesNotExist:
        return None


def cluster_card(cluster: Cluster, snapshot: Snapshot | None, now=None) -> dict[str, Any]:
    """What the overview shows of one cluster, from stored rows (flow map: summaries): its
    figures, where the monthly one came from, and whether its traffic source is failing."""
    card: dict[str, Any] = {
        "cluster": cluster,
        "snapshot": snapshot,
        "volume_status": status_view(_source(cluster)),
    }
    if snapshot is None:
        return card
    # Reads every Service's row: cached per snapshot and volumes, as the flow map's API answer.
    stamp = SnapshotVolumes(snapshot).stamp()
    flows = snapshot_value(
        "overview-flowmap",
        snapshot.pk,
        snapshot.created_at,
        [("volumes", stamp)],
        lambda: flow_map(snapshot),
    )
    card.update(
        regions=zones_by_region(snapshot.cluster_report or {}),
        # The share of forwarded traffic that crosses zones, as the topology page's headline.
        cross_zone=flows["crossZoneFraction"],
        cross_zone_text=pct(flows["crossZoneFraction"]),
        # No volume known: every Service counts the same in these figures, and the page says so.
        equal_weight=flows["weighting"] == "equal",
        monthly_cost=flows["monthlyCost"],
        monthly_cost_text=usd(flows["monthlyCost"]),
        cost_per_gb=flows["costPerGbMean"],
        cost_per_gb_text=per_gb(flows["costPerGbMean"]),
        services_with_volume=flows["servicesWithVolume"],
        volumes=flows["volumes"],
        volumes_text=volumes_summary(flows["volumes"], now or timezone.now()),
    )
    return card


TABLE_FROM = 5  # clusters from which the overview is a table: a stack of cards stops scanning
SPARK_POINTS = 30  # snapshots in a row's sparkline, the newest last
SPARK_W, SPARK_H = 96, 24


def sparkline(values: list[float]) -> str:
    """SVG polyline points for `values` (shares, 0..1) scaled to the sparkline's box; one point
    is drawn as a flat line."""
    if not values:
        return ""
    if len(values) == 1:
        values = values * 2
    top = max(max(values), 0.01)
    step = SPARK_W / (len(values) - 1)
    return " ".join(
        f"{i * step:.1f},{SPARK_H - 2 - (v / top) * (SPARK_H - 4):.1f}"
        for i, v in enumerate(values)
    )


def table_row(cluster: Cluster, snapshot: Snapshot | None, card: dict[str, Any]) -> None:
    """What the table adds to a card: Services over the overload limit or dropping traffic,
    and the cross-zone share (mean over Services) of the recent snapshots."""
    if snapshot is None:
        return
    rows = ServiceSummary.objects.at(cluster.pk, snapshot.seq)
    recent = cluster.snapshots.order_by("-seq").values_list("cross_zone_fraction", flat=True)
    # Snapshots written before the column existed have none: they are left out of the line.
    history = [v for v in list(recent[:SPARK_POINTS])[::-1] if v is not None]
    counts = rows.aggregate(  # one read of the snapshot's rows for both counts
        overloaded=Count("pk", filter=Q(max_overload__gt=settings.TRAFFICLENS_OVERLOAD_LIMIT)),
        dropping=Count("pk", filter=Q(dropped__gt=0)),
    )
    card.update(
        **counts,
        spark=sparkline(history),
        spark_points=len(history),
        spark_range=(
            f"{pct(min(history))} to {pct(max(history))} over the last {len(history)} snapshots"
            if history
            else ""
        ),
    )


@viewer_required
def overview(request: HttpRequest) -> HttpResponse:
    newest = Snapshot.objects.filter(cluster=OuterRef("pk")).order_by("-seq").values("pk")
    visible = visible_clusters(request.user).select_related("traffic_source")
    clusters = list(visible.annotate(latest_id=Subquery(newest[:1])).order_by("name"))
    snapshots = Snapshot.objects.in_bulk([c.latest_id for c in clusters if c.latest_id])
    cards = []
    now = timezone.now()
    for cluster in clusters:
        snapshot = snapshots.get(cluster.latest_id)
        if snapshot is not None:
            snapshot.cluster = cluster  # flow_map reads it; saves a query
        cards.append(cluster_card(cluster, snapshot, now))
    as_table = len(cards) >= TABLE_FROM
    if as_table:
        for card in cards:
            table_row(card["cluster"], card["snapshot"], card)
    return render(
        request,
        "pages/clusters.html",
        {"cards": cards, "as_table": as_table, "spark_w": SPARK_W, "spark_h": SPARK_H},
    )
