"""API views: health, clusters, and the 404 for paths the API does not have."""

from typing import TYPE_CHECKING

from django.db.models import OuterRef, Subquery
from django.urls import Resolver404, resolve
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from routing.api.lookups import cluster_not_found
from routing.api.schema import CLUSTER, errors
from routing.api.serializers import (
    ClusterDetailSerializer,
    ClusterInputSerializer,
    ClusterSerializer,
    ErrorSerializer,
    HealthSerializer,
)
from routing.figures.zones import snapshot_topology
from routing.health import database_reachable, redis_state
from routing.models import Cluster, Snapshot
from routing.roles import ADMIN, has_role, visible_clusters

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _NewestSnapshot(TypedDict):
        latest_id: int | None  # ClusterViewSet.get_queryset's subquery: the newest snapshot's pk

    ListedCluster = WithAnnotations[Cluster, _NewestSnapshot]


class HealthView(APIView):
    """Liveness and readiness for load balancers: the one endpoint open without credentials."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Health check",
        tags=["health"],
        auth=[],
        responses={
            200: HealthSerializer,
            429: OpenApiResponse(
                ErrorSerializer, description="Over the anonymous rate (120 a minute per address)."
            ),
            503: OpenApiResponse(HealthSerializer, description="The database is unreachable."),
        },
    )
    def get(self, request):
        redis = redis_state()  # reported; only the database decides whether the API can serve
        if not database_reachable():
            return Response(
                {"status": "error", "database": "unreachable", "redis": redis},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response({"status": "ok", "database": "ok", "redis": redis})


class NotFoundView(APIView):
    """Any other path under /api/v1/: a 404 in the API's error shape (after authentication).

    The same 404 for every method and every signed-in user, whatever their role: no role is
    needed to learn that nothing is here (anonymous requests still get 401).
    """

    schema = None  # not an endpoint
    permission_classes = [IsAuthenticated]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        message = f"There is no API endpoint at {request.path}."
        if not request.path.endswith("/"):
            try:
                match = resolve(request.path + "/")
            except Resolver404:
                match = None
            if match is not None and match.url_name != "not-found":
                message += f" Did you mean {request.path}/ ?"
        raise NotFound(message)


def _with_latest(clusters: list["ListedCluster"]) -> list["ListedCluster"]:
    """Attach each cluster's newest snapshot as `.latest`, in one query for all of them."""
    ids = [c.latest_id for c in clusters if c.latest_id is not None]
    found = Snapshot.objects.in_bulk(ids)
    for cluster in clusters:
        cluster.latest = found.get(cluster.latest_id)
    return clusters


@extend_schema(tags=["clusters"])
@extend_schema_view(
    list=extend_schema(summary="List clusters", responses={200: ClusterSerializer, **errors(404)}),
    retrieve=extend_schema(
        summary="A cluster, with the zones and regions of its newest snapshot",
        parameters=[CLUSTER],
        responses={200: ClusterDetailSerializer, **errors(404)},
    ),
    create=extend_schema(
        summary="Add a cluster (admin)",
        request=ClusterInputSerializer,
        responses={201: ClusterDetailSerializer, **errors(400)},
    ),
    partial_update=extend_schema(
        summary="Change a cluster's settings (admin)",
        parameters=[CLUSTER],
        request=ClusterInputSerializer,
        responses={200: ClusterDetailSerializer, **errors(400, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a cluster and all its snapshots (admin)",
        parameters=[CLUSTER],
        responses={204: None, **errors(404)},
    ),
)
class ClusterViewSet(viewsets.GenericViewSet):
    """Clusters: everyone reads those they may see; admins of a cluster change and delete it;
    global admins add them."""

    write_role = ADMIN
    role_anywhere = True  # the list holds only the clusters the user may see
    lookup_field = "name"
    lookup_url_kwarg = "cluster"  # as in the nested paths: /clusters/{cluster}/snapshots/
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    serializer_class = ClusterSerializer

    def get_queryset(self):
        newest = Snapshot.objects.filter(cluster=OuterRef("pk")).order_by("-seq").values("pk")
        clusters = visible_clusters(self.request.user)
        return clusters.annotate(latest_id=Subquery(newest[:1])).order_by("name")

    def get_serializer_class(self):
        if self.action in ("create", "partial_update"):
            return ClusterInputSerializer
        return ClusterDetailSerializer if self.action == "retrieve" else ClusterSerializer

    def get_object(self):
        name = self.kwargs["cluster"]
        cluster = self.get_queryset().filter(name=name).first()
        if cluster is None:
            raise cluster_not_found(name)
        return cluster

    def _detail(self, cluster: Cluster, code: int = status.HTTP_200_OK) -> Response:
        latest_id = getattr(cluster, "latest_id", None)
        cluster.latest = Snapshot.objects.filter(pk=latest_id).first() if latest_id else None
        cluster.topology = snapshot_topology(cluster.latest)
        return Response(ClusterDetailSerializer(cluster).data, status=code)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # None only without a paginator or page_size: the API has both
        return self.get_paginated_response(ClusterSerializer(_with_latest(page), many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    def create(self, request, *args, **kwargs):
        if not has_role(request.user, ADMIN):  # an admin of some clusters may not add any
            raise PermissionDenied("Adding a cluster needs the admin role on every cluster.")
        serializer = ClusterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._detail(serializer.save(), status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        cluster = self.get_object()
        serializer = ClusterInputSerializer(cluster, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return self._detail(serializer.save())

    def destroy(self, request, *args, **kwargs):
        self.get_object().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
