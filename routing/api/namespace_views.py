"""API view for a snapshot's Services rolled up by namespace (routing.figures.namespaces)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from routing.api.cache import snapshot_json
from routing.api.lookups import existing_ref
from routing.api.report_serializers import SnapshotQuerySerializer
from routing.api.schema import CLUSTER, errors
from routing.figures.namespaces import namespace_rollup
from routing.volumes.lookup import SnapshotVolumes, volume_stamp


class NamespaceFiguresSerializer(serializers.Serializer):
    namespace = serializers.CharField(help_text="The namespace.")
    services = serializers.IntegerField(help_text="Its Services in the snapshot.")
    servicesWithVolume = serializers.IntegerField(help_text="Of those, how many have a volume.")
    monthlyGb = serializers.FloatField(
        allow_null=True, help_text="Sum of its known monthly volumes; null when none is known."
    )
    monthlyCost = serializers.FloatField(
        allow_null=True,
        help_text="USD a month of its Services with a volume (cost per GB x GB); null when "
        "none has one.",
    )
    costPerGbMean = serializers.FloatField(
        help_text="Mean USD per GB, weighted as the flow map weighs Services."
    )
    crossZoneFraction = serializers.FloatField(
        help_text="Share of its forwarded traffic that crosses zones, weighted as the flow map."
    )
    droppingServices = serializers.IntegerField(help_text="Services that drop some traffic.")
    overloadedServices = serializers.IntegerField(
        help_text="Services whose busiest endpoint is above TRAFFICLENS_OVERLOAD_LIMIT."
    )
    recommendedServices = serializers.IntegerField(
        help_text="Services with a recommended policy other than their own."
    )


class NamespaceRollupSerializer(serializers.Serializer):
    snapshot = serializers.IntegerField(help_text="Seq of the snapshot.")
    weighting = serializers.ChoiceField(
        ["volume", "equal", "mixed"], help_text="How Services were weighted, as the flow map's."
    )
    count = serializers.IntegerField(help_text="Namespaces with Services.")
    namespaces = NamespaceFiguresSerializer(
        many=True,
        help_text="Largest monthly cost first once any volume exists (then those without), "
        "else dearest per GB; ties by name.",
    )


@extend_schema(tags=["traffic"])
class NamespaceRollupView(APIView):
    """Cost and cross-zone share per namespace of a snapshot."""

    @extend_schema(
        summary="Services of a snapshot rolled up by namespace: cost and cross-zone share",
        parameters=[CLUSTER, SnapshotQuerySerializer],
        responses={200: NamespaceRollupSerializer, **errors(400, 404)},
    )
    def get(self, request, cluster: str):
        query = SnapshotQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        ref = existing_ref(cluster, query.validated_data.get("snapshot"))

        def build() -> dict:
            snapshot = ref.load()
            volumes = SnapshotVolumes(snapshot, ref.volume_state)
            return {"snapshot": snapshot.seq, **namespace_rollup(snapshot, volumes)}

        # Reads every Service's row: cached per snapshot and volumes, as the flow map.
        key = [("volumes", volume_stamp(ref.volume_state))]
        return snapshot_json("namespaces", ref, request, build, key)
