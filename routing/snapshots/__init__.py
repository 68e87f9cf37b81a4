"""The snapshot store: the only code that knows the seq intervals [first_seq, last_seq).

A snapshot stores only what changed: objects are trimmed (trim), hashed and compared with the
cluster's open versions, Services re-analysed only where a change can reach them (incremental),
and rows closed and opened in one locked transaction (write, prepare, store). A watcher, which
knows what changed, hands over only that (delta: write_changes). Uploads are checked first
(intake); snapshots are read back (read), compared (diff) and pruned past retention (prune).
"""

from routing.snapshots.delta import write_changes
from routing.snapshots.prepare import Key, canonical_bytes
from routing.snapshots.prune import prune
from routing.snapshots.read import decode, objects_at, summaries_at
from routing.snapshots.store import BATCH_SIZE
from routing.snapshots.trim import KINDS
from routing.snapshots.write import import_dump, on_snapshot_committed, write_snapshot

__all__ = [
    "BATCH_SIZE",
    "KINDS",
    "Key",
    "canonical_bytes",
    "decode",
    "import_dump",
    "objects_at",
    "on_snapshot_committed",
    "prune",
    "summaries_at",
    "write_changes",
    "write_snapshot",
]
