"""The what-if endpoint: a Service's report recomputed under a hypothetical change.

Reads the snapshot's stored objects for the Service, edits copies (routing.whatif) and analyses
both; nothing is written, neither to the database nor to the cluster.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from routing.api.lookups import check_service_key, existing_snapshot, get_cluster
from routing.api.schema import CLUSTER, errors
from routing.api.traffic_views import NAMESPACE, SERVICE
from routing.api.whatif_serializers import WhatIfRequestSerializer, WhatIfResponseSerializer
from routing.engine.service_entry import service_entry
from routing.figures.reports import service_objects
from routing.options import cluster_options
from routing.roles import EDITOR
from routing.volumes.lookup import volume_for
from routing.whatif import WhatIfError, apply_changes, headline


@extend_schema(tags=["services"], parameters=[CLUSTER, NAMESPACE, SERVICE])
class WhatIfView(APIView):
    """Apply a hypothetical change to a Service and return the recomputed report (editor)."""

    write_role = EDITOR

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication and roles first
        check_service_key(kwargs["namespace"], kwargs["service"])

    @extend_schema(
        summary="What if: a Service's report under a changed policy, replicas or zone CPU",
        description="Applies the changes to copies of the snapshot's objects, rewrites the "
        "Service's EndpointSlice hints as the controller would, and analyses the result. "
        "Nothing is stored and the cluster is not touched.",
        request=WhatIfRequestSerializer,
        responses={200: WhatIfResponseSerializer, **errors(400, 404)},
    )
    def post(self, request, cluster: str, namespace: str, service: str):
        body = WhatIfRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        found = get_cluster(cluster)
        snapshot = existing_snapshot(found, changes.pop("snapshot", None))
        volume = volume_for(snapshot, namespace, service)
        options = cluster_options(
            found,
            clients_fetch=snapshot.client_zones_fetch,
            proxy_detail="zones",  # as the Service detail gives it by default
            services=frozenset({(namespace, service)}),
            monthly_gb=volume.gb if volume else None,
        )
        objects = service_objects(snapshot, namespace, service, pods=options.clients == "pods")
        before = service_entry(objects, options) if objects else None
        if before is None:
            raise NotFound(f"There is no Service {namespace}/{service} in snapshot {snapshot.seq}.")
        try:
            edited = apply_changes(objects, namespace, service, changes)
        except WhatIfError as exc:
            raise ValidationError({exc.field: [exc.message]}) from None
        after = service_entry(edited.objects, options)
        assert after is not None  # edits never remove the Service
        return Response(
            {
                "snapshot": snapshot.seq,
                "changes": edited.changes,
                "before": headline(before),
                "after": headline(after),
                "report": after,
            }
        )
