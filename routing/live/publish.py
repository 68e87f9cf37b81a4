"""Send events to a cluster's group from any thread, without ever blocking the caller.

One daemon thread per process owns an event loop and the channel layer: a Redis layer keeps its
connection pool on that loop (async_to_sync would make a new loop, and so a new connection, per
call), and a watcher or a request never waits on Redis. Events queue in memory (bounded); when
the layer is down they are dropped, since a page that missed one catches up from the hello its
socket gets on reconnect. The outage is logged once as it starts and once as it ends, and the
layer is tried again with backoff meanwhile (events before the next try are dropped untried), so
a Redis outage costs neither a log line nor a connection attempt per event.
"""

import asyncio
import logging
import threading
from collections.abc import Mapping
from typing import Any

from channels.layers import get_channel_layer

from routing.live.events import LiveEvent, group_name

logger = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
_SEND_TIMEOUT = 5.0
RETRY_MIN = 0.5  # seconds after the layer first failed ...
RETRY_MAX = 5.0  # ... doubling up to this
FLUSH = "__flush__"


class Publisher:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        # A LiveEvent, or the FLUSH sentinel: {FLUSH: threading.Event}.
        self._queue: asyncio.Queue[tuple[str, Mapping[str, Any]]] | None = None
        self._started = threading.Event()
        self._lock = threading.Lock()
        self.sent = 0
        self.dropped = 0

    def publish(self, cluster_id: int, event: LiveEvent) -> None:
        loop = self._ensure_running()
        loop.call_soon_threadsafe(self._enqueue, group_name(cluster_id), event)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every event queued so far was handed to the layer (tests, shutdown)."""
        done = threading.Event()
        self._ensure_running().call_soon_threadsafe(self._enqueue, "", {FLUSH: done})
        done.wait(timeout)

    def _enqueue(self, group: str, event: Mapping[str, Any]) -> None:  # runs in the loop
        assert self._queue is not None
        try:
            self._queue.put_nowait((group, event))
        except asyncio.QueueFull:
            self.dropped += 1
            logger.warning("live events queue full; dropped a %s event", event.get("type"))

    def _ensure_running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                thread = threading.Thread(target=self._run, name="live-publisher", daemon=True)
                thread.start()
                self._started.wait()
        assert self._loop is not None
        return self._loop

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._queue = asyncio.Queue(QUEUE_SIZE)
        self._loop = loop
        self._started.set()
        loop.run_until_complete(self._drain())

    async def _drain(self) -> None:
        assert self._queue is not None
        layer = get_channel_layer()
        loop = asyncio.get_running_loop()
        down_since: float | None = None
        dropped_before = 0
        delay = retry_at = 0.0
        while True:
            group, event = await self._queue.get()
            if FLUSH in event:
                event[FLUSH].set()
                continue
            if down_since is not None and loop.time() < retry_at:
                self.dropped += 1
                continue
            # A connection pooled before Redis restarted fails once; a second try gets a new one.
            exc = await self._send(layer, group, event)
            if exc is not None and down_since is None:
                exc = await self._send(layer, group, event)
            if exc is not None:  # the layer is down: drop, log once, go on
                self.dropped += 1
                if down_since is None:
                    down_since, dropped_before, delay = loop.time(), self.dropped - 1, RETRY_MIN
                    logger.warning(
                        "cannot publish live events (%s: %s); dropping them until the channel "
                        "layer answers again",
                        type(exc).__name__,
                        exc,
                    )
                else:
                    delay = min(delay * 2, RETRY_MAX)
                retry_at = loop.time() + delay
                continue
            self.sent += 1
            if down_since is not None:
                logger.warning(
                    "publishing live events again after %.1f s; %d were dropped",
                    loop.time() - down_since,
                    self.dropped - dropped_before,
                )
                down_since = None

    @staticmethod
    async def _send(layer: Any, group: str, event: Mapping[str, Any]) -> Exception | None:
        try:
            await asyncio.wait_for(
                layer.group_send(group, {"type": "live.event", "event": event}), _SEND_TIMEOUT
            )
        except Exception as exc:  # noqa: BLE001 - the caller decides (drop and log once)
            return exc
        return None


publisher = Publisher()


def publish(cluster_id: int, event: LiveEvent) -> None:
    """Queue `event` for the cluster's group; returns at once."""
    publisher.publish(cluster_id, event)
