"""Send a COPY to PostgreSQL from a second thread, in the write's own transaction, while the
calling thread computes something that needs no database.

A full snapshot spends most of its time in two parts that do not depend on each other: the
engine's analysis (our CPU, one core: it is Python) and storing the object versions (mostly
the PostgreSQL server's CPU, which parses the COPY stream and fills the table and its
indexes). One after the other, the server's core idles through the analysis and ours through
the insert; side by side, the server works on the core the analysis leaves idle
(docs/benchmarks.md, issue 16 target 2).

The rows are formatted first, in the calling thread (psycopg's own binary COPY format, into
memory): formatting is Python, and a second Python thread would only take turns with the
analysis for the one interpreter lock, and sent far too slowly (it waits for the lock each
time the socket lets it write). The second thread only sends, which releases the lock while
it waits on the socket. It uses psycopg's connection underneath Django's, in the transaction
the caller holds; psycopg locks the connection for the whole COPY, so a query from the
calling thread meanwhile would wait, not interleave (the body is meant to use no database).
SQLite gains nothing from a second thread (this process does the inserts): the rows are
inserted at once there.
"""

import threading
from collections import deque
from collections.abc import Iterable

import orjson
from django.db import connection
from psycopg.copy import Copy, Writer
from psycopg.types.json import set_json_dumps

from routing.snapshots import store


class CopyBeside:
    """`with CopyBeside(model, columns, rows) as copy:` inserts `rows` (values in `columns`
    order) while the block runs; `copy.count` is how many. Formatting the rows happens in the
    constructor (its errors are raised there, before anything is sent). The block ends only
    once the server has them all: a transaction must not commit or roll back under a COPY.
    The COPY's error is raised at the end of the block, unless the block raised its own."""

    def __init__(self, model, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._chunks: deque = deque()
        if connection.vendor != "postgresql":
            self.count = store._insert(model, columns, rows)
            return
        self._sql, types = store.copy_statement(model, columns)
        connection.ensure_connection()
        self._raw = connection.connection  # psycopg's, the transaction's
        self.count = self._format(types, rows)

    def _format(self, types: list[str], rows: Iterable[tuple]) -> int:
        """The binary COPY stream of `rows`, as psycopg sends it, in chunks of ~32 KB."""
        count = 0
        with self._raw.cursor() as cursor:
            set_json_dumps(orjson.dumps, context=cursor)  # as store._copy encodes JSON
            with Copy(cursor, binary=True, writer=_Chunks(self._chunks)) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count

    def __enter__(self) -> "CopyBeside":
        if self._chunks:
            self._thread = threading.Thread(target=self._send, name="snapshot-copy", daemon=True)
            self._thread.start()
        return self

    def _send(self) -> None:
        try:
            with self._raw.cursor() as cursor, cursor.copy(self._sql) as copy:
                chunks = self._chunks
                while chunks:
                    copy.write(chunks.popleft())  # each freed once sent
        except BaseException as exc:  # noqa: BLE001 - raised again in the calling thread
            self._error = exc

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._chunks.clear()
        if self._error is not None and exc is None:
            # As Django raises database errors (django.db.utils.*), the cause chained.
            with connection.wrap_database_errors:
                raise self._error


class _Chunks(Writer):
    """A psycopg COPY writer that keeps what the COPY would send, as a queue of chunks."""

    def __init__(self, chunks: deque) -> None:
        self._chunks = chunks

    def write(self, data) -> None:
        self._chunks.append(bytes(data))
