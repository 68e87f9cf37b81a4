"""Faults a test can inject into the simulated API: dropped and expired watches, errors, delay."""

import contextlib
import socket
import threading
from typing import Any

from .state import Store


class Faults:
    """Thread-safe fault switches, read by the HTTP handlers on every request."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self.watch_generation = 0  # watches started under an older generation end
        self.expire_watches = 0
        self.fail_requests = 0
        self.fail_code = 500
        self.delay = 0.0
        self._streams: set[socket.socket] = set()

    def drop_watches(self, abrupt: bool = False) -> None:
        """End every open watch stream now.

        Cleanly by default (the response ends, as when the server closes a watch); with
        `abrupt` the connections are reset mid-stream, as when a load balancer drops them.
        """
        with self._lock:
            sockets = list(self._streams) if abrupt else []
        for sock in sockets:  # reset first, so no stream gets to end cleanly instead
            with contextlib.suppress(OSError):  # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)
        with self._lock:
            self.watch_generation += 1
        self._store.wake()

    def watch_started(self, sock: socket.socket) -> None:
        with self._lock:
            self._streams.add(sock)

    def watch_ended(self, sock: socket.socket) -> None:
        with self._lock:
            self._streams.discard(sock)

    def expire_next_watches(self, n: int = 1) -> None:
        """The next `n` watch requests get a 410 Expired ERROR event instead of events."""
        with self._lock:
            self.expire_watches += n

    def compact(self) -> int:
        """Forget the event log: watches from any earlier resourceVersion get 410 Expired."""
        return self._store.compact()

    def fail_next_requests(self, n: int = 1, code: int = 500) -> None:
        """The next `n` API requests answer `code` with a Status body."""
        with self._lock:
            self.fail_requests += n
            self.fail_code = code

    def set_delay(self, seconds: float) -> None:
        """Wait this long before answering each API request."""
        with self._lock:
            self.delay = max(0.0, seconds)

    def clear(self) -> None:
        with self._lock:
            self.expire_watches = self.fail_requests = 0
            self.delay = 0.0

    def take_failure(self) -> int | None:
        with self._lock:
            if self.fail_requests <= 0:
                return None
            self.fail_requests -= 1
            return self.fail_code

    def take_expiry(self) -> bool:
        with self._lock:
            if self.expire_watches <= 0:
                return False
            self.expire_watches -= 1
            return True

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "watchGeneration": self.watch_generation,
                "expireWatches": self.expire_watches,
                "failRequests": self.fail_requests,
                "failCode": self.fail_code,
                "delaySeconds": self.delay,
            }

    def apply(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Apply a `POST /_sim/faults` body; unknown keys raise ValueError."""
        known = {"clear", "dropWatches", "expireWatches", "compact", "failRequests", "failCode"}
        unknown = set(spec) - known - {"delaySeconds"}
        if unknown:
            raise ValueError(f"unknown fault keys: {', '.join(sorted(unknown))}")
        if spec.get("clear"):
            self.clear()
        if spec.get("failRequests"):
            self.fail_next_requests(int(spec["failRequests"]), int(spec.get("failCode", 500)))
        if spec.get("expireWatches"):
            self.expire_next_watches(int(spec["expireWatches"]))
        if "delaySeconds" in spec:
            self.set_delay(float(spec["delaySeconds"]))
        if spec.get("compact"):
            self.compact()
        if spec.get("dropWatches"):
            self.drop_watches(abrupt=spec["dropWatches"] == "abrupt")
        return self.state()
