"""Input and output serializers for health, clusters and snapshots, and the error envelope.

JSON names are camelCase, as in the analysis report. Input serializers reject fields they do not
know, so a client that sends credentials (or a typo) hears about it instead of being ignored.
"""

from typing import Any

from rest_framework import serializers

from routing.models import Cluster, Snapshot
from routing.snapshots.intake import DUMP_COMMAND

MAX_INT = 2**31 - 1  # PostgreSQL's integer, the widest value every integer column holds


def price_field(source: str, crossing: str) -> serializers.DecimalField:
    """A price override in USD per GB (null: the provider's list price)."""
    return serializers.DecimalField(
        source=source,
        max_digits=10,
        decimal_places=6,
        min_value=0,
        coerce_to_string=False,
        allow_null=True,
        required=False,
        help_text=f"USD per GB crossing {crossing}; null: the provider's list price.",
    )


# A Serializer itself (each serializer that mixes it in is one already, so the MRO is the same)
# so that the type checker knows its fields and the validate() it extends. Its docstring is the
# schema's description of serializers without one of their own (VolumeInputSerializer).
class StrictSerializerMixin(serializers.Serializer):
    """Refuses keys the serializer does not declare."""

    unknown_message = "Unknown field."

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(dict.fromkeys(unknown, [self.unknown_message]))
        return super().validate(attrs)


# --- errors and health ------------------------------------------------------------------------


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.CharField(
        help_text="Stable machine-readable code: invalid, invalid_dump, not_authenticated, "
        "authentication_failed, permission_denied, not_found, method_not_allowed, too_large, "
        "unsupported_media_type, parse_error, ..."
    )
    message = serializers.CharField(help_text="One line for people.")
    details = serializers.DictField(
        help_text="For validation errors: field name -> list of messages; otherwise extra "
        "facts about the error (e.g. the upload limit), often empty."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer(help_text="What went wrong.")


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(["ok", "error"], help_text="ok when the API can serve.")
    database = serializers.ChoiceField(
        ["ok", "unreachable"], help_text="Whether the database answered a trivial query."
    )
    redis = serializers.ChoiceField(
        ["ok", "down", "not_configured"],
        help_text="Whether Redis (answer cache, live updates, job queue) answered PING within "
        "0.5 s; not_configured without REDIS_URL. The API serves without it, so it does not "
        "make the check fail.",
    )


# --- snapshots --------------------------------------------------------------------------------


class SnapshotCountsSerializer(serializers.Serializer):
    nodes = serializers.IntegerField(help_text="Nodes in the snapshot.")
    services = serializers.IntegerField(help_text="Services in the snapshot.")
    endpointSlices = serializers.IntegerField(
        source="endpoint_slices", help_text="EndpointSlices in the snapshot."
    )
    pods = serializers.IntegerField(help_text="Pods in the snapshot.")
    endpoints = serializers.IntegerField(help_text="Endpoints over all EndpointSlices.")


class SnapshotRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="Database id of the snapshot.")
    seq = serializers.IntegerField(help_text="Sequence number within the cluster, from 1.")
    takenAt = serializers.DateTimeField(
        source="taken_at", help_text="When the cluster was observed."
    )
    counts = SnapshotCountsSerializer(source="*", help_text="Object counts.")


class SnapshotSerializer(SnapshotRefSerializer):
    # Named like Field.source, which it never shadows (DRF's metaclass takes declared fields off
    # the class); the stubs cannot tell: typeddjango/djangorestframework-stubs#158.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        Snapshot.Source.choices,
        help_text="How it was taken: watch, scheduled, upload, manual or import.",
    )
    status = serializers.ChoiceField(
        Snapshot.Status.choices, help_text="Always complete: a snapshot is stored whole or not."
    )
    changedObjects = serializers.IntegerField(
        source="changed_objects", help_text="Object versions this snapshot opened or closed."
    )
    crossZoneFraction = serializers.FloatField(
        source="cross_zone_fraction",
        allow_null=True,
        help_text="Mean cross-zone share over the analysed Services; null without Services.",
    )
    costPerGbMean = serializers.FloatField(
        source="cost_per_gb_mean",
        allow_null=True,
        help_text="Mean estimated USD per GB over the analysed Services; null without Services.",
    )
    servicesWithDiagnostics = serializers.IntegerField(
        source="services_with_diagnostics",
        help_text="Services with at least one warning or error diagnostic.",
    )


class SnapshotFilterSerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False, help_text="Only snapshots taken at or after this ISO 8601 time."
    )
    until = serializers.DateTimeField(
        required=False, help_text="Only snapshots taken at or before this ISO 8601 time."
    )

    def validate(self, attrs):
        if "since" in attrs and "until" in attrs and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": ["Must not be before since."]})
        return attrs


class DiffQuerySerializer(serializers.Serializer):
    against = serializers.IntegerField(
        min_value=1, max_value=MAX_INT, help_text="Seq of the snapshot to compare with."
    )


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=f"The output of `{DUMP_COMMAND}` (or -o yaml).")


# --- clusters ---------------------------------------------------------------------------------


class ZoneSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="topology.kubernetes.io/zone of the nodes.")
    region = serializers.CharField(
        allow_null=True, help_text="topology.kubernetes.io/region of the zone's nodes, if set."
    )
    nodes = serializers.IntegerField(help_text="Nodes in the zone.")


class RegionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="topology.kubernetes.io/region of the nodes.")
    nodes = serializers.IntegerField(help_text="Nodes in the region.")


