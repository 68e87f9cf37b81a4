"""One refresh of a cluster's measured volumes: query, attribute, store as a new fetch.

A refresh that gets no usable answer (Prometheus down or slow, the query refused, no series, or
none that match a Service) writes no fetch: the previous volumes stay in use, and the source
records the error and when, so every page can say "volumes stale since ...".
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

import orjson
import urllib3
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from routing.models import Cluster, ObjectVersion, ServiceSummary, Snapshot, TrafficVolume
from routing.snapshots.read import decode
from routing.snapshots.write import gc_paused
from routing.volumes.attribution import (
    Attribution,
    Key,
    ServiceIndex,
    attribute,
    backing_pods,
    caller_candidates,
    callers_wanted,
    node_zone,
    pods_of_workloads,
    running_on,
    workload_index,
    workload_of,
    workloads_looked_up,
)
from routing.volumes.callers import zones_of_workloads
from routing.volumes.measured_clients import reanalyse
from routing.volumes.models import MeasuredVolume, TrafficSource, VolumeFetch
from routing.volumes.presets import PRESETS, Preset, custom, duration, promql
from routing.volumes.prometheus import Endpoint, PrometheusError, Sample, instant_query

logger = logging.getLogger(__name__)

# Clouds bill data transfer per 2^30 bytes (Google Cloud says GiB; AWS's GB is the same size).
BYTES_PER_GB = 2**30
MONTH_SECONDS = 30 * 86_400


def monthly_gb(bytes_per_second: float) -> float:
    """A rate as GB a month: bytes/s x 30 days."""
    return bytes_per_second * MONTH_SECONDS / BYTES_PER_GB


class RefreshError(Exception):
    """A refresh that stored nothing; the message is shown per cluster."""


@dataclass
class Refreshed:
    """What one refresh found (stored as `fetch`, unless it was a dry run)."""

    preset: str
    window_seconds: int
    query: str
    source: str
    series: int
    invalid: int
    attribution: Attribution
    volumes: dict[Key, float] = field(default_factory=dict)  # monthly GB
    monthly_cost: float | None = None  # USD a month over the snapshot's Services, manual winning
    duration: float = 0.0
    fetch: VolumeFetch | None = None
    snapshot: Snapshot | None = None  # written when measured client zones moved (clients=measured)

    @property
    def total_gb(self) -> float:
        return sum(self.volumes.values())


def endpoint_of(source: TrafficSource) -> Endpoint:
    return Endpoint(
        url=source.url,
        auth=source.auth,
        credentials_env=source.credentials_env,
        credentials_file=source.credentials_file,
        credentials_dir=str(settings.TRAFFICLENS_CREDENTIALS_DIR),
        verify_tls=source.verify_tls,
        ca_file=source.ca_file,
        timeout=source.timeout_seconds,
    )


def preset_of(name: str, source: TrafficSource) -> Preset:
    if name == TrafficSource.Preset.CUSTOM:
        if not source.query.strip():
            raise RefreshError("the custom preset needs a query")
        return custom(source.query)
    if name not in PRESETS:
        raise RefreshError(f"unknown preset {name!r}; one of {', '.join(sorted(PRESETS))}")
    return PRESETS[name]


def index_for(snapshot: Snapshot, preset: Preset, samples: list[Sample]) -> ServiceIndex:
    """What attributing these samples needs from the snapshot, and no more: the Services' keys
    (from the rows' columns, nothing decoded); by pod or owner, the EndpointSlices' targetRefs;
    the labels of only those backing pods whose workload the samples look up (every owner;
    for pods in no slice, their names without suffixes), so the index's workload_services holds
    those workloads, exactly as build_index over the whole snapshot would give them; and where
    the callers the samples name run (their pods' nodes' zones)."""
    rows = ObjectVersion.objects.at(snapshot.cluster_id, snapshot.seq)
    services = set(rows.filter(kind="Service").values_list("namespace", "name").iterator(5000))
    index = ServiceIndex(services=services)
    callers = callers_wanted(preset, samples)
    pods: set[Key] = set()
    if preset.by != "service":
        slices = rows.filter(kind="EndpointSlice").values_list("data", flat=True)
        index.pod_services = backing_pods(
            services, (decode(data) for data in slices.iterator(2000))
        )
        pods = pods_of_workloads(index.pod_services, workloads_looked_up(preset, samples, index))
    if not pods and not callers:
        return index
    labels: dict[Key, dict[str, str]] = {}
    placed: list[tuple[Key, str]] = []
    node_zones = _node_zones(rows) if callers else {}
    pod_rows = rows.filter(kind="Pod").values_list("namespace", "name", "data")
    for namespace, name, data in pod_rows.iterator(2000):
        key = (namespace, name)
        calling = callers and any((namespace, c) in callers for c in caller_candidates(name))
        if key not in pods and not calling:
            continue  # decode only the pods whose labels or nodes are needed
        pod = decode(data)
        pod_labels = (pod.get("metadata") or {}).get("labels") or {}
        if key in pods:
            labels[key] = pod_labels
        workload = (namespace, workload_of(name, pod_labels))
        node = running_on(pod) if calling and workload in callers else None
        if node:
            placed.append((workload, node_zones.get(node, "")))
    if pods:
        index.workload_services = workload_index(index.pod_services, labels, pods)
    index.workload_zones = zones_of_workloads(placed)
    return index


def _node_zones(rows) -> dict[str, str]:
    nodes = rows.filter(kind="Node").values_list("name", "data")
    return {name: node_zone(decode(data)) for name, data in nodes.iterator(2000)}


def simulation_samples(source: TrafficSource) -> list[Sample]:
    """The simulated cluster's own rates (GET <url>/_sim/traffic): the demo without Prometheus."""
    url = source.url.rstrip("/") + "/_sim/traffic"
    try:
        response = urllib3.request("GET", url, timeout=source.timeout_seconds, retries=False)
        doc = orjson.loads(response.data)
        return [
            Sample({"namespace": s["namespace"], "service": s["name"]}, float(s["bytesPerSecond"]))
            for s in doc["services"]
        ]
    except (urllib3.exceptions.HTTPError, orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise RefreshError(f"cannot read the simulation's traffic at {url}: {exc}") from exc


# A refresh parses ~10^5 series into small objects that all stay alive: automatic collections
# scanning them doubled the parsing time (docs/benchmarks.md, "Measured volumes").
@gc_paused()
def measure(
    cluster: Cluster, *, preset_name: str | None = None, window_seconds: int | None = None
) -> Refreshed:
    """Query and attribute, storing nothing."""
    source = TrafficSource.objects.filter(cluster=cluster).first()
    if source is None:
        raise RefreshError(f"cluster {cluster.name} has no traffic source configured")
    snapshot = cluster.latest_snapshot()
    if snapshot is None:
        raise RefreshError(f"cluster {cluster.name} has no snapshot yet to attribute traffic to")
    name = preset_name or source.preset
    window = window_seconds or source.window_seconds
    started = time.monotonic()
    if name == TrafficSource.Preset.SIMULATION:
        preset = custom("")
        query, samples, invalid = "", simulation_samples(source), 0
        said = f"the simulation's traffic model at {source.url} (no Prometheus: not measured)"
    else:
        preset = preset_of(name, source)
        query = promql(preset, window)
        try:
            result = instant_query(endpoint_of(source), query)
        except PrometheusError as exc:
            raise RefreshError(str(exc)) from exc
        samples, invalid = result.samples, result.invalid
        said = f"Prometheus {source.url}, {name} preset, rate over {duration(window)}"
    if not samples:
        extra = f" ({invalid} NaN or infinite)" if invalid else ""
        raise RefreshError(f"the {name} query returned no usable series{extra}: {query}")
    index = index_for(snapshot, preset, samples)
    attribution = attribute(preset, samples, index)
    if not attribution.rates:
        raise RefreshError(
            f"none of the {len(samples)} series of the {name} query matched a Service of "
            f"snapshot {snapshot.seq}"
        )
    if invalid:
        attribution.notes.append(f"{invalid} series with NaN or infinite values were left out")
    volumes = {key: monthly_gb(rate) for key, rate in sorted(attribution.rates.items())}
    return Refreshed(
        preset=name,
        window_seconds=window,
        query=query,
        source=said,
        series=len(samples) + invalid,
        invalid=invalid,
        attribution=attribution,
        volumes=volumes,
        monthly_cost=_monthly_cost(snapshot, volumes),
        duration=time.monotonic() - started,
    )


def _monthly_cost(snapshot: Snapshot, measured: dict[Key, float]) -> float:
    """USD a month over the snapshot's Services with these volumes, manual ones winning."""
    manual = {
        (ns, name): float(gb)
        for ns, name, gb in TrafficVolume.objects.filter(
            cluster_id=snapshot.cluster_id
        ).values_list("namespace", "name", "monthly_gb")
    }
    total = 0.0
    summaries = ServiceSummary.objects.at(snapshot.cluster_id, snapshot.seq).values_list(
        "namespace", "name", "cost_per_gb"
    )
    for ns, name, per_gb in summaries.iterator(2000):
        gb = manual.get((ns, name), measured.get((ns, name)))
        if gb is not None:
            total += per_gb * gb
    return total


@gc_paused()
def refresh(
    cluster: Cluster,
    *,
    preset_name: str | None = None,
    window_seconds: int | None = None,
    now: datetime | None = None,
) -> Refreshed:
    """Measure and store a new fetch; on failure record the error on the source and raise."""
    now = now or timezone.now()
    try:
        found = measure(cluster, preset_name=preset_name, window_seconds=window_seconds)
    except RefreshError as exc:
        TrafficSource.objects.filter(cluster=cluster).update(
            last_attempt_at=now, last_error=str(exc)[:2000]
        )
        logger.warning("cluster %s: volumes not refreshed: %s", cluster.name, exc)
        raise
    with transaction.atomic():
        found.fetch = VolumeFetch.objects.create(
            cluster=cluster,
            fetched_at=now,
            preset=found.preset,
            source=found.source[:600],
            window_seconds=found.window_seconds,
            query=found.query,
            services=len(found.volumes),
            series=found.series,
            unmatched_series=found.attribution.unmatched_count,
            total_gb=found.total_gb,
            monthly_cost=found.monthly_cost,
            notes=found.attribution.notes,
            unmatched=found.attribution.unmatched,
            duration_seconds=found.duration,
        )
        cross = found.attribution.cross_zone_fraction
        callers = found.attribution.clients.shares()
        MeasuredVolume.objects.bulk_create(
            (
                MeasuredVolume(
                    fetch=found.fetch,
                    namespace=ns,
                    name=name,
                    monthly_gb=gb,
                    cross_zone_fraction=cross((ns, name)),
                    client_zones=callers.get((ns, name)),
                )
                for (ns, name), gb in found.volumes.items()
            ),
            batch_size=2000,
        )
        TrafficSource.objects.filter(cluster=cluster).update(
            last_attempt_at=now, last_success_at=now, last_error=""
        )
    try:
        found.snapshot = reanalyse(cluster)
    except Exception:  # the fetch is stored; its client zones apply from the next snapshot
        logger.exception("cluster %s: re-analysis with measured client zones failed", cluster.name)
    return found


def due_sources(now: datetime | None = None) -> list[TrafficSource]:
    """Enabled sources whose last attempt is older than their interval (or never made)."""
    now = now or timezone.now()
    due = []
    for source in TrafficSource.objects.filter(enabled=True).select_related("cluster"):
        last = source.last_attempt_at
        if last is None or (now - last).total_seconds() >= source.refresh_interval:
            due.append(source)
    return due


def prune_fetches(cluster: Cluster) -> int:
    """Delete fetches that cost no kept snapshot: older than the oldest snapshot's end, except
    the newest of those (it costs the oldest snapshot). Returns how many went."""
    snapshots = Snapshot.objects.filter(cluster=cluster).order_by("seq")
    oldest = snapshots.values_list("taken_at", flat=True).first()
    if oldest is None:
        return 0
    keep = (
        VolumeFetch.objects.filter(cluster=cluster, fetched_at__lte=oldest)
        .order_by("-fetched_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    old = VolumeFetch.objects.filter(cluster=cluster, fetched_at__lt=oldest)
    if keep is not None:
        old = old.exclude(pk=keep)
    deleted, by_model = old.delete()
    return by_model.get(VolumeFetch._meta.label, 0)
