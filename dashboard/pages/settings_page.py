"""Settings: a cluster's price overrides and its Services' monthly traffic volumes."""

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.pages.common import cluster_context, get_cluster, service_url, viewer_required
from routing.engine.cost import LIST_PRICES
from routing.models import Cluster, ServiceSummary, Snapshot, TrafficVolume
from routing.volumes.lookup import gb_by_service

PAGE_SIZE = 50  # Services a page in the volumes table


def _provider(cluster: Cluster, snapshot: Snapshot | None) -> tuple[str, str]:
    """The price list in force and how it was chosen."""
    if cluster.provider != Cluster.Provider.AUTO:
        return cluster.provider, "set on the cluster"
    detected = (snapshot.cluster_report or {}).get("provider") if snapshot else None
    if detected:
        return detected, "detected from the nodes' providerID"
    return "none", "no snapshot yet to detect it from"


def _prices(cluster: Cluster, snapshot: Snapshot | None) -> dict[str, Any]:
    provider, how = _provider(cluster, snapshot)
    zone, region, source = LIST_PRICES.get(provider, LIST_PRICES["none"])
    label = dict(Cluster.Provider.choices).get(provider, provider)
    return {
        "provider": provider,
        "providerLabel": label,
        "providerHow": how,
        "listCrossZone": zone,
        "listCrossRegion": region,
        "listSource": source,
        "priceCrossZone": None
        if cluster.price_cross_zone is None
        else str(cluster.price_cross_zone),
        "priceCrossRegion": (
            None if cluster.price_cross_region is None else str(cluster.price_cross_region)
        ),
    }


def _filter(rows, query: str):
    if "/" in query:
        namespace, name = query.split("/", 1)
        return rows.filter(namespace__icontains=namespace, name__icontains=name)
    return rows.filter(Q(namespace__icontains=query) | Q(name__icontains=query))


def _volume_rows(cluster: Cluster, snapshot: Snapshot | None, query: str, page: str | None):
    """One page of the latest snapshot's Services, with their volumes; and the page itself."""
    rows = ServiceSummary.objects.none()
    if snapshot is not None:
        rows = ServiceSummary.objects.at(cluster.pk, snapshot.seq)
    if query:
        rows = _filter(rows, query)
    listed = rows.order_by("namespace", "name").values_list(
        "namespace", "name", "policy", "cost_per_gb"
    )
    shown = Paginator(listed, PAGE_SIZE).get_page(page)
    keys = [(ns, name) for ns, name, *_ in shown.object_list]
    found = {}
    if keys:
        match = Q()
        for ns, name in keys:
            match |= Q(namespace=ns, name=name)
        found = {
            (v.namespace, v.name): v
            for v in TrafficVolume.objects.filter(cluster=cluster)
            .filter(match)
            .select_related("updated_by")
        }
    services = []
    for ns, name, policy, cost in shown.object_list:
        volume = found.get((ns, name))
        gb = None if volume is None else float(volume.monthly_gb)
        services.append(
            {
                "namespace": ns,
                "name": name,
                "url": service_url(cluster.name, ns, name),
                "policy": policy,
                "costPerGb": cost,
                "monthlyGb": gb,
                # As typed: 1500, 30.5 (the column keeps three decimals).
                "monthlyGbText": "" if volume is None else f"{volume.monthly_gb.normalize():f}",
                "monthlyCost": None if gb is None else cost * gb,
                "source": volume.source if volume else "",
                "updatedBy": volume.updated_by.username if volume and volume.updated_by else None,
                "updatedAt": volume.updated_at.isoformat() if volume else None,
            }
        )
    return services, shown


def _totals(cluster: Cluster, snapshot: Snapshot | None) -> dict[str, Any]:
    """Over the latest snapshot's Services: how many have a volume, their GB and monthly cost."""
    volumes = gb_by_service(cluster.pk, snapshot)
    with_volume = gb = cost = 0.0
    services = 0
    if snapshot is not None:
        for ns, name, per_gb in ServiceSummary.objects.at(cluster.pk, snapshot.seq).values_list(
            "namespace", "name", "cost_per_gb"
        ):
            services += 1
            if (ns, name) in volumes:
                with_volume += 1
                gb += volumes[(ns, name)]
                cost += per_gb * volumes[(ns, name)]
    return {
        "services": services,
        "withVolume": int(with_volume),
        "monthlyGb": gb,
        "monthlyCost": cost,
        "elsewhere": len(volumes) - int(with_volume),  # volumes of Services not in the snapshot
    }


@viewer_required
def settings_page(request: HttpRequest, cluster: str, **kwargs: str) -> HttpResponse:
    found = get_cluster(cluster)
    context = cluster_context(request, found, "settings")
    snapshot = context["snapshot"]
    query = request.GET.get("q", "").strip()
    services, shown = _volume_rows(found, snapshot, query, request.GET.get("page"))
    data = {
        "canEdit": context["can_edit"],
        "prices": _prices(found, snapshot),
        "services": services,
        "totals": _totals(found, snapshot),
    }
    return render(
        request,
        "pages/settings.html",
        {**context, "data": data, "query": query, "page_obj": shown, "services": services},
    )
