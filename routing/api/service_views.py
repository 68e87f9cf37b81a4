"""API views for the Services of a snapshot: the stored summaries, and one Service's report."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from routing.api.cache import canonical_query, page_key, snapshot_json
from routing.api.lookups import (
    check_service_key,
    cluster_and_snapshot,
    existing_ref,
    snapshot_ref,
)
from routing.api.pagination import OneScanPagination
from routing.api.report_serializers import (
    ServiceDetailQuerySerializer,
    ServiceQuerySerializer,
    ServiceSummarySerializer,
)
from routing.api.schema import CLUSTER, errors
from routing.api.service_export import export_response, export_rows
from routing.api.shapes import ServiceReportSerializer
from routing.figures.health import Thresholds
from routing.figures.reports import service_detail
from routing.figures.service_keys import KeysReader, keys_reader, no_keys, page_values
from routing.figures.service_list import (
    default_ordering,
    policy_error,
    summary_rows,
)
from routing.figures.zone_filter import zone_error
from routing.models import ServiceSummary, Snapshot
from routing.volumes.lookup import SnapshotVolumes, volume_stamp


@extend_schema(tags=["services"])
class ServiceViewSet(viewsets.GenericViewSet):
    """The Services of one snapshot (default: the newest), from their stored summaries."""

    pagination_class = OneScanPagination
    paginator: OneScanPagination  # GenericAPIView's property makes one of pagination_class
    serializer_class = ServiceSummarySerializer

    def get_queryset(self):
        return ServiceSummary.objects.none()  # read through the cluster and snapshot

    @extend_schema(
        summary="List the Services of a snapshot, with filters and ordering",
        parameters=[CLUSTER, ServiceQuerySerializer],
        responses={
            # Both keyed by media type: spectacular takes the first key (as text) for the main
            # response, which must be the list for the page parameters to be documented.
            (200, "application/json"): ServiceSummarySerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
            **errors(400, 404),
        },
    )
    def list(self, request, cluster: str):
        query = ServiceQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        seq = query.validated_data.get("snapshot")
        # Links and cache key from the validated query only: unknown parameters are ignored.
        self.paginator.query = canonical_query(query, request, self.paginator)
        ref = snapshot_ref(cluster, seq)
        if ref is None:  # 404 for a missing cluster or snapshot; an empty page before the first
            found, snapshot = cluster_and_snapshot(cluster, seq)
            if "format" in query.validated_data:
                return export_response(query.validated_data["format"], found.name, None, [])
            return Response(self._page(query, Thresholds.of(found), snapshot, None))
        # Before the cache: a refused query is never answered from it.
        refused = policy_error(
            lambda: ServiceSummary.objects.at(ref.cluster_id, ref.seq),
            query.validated_data.get("policy"),
        )
        if refused:
            raise ValidationError({"policy": [refused]})
        if "zone" in query.validated_data:
            zones = Snapshot.objects.only("seq", "cluster_report", "ready_endpoints_by_zone")
            wrong = zone_error(zones.get(pk=ref.id), query.validated_data["zone"])
            if wrong:
                raise ValidationError({"zone": [wrong]})
        if "format" in query.validated_data:
            return self._export(query, cluster, ref)

        def page() -> dict:
            # What the page reads of the snapshot and its cluster came with the lookup: a
            # page that is not cached costs no query for them.
            snapshot = ref.partial()
            volumes = SnapshotVolumes(snapshot, ref.volume_state)
            return self._page(query, Thresholds.of(ref), snapshot, volumes)

        # Monthly figures follow the volumes, which change without a new snapshot; health
        # follows the cluster's alert threshold.
        key = [
            *self.paginator.query,
            ("page", page_key(request, self.paginator)),
            ("volumes", volume_stamp(ref.volume_state)),
            ("alert", repr(ref.cross_zone_alert)),
        ]
        return snapshot_json("services", ref, request, page, key)

    def _export(self, query, cluster: str, ref):
        snapshot = ref.load()
        volumes = SnapshotVolumes(snapshot, ref.volume_state)
        wanted = dict(query.validated_data)
        wanted["ordering"] = wanted.get("ordering") or default_ordering(volumes)
        rows = export_rows(
            ref.cluster_id, snapshot, wanted, volumes, Thresholds.of(snapshot.cluster)
        )
        return export_response(wanted["format"], cluster, snapshot, rows)

    def perform_content_negotiation(self, request, force=False):
        # `?format=` asks list() for an export, which it answers itself; everything else,
        # errors included, is the API's JSON. DRF would take `format` for a renderer's name
        # and answer 404 to `csv`.
        if request.query_params.get(api_settings.URL_FORMAT_OVERRIDE) is None:
            return super().perform_content_negotiation(request, force)
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    def _page(self, query, limits: Thresholds, snapshot, volumes: SnapshotVolumes | None) -> dict:
        keyed: KeysReader = no_keys
        if snapshot is not None:
            volumes = volumes or SnapshotVolumes(snapshot)
            wanted = dict(query.validated_data)
            wanted["ordering"] = wanted.get("ordering") or default_ordering(volumes)
            keyed = keys_reader(snapshot, wanted, limits, volumes)
        self.paginator.snapshot = snapshot
        listed = page_values(keyed, self.paginator.page_keys(keyed, self.request, view=self))
        shown = volumes.get({(r[0], r[1]) for r in listed}) if volumes and listed else {}
        return self.get_paginated_response(summary_rows(listed, limits, shown)).data


@extend_schema(tags=["services"])
class ServiceDetailView(APIView):
    """One Service's full analysis report, as stored with the snapshot (or analysed per node)."""

    @extend_schema(
        summary="One Service's full analysis report",
        parameters=[
            CLUSTER,
            OpenApiParameter("namespace", str, OpenApiParameter.PATH, description="Namespace."),
            OpenApiParameter("service", str, OpenApiParameter.PATH, description="Service name."),
            ServiceDetailQuerySerializer,
        ],
        responses={200: ServiceReportSerializer, **errors(400, 404)},
    )
    def get(self, request, cluster: str, namespace: str, service: str):
        check_service_key(namespace, service)
        query = ServiceDetailQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        # The snapshot as far as the prepared lookup reads it, with its volume state; what
        # else the report needs comes with its row (or, analysed now, is loaded on first use).
        ref = existing_ref(cluster, query.validated_data.get("snapshot"))
        snapshot = ref.partial()
        report = service_detail(
            snapshot,
            namespace,
            service,
            proxy=query.validated_data["proxy"],
            volumes=SnapshotVolumes(snapshot, ref.volume_state),
        )
        if report is None:
            raise NotFound(f"There is no Service {namespace}/{service} in snapshot {snapshot.seq}.")
        return Response(report)
