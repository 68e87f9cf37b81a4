"""Snapshots from live clusters: connect, list or watch, and store (kube and storage glue)."""

import logging
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

from routing.kube.connect import api_client
from routing.kube.listing import list_cluster
from routing.kube.runner import ClusterWatcher
from routing.live import hooks as live
from routing.models import Cluster, Snapshot
from routing.snapshots import write_snapshot
from routing.trim import trim_object

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
    snapshot = write_snapshot(cluster, objects, source=source)
    set_status(cluster.pk, Cluster.Status.IDLE, "")
    return snapshot


def set_status(cluster_id: int, status: str, message: str) -> None:
    """Record the cluster's connection state (and when it last answered), and tell its pages."""
    fields: dict[str, Any] = {"status": status, "status_message": message[:500]}
    if status != Cluster.Status.STALE:
        fields["last_contact_at"] = timezone.now()
    Cluster.objects.filter(pk=cluster_id).update(**fields)
    name = Cluster.objects.filter(pk=cluster_id).values_list("name", flat=True).first()
    if name is not None:
        live.status_changed(cluster_id, name, status, fields["status_message"])


def start_watch(cluster: Cluster, **tuning: Any) -> ClusterWatcher:
    """Start watching a cluster in background threads; snapshots land as it changes."""
    cluster_id = cluster.pk

    def write(objects: list[dict[str, Any]], source: str) -> None:
        close_old_connections()  # runs in the watcher's thread
        write_snapshot(Cluster.objects.get(pk=cluster_id), objects, source=source)

    def status(state: str, message: str) -> None:
        close_old_connections()
        if state == "stale":
            logger.warning("cluster %s is stale: %s", cluster.name, message)
        set_status(cluster_id, state, message)

    def changes(watch_events: list[dict[str, Any]], more: int) -> None:
        live.objects_changed(cluster_id, cluster.name, watch_events, more)

    tuning.setdefault("interval", float(cluster.snapshot_interval))
    tuning.setdefault("on_changes", changes)
    watcher = ClusterWatcher(
        client_for(cluster),
        write=write,
        set_status=status,
        trim=trim_object,
        on_exit=connections.close_all,  # the snapshot thread's own database connections
        **tuning,
    )
    watcher.start()
    return watcher
