"""The live events, a TypedDict each (plain dicts at run time: the JSON the browser receives).
Each has a `type`, the `cluster` name and `sentAt` (epoch seconds when published); nothing else
is ever published.

- snapshot.committed: a snapshot's transaction committed; pages refetch their figures.
- cluster.status: the watch state changed (watching, stale, idle) with its message.
- cluster.changed: the watcher saw objects change (before they reach a snapshot); each change
  carries `at`, the epoch second the watch event arrived, and `more` counts those left out.

A socket also gets `hello` on connect (its clusters' status and newest seq), from the consumer.
"""

import time
from typing import Literal, TypedDict

from routing.kube.state import WatchChange
from routing.models import Snapshot

MAX_CHANGES = 50  # per event; a busy cluster's burst is summarised by `more`


class SnapshotCommitted(TypedDict):
    type: Literal["snapshot.committed"]
    cluster: str
    seq: int
    takenAt: str  # ISO 8601
    source: str  # a Snapshot.Source value
    services: int
    changedObjects: int
    crossZoneFraction: float | None  # None without Services
    costPerGbMean: float | None
    sentAt: float


class ClusterStatus(TypedDict):
    type: Literal["cluster.status"]
    cluster: str
    status: str  # a Cluster.Status value
    message: str
    sentAt: float


class ClusterChanged(TypedDict):
    type: Literal["cluster.changed"]
    cluster: str
    changes: list[WatchChange]
    more: int
    sentAt: float


LiveEvent = SnapshotCommitted | ClusterStatus | ClusterChanged


class HelloCluster(TypedDict):
    name: str
    status: str  # as shown: stale once its watcher stopped renewing its lease
    message: str
    seq: int | None  # of its newest snapshot; None before the first
    takenAt: str | None


class Hello(TypedDict):
    """What the socket sends first (routing.live.consumers): not published, so no `sentAt`."""

    type: Literal["hello"]
    clusters: list[HelloCluster]


def group_name(cluster_id: int) -> str:
    """The channel-layer group of one cluster (names allow letters, digits, '-', '_', '.')."""
    return f"cluster.{cluster_id}"


def snapshot_committed(snapshot: Snapshot) -> SnapshotCommitted:
    return {
        "type": "snapshot.committed",
        "cluster": snapshot.cluster.name,
        "seq": snapshot.seq,
        "takenAt": snapshot.taken_at.isoformat(),
        "source": snapshot.source,
        "services": snapshot.services,
        "changedObjects": snapshot.changed_objects,
        "crossZoneFraction": snapshot.cross_zone_fraction,
        "costPerGbMean": snapshot.cost_per_gb_mean,
        "sentAt": time.time(),
    }


def cluster_status(cluster: str, status: str, message: str) -> ClusterStatus:
    return {
        "type": "cluster.status",
        "cluster": cluster,
        "status": status,
        "message": message,
        "sentAt": time.time(),
    }


def cluster_changed(cluster: str, changes: list[WatchChange], more: int) -> ClusterChanged:
    return {
        "type": "cluster.changed",
        "cluster": cluster,
        "changes": changes[:MAX_CHANGES],
        "more": more + max(0, len(changes) - MAX_CHANGES),
        "sentAt": time.time(),
    }


def hello(clusters: list[HelloCluster]) -> Hello:
    return {"type": "hello", "clusters": clusters}
