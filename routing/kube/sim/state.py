"""The simulated API's object store: serialised items, one resourceVersion counter, event logs.

Objects are kept as the JSON bytes a list returns for them (no kind/apiVersion), so listing
100,000 Pods is a join, not a serialisation. Every mutation takes the next resourceVersion of
the single counter and appends a watch event to its type's log, which keeps the last `window`
events; a watch from an older resourceVersion has "expired" (410 Gone).
"""

import bisect
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from .kinds import KINDS, Kind

Labels = dict[str, str]
Filter = Callable[["Entry"], bool]

# Extra fields a fieldSelector may name (and where they are in the object), besides
# metadata.name and metadata.namespace. kubectl describe finds an object's Events by
# involvedObject.*; events.k8s.io/v1 calls those regarding.* (its view of the same table).
_REGARDING = {
    f"{prefix}.{field}": ("involvedObject", field)
    for prefix in ("involvedObject", "regarding")
    for field in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
}
SELECTABLE: dict[str, dict[str, tuple[str, ...]]] = {
    "pods": {"spec.nodeName": ("spec", "nodeName"), "status.phase": ("status", "phase")},
    "services": {"spec.type": ("spec", "type")},
    "namespaces": {"status.phase": ("status", "phase")},
    "events": _REGARDING
    | {
        "reason": ("reason",),
        "type": ("type",),
        "source": ("source", "component"),
        "reportingComponent": ("reportingComponent",),
        "reportingController": ("reportingComponent",),
    },
}
SNAPSHOTS_KEPT = 64  # paginated lists in flight; an evicted one answers 410 like a compacted one


@dataclass(slots=True)
class Entry:
    """One stored object."""

    namespace: str
    name: str
    labels: Labels
    fields: Labels
    body: bytes  # the list item's JSON, resourceVersion included


@dataclass(slots=True)
class Event:
    rv: int
    type: str  # ADDED, MODIFIED or DELETED
    entry: Entry


class Expired(Exception):
    """A resourceVersion or continue token older than what the store still holds."""


class Table:
    """The objects and recent events of one resource type."""

    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self.entries: dict[tuple[str, str], Entry] = {}
        self.events: list[Event] = []
        self.horizon = 0  # watches need every event after their RV: RV >= horizon
        self._keys: list[tuple[str, str]] | None = None
        self._full: tuple[int, bytes, int] | None = None  # (rv, joined items, count)
        self.version = 0

    def sorted_entries(self) -> list[Entry]:
        if self._keys is None:
            self._keys = sorted(self.entries)  # etcd key order: namespace, then name
        return [self.entries[k] for k in self._keys]

    def joined(self) -> tuple[bytes, int]:
        """Every item joined by commas (cached until the next change) and their count."""
        if self._full is None or self._full[0] != self.version:
            bodies = [e.body for e in self.sorted_entries()]
            self._full = (self.version, b",".join(bodies), len(bodies))
        return self._full[1], self._full[2]

    def touched(self, rv: int, membership: bool) -> None:
        self.version = rv
        self._full = None
        if membership:
            self._keys = None


