"""Input and output serializers for traffic volumes, prices, the flow map, recommendations and
time series. The computed answers (routing.figures.traffic) are returned as built; these
describe them.
"""

from rest_framework import serializers

from routing.api.report_serializers import SnapshotQuerySerializer
from routing.api.serializers import StrictSerializerMixin, price_field
from routing.api.shapes import FixSerializer
from routing.engine.controller import POLICIES
from routing.figures.runs import OBSERVED
from routing.models import Cluster

_ZONE_SHARE = "Share of all client traffic (0 to 1), weighted over the Services."
MAX_RESOLUTION = 366 * 24 * 3600  # a year per bucket


# --- volumes and prices -----------------------------------------------------------------------


class VolumeInputSerializer(StrictSerializerMixin, serializers.Serializer):
    monthlyGb = serializers.DecimalField(
        max_digits=18,
        decimal_places=3,
        min_value=0,
        coerce_to_string=False,
        help_text="GB the Service moves a month (requests and responses), at least 0.",
    )
    # Named like Field.source, which it never shadows (DRF's metaclass takes declared fields off
    # the class); the stubs cannot tell: typeddjango/djangorestframework-stubs#158.
    source = serializers.CharField(  # type: ignore[assignment]
        max_length=200,
        allow_blank=True,
        required=False,
        default="",
        help_text="Where the figure came from, e.g. 'istio metrics, Oct 2026'.",
    )


class VolumeSerializer(serializers.Serializer):
    namespace = serializers.CharField(help_text="Namespace of the Service.")
    name = serializers.CharField(help_text="Name of the Service.")
    monthlyGb = serializers.DecimalField(
        source="monthly_gb",
        max_digits=18,
        decimal_places=3,
        coerce_to_string=False,
        help_text="GB the Service moves a month.",
    )
    # Named like Field.source, which it never shadows (DRF's metaclass takes declared fields off
    # the class); the stubs cannot tell: typeddjango/djangorestframework-stubs#158.
    source = serializers.CharField(  # type: ignore[assignment]
        help_text="Where the figure came from (may be empty)."
    )
    updatedAt = serializers.DateTimeField(source="updated_at", help_text="When it was last set.")
    updatedBy = serializers.CharField(
        source="updated_by.username",
        allow_null=True,
        default=None,
        help_text="Username of who set it; null if unknown or since deleted.",
    )


class PricesSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    """A cluster's price overrides (input for PATCH, and the answer)."""

    priceCrossZone = price_field("price_cross_zone", "zones")
    priceCrossRegion = price_field("price_cross_region", "regions")

    class Meta:
        model = Cluster
        fields = ["priceCrossZone", "priceCrossRegion"]


# --- flow map ---------------------------------------------------------------------------------


class SourceZoneSerializer(serializers.Serializer):
    zone = serializers.CharField(help_text="Zone the traffic starts in (unknown: no zone label).")
    total = serializers.FloatField(help_text=f"Forwarded traffic from this zone. {_ZONE_SHARE}")
    sameZone = serializers.FloatField(help_text=f"The part that stays in the zone. {_ZONE_SHARE}")
    crossZone = serializers.FloatField(
        help_text=f"The part that goes to another known zone. {_ZONE_SHARE}"
    )


class ZoneFiguresSerializer(serializers.Serializer):
    zone = serializers.CharField(help_text="Zone name (topology.kubernetes.io/zone).")
    region = serializers.CharField(allow_null=True, help_text="null: the nodes carry no region.")
    nodes = serializers.IntegerField(help_text="Nodes in the zone.")
    readyNodes = serializers.IntegerField(help_text="Of those, how many are Ready.")
    readyEndpoints = serializers.IntegerField(
        allow_null=True,
        help_text="Ready endpoints over all EndpointSlices; null for snapshots taken before "
        "this figure was recorded.",
    )
    clientWeight = serializers.FloatField(
        allow_null=True,
        help_text="The zone's share of client traffic (the engine's client weighting); null "
        "for snapshots taken before it was recorded.",
    )


