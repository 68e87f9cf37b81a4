"""The embedded default's scheduler: the Celery beat schedule, run by a thread in-process.

It calls the task functions themselves, which record their runs (routing.jobs.jobstats), so /metrics
counts jobs alike whether Celery or this thread runs them.
"""

import logging
import threading
import time

from django.db import close_old_connections, connections

from routing import tasks

logger = logging.getLogger(__name__)


class InProcessScheduler(threading.Thread):
    """Calls the scheduled task functions directly, as beat would send them to a worker."""

    def __init__(self, tick: float = 10.0, prune_every: float = 3600.0):
        super().__init__(name="scheduler", daemon=True)
        self.tick = tick
        self.prune_every = prune_every
        self.stop_event = threading.Event()

    def run(self) -> None:
        try:
            self._loop()
        finally:
            connections.close_all()  # this thread's own connections

    def _loop(self) -> None:
        last_prune = time.monotonic()
        while not self.stop_event.wait(self.tick):
            close_old_connections()
            try:
                tasks.snapshot_due_clusters()
                tasks.refresh_due_volumes()
                if time.monotonic() - last_prune >= self.prune_every:
                    tasks.prune_snapshots()
                    last_prune = time.monotonic()
            except Exception:  # keep scheduling; the next tick retries
                logger.exception("scheduler tick failed")

    def stop(self) -> None:
        self.stop_event.set()
