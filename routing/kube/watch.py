"""List + watch one cluster with the `kubernetes` client and keep a ClusterState current.

One thread per resource lists, then watches from the list's resourceVersion with bookmarks.
A watch that ends (server timeout, dropped connection) resumes from the last resourceVersion
seen; `410 Gone` (the version fell out of the server's window) forces a fresh list; any other
error backs off exponentially with full jitter. Health is reported per resource so the caller
can mark the cluster stale while its API is unreachable and healthy again once it answers.

A reconnect is a stream re-established because of a failure: an error (listing or watching), a
connection dropped mid-stream, or 410 Gone (a relist). A watch the server ends cleanly, as at
its timeout, is resumed from the last resourceVersion and is not one.
"""

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from .listing import NOT_GRANTED, Trim, list_resource, request_raw
from .resources import Resource
from .state import ClusterState

logger = logging.getLogger(__name__)

WATCH_TIMEOUT_SECONDS = 300  # the server closes the watch after this; we simply resume
OPTIONAL_RETRY_SECONDS = 300.0  # how often to ask again for a kind we were not granted
Health = Callable[[str, str | None], None]  # (kind, error or None when healthy)
Reconnect = Callable[[str], None]  # (kind): a stream of it is re-established after a failure


class Expired(Exception):
    """The resourceVersion we watch from is no longer available (HTTP 410 Gone)."""


@dataclass
class Backoff:
    """Exponential backoff with full jitter: sleep a random time up to base * 2**attempt."""

    base: float = 0.2
    cap: float = 30.0
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        delay = self.rng.uniform(0, min(self.cap, self.base * 2**self.attempt))
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0


def iter_lines(response: Any, chunk_size: int = 65536) -> Iterator[bytes]:
    """Split a streamed HTTP body into lines (watch events are newline-delimited JSON)."""
    pending = b""
    for chunk in response.stream(chunk_size, decode_content=False):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        yield from (line for line in lines if line.strip())
    if pending.strip():
        yield pending


class ResourceWatcher(threading.Thread):
    """Keeps one resource kind of a ClusterState current until `stop` is set."""

    def __init__(
        self,
        api: ApiClient,
        resource: Resource,
        state: ClusterState,
        stop: threading.Event,
        *,
        trim: Trim | None = None,
        health: Health | None = None,
        backoff: Backoff | None = None,
        on_reconnect: Reconnect | None = None,
    ):
        super().__init__(name=f"watch-{resource.kind}", daemon=True)
        self.api = api
        self.resource = resource
        self.state = state
        self.stop_event = stop
        self.trim = trim
        self.health = health or (lambda kind, error: None)
        self.backoff = backoff or Backoff()
        self.version = ""  # last resourceVersion seen; "" means "list first"
        self.relists = 0
        self.reconnects = 0  # see the module docstring; on_reconnect hears of each
        self.on_reconnect = on_reconnect or (lambda kind: None)
        # Wall-clock time the API server last sent this stream anything (a list, a watch
        # opened, an event or bookmark): the cluster's "last contact". A float written by this
        # thread only, read by others: no lock needed.
        self.heard_at: float | None = None

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                if not self.version:
                    self._list()
                self._watch()
                self.backoff.reset()
            except Expired:
                logger.info(
                    "%s: resourceVersion %s expired; relisting", self.resource.kind, self.version
                )
                self.version = ""
                self._reconnecting()
            except ApiException as exc:
                if not (self.resource.optional and exc.status in NOT_GRANTED):
                    self._failed(exc)
                    continue
                # Not granted (RBAC) or not served: carry on without this kind, look again later.
                logger.info("%s: HTTP %s; continuing without them", self.resource.kind, exc.status)
                self.state.replace_kind(self.resource.kind, [])
                self.health(self.resource.kind, None)
                self.version = ""
                self.stop_event.wait(OPTIONAL_RETRY_SECONDS)
            except Exception as exc:  # noqa: BLE001 - any failure: report, back off, retry
                self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        self._reconnecting()
        self.health(self.resource.kind, _describe(exc))
        self.stop_event.wait(self.backoff.next_delay())

    def _reconnecting(self) -> None:
        self.reconnects += 1
        try:
            self.on_reconnect(self.resource.kind)
        except Exception:  # counting must never stop the watch
            logger.exception("%s: on_reconnect failed", self.resource.kind)

    def _list(self) -> None:
        items, version = list_resource(self.api, self.resource, trim=self.trim)
        self.state.replace_kind(self.resource.kind, items)
        self.version = version
        self.relists += 1
        self.heard_at = time.time()
        self.health(self.resource.kind, None)

    def _watch(self) -> None:
        query = [
            ("watch", "1"),
            ("resourceVersion", self.version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(WATCH_TIMEOUT_SECONDS)),
        ]
        try:
            response = request_raw(
                self.api, self.resource.path, query, timeout=(10.0, WATCH_TIMEOUT_SECONDS + 30)
            )
        except ApiException as exc:
            if exc.status == 410:
                raise Expired from None
            raise
        self.heard_at = time.time()
        self.health(self.resource.kind, None)
        try:
            for line in iter_lines(response):
                if self.stop_event.is_set():
                    return
                self.heard_at = time.time()
                self._handle(orjson.loads(line))
        finally:
            response.release_conn()

    def _handle(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        obj = event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise Expired
            raise RuntimeError(f"watch error: {obj.get('message') or obj}")
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if kind in ("ADDED", "MODIFIED", "DELETED"):
            obj["kind"] = self.resource.kind
            obj["apiVersion"] = self.resource.api_version
            self.state.apply(kind, self.trim(obj) if self.trim else obj)
        if version:
            self.version = str(version)  # BOOKMARK events only move this forward


def _describe(exc: Exception) -> str:
    if isinstance(exc, ApiException):
        described = f"HTTP {exc.status} {exc.reason or ''}".strip()
        message = _status_message(exc.body) if exc.status in (401, 403) else ""
        if message:  # RBAC: the API server's message names the verb and the resource
            described += f": {message}"
        return described[:300]
    return f"{type(exc).__name__}: {exc}"[:300]


def _status_message(body: Any) -> str:
    """The `message` of a Status body, or "" when the body is not one."""
    try:
        return str(orjson.loads(body).get("message") or "")
    except (orjson.JSONDecodeError, TypeError, AttributeError):
        return ""


class HealthTracker:
    """Turns per-resource errors into one cluster status: healthy, or stale since when and why."""

    def __init__(self, stale_after: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self._lock = threading.Lock()
        self._failing: dict[str, tuple[float, str]] = {}
        self.stale_after = stale_after
        self.clock = clock

    def report(self, kind: str, error: str | None) -> None:
        with self._lock:
            if error is None:
                self._failing.pop(kind, None)
            elif kind not in self._failing:
                self._failing[kind] = (self.clock(), error)
            else:
                self._failing[kind] = (self._failing[kind][0], error)

    def stale_reason(self) -> str | None:
        """Why the cluster counts as stale now, or None when every resource answers."""
        with self._lock:
            now = self.clock()
            for kind, (since, error) in sorted(self._failing.items()):
                if now - since >= self.stale_after:
                    return f"{kind} API unreachable for {now - since:.0f}s: {error}"
        return None