class ClusterFieldsMixin(serializers.Serializer):  # as StrictSerializerMixin: the MRO is the same
    """The cluster's settings, shared by the input and output serializers."""

    name = serializers.SlugField(
        max_length=63, help_text="Unique slug (letters, digits, - and _); the key in URLs."
    )
    displayName = serializers.CharField(
        source="display_name",
        max_length=200,
        allow_blank=True,
        required=False,
        help_text="Name for people; blank: the slug.",
    )
    # Named like Field.source, which it never shadows (DRF's metaclass takes declared fields off
    # the class); the stubs cannot tell: typeddjango/djangorestframework-stubs#158.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        Cluster.Source.choices,
        help_text="Where snapshots come from: kubeconfig (a context of the deployment's "
        "kubeconfig), incluster (the service account), upload (dumps only) or simulated.",
    )
    kubeContext = serializers.CharField(
        source="kube_context",
        max_length=253,
        allow_blank=True,
        required=False,
        help_text="Name of a context in the deployment's kubeconfig (source kubeconfig); blank: "
        "its current context. A name only: credentials are never stored.",
    )
    provider = serializers.ChoiceField(
        Cluster.Provider.choices,
        required=False,
        help_text="Price list: aws, gcp, azure, oracle, none, or auto (from the nodes).",
    )
    clients = serializers.ChoiceField(
        Cluster.Clients.choices,
        required=False,
        help_text="How client traffic is spread over nodes: cpu (allocatable CPU, default), "
        "uniform, pods (running Pods), or measured (per Service, the zones its callers run in "
        "as the traffic source measures them; Services without such data use cpu). Applies "
        "from the next snapshot; with measured, a volume refresh re-analyses at once.",
    )
    priceCrossZone = price_field("price_cross_zone", "zones")
    priceCrossRegion = price_field("price_cross_region", "regions")
    crossZoneAlert = serializers.FloatField(
        source="cross_zone_alert",
        min_value=0,
        max_value=1,
        required=False,
        help_text="Share of a Service's forwarded traffic crossing zones (0 to 1) above which "
        "the pages flag it (health warning, cells coloured); default 0.5. Applies at once.",
    )
    snapshotInterval = serializers.IntegerField(
        source="snapshot_interval",
        min_value=10,
        max_value=MAX_INT,
        required=False,
        help_text="Seconds between scheduled snapshots (at least 10; default 300).",
    )
    retentionDays = serializers.IntegerField(
        source="retention_days",
        min_value=1,
        max_value=MAX_INT,
        required=False,
        help_text="Days snapshots are kept, the latest always (at least 1; default 30).",
    )


SETTINGS_FIELDS = [
    "name",
    "displayName",
    "source",
    "kubeContext",
    "provider",
    "clients",
    "priceCrossZone",
    "priceCrossRegion",
    "crossZoneAlert",
    "snapshotInterval",
    "retentionDays",
]


class ClusterInputSerializer(
    StrictSerializerMixin, ClusterFieldsMixin, serializers.ModelSerializer
):
    """Create (POST) or change (PATCH) a cluster. Its name cannot change once created."""

    unknown_message = "Unknown field (credentials are never accepted or stored)."

    class Meta:
        model = Cluster
        fields = SETTINGS_FIELDS

    def validate_name(self, value: str) -> str:
        if self.instance is not None and value != self.instance.name:
            raise serializers.ValidationError("The name of a cluster cannot be changed.")
        if self.instance is None and Cluster.objects.filter(name=value).exists():
            raise serializers.ValidationError("A cluster with this name already exists.")
        return value

    def save(self, **kwargs):
        source = self.validated_data.get("source")
        if source is not None and (self.instance is None or source != self.instance.source):
            # Upload-only clusters have no live status; a live one starts idle until watched.
            upload = source == Cluster.Source.UPLOAD
            kwargs["status"] = Cluster.Status.UPLOAD_ONLY if upload else Cluster.Status.IDLE
            if not upload:
                kwargs["status_message"] = ""
        return super().save(**kwargs)


class ClusterSerializer(ClusterFieldsMixin, serializers.Serializer):
    """A cluster as listed: its settings, live status and newest snapshot."""

    status = serializers.ChoiceField(
        Cluster.Status.choices,
        source="effective_status.code",
        help_text="idle, watching (live, up to date), stale (its API is failing, or its watcher "
        "stopped renewing its lease) or upload-only.",
    )
    statusMessage = serializers.CharField(
        source="effective_status.message", help_text="Why the cluster is stale, if it is."
    )
    lastContactAt = serializers.DateTimeField(
        source="last_contact_at", allow_null=True, help_text="Last time the cluster's API answered."
    )
    createdAt = serializers.DateTimeField(source="created_at", help_text="When it was added.")
    lastSnapshot = SnapshotRefSerializer(
        source="latest", allow_null=True, help_text="The newest snapshot; null before the first."
    )


class ClusterDetailSerializer(ClusterSerializer):
    """A cluster with the zones, regions and endpoint count of its newest snapshot."""

    zones = ZoneSerializer(
        many=True, source="topology.zones", help_text="Zones of the newest snapshot's nodes."
    )
    regions = RegionSerializer(
        many=True, source="topology.regions", help_text="Regions of the newest snapshot's nodes."
    )
    nodesWithoutZone = serializers.IntegerField(
        source="topology.without_zone",
        help_text="Nodes of the newest snapshot without a topology.kubernetes.io/zone label.",
    )
    endpoints = serializers.IntegerField(
        source="topology.endpoints", help_text="Endpoints in the newest snapshot (0 before one)."
    )
