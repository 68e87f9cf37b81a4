"""Prometheus metrics: each cluster's latest snapshot, its watch, and the background jobs.

Written in the text exposition format directly (no client library): every value is read from the
database at scrape time, so any web replica answers the same and nothing is kept in process
memory. The counters (`*_total`) are columns only ever incremented (routing.jobs.jobstats) and never
pruned; they reset only when their cluster is deleted, which removes their series too.
"""

from collections.abc import Iterator

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from routing.models import Cluster, JobStats, ServiceSummary, Snapshot
from routing.volumes.lookup import Volume, volumes_for
from routing.volumes.models import TrafficSource

_SERVICE_GAUGES = (
    (
        "cross_zone_fraction",
        "trafficlens_service_cross_zone_fraction",
        "Share of the Service's forwarded traffic that crosses zones (simulated).",
    ),
    (
        "cost_per_gb",
        "trafficlens_service_cost_per_gb_usd",
        "Expected price of one GB of the Service's traffic, USD.",
    ),
    (
        "max_overload",
        "trafficlens_service_max_overload",
        "Busiest endpoint's load divided by its fair share (1 = even).",
    ),
    (
        "dropped",
        "trafficlens_service_dropped_fraction",
        "Share of the Service's client traffic dropped or rejected.",
    ),
)
_COST_PER_GB = 2 + [field for field, _, _ in _SERVICE_GAUGES].index("cost_per_gb")
_OVERLOAD = 2 + [field for field, _, _ in _SERVICE_GAUGES].index("max_overload")
# After the gauges in each row: the declared policy and the findings, read by the hints gauge.
_POLICY, _DIAGNOSTICS = -2, -1

HINTS_DISABLED = "trafficlens_service_hints_disabled"
HINTS_DISABLED_HELP = (
    "1 when the Service asks for topology hints (a trafficDistribution, or the topology-mode "
    "annotation) "
    "but they are not in effect: the controller disabled them or did not write them, or "
    "kube-proxy ignores them; `reason` is the finding that says so (docs/analysis-report.md). "
    "0 for the other Services that ask for hints; no series for Services that ask for none."
)
# The findings (routing/engine/diagnostics.py) that mean the hints a Service's policy asks for
# do not steer its traffic, whatever the cause: the controller's side first, then kube-proxy's.
# A Service whose design makes hints moot (headless, internalTrafficPolicy Local) is not listed:
# there is nothing to switch back on.
HINTS_OFF_CODES = (
    "traffic-distribution-unknown",  # the controller removes every hint
    "policy-without-selector",  # the controller manages none of its slices
    "slices-not-managed",
    "auto-disabled",  # Auto's safeguard removed the hints
    "hints-pending",  # the controller has not written them (yet)
    "endpoint-without-zone-hint",  # kube-proxy ignores zone hints on every node
    "endpoint-without-node-hint",
)
# Findings of a Service that asks for Auto in a way that enables nothing, so that its stored
# policy is "none": "AUTO", or the deprecated annotation overriding topology-mode.
ASKS_WITHOUT_POLICY_CODES = ("topology-mode-not-recognised", "deprecated-annotation-wins")
OVERLOAD_LIMIT = "trafficlens_cluster_overload_limit"
OVERLOAD_LIMIT_HELP = (
    "The overload limit (TRAFFICLENS_OVERLOAD_LIMIT): a Service whose busiest endpoint carries "
    "more than this times its fair share is overloaded."
)

CLUSTER_COST_PER_GB = "trafficlens_cluster_cost_per_gb_mean_usd"
CLUSTER_COST_PER_GB_HELP = "Mean over the cluster's Services of the price of one GB, USD."
CLUSTER_MONTHLY_COST = "trafficlens_cluster_monthly_cost_usd"
CLUSTER_MONTHLY_COST_HELP = (
    "Sum of the Services' estimated monthly cost, USD (Services with a traffic volume only)."
)
CLUSTER_OVERLOADED = "trafficlens_cluster_overloaded_services"
CLUSTER_OVERLOADED_HELP = (
    "Services whose busiest endpoint carries more than the overload limit times its fair share."
)

