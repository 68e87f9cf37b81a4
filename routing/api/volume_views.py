"""API views for measured volumes: a cluster's traffic source, a refresh now, and the fetches."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from routing.api.errors import error_body
from routing.api.lookups import get_cluster
from routing.api.schema import CLUSTER, errors
from routing.api.volume_serializers import TrafficSourceSerializer, VolumeFetchSerializer
from routing.roles import EDITOR
from routing.tasks import refresh_volumes
from routing.volumes.models import TrafficSource, VolumeFetch


@extend_schema(tags=["volumes"], parameters=[CLUSTER])
class TrafficSourceView(APIView):
    """A cluster's Prometheus and preset: read by viewers, set and removed by admins (a source
    makes this server send requests, with a secret, to the URL it names)."""

    def _get(self, cluster: str) -> TrafficSource:
        source = TrafficSource.objects.filter(cluster=get_cluster(cluster)).first()
        if source is None:
            raise NotFound(f"Cluster {cluster} has no traffic source.")
        return source

    @extend_schema(
        summary="A cluster's traffic source",
        responses={200: TrafficSourceSerializer, **errors(404)},
    )
    def get(self, request, cluster: str):
        return Response(TrafficSourceSerializer(self._get(cluster)).data)

    @extend_schema(
        summary="Set a cluster's traffic source (admin)",
        request=TrafficSourceSerializer,
        responses={200: TrafficSourceSerializer, **errors(400, 404)},
    )
    def put(self, request, cluster: str):
        found = get_cluster(cluster)
        current = TrafficSource.objects.filter(cluster=found).first()
        body = TrafficSourceSerializer(
            current, data=request.data, partial=current is not None, context={"cluster": found}
        )
        body.is_valid(raise_exception=True)
        source = body.save(cluster=found)
        return Response(TrafficSourceSerializer(source).data)

    @extend_schema(
        summary="Remove a cluster's traffic source (admin)", responses={204: None, **errors(404)}
    )
    def delete(self, request, cluster: str):
        self._get(cluster).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["volumes"], parameters=[CLUSTER])
class RefreshVolumesView(APIView):
    """Refresh the cluster's measured volumes now (editor); answers with the new fetch."""

    write_role = EDITOR

    @extend_schema(
        summary="Refresh measured volumes now (editor)",
        request=None,
        responses={201: VolumeFetchSerializer, **errors(404, 409, 502)},
    )
    def post(self, request, cluster: str):
        found = get_cluster(cluster)
        source = TrafficSource.objects.filter(cluster=found).first()
        if source is None:
            raise NotFound(f"Cluster {cluster} has no traffic source.")
        attempted = source.last_attempt_at
        fetch_id = refresh_volumes(found.pk)
        if fetch_id is None:
            source.refresh_from_db()
            if source.last_attempt_at == attempted:  # the task did not run: the lock was held
                body = error_body(409, "busy", "Another refresh of this cluster is running.")
                return Response(body, status=status.HTTP_409_CONFLICT)
            body = error_body(502, "refresh_failed", source.last_error)
            return Response(body, status=status.HTTP_502_BAD_GATEWAY)
        fetch = VolumeFetch.objects.get(pk=fetch_id)
        return Response(VolumeFetchSerializer(fetch).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["volumes"], parameters=[CLUSTER])
class VolumeFetchListView(generics.ListAPIView):
    """The cluster's volume fetches, newest first: what each found and assumed."""

    @extend_schema(
        summary="The cluster's volume fetches, newest first",
        responses={200: VolumeFetchSerializer(many=True), **errors(404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    serializer_class = VolumeFetchSerializer

    def get_queryset(self):
        return VolumeFetch.objects.filter(cluster=get_cluster(self.kwargs["cluster"])).order_by(
            "-fetched_at", "-pk"
        )
