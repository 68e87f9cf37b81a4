"""Run the watch of one cluster: resource threads, debounced snapshots, stale/healthy status."""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kubernetes.client import ApiClient

from .listing import Trim
from .resources import RESOURCES, Resource
from .state import ClusterState, Handover, WatchChange
from .watch import HealthTracker, ResourceWatcher

logger = logging.getLogger(__name__)

# (objects, source): every object (iterate the Handover), and which changed since the last
# write that returned; those stay pending until one does.
Write = Callable[[Handover, str], None]
SetStatus = Callable[[str, str], None]  # ("watching" | "stale", message)
OnReconnects = Callable[[int], None]  # streams re-established since the last call (see .watch)
OnSnapshot = Callable[[float, bool, str], None]  # (seconds, ok, error) of each write
OnChanges = Callable[[list[WatchChange], int], None]  # (watch events, how many more)

REPORT_RECONNECTS_EVERY = 1.0  # seconds: a reconnect storm costs at most one report a second
COALESCE_CHANGES = 0.05  # seconds: watch events this close together go out as one live event
WRITE_RETRY_MIN = 0.5  # seconds after a failed write (e.g. the database is down) ...
WRITE_RETRY_MAX = 2.0  # ... doubling up to this, so an outage costs a few attempts, not 10 a second


