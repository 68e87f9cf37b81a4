"""The health check (the pages live in dashboard.pages)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from routing.health import database_reachable


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
