"""Service (placeholder until its page lands)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.pages.common import cluster_context, get_cluster, viewer_required


@viewer_required
def service_page(request: HttpRequest, cluster: str, **kwargs: str) -> HttpResponse:
    context = cluster_context(request, get_cluster(cluster), "services")
    return render(request, "pages/placeholder.html", {**context, "title": "Service"})
