"""Serializers for the per-Service analysis: the list's query and items, and the documented
shapes of computed answers (a Service's report, a snapshot diff).

The computed answers are returned as the engine and routing.snapshots.diff build them (their
contracts are docs/analysis-report.md and routing/snapshots/diff.py); the serializers here
describe them for the schema, and the tests check that the two agree.
"""

import copy

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from routing.api.serializers import MAX_INT
from routing.figures.health import LEVELS, Thresholds, health_level
from routing.figures.service_list import KNOWN_POLICIES, MECHANISMS, ORDERINGS, SEVERITIES
from routing.volumes.lookup import model_mismatch

SEARCH_MAX_LENGTH = 253  # a Kubernetes name's limit: no longer text can match one
EXPORT_FORMATS = ("csv", "json")


# Fields that hold no other field and nothing a request changes: a shallow copy of one is a
# new field (SnapshotQuerySerializer.get_fields).
_FLAT_FIELDS = (
    serializers.BooleanField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.FloatField,
    serializers.IntegerField,
)


class SnapshotQuerySerializer(serializers.Serializer):
    """A query of the API's snapshot views (its parameters only, never nested).

    DRF deep-copies each declared field for every serializer it makes, which runs each field's
    constructor again: 7.8% of a gunicorn worker's CPU on a cold Services list request
    (docs/benchmarks.md, issue 16 target 3). These fields are flat (_FLAT_FIELDS, checked for
    every subclass), so each request's serializer takes shallow copies, which bind() then fills
    with its own name and parent, as it does the deep ones."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        nested = [n for n, f in cls._declared_fields.items() if not isinstance(f, _FLAT_FIELDS)]
        assert not nested, f"{cls.__name__}: not flat, so not shallow-copied: {nested}"

    def get_fields(self):
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}

    snapshot = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_INT,
        help_text="Seq of the snapshot to read; default: the newest.",
    )


class ServiceDetailQuerySerializer(SnapshotQuerySerializer):
    proxy = serializers.ChoiceField(
        choices=["zones", "nodes"],
        default="zones",
        help_text="How `proxy` lists kube-proxy's behaviour: `zones` (stored with the snapshot: "
        "`proxyByZone` plus the nodes that differ from their zone) or `nodes` (one entry per "
        "node, analysed on request; slower on large clusters).",
    )


class ServiceQuerySerializer(SnapshotQuerySerializer):
    namespace = serializers.CharField(
        required=False, max_length=253, help_text="Only this namespace."
    )
    zone = serializers.CharField(
        required=False,
        max_length=253,
        help_text="Only Services with at least one endpoint (ready or not) in this zone, as "
        "the Service's report places its endpoints (`unknown`: endpoints whose zone is not "
        "known). A zone that is not in the snapshot is a 400.",
    )
    search = serializers.CharField(
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        help_text="Only Services whose `namespace/name` contains this text, ignoring case "
        "(`shop/check` finds shop/checkout).",
    )
    policy = serializers.CharField(
        required=False,
        max_length=64,
        help_text=f"Only this declared policy: {', '.join(KNOWN_POLICIES)}, or another "
        "trafficDistribution value as written that a Service of the snapshot declares (any "
        "other value is a 400).",
    )
    mechanism = serializers.ChoiceField(
        MECHANISMS, required=False, help_text="Only Services routed by this mechanism."
    )
    has_diagnostics = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only Services with a warning or error diagnostic; false: only those "
        "without.",
    )
    overloaded = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only Services whose busiest endpoint is above the overload limit "
        "(TRAFFICLENS_OVERLOAD_LIMIT, as the endpoint-overload diagnostic); false: only those "
        "within it.",
    )
    min_cross_zone = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        help_text="Only Services whose cross-zone share is at least this (0 to 1).",
    )
    ordering = serializers.ChoiceField(
        list(ORDERINGS),
        required=False,
        help_text="Sort key, `-` for descending: name (namespace, then name), policy, "
        "cross_zone, dropped, overload, cost (per GB), monthly_cost (Services without a volume "
        "last), diagnostics (by the most severe one: error, warning, info, none) or "
        "recommendation (by its saving per GB; Services without one last) or health (ok, info, "
        "warning, critical); ties by namespace and name. Default: -monthly_cost once the "
        "cluster has any traffic volume, else -cost.",
    )
    format = serializers.ChoiceField(
        EXPORT_FORMATS,
        required=False,
        help_text="Export every Service that passes the filters, in the order asked, as one "
        "file (not a page; `page` and `page_size` are ignored): `csv` (columns in "
        "docs/services-export.md) or `json` (the list's own shape with every row on one "
        "page). Sent as an attachment.",
    )


class DiagnosticSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(SEVERITIES, help_text="error, warning or info.")
    code = serializers.CharField(help_text="Stable code (docs/analysis-report.md).")
    message = serializers.CharField(help_text="What is wrong and why, for people.")


class DiagnosticCountsSerializer(serializers.Serializer):
    error = serializers.IntegerField(help_text="Diagnostics of severity error.")
    warning = serializers.IntegerField(help_text="Diagnostics of severity warning.")
    info = serializers.IntegerField(help_text="Diagnostics of severity info.")


class ServiceSummarySerializer(serializers.Serializer):
    """One Service of a snapshot, from its stored summary.

    Documents the list's rows; the list itself builds them with `summary_rows`, which gives the
    same output without DRF's per-field machinery (a test holds the two equal).
    """

    namespace = serializers.CharField(help_text="Namespace of the Service.")
    name = serializers.CharField(help_text="Name of the Service.")
    policy = serializers.CharField(
        help_text="Declared policy: the trafficDistribution as written, Auto, or none."
    )
    mechanism = serializers.ChoiceField(
        MECHANISMS, help_text="What decides routing: trafficDistribution, topologyAuto or none."
    )
    internalTrafficPolicy = serializers.CharField(
        source="internal_traffic_policy", help_text="Cluster or Local."
    )
    crossZoneFraction = serializers.FloatField(
        source="cross_zone_fraction", help_text="Share of forwarded traffic that crosses zones."
    )
    crossRegionFraction = serializers.FloatField(
        source="cross_region_fraction", help_text="Share of traffic that crosses regions."
    )
    dropped = serializers.FloatField(help_text="Share of client traffic that is dropped.")
    maxOverload = serializers.FloatField(
        source="max_overload", help_text="Busiest endpoint's load / its fair share."
    )
    costPerGb = serializers.FloatField(
        source="cost_per_gb", help_text="Estimated USD per GB of the Service's traffic."
    )
    health = serializers.SerializerMethodField(
        help_text="At a glance: critical (drops traffic, or an error), warning (overload above "
        "TRAFFICLENS_OVERLOAD_LIMIT, cross-zone share above the cluster's crossZoneAlert, or a "
        "warning), info or ok (routing.figures.health)."
    )
    diagnostics = serializers.SerializerMethodField(
        help_text="How many diagnostics of each severity."
    )
    topDiagnostic = serializers.SerializerMethodField(
        help_text="The most important diagnostic, or null."
    )
    monthlyGb = serializers.SerializerMethodField(
        help_text="GB a month (manual, else measured), or null: no traffic measured."
    )
    monthlyCost = serializers.SerializerMethodField(
        help_text="costPerGb x monthlyGb, USD a month; null without a volume."
    )
    volumeSource = serializers.SerializerMethodField(
        help_text="manual, measured or simulated (the demo's model); null: no volume."
    )
    measuredCrossZoneFraction = serializers.SerializerMethodField(
        help_text="The cross-zone share a source measured (Beyla's src_zone/dst_zone), or null."
    )
    modelMismatch = serializers.SerializerMethodField(
        help_text="True when the measured cross-zone share differs from the simulated one by "
        "more than TRAFFICLENS_MODEL_MISMATCH; null when none was measured."
    )
    recommendedPolicy = serializers.SerializerMethodField(
        help_text="The cheapest policy within the overload limit, or null when it is the "
        "declared one."
    )
    bestFix = serializers.SerializerMethodField(
        help_text="The kind of the Service's best verified fix (its report's `fixes`, e.g. "
        "add-endpoints, fix-readiness, set-policy), or null: nothing to fix."
    )

    @extend_schema_field(serializers.ChoiceField(LEVELS))
    def get_health(self, summary) -> str:
        # The list passes its cluster's thresholds; else they are the summary's cluster's.
        limits = self.context.get("limits") or Thresholds.of(summary.cluster)
        top = summary.diagnostics[0]["severity"] if summary.diagnostics else None
        return health_level(
            summary.dropped, summary.max_overload, summary.cross_zone_fraction, top, limits
        )

    @extend_schema_field(DiagnosticCountsSerializer)
    def get_diagnostics(self, summary) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for diagnostic in summary.diagnostics:
            counts[diagnostic["severity"]] = counts.get(diagnostic["severity"], 0) + 1
        return counts

    @extend_schema_field(DiagnosticSerializer(allow_null=True))
    def get_topDiagnostic(self, summary) -> dict | None:
        # Diagnostics are stored most important first (docs/analysis-report.md).
        return summary.diagnostics[0] if summary.diagnostics else None

    def get_recommendedPolicy(self, summary) -> str | None:
        return (summary.recommendation or {}).get("policy")

    def get_bestFix(self, summary) -> str | None:
        return summary.fixes[0]["kind"] if summary.fixes else None

    # The list attaches `volume` (routing.volumes.lookup.Volume) to the rows that have one.
    def get_monthlyGb(self, summary) -> float | None:
        volume = getattr(summary, "volume", None)
        return volume.gb if volume else None

    def get_monthlyCost(self, summary) -> float | None:
        volume = getattr(summary, "volume", None)
        return summary.cost_per_gb * volume.gb if volume else None

    def get_volumeSource(self, summary) -> str | None:
        volume = getattr(summary, "volume", None)
        return volume.source if volume else None

    def get_measuredCrossZoneFraction(self, summary) -> float | None:
        volume = getattr(summary, "volume", None)
        return volume.cross_zone if volume else None

    def get_modelMismatch(self, summary) -> bool | None:
        volume = getattr(summary, "volume", None)
        threshold = settings.TRAFFICLENS_MODEL_MISMATCH
        return model_mismatch(volume, summary.cross_zone_fraction, threshold)
