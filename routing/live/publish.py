"""Send events to a cluster's group from any thread, without ever blocking the caller.

One daemon thread per process owns an event loop and the channel layer: a Redis layer keeps its
connection pool on that loop (async_to_sync would make a new loop, and so a new connection, per
call), and a watcher or a request never waits on Redis. Events queue in memory (bounded); when
the layer is down they are dropped with a warning, since a page that missed one catches up from
the hello its socket gets on reconnect.
"""

import asyncio
import logging
import threading
from typing import Any

from channels.layers import get_channel_layer

from routing.live.events import group_name

logger = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
_SEND_TIMEOUT = 5.0
FLUSH = "__flush__"


class Publisher:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] | None = None
        self._started = threading.Event()
        self._lock = threading.Lock()
        self.sent = 0
        self.dropped = 0

    def publish(self, cluster_id: int, event: dict[str, Any]) -> None:
        loop = self._ensure_running()
        loop.call_soon_threadsafe(self._enqueue, group_name(cluster_id), event)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every event queued so far was handed to the layer (tests, shutdown)."""
        done = threading.Event()
        self._ensure_running().call_soon_threadsafe(self._enqueue, "", {FLUSH: done})
        done.wait(timeout)

    def _enqueue(self, group: str, event: dict[str, Any]) -> None:  # runs in the loop
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
        while True:
            group, event = await self._queue.get()
            if FLUSH in event:
                event[FLUSH].set()
                continue
            try:
                await asyncio.wait_for(
                    layer.group_send(group, {"type": "live.event", "event": event}),
                    _SEND_TIMEOUT,
                )
                self.sent += 1
            except Exception:  # noqa: BLE001 - the layer is down: drop, log, go on
                self.dropped += 1
                logger.warning("could not publish a %s event", event.get("type"), exc_info=True)


publisher = Publisher()


def publish(cluster_id: int, event: dict[str, Any]) -> None:
    """Queue `event` for the cluster's group; returns at once."""
    publisher.publish(cluster_id, event)