MONTHLY_COST = "trafficlens_service_monthly_cost_usd"
MONTHLY_COST_HELP = (
    "Estimated monthly cost of the Service's traffic, USD: cost per GB times the monthly GB "
    "set for it (only Services with a traffic volume)."
)
MONTHLY_GB = "trafficlens_service_monthly_gb"
MONTHLY_GB_HELP = (
    "The Service's traffic volume in GB (2^30 bytes) a month, by source: manual, measured "
    "(Prometheus) or simulated (the demo's model)."
)
VOLUMES_SUCCESS = "trafficlens_volumes_last_success_timestamp_seconds"
VOLUMES_SUCCESS_HELP = "When the cluster's traffic volumes were last refreshed successfully."
VOLUMES_FAILING = "trafficlens_volumes_refresh_failing"
VOLUMES_FAILING_HELP = (
    "1 when the cluster's last volume refresh failed (the previous volumes are still used)."
)
RECONNECTS = "trafficlens_watch_reconnects_total"
RECONNECTS_HELP = (
    "Watch streams re-established after a failure: an error, a dropped connection or "
    "410 Gone (a relist). Watches the server ends cleanly (its timeout) are resumed and not "
    "counted."
)
JOB_DURATION = "trafficlens_job_last_duration_seconds"
JOB_DURATION_HELP = "How long the job's last run took, successful or not."
JOB_SUCCESS = "trafficlens_job_last_success_timestamp_seconds"
JOB_SUCCESS_HELP = "When the job's last successful run ended, Unix time."
JOB_RUNS = "trafficlens_job_runs_total"
JOB_RUNS_HELP = (
    "Finished runs of the job by outcome (success, failure); a snapshot skipped because "
    "another of the same cluster is running is no run."
)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float | None) -> str:
    return "NaN" if value is None else repr(float(value))


def _family(name: str, kind: str, help_text: str) -> str:
    return f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n"


def render(visible: QuerySet[Cluster] | None = None) -> str:
    """The whole exposition text: of every cluster, or only of the `visible` ones (a reader's,
    routing.roles.visible_clusters); jobs that belong to no cluster are always reported."""
    clusters = list((Cluster.objects.all() if visible is None else visible).order_by("name"))
    return "".join([*_cluster_lines(clusters), *_watch_lines(clusters), *_job_lines(clusters)])


def _cluster_lines(clusters: list[Cluster]) -> Iterator[str]:
    latest = _latest(clusters)
    now = timezone.now()
    yield (
        "# HELP trafficlens_cluster_stale 1 while the cluster's API is unreachable or its "
        "watcher stopped renewing its lease.\n"
    )
    yield "# TYPE trafficlens_cluster_stale gauge\n"
    for c in clusters:
        stale = int(c.effective_status(now).code == Cluster.Status.STALE)
        yield f'trafficlens_cluster_stale{{cluster="{_label(c.name)}"}} {stale}\n'
    yield "# HELP trafficlens_snapshot_age_seconds Age of the cluster's latest snapshot.\n"
    yield "# TYPE trafficlens_snapshot_age_seconds gauge\n"
    for c in clusters:
        snap = latest.get(c.pk)
        if snap is not None:
            age = (now - snap.taken_at).total_seconds()
            yield f'trafficlens_snapshot_age_seconds{{cluster="{_label(c.name)}"}} {age:.3f}\n'
    yield "# HELP trafficlens_cluster_cross_zone_fraction Mean cross-zone share over Services.\n"
    yield "# TYPE trafficlens_cluster_cross_zone_fraction gauge\n"
    for c in clusters:
        snap = latest.get(c.pk)
        if snap is not None and snap.cross_zone_fraction is not None:
            value = _number(snap.cross_zone_fraction)
            yield f'trafficlens_cluster_cross_zone_fraction{{cluster="{_label(c.name)}"}} {value}\n'
    rows: dict[int, list[tuple]] = {c.pk: [] for c in clusters}
    for c in clusters:
        snap = latest.get(c.pk)
        if snap is None:
            continue
        rows[c.pk] = list(
            ServiceSummary.objects.at(c.pk, snap.seq)
            .order_by("namespace", "name")
            .values_list(
                "namespace",
                "name",
                *(field for field, _, _ in _SERVICE_GAUGES),
                "policy",
                "diagnostics",
            )
        )
    for i, (_, metric, help_text) in enumerate(_SERVICE_GAUGES):
        yield _family(metric, "gauge", help_text)
        for c in clusters:
            for row in rows[c.pk]:
                yield f"{metric}{{{_service_labels(c, row)}}} {_number(row[2 + i])}\n"
    yield from _hints_lines(clusters, rows)
    volumes = _volumes(latest)
    yield from _monthly_cost_lines(clusters, rows, volumes)
    yield from _cluster_total_lines(clusters, latest, rows, volumes)
    yield from _volume_source_lines(clusters)


