"""API views for what traffic costs: Services' monthly volumes, a cluster's price overrides, the
flow map, the top Services under a policy and the ranked recommendations of a snapshot."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from routing.api.cache import canonical_query, page_key, snapshot_json
from routing.api.lookups import (
    check_service_key,
    existing_ref,
    existing_snapshot,
    get_cluster,
)
from routing.api.pagination import SnapshotPagination
from routing.api.report_serializers import SnapshotQuerySerializer
from routing.api.schema import CLUSTER, errors
from routing.api.traffic_serializers import (
    FlowMapQuerySerializer,
    FlowMapSerializer,
    PolicyServicesSerializer,
    PricesSerializer,
    RankedRecommendationSerializer,
    VolumeInputSerializer,
    VolumeSerializer,
)
from routing.figures.policy_services import policy_services
from routing.figures.stability import with_stability
from routing.figures.traffic import flow_map, recommendations, with_yaml
from routing.models import Cluster, ServiceSummary, Snapshot, TrafficVolume
from routing.roles import EDITOR
from routing.snapshots.write import gc_paused
from routing.volumes.lookup import volume_stamp

NAMESPACE = OpenApiParameter("namespace", str, OpenApiParameter.PATH, description="Namespace.")
SERVICE = OpenApiParameter("service", str, OpenApiParameter.PATH, description="Service name.")


def _snapshot(cluster: Cluster, request) -> Snapshot:
    """The snapshot of `?snapshot=SEQ`, else the newest; 404 before the first one."""
    query = SnapshotQuerySerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return existing_snapshot(cluster, query.validated_data.get("snapshot"))


@extend_schema(tags=["traffic"], parameters=[CLUSTER, NAMESPACE, SERVICE])
class VolumeView(APIView):
    """A Service's monthly traffic volume: read by viewers, set and cleared by editors.

    Volumes are kept by namespace and name, whether or not the Service is in a snapshot yet.
    """

    write_role = EDITOR

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication and roles first
        check_service_key(kwargs["namespace"], kwargs["service"])

    def _get(self, cluster: str, namespace: str, service: str) -> TrafficVolume:
        found = get_cluster(cluster)
        volume = (
            TrafficVolume.objects.select_related("updated_by")
            .filter(cluster=found, namespace=namespace, name=service)
            .first()
        )
        if volume is None:
            raise NotFound(f"Service {namespace}/{service} has no volume set.")
        return volume

    @extend_schema(
        summary="A Service's monthly traffic volume",
        responses={200: VolumeSerializer, **errors(404)},
    )
    def get(self, request, cluster: str, namespace: str, service: str):
        return Response(VolumeSerializer(self._get(cluster, namespace, service)).data)

    @extend_schema(
        summary="Set a Service's monthly traffic volume (editor)",
        request=VolumeInputSerializer,
        responses={200: VolumeSerializer, **errors(400, 404)},
    )
    def put(self, request, cluster: str, namespace: str, service: str):
        found = get_cluster(cluster)
        data = VolumeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        volume, _ = TrafficVolume.objects.update_or_create(
            cluster=found,
            namespace=namespace,
            name=service,
            defaults={
                "monthly_gb": data.validated_data["monthlyGb"],
                "source": data.validated_data["source"],
                "updated_by": request.user,
            },
        )
        return Response(VolumeSerializer(volume).data)

    @extend_schema(
        summary="Clear a Service's monthly traffic volume (editor)",
        responses={204: None, **errors(404)},
    )
    def delete(self, request, cluster: str, namespace: str, service: str):
        self._get(cluster, namespace, service).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["traffic"], parameters=[CLUSTER])
class PricesView(APIView):
    """A cluster's price overrides. A change re-analyses every Service at the next snapshot."""

    write_role = EDITOR

    @extend_schema(
        summary="A cluster's price overrides",
        responses={200: PricesSerializer, **errors(404)},
    )
    def get(self, request, cluster: str):
        return Response(PricesSerializer(get_cluster(cluster)).data)

    @extend_schema(
        summary="Set or clear (null) a cluster's price overrides (editor)",
        request=PricesSerializer,
        responses={200: PricesSerializer, **errors(400, 404)},
    )
    def patch(self, request, cluster: str):
        prices = PricesSerializer(get_cluster(cluster), data=request.data, partial=True)
        prices.is_valid(raise_exception=True)
        return Response(PricesSerializer(prices.save()).data)


