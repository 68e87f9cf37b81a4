"""The watcher's in-memory copy of a cluster: trimmed objects by key, with a change signal,
and which keys changed since the last snapshot written from it."""

import threading
import time
from collections.abc import Callable, Iterator, Mapping
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


class _Changed(Mapping[Key, "dict[str, Any] | None"]):
    """Key -> its object in `by_kind` (None once deleted), for each key of `marks`: looked up
    on first use. A watcher's first write stores every object and never reads it (in a
    10,000-Service cluster, 121,000 lookups it would have made for nothing)."""

    __slots__ = ("_by_kind", "_keys", "_found")

    def __init__(self, by_kind: dict[str, dict[Key, dict[str, Any]]], keys: Mapping[Key, Any]):
        self._by_kind, self._keys = by_kind, keys
        self._found: dict[Key, dict[str, Any] | None] | None = None

    def _all(self) -> dict[Key, dict[str, Any] | None]:
        if self._found is None:
            by_kind = self._by_kind
            self._found = {key: by_kind.get(key[0], {}).get(key) for key in self._keys}
        return self._found

    def __getitem__(self, key: Key) -> dict[str, Any] | None:
        return self._all()[key]

    def __iter__(self) -> Iterator[Key]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._keys)


class Handover:
    """What the snapshot thread hands a write: every object, and the keys that changed since
    the last write that committed (routing.snapshots.write_changes stores only those).

    Iterating gives every object, so a writer that wants them all simply iterates.
    """

    __slots__ = ("version", "by_kind", "changed", "forms", "_marks")

    def __init__(
        self,
        version: int,
        by_kind: dict[str, dict[Key, dict[str, Any]]],
        marks: dict[Key, int],
        forms: dict[Key, Any] | None = None,
    ):
        self.version = version
        # kind -> key -> object: copies of the state's dicts (the objects themselves are
        # shared: the state replaces an object, never edits it), so a write reads one moment.
        self.by_kind = by_kind
        self.changed = _Changed(by_kind, marks)  # key -> its object now, None once deleted
        self._marks = marks  # key -> the change that put it in `changed` (ClusterState.written)
        self.forms = forms or {}  # key -> the state's `form` of its object now, if it has one

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for of_kind in self.by_kind.values():
            yield from of_kind.values()

    def __len__(self) -> int:
        return sum(len(of_kind) for of_kind in self.by_kind.values())


class ClusterState:
    """Objects of one cluster as the watch streams last described them (thread-safe).

    `form`: worked out for each object as it arrives (one that changed, not a heartbeat that
    trimming made equal) and handed over with it: the snapshot store's stored form
    (routing.snapshots.prepare.stored_form), so that the writes, full ones included, neither
    hash nor pack any object (docs/benchmarks.md, issue 16 target 2). It may return None.
    """

    def __init__(self, kinds: tuple[str, ...], form: Callable[[dict[str, Any]], Any] | None = None):
        self._lock = threading.Lock()
        self._objects: dict[str, dict[Key, dict[str, Any]]] = {kind: {} for kind in kinds}
        self._form = form
        self._forms: dict[Key, Any] = {}
        # Keys changed since the last write that committed, each with the version its last
        # change made; a failed write leaves them (the next write takes them again). Before
        # the first write every key is in it.
        self._dirty: dict[Key, int] = {}
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
            held = self._objects.get(kind, {})
            self._bump()
            # A relist (after 410 Gone, say) repeats mostly what is known: only what differs
            # is a change for the next snapshot.
            for key in held.keys() - fresh.keys():
                self._dirty[key] = self.version
                self._forms.pop(key, None)
            for key, obj in fresh.items():
                if held.get(key) != obj:
                    self._dirty[key] = self.version
                    self._formed(key, obj)
            self._objects[kind] = fresh
            self._synced.add(kind)

    def apply(self, event_type: str, obj: dict[str, Any]) -> None:
        """One watch event: ADDED, MODIFIED or DELETED."""
        key = object_key(obj)
        with self._lock:
            held = self._objects.setdefault(key[0], {})
            if event_type == "DELETED":
                if held.pop(key, None) is None:
                    return
                self._forms.pop(key, None)
            else:
                if held.get(key) == obj:
                    return  # e.g. a status heartbeat that trimming made identical
                held[key] = obj
                self._formed(key, obj)
            self._bump()
            self._dirty[key] = self.version
            self._record(event_type, key)

    def _formed(self, key: Key, obj: dict[str, Any]) -> None:
        # Under the lock, so a handover's forms are always those of its objects (the first
        # listing of 100,000 Pods holds it ~0.5 s: the other threads' events wait, queued).
        if self._form is not None:
            self._forms[key] = self._form(obj)

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
            return self.version, [o for held in self._objects.values() for o in held.values()]

    def handover(self) -> Handover:
        """Every object and what changed since the last committed write, taken atomically."""
        with self._lock:
            by_kind = {kind: dict(held) for kind, held in self._objects.items()}
            forms = dict(self._forms) if self._form is not None else None
            return Handover(self.version, by_kind, dict(self._dirty), forms)

    def written(self, handover: Handover) -> None:
        """`handover` was stored: its changes are no longer pending, unless changed again since."""
        with self._lock:
            dirty = self._dirty
            for key, mark in handover._marks.items():
                if dirty.get(key) == mark:
                    del dirty[key]
