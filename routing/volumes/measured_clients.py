"""clients=measured: which fetch's client zones a snapshot is analysed with, and what a new
fetch changes.

A cluster set to `measured` is analysed with the client zones of its newest fetch (a Service
without them keeps CPU weighting). Each snapshot records that fetch (Snapshot.client_zones_fetch),
so the next one re-analyses only the Services whose zones differ (routing/snapshots/write.py),
and a refresh that changes some writes a snapshot of the same objects at once (`reanalyse`), so
the figures follow the measurement without waiting for the cluster to change.
"""

import logging

from routing.models import Cluster, Snapshot
from routing.volumes.models import MeasuredVolume, VolumeFetch

logger = logging.getLogger(__name__)

Key = tuple[str, str]
Zones = dict[Key, dict[str, float]]


def measured(cluster: Cluster) -> bool:
    return cluster.clients == Cluster.Clients.MEASURED


def latest_fetch_id(cluster_id: int) -> int | None:
    fetches = VolumeFetch.objects.filter(cluster_id=cluster_id).order_by("-fetched_at", "-pk")
    return fetches.values_list("pk", flat=True).first()


def client_zones(fetch_id: int, services: frozenset[Key] | None = None) -> Zones:
    """The fetch's measured client zones per Service (only `services`, if given)."""
    rows = MeasuredVolume.objects.filter(fetch_id=fetch_id, client_zones__isnull=False)
    if services is not None and len(services) <= 100:
        rows = rows.filter(
            namespace__in={ns for ns, _ in services}, name__in={n for _, n in services}
        )
    zones: Zones = {}
    for ns, name, shares in rows.values_list("namespace", "name", "client_zones").iterator(2000):
        if shares is not None and (services is None or (ns, name) in services):
            zones[(ns, name)] = shares
    return zones


def changed_services(old: int | None, new: int | None) -> set[Key] | None:
    """The Services whose measured zones differ between two fetches (None: no fetch); None
    when the old fetch is gone (pruned), so everything must be re-analysed."""
    if old == new:
        return set()
    if old is not None and not VolumeFetch.objects.filter(pk=old).exists():
        return None
    before = client_zones(old) if old is not None else {}
    after = client_zones(new) if new is not None else {}
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def reanalyse(cluster: Cluster) -> Snapshot | None:
    """After a refresh: when the cluster uses measured clients and some Service's zones moved,
    store the latest snapshot's objects again as a new snapshot (those Services re-analysed);
    None when there is nothing to do."""
    from routing.snapshots import objects_at, write_snapshot  # the snapshot writer reads us

    cluster.refresh_from_db(fields=["clients"])
    if not measured(cluster):
        return None
    latest = cluster.snapshots.order_by("-seq").first()
    if latest is None:
        return None
    changed = changed_services(latest.client_zones_fetch, latest_fetch_id(cluster.pk))
    if changed is not None and not changed:
        return None
    snapshot = write_snapshot(cluster, objects_at(latest), source=Snapshot.Source.VOLUMES)
    logger.info(
        "cluster %s: snapshot %d re-analyses %s Service(s) whose measured client zones changed",
        cluster.name,
        snapshot.seq,
        "all" if changed is None else len(changed),
    )
    return snapshot
