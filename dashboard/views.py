"""The health check (the pages live in dashboard.pages)."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from routing.health import database_reachable, redis_state


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness in one: 200 while the database answers a trivial query (the app
    can serve); Redis is reported ("ok", "down" or "not_configured") but does not decide."""
    redis = redis_state()
    if not database_reachable():
        return JsonResponse(
            {
                "status": "error",
                "message": "database unreachable",
                "database": "unreachable",
                "redis": redis,
            },
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok", "redis": redis})
