"""`GET /metrics`: Prometheus metrics, behind the API's auth unless configured public."""

from django.conf import settings
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from routing.api.permissions import RolePermission
from routing.figures import metrics
from routing.roles import visible_clusters


class PrometheusTextRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "prometheus"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):  # type: ignore[no-untyped-def]
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

    def get_permissions(self):  # type: ignore[no-untyped-def]
        if settings.TRAFFICLENS_METRICS_PUBLIC:
            return [AllowAny()]
        return [RolePermission()]

    def get(self, request):  # type: ignore[no-untyped-def]
        visible = None if settings.TRAFFICLENS_METRICS_PUBLIC else visible_clusters(request.user)
        return Response(
            metrics.render(visible), content_type="text/plain; version=0.0.4; charset=utf-8"
        )
