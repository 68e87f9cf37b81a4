"""`manage.py watch`: keep list + watch streams of every live cluster and snapshot its changes."""

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections

from routing.jobs.local_cluster import register_local_cluster
from routing.jobs.watching import WatchSupervisor

MIN_LEASE_TTL = 1.0  # a heartbeat every third of it: faster would only load the database
MAX_LEASE_TTL = 3600.0  # slower would leave a dead watcher unnoticed for too long
REGISTER_RETRY = 5.0  # seconds: in Kubernetes the watcher may start before the migrations ran


class Command(BaseCommand):
    help = "Watch live clusters (one replica per cluster, by lease) and snapshot their changes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cluster", action="append", dest="names", help="only this cluster")
        parser.add_argument(
            "--lease-ttl",
            type=float,
            default=15.0,
            help="seconds a cluster stays held without a heartbeat, which comes every third of it; "
            "a killed watcher's clusters show stale and are taken over after it (default 15)",
        )

    def handle(
        self, *args: str, names: list[str] | None = None, lease_ttl: float = 15.0, **options: Any
    ) -> None:
        if not MIN_LEASE_TTL <= lease_ttl <= MAX_LEASE_TTL:  # also refuses nan
            raise CommandError(
                f"--lease-ttl must be between {MIN_LEASE_TTL:g} and {MAX_LEASE_TTL:g} seconds"
            )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self._register_local_cluster(stop)
        supervisor = WatchSupervisor(names, lease_ttl=lease_ttl)
        self.stdout.write(f"watcher {supervisor.holder} started; Ctrl-C to stop")
        supervisor.run(stop)

    def _register_local_cluster(self, stop: threading.Event) -> None:
        """In a Pod: register its cluster, retrying while the database is not ready yet."""
        while not stop.is_set():
            try:
                cluster = register_local_cluster()
            except DatabaseError as exc:
                self.stderr.write(f"cannot register the in-cluster cluster yet ({exc}); retrying")
                connections.close_all()  # a fresh connection for the next attempt
                stop.wait(REGISTER_RETRY)
                continue
            if cluster is not None and cluster.source == cluster.Source.INCLUSTER:
                self.stdout.write(f"in a Pod: watching its own cluster as '{cluster.name}'")
            return
