"""Settings: a cluster's price overrides, its traffic source (the Prometheus its volumes are
measured from, with the latest fetches) and its Services' monthly traffic volumes, each with
where it came from (set by hand wins over measured)."""

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dashboard.pages.common import cluster_context, get_cluster, service_url, viewer_required
from dashboard.pages.format import DASH, NO_TRAFFIC, ago, per_gb, source_word, usd, volume_label
from dashboard.pages.format import gb as gb_text
from dashboard.pages.volumes import fetch_view
from routing.api.volume_serializers import TrafficSourceSerializer, VolumeFetchSerializer
from routing.engine.cost import LIST_PRICES
from routing.models import Cluster, ServiceSummary, Snapshot, TrafficVolume
from routing.volumes.lookup import MANUAL, SIMULATED, SnapshotVolumes
from routing.volumes.models import MeasuredVolume, TrafficSource, VolumeFetch
from routing.volumes.prometheus import ENV_PREFIX

PAGE_SIZE = 50  # Services a page in the volumes table
FETCHES = 10  # the latest volume fetches listed under the traffic source


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


def _volume_rows(
    cluster: Cluster, snapshot: Snapshot | None, query: str, page: str | None, now=None
):
    """One page of the latest snapshot's Services, with their volumes (set by hand, measured,
    and the one in force: by hand wins); and the page itself."""
    now = now or timezone.now()
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
    found: dict[tuple[str, str], TrafficVolume] = {}
    measured: dict[tuple[str, str], float] = {}
    fetch = SnapshotVolumes(snapshot).fetch if snapshot is not None else None
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
        if fetch is not None:
            found_rows = MeasuredVolume.objects.filter(fetch=fetch).filter(match)
            measured = {
                (ns, name): gb
                for ns, name, gb in found_rows.values_list("namespace", "name", "monthly_gb")
            }
    kind = fetch_view(fetch)
    services = []
    for ns, name, policy, cost in shown.object_list:
        volume = found.get((ns, name))
        gb = None if volume is None else float(volume.monthly_gb)
        other = measured.get((ns, name))
        if gb is not None:
            in_use, source = gb, MANUAL
            note, at = (volume.source if volume else ""), volume_at(volume)
        elif other is not None and kind is not None:
            in_use, source = other, kind["source"]
            note, at = kind["detail"], kind["at"]
        else:
            in_use, source, note, at = None, None, "", None
        label = volume_label(source, note, at, now)
        services.append(
            {
                "namespace": ns,
                "name": name,
                "url": service_url(cluster.name, ns, name),
                "policy": policy,
                "costPerGb": cost,
                "costPerGbText": per_gb(cost),
                "monthlyGb": gb,
                # As typed: 1500, 30.5 (the column keeps three decimals).
                "monthlyGbText": "" if volume is None else f"{volume.monthly_gb.normalize():f}",
                "source": volume.source if volume else "",
                "updatedBy": volume.updated_by.username if volume and volume.updated_by else None,
                "updatedAt": volume.updated_at.isoformat() if volume else None,
                # What the Service is costed with: by hand, else measured (or simulated).
                "measuredGb": other if kind is not None else None,
                "measuredSource": kind["source"]
                if kind is not None and other is not None
                else None,
                "measuredGbText": gb_text(other) if other is not None else "",
                "measuredLabel": (
                    volume_label(kind["source"], kind["detail"], kind["at"], now)
                    if kind is not None and other is not None
                    else None
                ),
                "measuredNote": (
                    in_use_note(kind["source"], kind["detail"], kind["at"], now)
                    if kind is not None and other is not None
                    else None
                ),
                "inUseGb": in_use,
                "inUseText": gb_text(in_use) if in_use is not None else NO_TRAFFIC,
                "inUseSource": source,
                "inUseWord": source_word(source),
                "inUseLabel": label,
                "inUseNote": in_use_note(source, note, at, now),
                "monthlyCost": None if in_use is None else cost * in_use,
                "monthlyCostText": usd(cost * in_use) if in_use is not None else DASH,
            }
        )
    return services, shown