class ClusterWatcher:
    """Watches one cluster and calls `write` with its objects when they change (a Handover:
    every object, and the keys changed since the last write that succeeded).

    Snapshots are debounced: written once the state has been quiet for `debounce` seconds, or
    `max_delay` after the first unwritten change, whichever comes first (a busy cluster still
    gets regular snapshots); and at least every `interval` seconds even when nothing changed.

    `on_reconnects` and `on_snapshot` (e.g. routing.jobs.jobstats.watch_hooks) are called from the
    snapshot thread only, the one thread that also calls `write` and `set_status`: resource
    threads just count, so they never wait on, or hold a connection to, the database.
    `on_changes` (the live updates) gets the watch events from a thread of its own, within
    COALESCE_CHANGES of their arrival; it must not block (routing.live.publish queues).
    `form`: worked out for each changed object as it arrives, handed over with it
    (ClusterState; the writer's stored form of an object).
    """

    def __init__(
        self,
        api: ApiClient,
        *,
        write: Write,
        set_status: SetStatus,
        trim: Trim | None = None,
        interval: float = 300.0,
        debounce: float = 0.3,
        max_delay: float = 3.0,
        stale_after: float = 5.0,
        resources: tuple[Resource, ...] = RESOURCES,
        on_exit: Callable[[], None] | None = None,
        on_reconnects: OnReconnects | None = None,
        on_snapshot: OnSnapshot | None = None,
        on_changes: OnChanges | None = None,
        form: Callable[[dict[str, Any]], Any] | None = None,
    ):
        self.state = ClusterState(tuple(r.kind for r in resources), form)
        self.health = HealthTracker(stale_after=stale_after)
        self.stop_event = threading.Event()
        self.write = write
        self.set_status = set_status
        self.interval = interval
        self.debounce = debounce
        self.max_delay = max_delay
        self.on_reconnects = on_reconnects
        self.on_snapshot = on_snapshot
        self._unreported_reconnects = 0
        self._reconnects_lock = threading.Lock()
        self.watchers = [
            ResourceWatcher(
                api,
                r,
                self.state,
                self.stop_event,
                trim=trim,
                health=self.health.report,
                on_reconnect=self._reconnected,
            )
            for r in resources
        ]
        self._loop = threading.Thread(target=self._snapshot_loop, name="snapshots", daemon=True)
        self.on_changes = on_changes
        self._changes_thread = threading.Thread(
            target=self._changes_loop, name="live-changes", daemon=True
        )
        self.snapshots_written = 0
        # What the watch wants reported, ("watching" | "stale", message); ("", "") before the
        # first tick. A supervisor compares it with the database and reports it again where
        # another writer (or a failed write) left something else (routing.jobs.watching).
        self.status: tuple[str, str] = ("", "")
        self.write_failures = 0
        self.on_exit = on_exit  # runs in the snapshot thread as it ends (e.g. close its DB link)

    def last_heard(self) -> float | None:
        """When (time.time()) the cluster's API server last sent any stream anything."""
        heard = [w.heard_at for w in self.watchers if w.heard_at is not None]
        return max(heard) if heard else None

    def start(self) -> None:
        for watcher in self.watchers:
            watcher.start()
        self._loop.start()
        if self.on_changes is not None:
            self._changes_thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        self.state.changed.set()
        self._loop.join(timeout)
        # Resource threads may sit in a blocking read until the server's next byte; they are
        # daemons and exit with the process, and they check the stop flag on every event.

    def _snapshot_loop(self) -> None:
        try:
            self._snapshots()
        finally:
            self._report_reconnects()  # the last ones, before the thread's connection closes
            if self.on_exit is not None:
                self.on_exit()

    def _changes_loop(self) -> None:
        """Report watch events as they arrive (a thread of its own: a snapshot being written
        must not hold them up), a few close together as one report."""
        report = self.on_changes
        assert report is not None  # start() runs this thread only with an on_changes
        state = self.state
        while not self.stop_event.is_set():
            if not state.has_changes.wait(0.5):
                continue
            self.stop_event.wait(COALESCE_CHANGES)
            state.has_changes.clear()
            changes, more = state.drain_changes()
            if changes or more:
                self._call(report, changes, more)

    def _reconnected(self, kind: str) -> None:
        """Called by resource threads: count only; the snapshot thread reports."""
        with self._reconnects_lock:
            self._unreported_reconnects += 1

    def _report_reconnects(self) -> None:
        if self.on_reconnects is None:
            return
        with self._reconnects_lock:
            count, self._unreported_reconnects = self._unreported_reconnects, 0
        if count and not self._call(self.on_reconnects, count):
            with self._reconnects_lock:
                self._unreported_reconnects += count  # reported with the next ones

    def _snapshots(self) -> None:
        written_version = -1
        written_at = 0.0
        seen_version = -1
        changed_at = first_pending_at = 0.0
        status = ""
        reported_at = 0.0
        retry_at = 0.0
        while not self.stop_event.is_set():
            self.state.changed.wait(0.1)
            self.state.changed.clear()
            now = time.monotonic()
            if now - reported_at >= REPORT_RECONNECTS_EVERY:
                self._report_reconnects()
                reported_at = now
            reason = self.health.stale_reason()
            wanted = ("stale", reason) if reason else ("watching", "")
            self.status = wanted
            if wanted[0] != status:
                status = wanted[0]
                self._call(self.set_status, *wanted)
            if not self.state.synced:
                continue
            version = self.state.version
            if version != seen_version:
                if written_version == seen_version or seen_version == -1:
                    first_pending_at = now
                seen_version, changed_at = version, now
            pending = version != written_version
            quiet = now - changed_at >= self.debounce
            overdue = now - first_pending_at >= self.max_delay
            periodic = now - written_at >= self.interval
            due = (pending and (quiet or overdue)) or (not pending and periodic)
            if due and now >= retry_at:
                handover = self.state.handover()
                if self._timed_write(handover, "watch" if pending else "scheduled"):
                    self.state.written(handover)
                    written_version, written_at = handover.version, now
                    self.snapshots_written += 1
                else:
                    # The state stays in memory meanwhile: nothing is lost, only written later.
                    retry_at = now + min(
                        WRITE_RETRY_MIN * 2 ** (self.write_failures - 1), WRITE_RETRY_MAX
                    )

    def _timed_write(self, objects: Handover, source: str) -> bool:
        """Write, tell `on_snapshot` how long it took and how it ended; True if it succeeded."""
        started = time.perf_counter()
        error = ""
        try:
            self.write(objects, source)
        except Exception as exc:  # a failed write is retried, with backoff
            error = f"{type(exc).__name__}: {exc}"
            self.write_failures += 1
            if self.write_failures == 1:
                logger.exception("cluster watcher: write failed; retrying with backoff")
            else:
                logger.warning("cluster watcher: write failed again: %s", error.splitlines()[0])
        else:
            if self.write_failures:
                logger.info(
                    "cluster watcher: write succeeded after %d failures", self.write_failures
                )
            self.write_failures = 0
        if self.on_snapshot is not None:
            self._call(self.on_snapshot, time.perf_counter() - started, not error, error)
        return not error

    @staticmethod
    def _call(fn: Callable[..., None], *args: Any) -> bool:
        try:
            fn(*args)
        except Exception:  # logged; the loop goes on (writes retry next tick)
            logger.exception("cluster watcher: %s failed", getattr(fn, "__name__", fn))
            return False
        return True
