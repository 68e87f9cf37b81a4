"""Writing cluster states as `manage.py watch` does, for the snapshot tests."""

from typing import Any

from routing.kube.state import ClusterState
from routing.models import Cluster, Snapshot
from routing.snapshots import write_changes
from routing.snapshots.prepare import stored_form
from routing.snapshots.trim import KINDS


class WatcherWrites:
    """Each state's objects into a ClusterState kind by kind, as the watch streams tell it, and
    the state's handover to write_changes, after the last snapshot this wrote."""

    def __init__(self, cluster: Cluster, forms: bool = True):
        self.cluster = cluster
        # As start_watch's: each object's stored form worked out as it arrives (unless not
        # `forms`: then the writes hash and pack what they store).
        self.state = ClusterState(KINDS, stored_form if forms else None)
        self.after_seq: int | None = None

    def write(self, objects: list[dict[str, Any]]) -> Snapshot:
        """Store `objects` (trimmed) as the cluster's state now."""
        for kind in KINDS:
            self.state.replace_kind(kind, [o for o in objects if o["kind"] == kind])
        handover = self.state.handover()
        snapshot = write_changes(
            self.cluster,
            handover.by_kind,
            handover.changed,
            after_seq=self.after_seq,
            source="watch",
            forms=handover.forms,
        )
        self.state.written(handover)
        self.after_seq = snapshot.seq
        return snapshot