class Store:
    """Thread-safe store of every simulated object; `cond` wakes watchers on each change."""

    def __init__(self, window: int = 10_000) -> None:
        self.cond = threading.Condition()
        self.rv = 0
        self.window = max(1, window)
        self.tables = {k.plural: Table(k) for k in KINDS if not k.stored_as}
        self.closed = False
        self._snapshots: OrderedDict[str, tuple[int, list[bytes]]] = OrderedDict()
        self._snapshot_ids = itertools.count(1)

    # -- writes -------------------------------------------------------------------------------

    def _entry(self, plural: str, obj: dict[str, Any], rv: int) -> Entry:
        meta = obj["metadata"]
        meta["resourceVersion"] = str(rv)
        ns, name = meta.get("namespace", ""), meta["name"]
        fields = {"metadata.name": name, "metadata.namespace": ns}
        for field, path in SELECTABLE.get(plural, {}).items():
            value: Any = obj
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            fields[field] = "" if value is None else str(value)
        labels = dict(meta.get("labels") or {})
        # orjson's result keeps its whole growth buffer (~16 KiB); a copy holds just the bytes.
        return Entry(ns, name, labels, fields, bytes(memoryview(orjson.dumps(obj))))

    def _append(self, table: Table, event: Event) -> None:
        table.events.append(event)
        if len(table.events) > self.window:
            dropped = table.events.pop(0)
            table.horizon = dropped.rv

    def put(self, plural: str, obj: dict[str, Any]) -> int:
        """Create or replace an object; sets its metadata.resourceVersion and returns it."""
        with self.cond:
            self.rv += 1
            table = self.tables[plural]
            entry = self._entry(plural, obj, self.rv)
            key = (entry.namespace, entry.name)
            added = key not in table.entries
            table.entries[key] = entry
            table.touched(self.rv, added)
            self._append(table, Event(self.rv, "ADDED" if added else "MODIFIED", entry))
            self.cond.notify_all()
            return self.rv

    def delete(self, plural: str, namespace: str, name: str) -> bool:
        """Remove an object; its DELETED event carries the deletion's resourceVersion."""
        with self.cond:
            table = self.tables[plural]
            entry = table.entries.pop((namespace, name), None)
            if entry is None:
                return False
            self.rv += 1
            obj = orjson.loads(entry.body)
            last = self._entry(plural, obj, self.rv)
            table.touched(self.rv, True)
            self._append(table, Event(self.rv, "DELETED", last))
            self.cond.notify_all()
            return True

    def load(self, plural: str, objs: Iterable[dict[str, Any]]) -> None:
        """Bulk-create objects without watch events, as if they predate every watcher."""
        with self.cond:
            table = self.tables[plural]
            for obj in objs:
                self.rv += 1
                entry = self._entry(plural, obj, self.rv)
                table.entries[(entry.namespace, entry.name)] = entry
            table.touched(self.rv, True)
            table.events.clear()
            table.horizon = self.rv
            self.cond.notify_all()

    def compact(self) -> int:
        """Forget every event, as an etcd compaction does; returns the new horizon."""
        with self.cond:
            for table in self.tables.values():
                table.events.clear()
                table.horizon = self.rv
            self._snapshots.clear()
            self.cond.notify_all()
            return self.rv

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wake(self) -> None:
        with self.cond:
            self.cond.notify_all()

    # -- reads --------------------------------------------------------------------------------

    def get(self, plural: str, namespace: str, name: str) -> Entry | None:
        with self.cond:
            return self.tables[plural].entries.get((namespace, name))

    def get_object(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        entry = self.get(plural, namespace, name)
        return None if entry is None else orjson.loads(entry.body)

    def count(self, plural: str) -> int:
        with self.cond:
            return len(self.tables[plural].entries)

    def full_list(self, plural: str) -> tuple[int, bytes, int]:
        """(list resourceVersion, items joined by commas, count) for an unfiltered list."""
        with self.cond:
            joined, count = self.tables[plural].joined()
            return self.rv, joined, count

    def select(self, plural: str, keep: Filter | None) -> tuple[int, list[Entry]]:
        """The current resourceVersion and the matching entries in key order."""
        with self.cond:
            entries = self.tables[plural].sorted_entries()
            if keep is not None:
                entries = [e for e in entries if keep(e)]
            return self.rv, entries

    def save_snapshot(self, rv: int, bodies: list[bytes]) -> str:
        with self.cond:
            sid = str(next(self._snapshot_ids))
            self._snapshots[sid] = (rv, bodies)
            while len(self._snapshots) > SNAPSHOTS_KEPT:
                self._snapshots.popitem(last=False)
            return sid

    def snapshot(self, sid: str) -> tuple[int, list[bytes]]:
        with self.cond:
            found = self._snapshots.get(sid)
            if found is None:
                raise Expired("continue token expired")
            self._snapshots.move_to_end(sid)
            return found

    def events_after(self, plural: str, rv: int) -> list[Event]:
        """Events with resourceVersion > rv; call with `cond` held. Raises Expired."""
        table = self.tables[plural]
        if rv < table.horizon:
            raise Expired(f"too old resource version: {rv} ({table.horizon + 1})")
        start = bisect.bisect_right(table.events, rv, key=lambda e: e.rv)
        return table.events[start:]
