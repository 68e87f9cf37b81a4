"""Recommendations: each Service that would do better under another policy, best saving first."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from dashboard.pages.common import cluster_context, get_cluster, viewer_required
from routing.figures.stability import with_stability
from routing.figures.traffic import Recommendations, recommendations, with_yaml
from routing.models import Cluster, ServiceSummary, Snapshot
from routing.snapshots.write import gc_paused

PAGE_SIZE = 20  # recommendations a page; the JS asks the API for the same page size
TRAFFIC_DISTRIBUTION_DOCS = (
    "https://kubernetes.io/docs/concepts/services-networking/service/#traffic-distribution"
)


@viewer_required
def recommendations_page(request: HttpRequest, cluster: str, **kwargs: str) -> HttpResponse:
    found = get_cluster(cluster)
    context = cluster_context(request, found, "recommendations")
    snapshot = context["snapshot"]
    data = _page_data(found, snapshot)
    return render(
        request,
        "pages/recommendations.html",
        {**context, "data": data, "docs_url": TRAFFIC_DISTRIBUTION_DOCS},
    )


# The ranking parses every recommending Service's row: the collector stays off until those rows
# are freed, on return (routing.figures.runs.read_runs says why).
@gc_paused()
def _page_data(found: Cluster, snapshot: Snapshot | None) -> dict:
    items = Recommendations([])
    using_topology = 0
    if snapshot is not None:
        items = recommendations(snapshot)  # from the stored summaries, as the API answers
        using_topology = (
            ServiceSummary.objects.at(found.pk, snapshot.seq).exclude(mechanism="none").count()
        )
    known = items.monthly_savings()
    by_source = dict.fromkeys(("measured", "simulated", "manual"), 0)
    for source in items.volume_sources():
        by_source[source] += 1
    data = {
        "pageSize": PAGE_SIZE,
        "snapshot": snapshot.seq if snapshot else None,
        "services": snapshot.services if snapshot else 0,
        "usingTopology": using_topology,
        "count": len(items),
        "results": with_stability(snapshot, with_yaml(items[:PAGE_SIZE])) if snapshot else [],
        "monthlySaved": sum(known) if known else None,
        "withVolume": len(known),
        "bySource": by_source,
        "serviceUrl": reverse("service", args=[found.name, "NAMESPACE", "NAME"]),
        "settingsUrl": reverse("settings", args=[found.name]),
    }
    return data
