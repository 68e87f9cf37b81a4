"""The snapshots' indexes this process keeps, least recently used out first.

A snapshot's rows never change once it is committed, so an index is right for as long as the
snapshot exists; it is keyed by the snapshot's id and the instant it was written (which no
other snapshot shares, even where SQLite reuses a deleted row's id) and the database's name. A
pruned snapshot's index is never asked for again (the request 404s first) and ages out. The
budget counts Services (settings.SERVICE_INDEX_ROWS); an index larger than the whole budget
serves its request and is not kept.

A snapshot's index is made from the kept index of an earlier snapshot of the same cluster and
the rows that differ (load.changed_rows) where there is one: a watcher writes a snapshot every
few seconds with ~1% of the Services changed, and reading all 10,000 rows again took 30-40 ms
against 3 ms for the difference (docs/benchmarks.md).
"""

import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection

from .index import ServiceIndex
from .load import changed_rows, snapshot_rows


class _Key(NamedTuple):
    database: str
    snapshot_id: int
    cluster_id: int
    seq: int
    created_at: datetime


_lock = threading.Lock()
_kept: "OrderedDict[_Key, ServiceIndex]" = OrderedDict()
_rows = [0]  # Services in _kept


def index_of(snapshot: Any) -> ServiceIndex:
    """The index of `snapshot` (a Snapshot, or one with its id, cluster id, seq and
    created_at), read from the database on first use in this process."""
    key = _Key(
        connection.settings_dict["NAME"],
        snapshot.pk,
        snapshot.cluster_id,
        snapshot.seq,
        snapshot.created_at,
    )
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    # Read outside the lock: two requests may both build it; the second one kept wins.
    index = _changed_from_earlier(key)
    if index is None:
        index = ServiceIndex.from_rows(snapshot_rows(snapshot.cluster_id, snapshot.seq))
    budget = settings.SERVICE_INDEX_ROWS
    with _lock:
        if index.size <= budget:
            old = _kept.pop(key, None)
            _rows[0] += index.size - (old.size if old else 0)
            _kept[key] = index
            while _rows[0] > budget:
                _, dropped = _kept.popitem(last=False)
                _rows[0] -= dropped.size
    return index


def _changed_from_earlier(key: _Key) -> ServiceIndex | None:
    """The index of the snapshot `key` names, from the kept index of the cluster's latest
    snapshot before it and the rows that differ; None without one (or once it is pruned)."""
    with _lock:
        earlier = [
            (k, index)
            for k, index in _kept.items()
            if (k.database, k.cluster_id) == (key.database, key.cluster_id) and k.seq < key.seq
        ]
    if not earlier:
        return None
    base_key, base = max(earlier, key=lambda kept: kept[0].seq)
    changes = changed_rows(
        key.cluster_id, key.seq, (base_key.seq, base_key.snapshot_id, base_key.created_at)
    )
    return None if changes is None else base.changed(*changes)


def forget_all() -> None:
    """Drop every kept index: for tests, whose rolled-back transactions let SQLite give a later
    snapshot a forgotten one's id (the instant differs, unless a test sets it)."""
    with _lock:
        _kept.clear()
        _rows[0] = 0
