"""`GET /metrics`: Prometheus metrics, behind the API's auth unless configured public."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from routing.api.permissions import RolePermission
from routing.figures import metrics
from routing.roles import visible_clusters


class PrometheusTextRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "prometheus"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, str):
            return data.encode()
        # Errors (401/403) keep the API's JSON error shape, rendered as text.
        import json

        return json.dumps(data).encode()


class MetricsView(APIView):
    """Gauges per cluster and Service from each cluster's latest snapshot.

    Prometheus scrapes it with a viewer token (`authorization: {credentials: TOKEN}`), or
    without one when TRAFFICLENS_METRICS_PUBLIC is true (e.g. reachable only inside the cluster).
    A token or session sees the series of the clusters its user may see; public, of all of them.
    """

    renderer_classes = [PrometheusTextRenderer]
    schema = None  # not part of the REST API's schema
    role_anywhere = True  # a team's token scrapes its own clusters

    def get_permissions(self) -> list[BasePermission]:
        if settings.TRAFFICLENS_METRICS_PUBLIC:
            return [AllowAny()]
        return [RolePermission()]

    def get(self, request: Request) -> Response:
        visible = None if settings.TRAFFICLENS_METRICS_PUBLIC else visible_clusters(request.user)
        return Response(
            metrics.render(visible), content_type="text/plain; version=0.0.4; charset=utf-8"
        )
