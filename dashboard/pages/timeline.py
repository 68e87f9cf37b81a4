"""Timeline: a cluster's snapshots newest first with what changed, and its figures over time
(cost per GB and cross-zone share per snapshot, monthly cost per volume fetch)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.pages.common import cluster_context, get_cluster, viewer_required
from routing.api.serializers import SnapshotSerializer
from routing.api.traffic_serializers import ClusterSeriesSerializer
from routing.api.volume_serializers import VolumeFetchSerializer
from routing.figures.traffic import bucketed, cluster_points, default_resolution
from routing.models import Snapshot
from routing.volumes.models import VolumeFetch

PAGE_SIZE = 20  # snapshots a page; the JS asks the API for the same page size
FETCHES = 1000  # volume fetches in the monthly cost chart (the API's largest page)


@viewer_required
def timeline_page(request: HttpRequest, cluster: str, **kwargs: str) -> HttpResponse:
    found = get_cluster(cluster)
    context = cluster_context(request, found, "timeline")
    rows = Snapshot.objects.filter(cluster=found).order_by("-seq")
    fetches = VolumeFetch.objects.filter(cluster=found).order_by("-fetched_at", "-pk")
    points = cluster_points(found, None, None)
    # The same answer as GET /timeseries/ without parameters (range "all").
    resolution = default_resolution(points[0].taken_at, points[-1].taken_at) if points else 60
    series = {"since": None, "until": None, "resolution": resolution}
    data = {
        "pageSize": PAGE_SIZE,
        # Where the charts' time axis may start: no range shows time before the cluster's
        # oldest snapshot kept (js/timeline.js, timeBounds).
        "firstTakenAt": points[0].taken_at if points else None,
        "snapshots": {
            "count": rows.count(),
            "page": 1,
            "results": SnapshotSerializer(rows[:PAGE_SIZE], many=True).data,
        },
        "series": ClusterSeriesSerializer({**series, "points": bucketed(points, resolution)}).data,
        # The monthly cost series: each volume fetch's cost over the then latest snapshot, as
        # GET volumes/fetches/ answers (newest first).
        "fetches": VolumeFetchSerializer(fetches[:FETCHES], many=True).data,
    }
    return render(request, "pages/timeline.html", {**context, "data": data})