def _cluster_total_lines(
    clusters: list[Cluster],
    latest: dict[int, Snapshot],
    rows: dict[int, list[tuple]],
    volumes: dict[tuple[int, str, str], Volume],
) -> Iterator[str]:
    limit = settings.TRAFFICLENS_OVERLOAD_LIMIT
    yield _family(CLUSTER_COST_PER_GB, "gauge", CLUSTER_COST_PER_GB_HELP)
    for c in clusters:
        snap = latest.get(c.pk)
        if snap is not None and snap.cost_per_gb_mean is not None:
            value = _number(snap.cost_per_gb_mean)
            yield f'{CLUSTER_COST_PER_GB}{{cluster="{_label(c.name)}"}} {value}\n'
    yield _family(CLUSTER_MONTHLY_COST, "gauge", CLUSTER_MONTHLY_COST_HELP)
    for c in clusters:
        if c.pk in latest:
            total = sum(
                row[_COST_PER_GB] * volumes[(c.pk, row[0], row[1])].gb
                for row in rows[c.pk]
                if (c.pk, row[0], row[1]) in volumes
            )
            yield f'{CLUSTER_MONTHLY_COST}{{cluster="{_label(c.name)}"}} {_number(total)}\n'
    yield _family(CLUSTER_OVERLOADED, "gauge", CLUSTER_OVERLOADED_HELP)
    for c in clusters:
        if c.pk in latest:
            over = sum(row[_OVERLOAD] > limit for row in rows[c.pk])
            yield f'{CLUSTER_OVERLOADED}{{cluster="{_label(c.name)}"}} {over}\n'
    # Per cluster, beside the count it decides, so that an alert can compare each Service's
    # overload with it (`on (cluster)`) and follow the setting (deploy/prometheus/rules.yml).
    yield _family(OVERLOAD_LIMIT, "gauge", OVERLOAD_LIMIT_HELP)
    for c in clusters:
        if c.pk in latest:
            yield f'{OVERLOAD_LIMIT}{{cluster="{_label(c.name)}"}} {_number(limit)}\n'


def hints_off_reason(policy: str, diagnostics: list[dict[str, str]]) -> str | None:
    """The finding that says why the hints a Service asks for are not in effect, "" when they
    are, None when it asks for none (`policy` and `diagnostics` as ServiceSummary stores them,
    the findings most severe first, so the first match is the one to act on)."""
    codes = [d.get("code") for d in diagnostics]
    if policy == "none":
        return next((c for c in codes if c in ASKS_WITHOUT_POLICY_CODES), None)
    return next((c for c in codes if c in HINTS_OFF_CODES), "")


def _hints_lines(clusters: list[Cluster], rows: dict[int, list[tuple]]) -> Iterator[str]:
    yield _family(HINTS_DISABLED, "gauge", HINTS_DISABLED_HELP)
    for c in clusters:
        for row in rows[c.pk]:
            reason = hints_off_reason(row[_POLICY], row[_DIAGNOSTICS])
            if reason is None:
                continue
            labels = (
                f'{_service_labels(c, row)},policy="{_label(row[_POLICY])}",'
                f'reason="{_label(reason)}"'
            )
            yield f"{HINTS_DISABLED}{{{labels}}} {1 if reason else 0}\n"


def _volumes(latest: dict[int, Snapshot]) -> dict[tuple[int, str, str], Volume]:
    """Each cluster's volumes for its latest snapshot (manual, else measured)."""
    return {
        (cluster_id, ns, name): volume
        for cluster_id, snap in latest.items()
        for (ns, name), volume in volumes_for(snap).items()
    }