class FlowMapVolumesSerializer(serializers.Serializer):
    measured = serializers.IntegerField(help_text="Services weighted by a measured volume.")
    simulated = serializers.IntegerField(
        help_text="Services weighted by the demo simulation's model (not a measurement)."
    )
    manual = serializers.IntegerField(help_text="Services weighted by a volume set by hand.")
    fetchedAt = serializers.DateTimeField(
        allow_null=True, help_text="When the measured (or simulated) volumes were fetched."
    )
    # Named like Field.source, as in VolumeInputSerializer (djangorestframework-stubs#158).
    source = serializers.CharField(  # type: ignore[assignment]
        allow_null=True, help_text="What they were fetched from (Prometheus URL, preset, window)."
    )


class FlowMapSerializer(serializers.Serializer):
    snapshot = serializers.IntegerField(help_text="Seq of the snapshot the map is of.")
    services = serializers.IntegerField(help_text="Services in the snapshot.")
    servicesWithVolume = serializers.IntegerField(
        help_text="Of those, how many have a monthly volume set."
    )
    weighting = serializers.ChoiceField(
        ["volume", "equal", "mixed"],
        help_text="volume: every Service weighs its monthly GB; equal: none has a volume, all "
        "weigh the same; mixed: Services without a volume weigh the mean known volume.",
    )
    monthlyGb = serializers.FloatField(
        allow_null=True, help_text="Sum of the known monthly volumes; null when none is known."
    )
    matrix = serializers.DictField(
        child=serializers.DictField(child=serializers.FloatField()),
        help_text="Source zone -> destination zone -> share of client traffic, the weighted "
        "mean of the Services' matrices; it sums to `forwarded`.",
    )
    bySourceZone = SourceZoneSerializer(many=True, help_text="Totals by source zone.")
    forwarded = serializers.FloatField(help_text="Sum of the matrix: the share not dropped.")
    dropped = serializers.FloatField(help_text="Weighted share of traffic that is dropped.")
    crossZoneFraction = serializers.FloatField(
        help_text="Share of forwarded traffic whose two zones are known and differ."
    )
    costPerGbMean = serializers.FloatField(
        allow_null=True,
        help_text="Weighted mean estimated USD per GB; null without Services.",
    )
    monthlyCost = serializers.FloatField(
        allow_null=True,
        help_text="Estimated USD a month crossing zones and regions: the sum of cost per GB "
        "x monthly GB over the Services with a volume; null when no volume is known.",
    )
    volumes = FlowMapVolumesSerializer(help_text="Where the volumes behind the figures came from.")
    policy = serializers.CharField(
        help_text="observed, or the what-if policy every Service was simulated with."
    )
    zones = ZoneFiguresSerializer(many=True, help_text="The snapshot's zones, by name.")


class FlowMapQuerySerializer(SnapshotQuerySerializer):
    policy = serializers.ChoiceField(
        choices=[OBSERVED, *POLICIES],
        default=OBSERVED,
        help_text="observed: as the cluster routes now; else every Service as if it declared "
        "this policy (PreferSameZone also stands for PreferClose; Auto: topology-mode Auto).",
    )


# --- top Services under a policy ---------------------------------------------------------------


class PolicyFiguresSerializer(serializers.Serializer):
    crossZoneFraction = serializers.FloatField(
        help_text="Share of the Service's forwarded traffic that crosses zones."
    )
    dropped = serializers.FloatField(help_text="Share of its client traffic that is dropped.")
    maxOverload = serializers.FloatField(
        help_text="The busiest endpoint's load / its fair share (overload risk)."
    )
    costPerGb = serializers.FloatField(help_text="Estimated USD per GB crossing zones and regions.")
    monthlyCost = serializers.FloatField(
        allow_null=True, help_text="costPerGb x the Service's monthly GB; null without a volume."
    )


