"""Upload a kubectl dump (placeholder until its page lands)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.pages.common import role_required


@role_required("editor")
def upload_page(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/placeholder.html", {"title": "Upload a dump"})
