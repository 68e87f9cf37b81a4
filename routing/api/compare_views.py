"""API view comparing two snapshots of a cluster: the figures before and after, and the diff."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from routing.api.compare_serializers import CompareQuerySerializer, ComparisonSerializer
from routing.api.lookups import existing_snapshot, get_cluster, get_snapshot
from routing.api.schema import CLUSTER, errors
from routing.figures.compare import compare_snapshots


@extend_schema(tags=["snapshots"])
class CompareView(APIView):
    """Snapshot `from` against snapshot `to` (default: the newest)."""

    @extend_schema(
        summary="Two snapshots side by side: headline figures, changed Services, the diff",
        description="The headline is the topology page's (the flow map's figures) for each "
        "snapshot, with the change; `services` lists the Services added, removed or whose "
        "policy or stored figures changed, with both sides' figures; `diff` is what "
        "GET .../snapshots/{to}/diff/?against={from} answers. Monthly figures use the volumes "
        "that cost each snapshot: `volumes.same` says whether those were the same. `from` "
        "may be the newer one (the changes then run backwards); the two must differ.",
        parameters=[CLUSTER, CompareQuerySerializer],
        responses={200: ComparisonSerializer, **errors(400, 404)},
    )
    def get(self, request, cluster: str):
        query = CompareQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        found = get_cluster(cluster)
        before = get_snapshot(found, query.validated_data["from"])
        after = existing_snapshot(found, query.validated_data.get("to"))
        if after.seq == before.seq:  # `to` left out, and `from` is the newest
            message = f"Snapshot {before.seq} is the newest: name another one to compare with."
            raise ValidationError({"to": [message]})
        return Response(compare_snapshots(before, after))