class PolicyServiceSerializer(PolicyFiguresSerializer):
    """The figures at the top level are those under the asked policy (observed: as routed)."""

    namespace = serializers.CharField(help_text="Namespace of the Service.")
    name = serializers.CharField(help_text="Name of the Service.")
    policy = serializers.CharField(
        help_text="Declared policy: the trafficDistribution as written, Auto, or none."
    )
    monthlyGb = serializers.FloatField(
        allow_null=True, help_text="The Service's monthly volume; null when none is known."
    )
    volumeSource = serializers.CharField(
        allow_null=True,
        help_text="Where monthlyGb came from: manual, measured or simulated; null: no volume.",
    )
    observed = PolicyFiguresSerializer(help_text="The same figures as the cluster routes now.")
    delta = PolicyFiguresSerializer(
        help_text="Under the policy minus observed (monthlyCost null without a volume); all 0 "
        "for observed."
    )
    changed = serializers.BooleanField(
        help_text="Whether the policy routes the Service otherwise: a figure or a zone-to-zone "
        "share of its simulation differs from the observed one (beyond 1e-9)."
    )


class PolicyServicesSerializer(serializers.Serializer):
    snapshot = serializers.IntegerField(help_text="Seq of the snapshot.")
    policy = serializers.CharField(
        help_text="observed, or the what-if policy every Service was simulated with."
    )
    services = serializers.IntegerField(help_text="Services in the snapshot (M).")
    changedServices = serializers.IntegerField(
        help_text="Of those, how many the policy would route otherwise (N; 0 for observed)."
    )
    servicesWithVolume = serializers.IntegerField(
        help_text="Of those, how many have a monthly volume."
    )
    topServices = PolicyServiceSerializer(
        many=True,
        help_text="The 10 Services whose crossing costs most under the policy: by monthly cost "
        "where a volume is known (those first), then cost per GB, then namespace and name.",
    )


# --- recommendations --------------------------------------------------------------------------


class StableSinceSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="The first snapshot kept with the same advice.")
    takenAt = serializers.DateTimeField(help_text="When that snapshot was taken.")
    seconds = serializers.FloatField(help_text="From then to this snapshot, in seconds.")
    atLeast = serializers.BooleanField(
        help_text="The run reaches the oldest snapshot kept: pruned history may hold more."
    )
    changedHere = serializers.BooleanField(
        help_text="The advice is new in this snapshot: other or absent in an earlier one kept."
    )


class RankedRecommendationSerializer(serializers.Serializer):
    namespace = serializers.CharField(help_text="Namespace of the Service.")
    name = serializers.CharField(help_text="Name of the Service.")
    currentPolicy = serializers.CharField(
        help_text="Declared policy: the trafficDistribution as written, Auto, or none."
    )
    recommendedPolicy = serializers.CharField(
        allow_null=True,
        help_text="The cheapest policy within the overload limit (none, PreferSameZone, "
        "PreferSameNode or Auto); null when only other fixes are listed.",
    )
    costPerGbSaved = serializers.FloatField(
        help_text="USD per GB saved against the declared policy; negative when the only "
        "policy within the overload limit costs more."
    )
    monthlyGb = serializers.FloatField(
        allow_null=True, help_text="The Service's monthly volume; null when not set."
    )
    volumeSource = serializers.CharField(
        allow_null=True,
        help_text="Where monthlyGb came from: manual, measured or simulated; null: no volume.",
    )
    monthlySaved = serializers.FloatField(
        allow_null=True, help_text="costPerGbSaved x monthlyGb; null without a volume."
    )
    crossZoneFraction = serializers.FloatField(
        help_text="Cross-zone share under the recommended policy."
    )
    maxOverload = serializers.FloatField(
        help_text="Overload risk: the busiest endpoint's load / its fair share under the "
        "recommended policy."
    )
    overloadLimit = serializers.FloatField(
        allow_null=True, help_text="The limit maxOverload was held to; null without a policy."
    )
    reason = serializers.CharField(
        help_text="Why, for people (the best fix's summary without a policy)."
    )
    change = serializers.CharField(
        allow_null=True,
        help_text="The `kubectl patch` one-liner that applies the policy; null without one.",
    )
    yaml = serializers.CharField(
        allow_null=True,
        help_text="The same merge patch as YAML (null removes a field), for a manifest or "
        "`kubectl patch --type merge --patch-file`; null without a policy.",
    )
    fixes = FixSerializer(
        many=True,
        help_text="Verified fixes, best first (docs/analysis-report.md), monthly savings from "
        "the Service's volume.",
    )
    stableSince = StableSinceSerializer(
        allow_null=True,
        help_text="Since when the leading advice (the recommended policy, or the best fix's "
        "kind) has held, up to this snapshot; a flapping recommendation has a recent one.",
    )


