"""Watch streams: newline-delimited JSON events over chunked transfer encoding.

As the real API server: a watch from resourceVersion RV gets every change after RV, in order;
one from an RV older than the retained log gets a single ERROR event with a 410 Status; without
an RV (or "0") it first gets the current objects as ADDED events; with bookmarks allowed it gets
a BOOKMARK every `bookmark_interval` seconds while nothing else happens.
"""

import select
import socket
import time
from collections.abc import Callable
from typing import Any

import orjson

from .kinds import Kind
from .state import Entry, Event, Expired, Store

TRUE = ("1", "true")
DEFAULT_TIMEOUT = 1800.0  # upstream picks 30-60 minutes when the client gives no timeoutSeconds
POLL = 0.5  # how often an idle stream checks whether its client went away
CHUNK = 256 * 1024


Encode = Callable[[Entry], bytes]  # an entry as the event's object: JSON bytes


def event_line(type_: str, obj: bytes) -> bytes:
    return b'{"type":"' + type_.encode() + b'","object":' + obj + b"}\n"


def expired_line(message: str) -> bytes:
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Expired",
        "code": 410,
    }
    return orjson.dumps({"type": "ERROR", "object": status}) + b"\n"


def bookmark_line(kind: Kind, rv: int, initial_end: bool = False) -> bytes:
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if initial_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    obj = {"kind": kind.kind, "apiVersion": kind.api_version, "metadata": meta}
    return orjson.dumps({"type": "BOOKMARK", "object": obj}) + b"\n"


class WatchStream:
    """One watch request, written to the handler's socket until it ends."""

    def __init__(
        self,
        handler: Any,
        store: Store,
        faults: Any,
        kind: Kind,
        keep: Callable[[Entry], bool] | None,
        query: dict[str, str],
        bookmark_interval: float,
        encode: Encode,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.h, self.store, self.faults, self.kind, self.keep = handler, store, faults, kind, keep
        self.encode, self.headers = encode, headers or []
        self.bookmarks = query.get("allowWatchBookmarks", "").lower() in TRUE
        self.rv_param = query.get("resourceVersion", "")
        self.send_initial = query.get("sendInitialEvents", "").lower() in TRUE
        self.initial = self.rv_param in ("", "0") or self.send_initial
        timeout = query.get("timeoutSeconds")
        self.timeout = float(timeout) if timeout else DEFAULT_TIMEOUT
        self.interval = bookmark_interval
        self.generation = faults.watch_generation  # a drop after this moment ends the stream

    def _chunk(self, data: bytes) -> None:
        self.h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _send(self, lines: list[bytes]) -> None:
        # Several events per chunk: a burst (initial events of a large list) is a few writes.
        batch: list[bytes] = []
        size = 0
        for line in lines:
            batch.append(line)
            size += len(line)
            if size >= CHUNK:
                self._chunk(b"".join(batch))
                batch, size = [], 0
        if batch:
            self._chunk(b"".join(batch))

    def _client_gone(self) -> bool:
        sock = self.h.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def serve(self) -> None:
        h = self.h
        headers = [
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-cache, private"),
            ("Transfer-Encoding", "chunked"),
            *self.headers,
        ]
        h.wfile.write(h.response_head(200, headers))
        self.faults.watch_started(h.connection)
        try:
            self._stream()
            self._chunk(b"")  # the last chunk: the response ends cleanly
        except OSError:  # the client went away, or an abrupt drop reset the connection
            pass
        finally:
            self.faults.watch_ended(h.connection)
        h.close_connection = True

    def _start(self) -> int | None:
        """Send initial events if asked; return the RV to follow, None if the watch expired."""
        if self.faults.take_expiry():
            oldest = self.store.rv + 1
            self._chunk(expired_line(f"too old resource version: {self.rv_param or 0} ({oldest})"))
            return None
        if self.initial:
            rv, entries = self.store.select(self.kind.table, self.keep)
            lines = [event_line("ADDED", self.encode(entry)) for entry in entries]
            if self.bookmarks and self.send_initial:
                lines.append(bookmark_line(self.kind, rv, initial_end=True))
            self._send(lines)
            return rv
        try:
            return int(self.rv_param)
        except ValueError:
            return 0

    def _stream(self) -> None:
        last = self._start()
        if last is None:
            return
        now = time.monotonic()
        deadline = now + self.timeout
        next_bookmark = now + self.interval
        expired = False
        while not expired:
            out: list[bytes] = []
            with self.store.cond:
                while not out:
                    now = time.monotonic()
                    if self.store.closed or self.faults.watch_generation != self.generation:
                        return
                    if now >= deadline:
                        return
                    try:
                        events = self.store.events_after(self.kind.table, last)
                    except Expired as exc:
                        out.append(expired_line(str(exc)))
                        expired = True
                        break
                    if events:
                        last = events[-1].rv
                        out = [self._line(e) for e in events if self._wanted(e)]
                        continue
                    if self.bookmarks and now >= next_bookmark:
                        last = self.store.rv  # nothing of this type happened up to here
                        out.append(bookmark_line(self.kind, last))
                        next_bookmark = now + self.interval
                        break
                    wake = min(deadline, next_bookmark if self.bookmarks else deadline)
                    self.store.cond.wait(min(POLL, max(0.0, wake - now)))
                    if self._client_gone():
                        return
            self._send(out)

    def _wanted(self, event: Event) -> bool:
        return self.keep is None or self.keep(event.entry)

    def _line(self, event: Event) -> bytes:
        return event_line(event.type, self.encode(event.entry))
