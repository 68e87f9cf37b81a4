"""The watcher's in-memory copy of a cluster: trimmed objects by key, with a change signal."""

import threading
import time
from typing import Any, TypedDict

from .resources import object_key

Key = tuple[str, str, str]
MAX_CHANGES = 50  # watch events kept in full between two live reports


class WatchChange(TypedDict):
    """One watch event as the live updates report it (routing.live.events.ClusterChanged)."""

    type: str  # ADDED, MODIFIED or DELETED
    kind: str
    namespace: str
    name: str
    at: float  # epoch seconds when the watch event arrived


class ClusterState:
    """Objects of one cluster as the watch streams last described them (thread-safe)."""

    def __init__(self, kinds: tuple[str, ...]):
        self._lock = threading.Lock()
        self._objects: dict[Key, dict[str, Any]] = {}
        self._synced: set[str] = set()
        self._kinds = kinds
        self.version = 0  # bumped on every change; the snapshot loop compares it
        self.changed = threading.Event()
        # Watch events not yet reported live (routing.live): the first MAX_CHANGES in full,
        # the rest counted; `has_changes` wakes the reporting thread.
        self._changes: list[WatchChange] = []
        self._more_changes = 0
        self.has_changes = threading.Event()

    def replace_kind(self, kind: str, objects: list[dict[str, Any]]) -> None:
        """A fresh list of one kind replaces everything known of that kind."""
        fresh = {object_key(o): o for o in objects}
        with self._lock:
            stale = [k for k in self._objects if k[0] == kind and k not in fresh]
            for key in stale:
                del self._objects[key]
            self._objects.update(fresh)
            self._synced.add(kind)
            self._bump()

    def apply(self, event_type: str, obj: dict[str, Any]) -> None:
        """One watch event: ADDED, MODIFIED or DELETED."""
        key = object_key(obj)
        with self._lock:
            if event_type == "DELETED":
                if self._objects.pop(key, None) is None:
                    return
            else:
                if self._objects.get(key) == obj:
                    return  # e.g. a status heartbeat that trimming made identical
                self._objects[key] = obj
            self._bump()
            self._record(event_type, key)

    def _record(self, event_type: str, key: Key) -> None:
        if len(self._changes) < MAX_CHANGES:
            kind, namespace, name = key
            self._changes.append(
                {
                    "type": event_type,
                    "kind": kind,
                    "namespace": namespace,
                    "name": name,
                    "at": time.time(),
                }  # wall clock: the browser-side latency is measured from it
            )
        else:
            self._more_changes += 1
        self.has_changes.set()

    def drain_changes(self) -> tuple[list[WatchChange], int]:
        """The watch events recorded since the last call, and how many more were left out."""
        with self._lock:
            changes, more = self._changes, self._more_changes
            self._changes, self._more_changes = [], 0
            return changes, more

    def _bump(self) -> None:
        self.version += 1
        self.changed.set()

    @property
    def synced(self) -> bool:
        """True once every kind has been listed at least once."""
        with self._lock:
            return self._synced.issuperset(self._kinds)

    def objects(self) -> tuple[int, list[dict[str, Any]]]:
        """The current version and a copy of the object list, taken atomically."""
        with self._lock:
            return self.version, list(self._objects.values())
