"""Measured traffic volumes: where a cluster's come from, and each pull's figures.

A cluster's TrafficSource names a Prometheus and a preset query (routing.volumes.presets); each
successful refresh is a VolumeFetch with one MeasuredVolume row per Service it matched. Fetches
are kept as a history so that a past snapshot is costed with the volumes in force while it was
the cluster's state (routing.volumes.lookup); a failed refresh writes no fetch, only the source's
status, so the previous volumes stay in use and are shown as stale.

Credentials are never stored: a source names an environment variable or a mounted file that
holds them (routing.volumes.prometheus reads it at each refresh).
"""

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from routing.models import Cluster

DAY = 86_400


class TrafficSource(models.Model):
    """A cluster's Prometheus and the preset query that gives bytes per Service."""

    class Preset(models.TextChoices):
        CADVISOR = "cadvisor", "cAdvisor pod network bytes, attributed through EndpointSlices"
        ISTIO = "istio", "Istio request + response bytes by destination Service"
        BEYLA = "beyla", "Beyla network flow bytes by destination owner"
        CUSTOM = "custom", "a PromQL of {namespace, service} series in bytes/s"
        SIMULATION = "simulation", "the simulated cluster's own traffic model (demo only)"

    class Auth(models.TextChoices):
        NONE = "none", "none"
        BEARER = "bearer", "bearer token"
        BASIC = "basic", "basic auth (user:password)"

    cluster = models.OneToOneField(Cluster, on_delete=models.CASCADE, related_name="traffic_source")
    url = models.URLField(max_length=500, blank=True, help_text="Prometheus base URL")
    preset = models.CharField(
        max_length=16,
        choices=Preset.choices,
        default=Preset.CADVISOR,
        help_text="which query gives bytes per Service (docs/volumes.md)",
    )
    query = models.TextField(blank=True, help_text="custom preset only: PromQL in bytes/s")
    auth = models.CharField(
        max_length=8, choices=Auth.choices, default=Auth.NONE, help_text="how to authenticate"
    )
    credentials_env = models.CharField(
        max_length=200, blank=True, help_text="name of the environment variable with the secret"
    )
    credentials_file = models.CharField(
        max_length=500, blank=True, help_text="path of a mounted file with the secret"
    )
    verify_tls = models.BooleanField(default=True)
    ca_file = models.CharField(max_length=500, blank=True, help_text="CA bundle to verify with")
    timeout_seconds = models.FloatField(
        default=30.0, validators=[MinValueValidator(0.1), MaxValueValidator(600)]
    )
    window_seconds = models.PositiveIntegerField(
        default=7 * DAY,
        validators=[MinValueValidator(10), MaxValueValidator(90 * DAY)],
        help_text="the range the rate is taken over",
    )
    refresh_interval = models.PositiveIntegerField(
        default=3600, validators=[MinValueValidator(10)], help_text="seconds between refreshes"
    )
    enabled = models.BooleanField(default=True, help_text="refresh on the interval")
    # The last refresh, successful or not: what the pages show as "stale since".
    last_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(window_seconds__gte=10), name="routing_source_window_min"
            ),
            models.CheckConstraint(
                condition=Q(refresh_interval__gte=10), name="routing_source_interval_min"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cluster}: {self.preset} from {self.url or 'the simulation'}"

    def status(self) -> dict[str, Any]:
        """How the last refresh went, as the API and pages show it."""
        failing = bool(self.last_error)
        return {
            "state": "failing" if failing else ("ok" if self.last_success_at else "never"),
            "lastAttemptAt": self.last_attempt_at,
            "lastSuccessAt": self.last_success_at,
            "error": self.last_error or None,
            "staleSince": self.last_success_at if failing else None,
        }


class VolumeFetch(models.Model):
    """One successful pull of measured volumes for a cluster."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="volume_fetches")
    fetched_at = models.DateTimeField()
    preset = models.CharField(
        max_length=16, choices=TrafficSource.Preset.choices, help_text="the preset queried"
    )
    source = models.CharField(max_length=600, help_text="what the figures came from, in words")
    window_seconds = models.PositiveIntegerField()
    query = models.TextField(blank=True, help_text="the PromQL sent")
    services = models.PositiveIntegerField(default=0, help_text="Services matched")
    series = models.PositiveIntegerField(default=0, help_text="series returned")
    unmatched_series = models.PositiveIntegerField(default=0)
    total_gb = models.FloatField(default=0.0, help_text="monthly GB over matched Services")
    monthly_cost = models.FloatField(
        null=True,
        blank=True,
        help_text="USD a month over the latest snapshot's Services when fetched (manual volumes "
        "win): the points of the cost timeline",
    )
    notes = models.JSONField(default=list, help_text="what the attribution had to assume")
    unmatched = models.JSONField(default=list, help_text="a sample of unmatched series' labels")
    duration_seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["cluster", "-fetched_at"]
        indexes = [models.Index(fields=["cluster", "fetched_at"], name="routing_fetch_at")]

    def __str__(self) -> str:
        return f"{self.cluster} {self.preset} at {self.fetched_at:%Y-%m-%d %H:%M}"


class MeasuredVolume(models.Model):
    """A Service's monthly GB as one fetch measured it (bytes/s over the window x 30 days)."""

    fetch = models.ForeignKey(VolumeFetch, on_delete=models.CASCADE, related_name="volumes")
    namespace = models.CharField(max_length=253)
    name = models.CharField(max_length=253)
    monthly_gb = models.FloatField()
    # Only from sources that name both zones of a flow (Beyla's src_zone/dst_zone, or a custom
    # query with those labels): the measured share that crossed zones, to set beside the model's.
    cross_zone_fraction = models.FloatField(null=True, blank=True)
    # Only from sources that name callers (Istio, Beyla): each source zone's share of the
    # Service's bytes (routing.volumes.callers), for clients=measured.
    client_zones = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fetch", "namespace", "name"], name="routing_measured_service"
            ),
            models.CheckConstraint(condition=Q(monthly_gb__gte=0), name="routing_measured_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}: {self.monthly_gb:.3f} GB/month"
