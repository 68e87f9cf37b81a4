"""`manage.py serve`: the embedded default, everything in one process.

Migrates the SQLite database, creates a first user when there is none (its password printed
once), connects a cluster (the kubeconfig in TRAFFICLENS_KUBECONFIG when
set, else the simulated `demo` cluster started here), watches it through the real `kubernetes`
client, runs the scheduled jobs in-process, and serves the web app. Production splits these into
the compose services web, watcher, worker and beat.
"""

import secrets
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from routing.jobs.scheduler import InProcessScheduler
from routing.jobs.watching import WatchSupervisor
from routing.models import Cluster


class Command(BaseCommand):
    help = "Run the web app with a watched cluster (the demo simulation unless configured)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-demo", action="store_true", help="do not start the simulation")

    def handle(
        self, *args: str, addrport: str = "127.0.0.1:8000", no_demo: bool = False, **options: Any
    ) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        host = addrport if ":" in addrport else f"127.0.0.1:{addrport}"
        password = _first_admin()
        if password is not None:
            self.stdout.write(
                f"created the first user: sign in at http://{host}/ as admin with password "
                f"{password}  (change it: manage.py changepassword admin)"
            )
        sim = None
        if settings.TRAFFICLENS_KUBECONFIG:
            name = _ensure_cluster("default", Cluster.Source.KUBECONFIG, "")
            self.stdout.write(f"watching cluster '{name}' from {settings.TRAFFICLENS_KUBECONFIG}")
        elif not no_demo:
            from routing.kube.sim import SimCluster

            sim = SimCluster(scenario="demo", seed=1, churn=0.05).start(port=0)
            path = settings.TRAFFICLENS_SIM_KUBECONFIG
            path.parent.mkdir(parents=True, exist_ok=True)
            sim.write_kubeconfig(path)
            _ensure_cluster("demo", Cluster.Source.SIMULATED, "simcluster")
            self.stdout.write(f"simulated demo cluster at {sim.url} (kubeconfig {path})")
        stop = threading.Event()
        supervisor = WatchSupervisor()
        watching = threading.Thread(target=supervisor.run, args=(stop,), name="watch", daemon=True)
        watching.start()
        scheduler = InProcessScheduler()
        scheduler.start()
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            stop.set()
            scheduler.stop()
            watching.join(5)
            if sim is not None:
                sim.stop()


def _first_admin() -> str | None:
    """With no user at all, create `admin` (a superuser) and return its new random password."""
    from django.contrib.auth import get_user_model

    users = get_user_model()
    if users.objects.exists():
        return None
    password = secrets.token_urlsafe(12)
    users.objects.create_superuser("admin", password=password)
    return password


def _ensure_cluster(name: str, source: str, context: str) -> str:
    cluster, created = Cluster.objects.get_or_create(
        name=name, defaults={"source": source, "kube_context": context, "display_name": name}
    )
    if not created and (cluster.source, cluster.kube_context) != (source, context):
        cluster.source, cluster.kube_context = source, context
        cluster.save(update_fields=["source", "kube_context"])
    return cluster.name
