"""Clusters, their snapshots, object versions and Service summaries as seq intervals; API tokens.

Storage grows with change, not with the number of snapshots: an object version (or a Service's
analysis summary) is one row that belongs to every snapshot whose `seq` lies in
[`first_seq`, `last_seq`), an open interval when `last_seq` is null. A snapshot that changes
nothing adds one Snapshot row and no other. Writing and reading go through `routing.snapshots`.
"""

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any, NamedTuple, Self

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone


class ClusterQuerySet(models.QuerySet["Cluster"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        """Delete the clusters and everything of theirs, once no snapshot of theirs is being
        written (see Cluster.delete)."""
        with transaction.atomic(using=self.db):
            self.lock()
            return super().delete()

    def lock(self) -> None:
        """Take these clusters' row locks (in the caller's transaction), in one order."""
        list(self.select_for_update().order_by("pk").values_list("pk", flat=True))


class Cluster(models.Model):
    """A Kubernetes cluster that TrafficLens follows or has received dumps of.

    Credentials are never stored: a cluster names a kubeconfig context of the deployment
    (`kube_context`) or uses the in-cluster service account, or only ever receives uploads.
    """

    class Source(models.TextChoices):
        KUBECONFIG = "kubeconfig", "kubeconfig context"
        INCLUSTER = "incluster", "in-cluster service account"
        UPLOAD = "upload", "uploaded dumps only"
        SIMULATED = "simulated", "simulated cluster"

    class Provider(models.TextChoices):
        AUTO = "auto", "from the nodes' providerID"
        AWS = "aws", "AWS"
        GCP = "gcp", "Google Cloud"
        AZURE = "azure", "Azure"
        ORACLE = "oracle", "Oracle Cloud"
        NONE = "none", "no price (on-premises)"

    class Clients(models.TextChoices):
        CPU = "cpu", "by allocatable CPU"
        UNIFORM = "uniform", "every node alike"
        PODS = "pods", "by running Pods"
        MEASURED = "measured", "where callers run"

    class Status(models.TextChoices):
        IDLE = "idle", "idle"
        WATCHING = "watching", "watching"
        STALE = "stale", "stale"
        UPLOAD_ONLY = "upload-only", "upload only"

    name = models.SlugField(max_length=63, unique=True)
    display_name = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    kube_context = models.CharField(
        max_length=253, blank=True, help_text="kubeconfig context name (source kubeconfig)"
    )
    provider = models.CharField(max_length=8, choices=Provider.choices, default=Provider.AUTO)
    clients = models.CharField(
        max_length=8,
        choices=Clients.choices,
        default=Clients.CPU,
        help_text="how client traffic is spread over nodes (measured: per Service, from the "
        "traffic source's callers, else CPU); applies from the next snapshot",
    )
    price_cross_zone = models.DecimalField(
        max_digits=10,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="USD per GB crossing zones; blank: the provider's list price",
    )
    price_cross_region = models.DecimalField(
        max_digits=10,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="USD per GB crossing regions; blank: the provider's list price",
    )
    # Severity on the pages (routing.figures.health): a Service sending more of its forwarded
    # traffic across zones than this is flagged, like an overload. Read when pages are shown, so
    # a change applies at once to every snapshot.
    cross_zone_alert = models.FloatField(
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="share of forwarded traffic crossing zones above which a Service is flagged",
    )
    snapshot_interval = models.PositiveIntegerField(
        default=300, validators=[MinValueValidator(10)], help_text="seconds"
    )
    retention_days = models.PositiveIntegerField(default=30, validators=[MinValueValidator(1)])
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IDLE)
    status_message = models.TextField(blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    # The watcher's heartbeat: while a watcher holds the cluster it pushes this forward on every
    # tick. A `watching` cluster whose lease has lapsed has lost its watcher (killed, partitioned)
    # and counts as stale, so the scheduled fallback snapshot takes over (routing.tasks).
    watch_lease_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="until when the watcher holding this cluster has renewed its lease",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A Prometheus counter (routing.jobs.jobstats): only ever incremented with F(), never reset.
    watch_reconnects = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text="watch streams re-established after an error, a dropped connection or 410 Gone",
    )
    last_reconnect_at = models.DateTimeField(null=True, blank=True, editable=False)
    COUNTER_FIELDS = frozenset({"watch_reconnects", "last_reconnect_at", "watch_lease_expires_at"})

    objects = ClusterQuerySet.as_manager()

    # Not columns: the newest snapshot and its topology, which the cluster views attach for their
    # serializers (routing.api.views).
    latest: "Snapshot | None"
    topology: dict[str, Any]

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(snapshot_interval__gte=10), name="routing_cluster_interval_min"
            ),
            models.CheckConstraint(
                condition=Q(retention_days__gte=1), name="routing_cluster_retention_min"
            ),
            models.CheckConstraint(
                condition=Q(price_cross_zone__isnull=True) | Q(price_cross_zone__gte=0),
                name="routing_cluster_price_zone_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(price_cross_region__isnull=True) | Q(price_cross_region__gte=0),
                name="routing_cluster_price_region_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.name

    def save(self, **kwargs: Any) -> None:
        # The counter fields are written only with F() (routing.jobs.jobstats), while the admin or
        # the API may save a row loaded earlier: its stale count must not be written back (the
        # counter would go down, which Prometheus reads as a reset).
        loaded = not self._state.adding and not kwargs.get("force_insert")
        if loaded and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.COUNTER_FIELDS
            ]
        super().save(**kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Delete the cluster with its snapshots, object versions and summaries, after taking
        its row lock, which every writer of those holds until it commits.

        The version and summary rows carry no foreign-key constraint in the database (the
        per-row check cost a full 10,000-Service snapshot 0.45-0.75 s of server CPU at commit,
        docs/benchmarks.md), so their cascade is Django's own DELETE ... WHERE cluster_id.
        Without the lock it could run while a snapshot is being written and miss that
        snapshot's rows, which would stay behind once it commits.
        """
        using = kwargs.get("using") or self._state.db or "default"
        with transaction.atomic(using=using):
            Cluster.objects.using(using).filter(pk=self.pk).lock()
            return super().delete(*args, **kwargs)

    def latest_snapshot(self) -> "Snapshot | None":
        """The snapshot with the highest seq, or None before the first one."""
        return self.snapshots.order_by("-seq").first()

    def effective_status(self, now: datetime | None = None) -> "ShownStatus":
        """The status every reader shows (API, pages, /metrics, the socket's hello).

        A cluster whose watcher stopped renewing its lease is stale at once, before the scheduler
        records it (routing.tasks): a killed watcher cannot say so itself.
        """
        return effective_status(
            self.status, self.status_message, self.watch_lease_expires_at, now=now
        )

    @staticmethod
    def watched_q(now: datetime) -> Q:
        """Clusters that a live watcher holds: `watching`, and no lease that has lapsed."""
        held = Q(watch_lease_expires_at__isnull=True) | Q(watch_lease_expires_at__gt=now)
        return Q(status=Cluster.Status.WATCHING) & held


class ShownStatus(NamedTuple):
    """A cluster's status as shown: code (a Cluster.Status value), message, label."""

    code: str
    message: str
    label: str


def lease_lapsed_message(expired_at: datetime) -> str:
    """Why a cluster whose watcher stopped renewing its lease is stale, and since when."""
    at = expired_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"the watcher stopped renewing its lease, which lapsed at {at}"


def effective_status(
    status: str, message: str, lease_expires_at: datetime | None, now: datetime | None = None
) -> ShownStatus:
    """`status` and `message`, unless a watcher's lease lapsed: then stale, and why.

    A null lease means no watcher holds the cluster (never watched, or released cleanly). A
    lapsed one means its watcher died or was cut off while holding it; a stale message already
    recorded (the scheduler's, or a failed fallback snapshot's) is kept.
    """
    if lease_expires_at is None or lease_expires_at > (now or timezone.now()):
        lapsed_message = ""
    else:
        lapsed_message = lease_lapsed_message(lease_expires_at)
    if lapsed_message and (status != Cluster.Status.STALE or not message):
        status, message = Cluster.Status.STALE, lapsed_message
    return ShownStatus(status, message, dict(Cluster.Status.choices).get(status, status))


class Snapshot(models.Model):
    """One committed observation of a cluster, with counts and cluster-level figures.

    Its objects are the ObjectVersion rows whose interval contains `seq`; its per-Service
    analysis the ServiceSummary rows likewise. A row exists only if its transaction committed,
    so `status` is always `complete`.
    """

    class Source(models.TextChoices):
        WATCH = "watch", "watch"
        SCHEDULED = "scheduled", "scheduled"
        UPLOAD = "upload", "upload"
        MANUAL = "manual", "manual"
        IMPORT = "import", "import"
        VOLUMES = "volumes", "measured client zones changed"

    class Status(models.TextChoices):
        COMPLETE = "complete", "complete"

    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, related_name="snapshots", db_index=False
    )
    seq = models.PositiveIntegerField(help_text="per-cluster, increasing")
    taken_at = models.DateTimeField()
    source = models.CharField(max_length=16, choices=Source.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.COMPLETE)
    nodes = models.PositiveIntegerField(default=0)
    services = models.PositiveIntegerField(default=0)
    endpoint_slices = models.PositiveIntegerField(default=0)
    pods = models.PositiveIntegerField(default=0)
    endpoints = models.PositiveIntegerField(default=0, help_text="endpoints over all slices")
    changed_objects = models.PositiveIntegerField(
        default=0, help_text="object versions this snapshot opened or closed"
    )
    cross_zone_fraction = models.FloatField(
        null=True, blank=True, help_text="mean over analysed Services; null without Services"
    )
    cost_per_gb_mean = models.FloatField(
        null=True, blank=True, help_text="USD, mean over analysed Services"
    )
    services_with_diagnostics = models.PositiveIntegerField(
        default=0, help_text="Services with at least one warning or error diagnostic"
    )
    client_zones_fetch = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="the VolumeFetch whose measured client zones the summaries were analysed "
        "with (clients=measured); not a foreign key: pruning a fetch leaves the figures",
    )
    options_hash = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="digest of the analysis options; a change re-analyses every Service",
    )
    cluster_report = models.JSONField(
        default=dict,
        blank=True,
        help_text="the analysis report's cluster section (zones, provider, client weights, ...)",
    )
    ready_endpoints_by_zone = models.JSONField(
        null=True,
        blank=True,
        help_text="zone -> ready endpoints over all EndpointSlices (the topology view's); "
        "null for snapshots taken before it was recorded",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cluster", "seq"]
        get_latest_by = "seq"
        constraints = [
            models.UniqueConstraint(fields=["cluster", "seq"], name="routing_snapshot_cluster_seq")
        ]
        indexes = [models.Index(fields=["cluster", "taken_at"], name="routing_snap_cluster_taken")]

    def __str__(self) -> str:
        return f"{self.cluster_id}#{self.seq}"


class IntervalQuerySet(models.QuerySet):
    """Queries over rows that live for a range of snapshot seqs."""

    def open(self, cluster) -> Self:
        """Rows in the cluster's latest state (interval not closed)."""
        return self.filter(cluster=cluster, last_seq__isnull=True)

    def at(self, cluster, seq: int) -> Self:
        """Rows that belong to the cluster's snapshot `seq`."""
        return self.filter(cluster=cluster, first_seq__lte=seq).filter(
            Q(last_seq__isnull=True) | Q(last_seq__gt=seq)
        )

    def changed_between(self, cluster, low: int, high: int) -> Self:
        """Rows that opened or closed in (low, high]: all that differ between the two seqs."""
        return self.filter(cluster=cluster).filter(
            Q(first_seq__gt=low, first_seq__lte=high) | Q(last_seq__gt=low, last_seq__lte=high)
        )


class ObjectVersion(models.Model):
    """One version of a Kubernetes object (trimmed to what routing reads), over a seq interval.

    `data` is the canonical JSON (orjson, sorted keys) of the trimmed object, zlib-compressed
    unless it is small (routing/snapshots/packing.py; read.decode reads either);
    `content_hash` the sha256 hex of the uncompressed bytes. Node rows have namespace ''.
    """

    class Kind(models.TextChoices):
        NODE = "Node", "Node"
        SERVICE = "Service", "Service"
        ENDPOINT_SLICE = "EndpointSlice", "EndpointSlice"
        POD = "Pod", "Pod"
        # The workloads that own Pods (routing.workloads), kept for the fixes' commands.
        REPLICA_SET = "ReplicaSet", "ReplicaSet"
        DEPLOYMENT = "Deployment", "Deployment"
        STATEFUL_SET = "StatefulSet", "StatefulSet"
        DAEMON_SET = "DaemonSet", "DaemonSet"

    # No constraint in the database: see Cluster.delete.
    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    namespace = models.CharField(max_length=253, blank=True)
    name = models.CharField(max_length=253)
    content_hash = models.CharField(max_length=64)
    data = models.BinaryField()
    first_seq = models.PositiveIntegerField()
    last_seq = models.PositiveIntegerField(null=True, blank=True)

    objects = IntervalQuerySet.as_manager()

    class Meta:
        constraints = [
            # One object's history, oldest first. (That at most one version per object is open
            # is kept by the writer, which holds the cluster's row lock; a unique index on the
            # open rows would cost another index on names, ~15% of the table's size.)
            models.UniqueConstraint(
                fields=["cluster", "kind", "namespace", "name", "first_seq"],
                name="routing_ov_history",
            ),
            models.CheckConstraint(
                condition=Q(last_seq__isnull=True) | Q(last_seq__gt=models.F("first_seq")),
                name="routing_ov_interval",
            ),
        ]
        indexes = [
            # The write path reads the open versions of a cluster.
            models.Index(
                fields=["cluster", "last_seq"],
                condition=Q(last_seq__isnull=True),
                name="routing_ov_open",
            ),
            # Diffs and pruning look up intervals that opened or closed in a seq range.
            models.Index(fields=["cluster", "first_seq"], name="routing_ov_first"),
            models.Index(
                fields=["cluster", "last_seq"],
                condition=Q(last_seq__isnull=False),
                name="routing_ov_closed",
            ),
        ]

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where} [{self.first_seq}, {self.last_seq or '…'})"


