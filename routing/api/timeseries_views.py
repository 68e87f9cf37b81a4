"""API views for time series: a cluster's figures and one Service's, bucketed for charts."""

import math

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from routing.api.lookups import check_service_key, get_cluster
from routing.api.schema import CLUSTER, errors
from routing.api.traffic_serializers import (
    ClusterSeriesSerializer,
    ServiceSeriesSerializer,
    TimeSeriesQuerySerializer,
)
from routing.api.traffic_views import NAMESPACE, SERVICE
from routing.figures.traffic import (
    MAX_POINTS,
    Point,
    bucket_count,
    bucketed,
    cluster_points,
    default_resolution,
    service_points,
)


def _query(request) -> dict:
    query = TimeSeriesQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query.validated_data


def _series(query: dict, points: list[Point], maxima: tuple[str, ...] = ()) -> dict:
    """The envelope and the bucketed points; 400 if `resolution` asks for too many buckets."""
    resolution = query.get("resolution")
    if points:
        first, last = points[0].taken_at, points[-1].taken_at
        if resolution is None:
            resolution = default_resolution(first, last)
        elif bucket_count(first, last, resolution) > MAX_POINTS:
            least = math.ceil((last - first).total_seconds() / (MAX_POINTS - 2))
            raise ValidationError(
                {
                    "resolution": [
                        f"That gives more than {MAX_POINTS} points; use at least {least} seconds."
                    ]
                }
            )
    resolution = resolution or 60
    return {
        "since": query.get("since"),
        "until": query.get("until"),
        "resolution": resolution,
        "points": bucketed(points, resolution, maxima),
    }


@extend_schema(tags=["timeseries"])
class ClusterTimeSeriesView(APIView):
    """A cluster's cross-zone share, cost per GB and diagnostics over time."""

    @extend_schema(
        summary="A cluster's figures over time, bucketed",
        parameters=[CLUSTER, TimeSeriesQuerySerializer],
        responses={200: ClusterSeriesSerializer, **errors(400, 404)},
    )
    def get(self, request, cluster: str):
        query = _query(request)
        found = get_cluster(cluster)
        points = cluster_points(found, query.get("since"), query.get("until"))
        return Response(ClusterSeriesSerializer(_series(query, points)).data)


@extend_schema(tags=["timeseries"])
class ServiceTimeSeriesView(APIView):
    """One Service's cross-zone share, cost per GB and overload over time."""

    @extend_schema(
        summary="A Service's figures over time, bucketed",
        parameters=[CLUSTER, NAMESPACE, SERVICE, TimeSeriesQuerySerializer],
        responses={200: ServiceSeriesSerializer, **errors(400, 404)},
    )
    def get(self, request, cluster: str, namespace: str, service: str):
        query = _query(request)
        check_service_key(namespace, service)
        found = get_cluster(cluster)
        points = service_points(found, namespace, service, query.get("since"), query.get("until"))
        if points is None:
            raise NotFound(f"Cluster {found.name!r} has never had a Service {namespace}/{service}.")
        series = {
            "namespace": namespace,
            "name": service,
            **_series(query, points, ("maxOverload",)),
        }
        return Response(ServiceSeriesSerializer(series).data)