def _service_labels(cluster: Cluster, row: tuple) -> str:
    return (
        f'cluster="{_label(cluster.name)}",namespace="{_label(row[0])}",service="{_label(row[1])}"'
    )


def _monthly_cost_lines(
    clusters: list[Cluster],
    rows: dict[int, list[tuple]],
    volumes: dict[tuple[int, str, str], Volume],
) -> Iterator[str]:
    # As the flow map's monthly cost (routing.figures.traffic): the latest per-GB figure times
    # the volume; the volume itself with where it came from.
    yield _family(MONTHLY_COST, "gauge", MONTHLY_COST_HELP)
    for c in clusters:
        for row in rows[c.pk]:
            volume = volumes.get((c.pk, row[0], row[1]))
            if volume is not None:
                cost = _number(row[_COST_PER_GB] * volume.gb)
                yield f"{MONTHLY_COST}{{{_service_labels(c, row)}}} {cost}\n"
    yield _family(MONTHLY_GB, "gauge", MONTHLY_GB_HELP)
    for c in clusters:
        for row in rows[c.pk]:
            volume = volumes.get((c.pk, row[0], row[1]))
            if volume is not None:
                labels = f'{_service_labels(c, row)},source="{volume.source}"'
                yield f"{MONTHLY_GB}{{{labels}}} {_number(volume.gb)}\n"


def _volume_source_lines(clusters: list[Cluster]) -> Iterator[str]:
    sources = {
        s.cluster_id: s for s in TrafficSource.objects.filter(cluster__in=[c.pk for c in clusters])
    }
    yield _family(VOLUMES_SUCCESS, "gauge", VOLUMES_SUCCESS_HELP)
    for c in clusters:
        source = sources.get(c.pk)
        if source is not None and source.last_success_at is not None:
            at = source.last_success_at.timestamp()
            yield f'{VOLUMES_SUCCESS}{{cluster="{_label(c.name)}"}} {at:.3f}\n'
    yield _family(VOLUMES_FAILING, "gauge", VOLUMES_FAILING_HELP)
    for c in clusters:
        source = sources.get(c.pk)
        if source is not None:
            failing = 1 if source.last_error else 0
            yield f'{VOLUMES_FAILING}{{cluster="{_label(c.name)}"}} {failing}\n'


def _watch_lines(clusters: list[Cluster]) -> Iterator[str]:
    yield _family(RECONNECTS, "counter", RECONNECTS_HELP)
    for c in clusters:
        yield f'{RECONNECTS}{{cluster="{_label(c.name)}"}} {c.watch_reconnects}\n'


def _job_lines(clusters: list[Cluster]) -> Iterator[str]:
    shown = Q(cluster__isnull=True) | Q(cluster__in=[c.pk for c in clusters])
    rows = JobStats.objects.select_related("cluster").filter(shown)
    stats = list(rows.order_by("job", "cluster__name"))

    def labels(row: JobStats) -> str:
        cluster = row.cluster.name if row.cluster is not None else ""
        return f'job="{_label(row.job)}",cluster="{_label(cluster)}"'

    yield _family(JOB_DURATION, "gauge", JOB_DURATION_HELP)
    for row in stats:
        if row.last_duration_seconds is not None:
            yield f"{JOB_DURATION}{{{labels(row)}}} {_number(row.last_duration_seconds)}\n"
    yield _family(JOB_SUCCESS, "gauge", JOB_SUCCESS_HELP)
    for row in stats:
        if row.last_success_at is not None:
            yield f"{JOB_SUCCESS}{{{labels(row)}}} {row.last_success_at.timestamp():.3f}\n"
    yield _family(JOB_RUNS, "counter", JOB_RUNS_HELP)
    for row in stats:
        yield f'{JOB_RUNS}{{{labels(row)},outcome="success"}} {row.successes}\n'
        yield f'{JOB_RUNS}{{{labels(row)},outcome="failure"}} {row.failures}\n'


def _latest(clusters: list[Cluster]) -> dict[int, Snapshot]:
    # One query per cluster: deployments follow a handful of clusters, not thousands.
    found = {}
    for c in clusters:
        snap = Snapshot.objects.filter(cluster=c).order_by("-seq").first()
        if snap is not None:
            found[c.pk] = snap
    return found