# --- time series ------------------------------------------------------------------------------


class TimeSeriesQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False, help_text="Only snapshots taken at or after this ISO 8601 time."
    )
    until = serializers.DateTimeField(
        required=False, help_text="Only snapshots taken at or before this ISO 8601 time."
    )
    resolution = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_RESOLUTION,
        help_text="Seconds per bucket (buckets are aligned to the Unix epoch); default: the "
        "smallest that gives at most 500 buckets. At most 10,000 buckets may be asked for.",
    )

    def validate(self, attrs):
        if "since" in attrs and "until" in attrs and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": ["Must not be before since."]})
        return attrs


class PointSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Start of the bucket.")
    takenAt = serializers.DateTimeField(help_text="Time of the bucket's last snapshot.")
    seq = serializers.IntegerField(help_text="Seq of the bucket's last snapshot.")
    snapshots = serializers.IntegerField(help_text="Snapshots in the bucket.")
    crossZoneFraction = serializers.FloatField(
        allow_null=True, help_text="Cross-zone share at the last snapshot (null: no Services)."
    )
    crossZoneFractionMin = serializers.FloatField(
        allow_null=True, help_text="Smallest cross-zone share in the bucket."
    )
    crossZoneFractionMax = serializers.FloatField(
        allow_null=True, help_text="Largest cross-zone share in the bucket."
    )
    costPerGb = serializers.FloatField(
        allow_null=True, help_text="Estimated USD per GB at the last snapshot."
    )
    costPerGbMin = serializers.FloatField(
        allow_null=True, help_text="Smallest cost per GB in the bucket."
    )
    costPerGbMax = serializers.FloatField(
        allow_null=True, help_text="Largest cost per GB in the bucket."
    )


class ClusterPointSerializer(PointSerializer):
    servicesWithDiagnostics = serializers.IntegerField(
        help_text="Services with a warning or error diagnostic, at the last snapshot."
    )


class ServicePointSerializer(PointSerializer):
    maxOverload = serializers.FloatField(help_text="Overload at the last snapshot.")
    maxOverloadMax = serializers.FloatField(help_text="Largest overload in the bucket.")
    dropped = serializers.FloatField(help_text="Share dropped at the last snapshot.")
    policy = serializers.CharField(help_text="Declared policy at the last snapshot.")


class SeriesSerializer(serializers.Serializer):
    since = serializers.DateTimeField(allow_null=True, help_text="The since asked for, if any.")
    until = serializers.DateTimeField(allow_null=True, help_text="The until asked for, if any.")
    resolution = serializers.IntegerField(help_text="Seconds per bucket, as used.")


class ClusterSeriesSerializer(SeriesSerializer):
    points = ClusterPointSerializer(
        many=True,
        help_text="One per bucket with a snapshot, oldest first; figures are the cluster's "
        "means over its Services.",
    )


class ServiceSeriesSerializer(SeriesSerializer):
    namespace = serializers.CharField(help_text="Namespace of the Service.")
    name = serializers.CharField(help_text="Name of the Service.")
    points = ServicePointSerializer(
        many=True,
        help_text="One per bucket with a snapshot that has the Service, oldest first.",
    )
