"""Prometheus metrics: each cluster's latest snapshot, per cluster and per Service.

Written in the text exposition format directly (no client library): every value is a gauge read
from the database at scrape time, so any web replica answers the same and nothing is kept in
process memory.
"""

from collections.abc import Iterator

from django.utils import timezone

from routing.models import Cluster, ServiceSummary, Snapshot

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


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float | None) -> str:
    return "NaN" if value is None else repr(float(value))


def render() -> str:
    """The whole exposition text."""
    return "".join(_lines())


def _lines() -> Iterator[str]:
    clusters = list(Cluster.objects.order_by("name"))
    latest = _latest(clusters)
    now = timezone.now()
    yield "# HELP trafficlens_cluster_stale 1 while the cluster's API is unreachable.\n"
    yield "# TYPE trafficlens_cluster_stale gauge\n"
    for c in clusters:
        stale = int(c.status == Cluster.Status.STALE)
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
    rows = {c.pk: [] for c in clusters}
    for c in clusters:
        snap = latest.get(c.pk)
        if snap is None:
            continue
        rows[c.pk] = list(
            ServiceSummary.objects.at(c.pk, snap.seq)
            .order_by("namespace", "name")
            .values_list("namespace", "name", *(field for field, _, _ in _SERVICE_GAUGES))
        )
    for i, (_, metric, help_text) in enumerate(_SERVICE_GAUGES):
        yield f"# HELP {metric} {help_text}\n# TYPE {metric} gauge\n"
        for c in clusters:
            cluster = _label(c.name)
            for row in rows[c.pk]:
                labels = (
                    f'cluster="{cluster}",namespace="{_label(row[0])}",service="{_label(row[1])}"'
                )
                yield f"{metric}{{{labels}}} {_number(row[2 + i])}\n"


def _latest(clusters: list[Cluster]) -> dict[int, Snapshot]:
    # One query per cluster: deployments follow a handful of clusters, not thousands.
    found = {}
    for c in clusters:
        snap = Snapshot.objects.filter(cluster=c).order_by("-seq").first()
        if snap is not None:
            found[c.pk] = snap
    return found