# A diagnostic's severity as ServiceSummary.severity stores the most severe one; 0: none.
SEVERITY_RANK = {"info": 1, "warning": 2, "error": 3}


# The engine's what-if policies (ServiceSummary.what_if's keys) and the column that holds each
# one's run as JSON text.
WHAT_IF_COLUMNS = {
    "none": "run_none",
    "Auto": "run_auto",
    "PreferSameZone": "run_prefer_same_zone",
    "PreferSameNode": "run_prefer_same_node",
}


class ServiceSummary(models.Model):
    """The analysis of one Service, over the seq interval in which it stayed the same.

    Figures are those of the analysis report (docs/analysis-report.md): `policy` is the declared
    trafficDistribution as written, "Auto" for topology-mode Auto, else "none"; `what_if` maps
    each policy to crossZoneFraction, dropped, maxOverload, costPerGb, its zone `matrix` and
    `sameRouting` (that matrix routes as the observed one, up to float noise; rows no longer
    current at migration 0022 lack it, older ones lack the matrix too).
    """

    # No constraint in the database: see Cluster.delete.
    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    namespace = models.CharField(max_length=253)
    name = models.CharField(max_length=253)
    first_seq = models.PositiveIntegerField()
    last_seq = models.PositiveIntegerField(null=True, blank=True)
    content_hash = models.CharField(max_length=64)
    mechanism = models.CharField(max_length=24)
    policy = models.CharField(max_length=64)
    internal_traffic_policy = models.CharField(max_length=16)
    cross_zone_fraction = models.FloatField()
    cross_region_fraction = models.FloatField()
    dropped = models.FloatField()
    max_overload = models.FloatField()
    cost_per_gb = models.FloatField()
    matrix = models.JSONField(default=dict)
    diagnostics = models.JSONField(default=list)
    recommendation = models.JSONField(null=True, blank=True)
    # What the Services list filters and sorts by, as plain columns (in the list's covering
    # index, migration 0017) rather than read out of the JSON above for every row: the most
    # severe diagnostic (SEVERITY_RANK) and the recommendation's saving per GB.
    severity = models.PositiveSmallIntegerField(default=0)
    saving_per_gb = models.FloatField(null=True, blank=True)
    # The zones of the Service's endpoints (ready or not) as "|zone-a|zone-b|" ("unknown" for an
    # endpoint without one; "" without endpoints), for the list's zone filter (migration 0019);
    # null on rows written before it that have no stored report.
    endpoint_zones = models.TextField(null=True, blank=True)  # noqa: DJ001 - null: not known
    # What a Services list row shows of the recommendation and the verified fixes: the
    # recommended policy and the best fix's kind (migration 0024), so that a page's rows do
    # not read those two out-of-line JSON documents. Null without a recommendation, a fix.
    recommended_policy = models.TextField(null=True, blank=True)  # noqa: DJ001 - null: none
    best_fix = models.TextField(null=True, blank=True)  # noqa: DJ001 - null: none
    # Verified fixes, best first (routing.fixes; docs/analysis-report.md): read by the
    # recommendations list without decoding `report`.
    fixes = models.JSONField(default=list, blank=True)
    what_if = models.JSONField(default=dict)
    # Each what-if run again as its JSON text, a column per policy (WHAT_IF_COLUMNS, migration
    # 0023; storage MAIN on PostgreSQL, so in the row, where `what_if` is now out of it): the
    # flow map and the top Services under a policy read one policy's runs for every Service,
    # and extracting them from `what_if` (decompressing all four runs and printing one as
    # JSON) was most of the what-if topology page's database time (docs/benchmarks.md). Not
    # part of the digest; null on rows no longer current at the migration, which readers read
    # from `what_if`.
    run_none = models.TextField(null=True, blank=True)  # noqa: DJ001 - null: not stored
    run_auto = models.TextField(null=True, blank=True)  # noqa: DJ001
    run_prefer_same_zone = models.TextField(null=True, blank=True)  # noqa: DJ001
    run_prefer_same_node = models.TextField(null=True, blank=True)  # noqa: DJ001
    # The Service's whole report entry (zlib-compressed canonical JSON, proxy per zone plus the
    # nodes that differ), so that reading one Service is a row fetch, not an analysis. Null on
    # rows written before it existed; readers then analyse the stored objects.
    report = models.BinaryField(null=True, blank=True)

    objects = IntervalQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "service summaries"
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "namespace", "name", "first_seq"], name="routing_ss_history"
            ),
            models.CheckConstraint(
                condition=Q(last_seq__isnull=True) | Q(last_seq__gt=models.F("first_seq")),
                name="routing_ss_interval",
            ),
        ]
        indexes = [
            models.Index(
                fields=["cluster", "last_seq"],
                condition=Q(last_seq__isnull=True),
                name="routing_ss_open",
            ),
            models.Index(fields=["cluster", "first_seq"], name="routing_ss_first"),
            models.Index(
                fields=["cluster", "last_seq"],
                condition=Q(last_seq__isnull=False),
                name="routing_ss_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name} [{self.first_seq}, {self.last_seq or '…'})"


class TrafficVolume(models.Model):
    """How many GB a Service moves a month, as a person or a tool set it; weights the flow map
    and turns per-GB figures into monthly ones. Kept by (namespace, name), across snapshots."""

    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, related_name="traffic_volumes", db_index=False
    )
    namespace = models.CharField(max_length=253)
    name = models.CharField(max_length=253)
    monthly_gb = models.DecimalField(
        max_digits=18, decimal_places=3, validators=[MinValueValidator(0)], help_text="GB a month"
    )
    source = models.CharField(
        max_length=200, blank=True, help_text="where the figure came from, e.g. 'istio, Oct 2026'"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["cluster", "namespace", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "namespace", "name"], name="routing_volume_service"
            ),
            models.CheckConstraint(condition=Q(monthly_gb__gte=0), name="routing_volume_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}: {self.monthly_gb} GB/month"


def hash_token(raw: str) -> str:
    """The stored form of an API token: its SHA-256 hex digest."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def issue(
        self, user, name: str, *, expires_at: datetime | None = None
    ) -> tuple["ApiToken", str]:
        """Create a token for `user`; returns the row and the raw token, which is never stored."""
        token = self.model(user=user, name=name, expires_at=expires_at)
        raw = token.set_new_key()
        token.save(force_insert=True)
        return token, raw


class ApiToken(models.Model):
    """A bearer token for the REST API, acting as its user (and with that user's role).

    Only the SHA-256 of the token is kept, with its first characters for telling tokens apart;
    the token itself is shown once, when it is created. Deleting the row revokes it.
    """

    PREFIX_LENGTH = 8
    NAME_MAX_LENGTH = 100

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=NAME_MAX_LENGTH, help_text="what the token is for, e.g. 'ci-deploy'"
    )
    prefix = models.CharField(max_length=PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="blank: never expires")

    objects = ApiTokenQuerySet.as_manager()
    # Not a column: set on a token just issued, for the one answer that shows it
    # (routing.api.token_serializers.IssuedTokenSerializer); the token itself is never stored.
    raw: str

    class Meta:
        ordering = ["user", "name"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def set_new_key(self) -> str:
        """Give the unsaved token a new random key; returns the key, which only the caller sees."""
        raw = secrets.token_urlsafe(32)
        self.prefix = raw[: self.PREFIX_LENGTH]
        self.key_hash = hash_token(raw)
        return raw

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class JobStats(models.Model):
    """Counters and the last run of one background job, per cluster (or global: no cluster).

    Jobs run in Celery workers, the watcher or the embedded scheduler, never in the web process,
    so they record here what /metrics reports (routing.jobs.jobstats, routing.figures.metrics).
    One row per (job, cluster), updated with F() when a run ends; never pruned, so `successes`
    and `failures` are true counters. A cluster's rows go with it.
    """

    job = models.CharField(max_length=32, help_text="e.g. snapshot, watch_snapshot, prune")
    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    successes = models.PositiveBigIntegerField(default=0)
    failures = models.PositiveBigIntegerField(default=0)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_duration_seconds = models.FloatField(null=True, blank=True)
    last_ok = models.BooleanField(null=True, blank=True)
    last_message = models.CharField(
        max_length=500, blank=True, help_text="why the last run failed; empty when it succeeded"
    )
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "cluster"]
        verbose_name = verbose_name_plural = "job statistics"
        constraints = [
            # Two partial constraints, because NULLs are distinct in a plain unique constraint.
            models.UniqueConstraint(
                fields=["job", "cluster"],
                condition=Q(cluster__isnull=False),
                name="routing_jobstats_per_cluster",
            ),
            models.UniqueConstraint(
                fields=["job"], condition=Q(cluster__isnull=True), name="routing_jobstats_global"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} ({self.cluster_id or 'all clusters'})"


class ClusterGrant(models.Model):
    """A role on one cluster, given to a user or to a group (exactly one of them).

    Grants only add to the global groups viewer, editor and admin, which keep meaning "every
    cluster": someone's role on a cluster is the highest of their global role, their own grants
    and their groups' grants (routing.roles). Whoever holds no role on a cluster does not see it.
    """

    class Role(models.TextChoices):
        VIEWER = "viewer", "viewer (read)"
        EDITOR = "editor", "editor (also upload, volumes, prices, what-if)"
        ADMIN = "admin", "admin (also change and delete the cluster)"

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="cluster_grants",
    )
    group = models.ForeignKey(
        "auth.Group",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="cluster_grants",
    )
    role = models.CharField(
        max_length=8,
        choices=Role.choices,
        help_text="on this cluster only; the groups viewer, editor and admin give it on every one",
    )

    class Meta:
        ordering = ["cluster", "role"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True)
                | Q(user__isnull=True, group__isnull=False),
                name="routing_clustergrant_user_or_group",
                violation_error_message="A grant names a user or a group: exactly one of them.",
            ),
            models.UniqueConstraint(
                fields=["cluster", "user"],
                condition=Q(user__isnull=False),
                name="routing_clustergrant_one_per_user",
                violation_error_message="This user already has a grant on this cluster.",
            ),
            models.UniqueConstraint(
                fields=["cluster", "group"],
                condition=Q(group__isnull=False),
                name="routing_clustergrant_one_per_group",
                violation_error_message="This group already has a grant on this cluster.",
            ),
        ]

    def __str__(self) -> str:
        holder = f"user {self.user}" if self.user_id else f"group {self.group}"
        return f"{holder}: {self.role} on {self.cluster}"


# Measured volumes live in their own package; imported here so that Django registers them.
from routing.volumes.models import MeasuredVolume, TrafficSource, VolumeFetch  # noqa: E402, F401
