"""`simcluster`: serve a simulated Kubernetes API (the demo cluster) until interrupted."""

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing.engine.shell import command_line
from routing.kube.sim import SimCluster
from routing.kube.sim.scenarios import SCENARIOS


class Command(BaseCommand):
    help = (
        "Serve a simulated Kubernetes API (discovery, list, watch) on 127.0.0.1 for kubectl and "
        "the kubernetes client; runs until Ctrl-C."
    )
    requires_system_checks: list[str] = []  # no database or app state is involved

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scenario", choices=SCENARIOS, default="demo")
        parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--churn", type=float, help="changes per second (default 0.5 for demo, 0 for large)"
        )
        parser.add_argument("--kubeconfig", help="write a kubeconfig for the cluster here")
        parser.add_argument("--services", type=int, default=10_000, help="large scenario only")
        parser.add_argument("--endpoints", type=int, default=100_000, help="large scenario only")
        parser.add_argument("--nodes", type=int, default=1_000, help="large scenario only")
        parser.add_argument("--zones", type=int, default=3, help="large scenario only")
        parser.add_argument("--event-window", type=int, default=10_000)
        parser.add_argument("--bookmark-interval", type=float, default=5.0)

    def handle(self, *args: Any, **opts: Any) -> None:
        scenario = opts["scenario"]
        sizes = {}
        if scenario == "large":
            sizes = {k: opts[k] for k in ("services", "endpoints", "nodes", "zones")}
        try:
            sim = SimCluster(
                scenario,
                seed=opts["seed"],
                churn=opts["churn"],
                event_window=opts["event_window"],
                bookmark_interval=opts["bookmark_interval"],
                **sizes,
            )
            sim.start(port=opts["port"])
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        counts = ", ".join(f"{n} {k}" for k, n in sim.counts().items())
        self.stdout.write(f"simcluster {scenario}: {counts} (built in {sim.build_seconds:.1f}s)")
        self.stdout.write(f"serving on {sim.url}")
        if opts["kubeconfig"]:
            path = sim.write_kubeconfig(opts["kubeconfig"])
            try_it = command_line(["kubectl", "--kubeconfig", str(path), "get", "nodes"])
            self.stdout.write(f"kubeconfig: {path}  ({try_it})")
        self.stdout.flush()
        stop = threading.Event()
        # SIGTERM (docker stop, a supervisor) ends the run as cleanly as Ctrl-C does.
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            self.stdout.write("stopping")
            sim.stop()
