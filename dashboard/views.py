"""Web pages and the health check."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from dashboard.overview import overview
from routing.health import database_reachable
from routing.models import Snapshot
from routing.services import analyze_dump, analyze_snapshot


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The overview: each Service's zone-to-zone traffic, cost and findings for the dump."""
    limit = settings.TRAFFICLENS_OVERLOAD_LIMIT
    snapshot = Snapshot.objects.select_related("cluster").order_by("-taken_at", "-pk").first()
    if snapshot is not None:
        taken = f"{snapshot.taken_at:%Y-%m-%d %H:%M:%S} UTC"
        source = f"cluster {snapshot.cluster.name}, snapshot {snapshot.seq} of {taken}"
        context = {
            "source": source,
            "error": None,
            "view": overview(analyze_snapshot(snapshot), limit),
        }
        context["cluster"] = snapshot.cluster
        return render(request, "index.html", context)
    analysis = analyze_dump(settings.TRAFFICLENS_DUMP)
    context = {"source": analysis.path.name, "error": analysis.error, "view": None}
    if analysis.report is not None:
        context["view"] = overview(analysis.report, limit)
    return render(request, "index.html", context)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness in one: 200 only when the database answers a trivial query."""
    if not database_reachable():
        return JsonResponse(
            {"status": "error", "message": "database unreachable"},
            status=503,
        )
    return JsonResponse({"status": "ok"})
