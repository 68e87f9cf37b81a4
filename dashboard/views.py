"""Web pages and the health check."""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from dashboard.overview import overview
from routing.services import analyze_dump

logger = logging.getLogger(__name__)


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The overview: each Service's zone-to-zone traffic, cost and findings for the dump."""
    analysis = analyze_dump(settings.TRAFFICLENS_DUMP)
    context = {"source": analysis.path.name, "error": analysis.error, "view": None}
    if analysis.report is not None:
        context["view"] = overview(analysis.report, settings.TRAFFICLENS_OVERLOAD_LIMIT)
    return render(request, "index.html", context)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness in one: 200 only when the database answers a trivial query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # Log the detail for operators; the public answer stays generic (it may name hosts).
        logger.exception("health check: database unreachable")
        return JsonResponse(
            {"status": "error", "message": "database unreachable"},
            status=503,
        )
    return JsonResponse({"status": "ok"})
