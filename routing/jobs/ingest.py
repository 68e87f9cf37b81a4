"""Snapshots from live clusters: connect, list or watch, and store (kube and storage glue)."""

import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections
from django.db.models import Q
from django.utils import timezone

from routing.kube.connect import api_client
from routing.kube.listing import list_cluster
from routing.kube.runner import ClusterWatcher
from routing.kube.state import Handover, WatchChange
from routing.live import hooks as live
from routing.models import Cluster, Snapshot, lease_lapsed_message
from routing.snapshots import write_changes, write_snapshot
from routing.snapshots.prepare import stored_form
from routing.snapshots.trim import trim_object

logger = logging.getLogger(__name__)

LIVE_SOURCES = (Cluster.Source.KUBECONFIG, Cluster.Source.INCLUSTER, Cluster.Source.SIMULATED)


def client_for(cluster: Cluster) -> Any:
    """An ApiClient for the cluster (raises routing.kube.connect.ConnectError)."""
    kubeconfig = settings.TRAFFICLENS_KUBECONFIG
    if cluster.source == Cluster.Source.SIMULATED:
        kubeconfig = str(settings.TRAFFICLENS_SIM_KUBECONFIG)
    return api_client(cluster.source, cluster.kube_context, kubeconfig=kubeconfig)


def snapshot_now(cluster: Cluster, *, source: str = Snapshot.Source.MANUAL) -> Snapshot:
    """List the cluster once and store what it holds as a snapshot (all or nothing)."""
    objects, _ = list_cluster(client_for(cluster), trim=trim_object)
    snapshot = write_snapshot(cluster, objects, source=source, trimmed=True)
    record_listed(cluster.pk)
    return snapshot


def set_status(cluster_id: int, status: str, message: str, *, only_if: Q | None = None) -> bool:
    """Record the cluster's connection state (and when it last answered), and tell its pages.

    With `only_if`, only when the row also matches it (decided by the UPDATE itself, so a
    concurrent writer is not overwritten). Returns whether the row was updated.
    """
    fields: dict[str, Any] = {"status": status, "status_message": message[:500]}
    if status != Cluster.Status.STALE:
        fields["last_contact_at"] = timezone.now()
    rows = Cluster.objects.filter(pk=cluster_id)
    if only_if is not None:
        rows = rows.filter(only_if)
    if not rows.update(**fields):
        return False
    name = Cluster.objects.filter(pk=cluster_id).values_list("name", flat=True).first()
    if name is not None:
        live.status_changed(cluster_id, name, status, fields["status_message"])
    return True


def record_contact(cluster_id: int, heard: float | None) -> None:
    """Move the cluster's last contact forward to `heard` (time.time() of the last bytes its
    API server sent a watch stream). Never backwards: a listing may have recorded a later one."""
    if heard is None:
        return
    at = datetime.fromtimestamp(heard, tz=UTC)
    Cluster.objects.filter(pk=cluster_id).filter(
        Q(last_contact_at__lt=at) | Q(last_contact_at=None)
    ).update(last_contact_at=at)


def record_listed(cluster_id: int) -> None:
    """After a listing succeeded: the API answers. The cluster is idle, unless a watcher holds
    it (which reports its own state) or died holding it (stale until another takes over)."""
    if set_status(cluster_id, Cluster.Status.IDLE, "", only_if=Q(watch_lease_expires_at=None)):
        return
    now = timezone.now()
    Cluster.objects.filter(pk=cluster_id).update(last_contact_at=now)
    record_lease_lapsed(cluster_id, now)


def record_lease_lapsed(cluster_id: int, now: datetime) -> bool:
    """If the cluster's watcher stopped renewing its lease, record it stale, saying since when.

    Returns whether that changed the row (and so told its pages). Called by the scheduler
    (routing.tasks), since a killed watcher cannot say it itself; a watcher that takes over (or
    the same one, reachable again) renews the lease and reports `watching`.
    """
    lapsed = Cluster.objects.filter(pk=cluster_id, watch_lease_expires_at__lte=now)
    expired = lapsed.values_list("watch_lease_expires_at", flat=True).first()
    if expired is None:
        return False
    message = lease_lapsed_message(expired)
    unchanged = Q(status=Cluster.Status.STALE, status_message=message)
    return set_status(
        cluster_id,
        Cluster.Status.STALE,
        message,
        only_if=Q(watch_lease_expires_at=expired) & ~unchanged,
    )


def start_watch(cluster: Cluster, **tuning: Any) -> ClusterWatcher:
    """Start watching a cluster in background threads; snapshots land as it changes."""
    cluster_id = cluster.pk
    # The snapshot this watcher wrote last: the handover's changes are since that one. The
    # first write stores every object, and so does one after another writer stored others.
    after_seq: int | None = None

    def write(objects: Handover, source: str) -> None:
        nonlocal after_seq
        close_old_connections()  # runs in the watcher's thread
        # Before the snapshot: its live event makes pages re-read the cluster, contact included.
        record_contact(cluster_id, watcher.last_heard())
        found = Cluster.objects.get(pk=cluster_id)
        written = write_changes(
            found,
            objects.by_kind,
            objects.changed,
            after_seq=after_seq,
            source=source,
            forms=objects.forms,
        )
        after_seq = written.seq

    def status(state: str, message: str) -> None:
        close_old_connections()
        if state == "stale":
            logger.warning("cluster %s is stale: %s", cluster.name, message)
        set_status(cluster_id, state, message)

    def changes(watch_events: list[WatchChange], more: int) -> None:
        live.objects_changed(cluster_id, cluster.name, watch_events, more)

    tuning.setdefault("interval", float(cluster.snapshot_interval))
    tuning.setdefault("on_changes", changes)
    watcher = ClusterWatcher(
        client_for(cluster),
        write=write,
        set_status=status,
        trim=trim_object,
        form=stored_form,  # each object hashed and packed as it arrives, not in the writes
        on_exit=connections.close_all,  # the snapshot thread's own database connections
        **tuning,
    )
    watcher.start()
    return watcher
