"""The live events, as plain dicts (the JSON the browser receives). Each has a `type`, the
`cluster` name and `sentAt` (epoch seconds when published); nothing else is ever sent.

- snapshot.committed: a snapshot's transaction committed; pages refetch their figures.
- cluster.status: the watch state changed (watching, stale, idle) with its message.
- cluster.changed: the watcher saw objects change (before they reach a snapshot); each change
  carries `at`, the epoch second the watch event arrived, and `more` counts those left out.
"""

import time
from typing import Any

MAX_CHANGES = 50  # per event; a busy cluster's burst is summarised by `more`


def group_name(cluster_id: int) -> str:
    """The channel-layer group of one cluster (names allow letters, digits, '-', '_', '.')."""
    return f"cluster.{cluster_id}"


def snapshot_committed(snapshot: Any) -> dict[str, Any]:
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


def cluster_status(cluster: str, status: str, message: str) -> dict[str, Any]:
    return {
        "type": "cluster.status",
        "cluster": cluster,
        "status": status,
        "message": message,
        "sentAt": time.time(),
    }


def cluster_changed(cluster: str, changes: list[dict[str, Any]], more: int) -> dict[str, Any]:
    return {
        "type": "cluster.changed",
        "cluster": cluster,
        "changes": changes[:MAX_CHANGES],
        "more": more + max(0, len(changes) - MAX_CHANGES),
        "sentAt": time.time(),
    }
