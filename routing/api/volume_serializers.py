"""Serializers for a cluster's traffic source (its Prometheus) and its volume fetches."""

from django.conf import settings
from rest_framework import serializers

from routing.api.serializers import StrictSerializerMixin
from routing.models import Cluster
from routing.volumes.models import TrafficSource, VolumeFetch
from routing.volumes.prometheus import credentials_problem


class TrafficSourceSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    """Where a cluster's measured volumes come from. No secret is ever stored or shown: the
    source names an environment variable (TRAFFICLENS_PROMETHEUS_*) or a file in the
    credentials directory that holds it."""

    credentialsEnv = serializers.CharField(
        source="credentials_env",
        max_length=200,
        allow_blank=True,
        required=False,
        help_text="Environment variable (TRAFFICLENS_PROMETHEUS_*) holding the bearer token or "
        "user:password.",
    )
    credentialsFile = serializers.CharField(
        source="credentials_file",
        max_length=500,
        allow_blank=True,
        required=False,
        help_text="File in TRAFFICLENS_CREDENTIALS_DIR holding the token or user:password.",
    )
    verifyTls = serializers.BooleanField(
        source="verify_tls", required=False, help_text="Verify the server's certificate (default)."
    )
    caFile = serializers.CharField(
        source="ca_file",
        max_length=500,
        allow_blank=True,
        required=False,
        help_text="CA bundle to verify the server with (blank: the system's).",
    )
    timeoutSeconds = serializers.FloatField(
        source="timeout_seconds",
        min_value=0.1,
        max_value=600,
        required=False,
        help_text="Seconds to wait for the query (default 30).",
    )
    windowSeconds = serializers.IntegerField(
        source="window_seconds",
        min_value=10,
        max_value=90 * 86_400,
        required=False,
        help_text="Range the rate is taken over, seconds (default 7 days).",
    )
    refreshInterval = serializers.IntegerField(
        source="refresh_interval",
        min_value=10,
        required=False,
        help_text="Seconds between scheduled refreshes (default 3600).",
    )
    status = serializers.SerializerMethodField(help_text="How the last refresh went.")

    class Meta:
        model = TrafficSource
        fields = [
            "url",
            "preset",
            "query",
            "auth",
            "credentialsEnv",
            "credentialsFile",
            "verifyTls",
            "caFile",
            "timeoutSeconds",
            "windowSeconds",
            "refreshInterval",
            "enabled",
            "status",
        ]

    def get_status(self, source: TrafficSource) -> dict:
        return source.status()

    def validate_url(self, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Use an http:// or https:// URL.")
        return value

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        merged = {
            field: attrs.get(field, getattr(self.instance, field, default))
            for field, default in (
                ("url", ""),
                ("preset", TrafficSource.Preset.CADVISOR),
                ("query", ""),
                ("auth", TrafficSource.Auth.NONE),
                ("credentials_env", ""),
                ("credentials_file", ""),
            )
        }
        problem = credentials_problem(
            merged["credentials_env"],
            merged["credentials_file"],
            str(settings.TRAFFICLENS_CREDENTIALS_DIR),
        )
        if problem:
            key = "credentialsEnv" if merged["credentials_env"] else "credentialsFile"
            raise serializers.ValidationError({key: [problem]})
        if merged["auth"] != TrafficSource.Auth.NONE and not (
            merged["credentials_env"] or merged["credentials_file"]
        ):
            raise serializers.ValidationError(
                {"auth": ["Name an environment variable or a file that holds the credentials."]}
            )
        if merged["preset"] == TrafficSource.Preset.CUSTOM and not merged["query"].strip():
            raise serializers.ValidationError({"query": ["The custom preset needs a query."]})
        cluster = self.context.get("cluster")
        if (
            merged["preset"] == TrafficSource.Preset.SIMULATION
            and cluster is not None
            and cluster.source != Cluster.Source.SIMULATED
        ):
            raise serializers.ValidationError(
                {"preset": ["The simulation preset is for simulated clusters only."]}
            )
        if merged["preset"] != TrafficSource.Preset.SIMULATION and not merged["url"]:
            raise serializers.ValidationError({"url": ["Give the Prometheus base URL."]})
        return attrs


class VolumeFetchSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="The fetch's id.")
    fetchedAt = serializers.DateTimeField(source="fetched_at", help_text="When it was fetched.")
    windowSeconds = serializers.IntegerField(
        source="window_seconds", help_text="Range the rates were taken over, seconds."
    )
    unmatchedSeries = serializers.IntegerField(
        source="unmatched_series", help_text="Series that named no Service of the snapshot."
    )
    totalGb = serializers.FloatField(source="total_gb", help_text="GB a month over the Services.")
    monthlyCost = serializers.FloatField(
        source="monthly_cost",
        allow_null=True,
        help_text="USD a month over the then latest snapshot's Services (manual volumes win).",
    )
    durationSeconds = serializers.FloatField(
        source="duration_seconds", help_text="How long the query and attribution took."
    )

    class Meta:
        model = VolumeFetch
        fields = [
            "id",
            "fetchedAt",
            "preset",
            "source",
            "windowSeconds",
            "query",
            "services",
            "series",
            "unmatchedSeries",
            "totalGb",
            "monthlyCost",
            "notes",
            "unmatched",
            "durationSeconds",
        ]
