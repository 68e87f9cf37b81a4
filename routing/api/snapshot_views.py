"""API views for a cluster's snapshots: list, detail, diff, and upload of a kubectl dump."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from routing.api.errors import InvalidDump
from routing.api.lookups import get_cluster, get_snapshot
from routing.api.schema import CLUSTER, SEQ, errors
from routing.api.serializers import (
    DiffQuerySerializer,
    SnapshotFilterSerializer,
    SnapshotSerializer,
    UploadSerializer,
)
from routing.api.shapes import DiffSerializer
from routing.api.uploads import (
    RAW_MEDIA_TYPES,
    RAW_PARSERS,
    CappedMultiPartParser,
    TooManyObjects,
)
from routing.engine import InputError
from routing.models import Snapshot
from routing.roles import EDITOR
from routing.snapshots import import_dump
from routing.snapshots.diff import diff_snapshots
from routing.snapshots.intake import DUMP_COMMAND, TooLarge

_RAW_BODY = {media_type: {"type": "string", "format": "binary"} for media_type in RAW_MEDIA_TYPES}


@extend_schema(tags=["snapshots"], parameters=[CLUSTER])
@extend_schema_view(
    list=extend_schema(
        summary="List a cluster's snapshots, newest first",
        parameters=[SnapshotFilterSerializer],
        responses={200: SnapshotSerializer, **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="One snapshot",
        parameters=[SEQ],
        responses={200: SnapshotSerializer, **errors(404)},
    ),
    create=extend_schema(
        summary="Upload a kubectl dump as a new snapshot (editor)",
        description=f"The dump is `{DUMP_COMMAND}` "
        "(or `-o yaml`) output, sent as the multipart field `file` or as the request body. "
        "Nothing is stored unless the whole snapshot is. A malformed dump gets 400 with the "
        "one-line message `manage.py analyze` prints, and so does one with a NUL character or "
        "a name or label the Kubernetes API server would refuse (its rule is named). One past "
        "the size limit, or past an object limit (Nodes, Services, EndpointSlices, Pods, "
        "ReplicaSets, Deployments, StatefulSets, DaemonSets, endpoints, objects in all; "
        "`details` names the limit, the count and the setting), "
        "gets 413.",
        request={"multipart/form-data": UploadSerializer, **_RAW_BODY},
        responses={201: SnapshotSerializer, **errors(400, 404, 413, 415)},
    ),
    diff=extend_schema(
        summary="What changed for routing from snapshot `against` to this one",
        parameters=[SEQ, DiffQuerySerializer],
        responses={200: DiffSerializer, **errors(400, 404)},
    ),
)
class SnapshotViewSet(viewsets.GenericViewSet):
    """A cluster's snapshots; editors may add one by uploading a dump."""

    write_role = EDITOR
    lookup_field = "seq"
    lookup_value_regex = "[0-9]+"
    parser_classes = [CappedMultiPartParser, *RAW_PARSERS]
    serializer_class = SnapshotSerializer

    def get_queryset(self):
        return Snapshot.objects.none()  # every action reads through its cluster

    def list(self, request, cluster: str):
        query = SnapshotFilterSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        found = Snapshot.objects.filter(cluster=get_cluster(cluster)).order_by("-seq")
        if "since" in query.validated_data:
            found = found.filter(taken_at__gte=query.validated_data["since"])
        if "until" in query.validated_data:
            found = found.filter(taken_at__lte=query.validated_data["until"])
        page = self.paginate_queryset(found)
        return self.get_paginated_response(SnapshotSerializer(page, many=True).data)

    def retrieve(self, request, cluster: str, seq: str):
        snapshot = get_snapshot(get_cluster(cluster), int(seq))
        return Response(SnapshotSerializer(snapshot).data)

    @action(detail=True, methods=["get"])
    def diff(self, request, cluster: str, seq: str):
        query = DiffQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        found = get_cluster(cluster)
        snapshot = get_snapshot(found, int(seq))
        other = get_snapshot(found, query.validated_data["against"])
        return Response(diff_snapshots(other, snapshot))

    def create(self, request, cluster: str):
        found = get_cluster(cluster)
        data, filename = _dump_of(request)
        try:
            snapshot = import_dump(found, data, source=Snapshot.Source.UPLOAD)
        except TooLarge as exc:
            raise TooManyObjects(exc, filename) from None
        except InputError as exc:
            if filename:
                exc.with_source(filename)
            details = {"source": exc.source, "object": exc.obj, "problem": exc.message}
            raise InvalidDump(str(exc), {k: v for k, v in details.items() if v}) from None
        url = reverse("api:snapshot-detail", kwargs={"cluster": found.name, "seq": snapshot.seq})
        return Response(
            SnapshotSerializer(snapshot).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": request.build_absolute_uri(url)},
        )


def _dump_of(request) -> tuple[bytes, str | None]:
    """The uploaded bytes and, for a multipart upload, the file's name."""
    data = request.data  # parsed (and size-checked) by the upload parsers
    if isinstance(data, bytes):
        return data, None
    if request.content_type.startswith("multipart/form-data"):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Send the dump as the multipart field 'file'."]})
        return upload.read(), upload.name
    return b"", None  # an empty raw body
