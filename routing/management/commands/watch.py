"""`manage.py watch`: keep list + watch streams of every live cluster and snapshot its changes."""

import signal
import threading

from django.core.management.base import BaseCommand

from routing.watching import WatchSupervisor


class Command(BaseCommand):
    help = "Watch live clusters (one replica per cluster, by lease) and snapshot their changes."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--cluster", action="append", dest="names", help="only this cluster")
        parser.add_argument("--lease-ttl", type=float, default=15.0, help="seconds (default 15)")

    def handle(self, *args, names=None, lease_ttl=15.0, **options):  # type: ignore[no-untyped-def]
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        supervisor = WatchSupervisor(names, lease_ttl=lease_ttl)
        self.stdout.write(f"watcher {supervisor.holder} started; Ctrl-C to stop")
        supervisor.run(stop)
