"""Where the product's writers hand events to the publisher (wired in RoutingConfig.ready)."""

from routing.kube.state import WatchChange
from routing.live import events
from routing.live.publish import publish
from routing.models import Snapshot


def snapshot_committed(snapshot: Snapshot) -> None:
    """routing.snapshots.on_snapshot_committed: runs after the snapshot's transaction commits."""
    publish(snapshot.cluster_id, events.snapshot_committed(snapshot))


def status_changed(cluster_id: int, cluster: str, status: str, message: str) -> None:
    publish(cluster_id, events.cluster_status(cluster, status, message))


def objects_changed(cluster_id: int, cluster: str, changes: list[WatchChange], more: int) -> None:
    publish(cluster_id, events.cluster_changed(cluster, changes, more))