class _PerPolicyView(APIView):
    """An answer over every Service's row of a snapshot under one policy (observed or what-if):
    cached per snapshot, policy and volumes, which can change (a fetch, a manual volume) without
    a new snapshot and which weigh the Services and price their months."""

    cache_name = ""

    def figures(self, snapshot: Snapshot, policy: str) -> dict:
        raise NotImplementedError

    def get(self, request, cluster: str):
        query = FlowMapQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        ref = existing_ref(cluster, query.validated_data.get("snapshot"))
        policy = query.validated_data["policy"]

        def build() -> dict:
            snapshot = ref.load()
            return {"snapshot": snapshot.seq, **self.figures(snapshot, policy)}

        key = [("policy", policy), ("volumes", volume_stamp(ref.volume_state))]
        return snapshot_json(self.cache_name, ref, request, build, key)


@extend_schema(tags=["traffic"])
class FlowMapView(_PerPolicyView):
    """The zone-to-zone flow map of a snapshot over all its Services."""

    cache_name = "flowmap"

    @extend_schema(
        summary="Zone-to-zone flow map and monthly cross-zone cost of a snapshot",
        parameters=[CLUSTER, FlowMapQuerySerializer],
        responses={200: FlowMapSerializer, **errors(400, 404)},
    )
    def get(self, request, cluster: str):
        return super().get(request, cluster)

    def figures(self, snapshot: Snapshot, policy: str) -> dict:
        return flow_map(snapshot, policy)


@extend_schema(tags=["traffic"])
class PolicyServicesView(_PerPolicyView):
    """The Services whose crossing costs most, as observed or under a what-if policy: each with
    its figures under the policy beside the observed ones, and how many Services it changes."""

    cache_name = "top-services"

    @extend_schema(
        summary="Top Services by cross-zone cost under a policy, and how many it changes",
        parameters=[CLUSTER, FlowMapQuerySerializer],
        responses={200: PolicyServicesSerializer, **errors(400, 404)},
    )
    def get(self, request, cluster: str):
        return super().get(request, cluster)

    def figures(self, snapshot: Snapshot, policy: str) -> dict:
        return policy_services(snapshot, policy)


@extend_schema(tags=["traffic"])
class RecommendationsView(generics.GenericAPIView):
    """The Services of a snapshot with a recommendation, best saving first."""

    pagination_class = SnapshotPagination
    paginator: SnapshotPagination  # GenericAPIView's property makes one of pagination_class
    serializer_class = RankedRecommendationSerializer

    def get_queryset(self):
        return ServiceSummary.objects.none()  # read through the cluster and snapshot

    @extend_schema(
        summary="Recommendations of a snapshot, ranked by monthly (else per-GB) saving",
        parameters=[CLUSTER, SnapshotQuerySerializer],
        responses={200: RankedRecommendationSerializer(many=True), **errors(400, 404)},
    )
    def get(self, request, cluster: str):
        query = SnapshotQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        ref = existing_ref(cluster, query.validated_data.get("snapshot"))
        self.paginator.query = canonical_query(query, request, self.paginator)

        # The ranking parses every recommending Service's row: the collector stays off until
        # the paginator has let go of them (routing.figures.runs.read_runs says why).
        @gc_paused()
        def page() -> dict:
            snapshot = ref.load()
            self.paginator.snapshot = snapshot
            rows = self.paginate_queryset(recommendations(snapshot))
            assert rows is not None  # None only without a paginator or page_size: it has both
            rows = with_stability(snapshot, with_yaml(rows))  # this page's only: a query each
            data = self.get_paginated_response(rows).data
            self.paginator.page = None  # its object list: the whole ranking
            return data

        # Ranking reads every Service's row: cached per snapshot, page and volumes.
        key = [
            *self.paginator.query,
            ("page", page_key(request, self.paginator)),
            ("volumes", volume_stamp(ref.volume_state)),
        ]
        return snapshot_json("recommendations", ref, request, page, key)
