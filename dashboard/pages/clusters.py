"""Clusters overview (placeholder until its page lands)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.pages.common import viewer_required


@viewer_required
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/placeholder.html", {"title": "Clusters"})