def in_use_note(source: str | None, note: str, at, now) -> str:
    """A row's short word on its volume in use: when (and for one set by hand, its note); the
    source's tag says the rest, and its title the whole label (js/settings.js: inUseNote)."""
    if source is None:
        return ""
    if source == MANUAL:
        return f"{note}, set {ago(at, now)}" if note else f"set {ago(at, now)}"
    if source == SIMULATED:
        return f"demo model, not measured; fetched {ago(at, now)}"
    return f"fetched {ago(at, now)}"


def volume_at(volume: TrafficVolume | None):
    return volume.updated_at if volume is not None else None


def _totals(cluster: Cluster, snapshot: Snapshot | None) -> dict[str, Any]:
    """Over the latest snapshot's Services: how many have a volume (by where it came from),
    their GB and monthly cost; and how many volumes set by hand name Services not in it."""
    volumes = SnapshotVolumes(snapshot).get() if snapshot is not None else {}
    with_volume = 0
    gb = cost = 0.0
    services = 0
    by_source = dict.fromkeys(("measured", "simulated", "manual"), 0)
    seen: set[tuple[str, str]] = set()
    if snapshot is not None:
        for ns, name, per_gb in ServiceSummary.objects.at(cluster.pk, snapshot.seq).values_list(
            "namespace", "name", "cost_per_gb"
        ):
            services += 1
            seen.add((ns, name))
            volume = volumes.get((ns, name))
            if volume is not None:
                with_volume += 1
                by_source[volume.source] += 1
                gb += volume.gb
                cost += per_gb * volume.gb
    manual = TrafficVolume.objects.filter(cluster=cluster).values_list("namespace", "name")
    return {
        "services": services,
        "withVolume": with_volume,
        "bySource": by_source,
        "monthlyGb": gb,
        "monthlyCost": cost,
        "elsewhere": sum(1 for key in manual if key not in seen),  # kept for when they return
    }


def _source(cluster: Cluster, source: TrafficSource | None) -> dict[str, Any]:
    """The traffic source as GET traffic-source/ answers (None without one), what the form
    offers, the rule for credentials, and the latest fetches as GET volumes/fetches/ lists
    them (they outlive a removed source)."""
    fetches = VolumeFetch.objects.filter(cluster=cluster).order_by("-fetched_at", "-pk")
    return {
        "source": TrafficSourceSerializer(source).data if source is not None else None,
        # The simulation preset reads the simulated cluster's own model: for those clusters only.
        "presets": [
            {"key": k, "label": label}
            for k, label in TrafficSource.Preset.choices
            if k != TrafficSource.Preset.SIMULATION or cluster.source == Cluster.Source.SIMULATED
        ],
        "auths": [{"key": k, "label": label} for k, label in TrafficSource.Auth.choices],
        "envPrefix": ENV_PREFIX,
        "credentialsDir": str(settings.TRAFFICLENS_CREDENTIALS_DIR),
        "fetches": VolumeFetchSerializer(fetches[:FETCHES], many=True).data,
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
        "isAdmin": context["is_admin"],
        "prices": _prices(found, snapshot),
        "clients": {
            "value": found.clients,
            "choices": [{"key": k, "label": label} for k, label in Cluster.Clients.choices],
        },
        "alert": {"crossZonePct": f"{found.cross_zone_alert * 100:g}"},
        "services": services,
        "totals": _totals(found, snapshot),
        "traffic": _source(found, context["traffic_source"]),
    }
    return render(
        request,
        "pages/settings.html",
        {
            **context,
            "data": data,
            "query": query,
            "page_obj": shown,
            "services": services,
            "overload_limit": f"{settings.TRAFFICLENS_OVERLOAD_LIMIT:g}",
        },
    )
