"""`manage.py serve`: the embedded default, everything in one process.

Checks that its port is free (else ends at once, non-zero, saying how to choose another),
migrates the SQLite database, connects a cluster (the kubeconfig in TRAFFICLENS_KUBECONFIG when
set, else the simulated `demo` cluster started here), watches it through the real `kubernetes`
client, runs the scheduled jobs in-process, and serves the web app. Once it listens, it creates
a first user when there is none and prints its password, so that a start that fails never
leaves a user whose password nobody saw. Production splits these into the compose services web,
watcher, worker and beat.
"""

import secrets
import threading
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from routing.jobs.scheduler import InProcessScheduler
from routing.jobs.watching import WatchSupervisor
from routing.management.listening import ListeningRunserver, check_can_listen, split_addrport
from routing.models import Cluster
from routing.volumes.models import TrafficSource


class Command(BaseCommand):
    help = "Run the web app with a watched cluster (the demo simulation unless configured)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "addrport",
            nargs="?",
            metavar="[HOST:]PORT",
            help="default 127.0.0.1 and TRAFFICLENS_PORT (8000 unless set)",
        )
        parser.add_argument("--no-demo", action="store_true", help="do not start the simulation")

    def handle(
        self, *args: str, addrport: str | None = None, no_demo: bool = False, **options: Any
    ) -> None:
        host, port = split_addrport(addrport or str(settings.TRAFFICLENS_PORT))
        check_can_listen(host, port)  # before anything is migrated, created or started
        call_command("migrate", interactive=False, verbosity=0)
        listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        sim = prometheus = None
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
            prometheus = self._demo_volumes(sim)
        stop = threading.Event()
        supervisor = WatchSupervisor()
        watching = threading.Thread(target=supervisor.run, args=(stop,), name="watch", daemon=True)
        watching.start()
        scheduler = InProcessScheduler()
        scheduler.start()
        runserver = ListeningRunserver(on_listening=lambda: self._greet(f"http://{listen}/"))
        try:
            call_command(runserver, listen, use_reloader=False)
        finally:
            stop.set()
            scheduler.stop()
            watching.join(5)
            if prometheus is not None:
                prometheus.stop()
            if sim is not None:
                sim.stop()

    def _greet(self, url: str) -> None:
        """Once the server listens (Daphne binds before its loop runs, so this runs outside
        any event loop and may use the database): the first user, or how to sign in."""
        password = _first_admin()
        if password is not None:
            self.stdout.write(
                f"created the first user: sign in at {url} as admin with password "
                f"{password}  (change it: manage.py changepassword admin)"
            )
        elif _admin_exists():
            self.stdout.write(
                f"sign in at {url} as admin (its password was printed when it was created; "
                "to set a new one: manage.py changepassword admin)"
            )
        self.stdout.flush()  # read at once when stdout is a pipe (a log, a test)

    def _demo_volumes(self, sim: Any) -> Any:
        """The demo's traffic volumes: through a real Prometheus scraping the simulation's byte
        counters when a `prometheus` binary is installed, else from the simulation's model
        directly (labelled simulated). Returns the Prometheus to stop, or None."""
        from routing.volumes.local_prometheus import LocalPrometheus, LocalPrometheusError

        cluster = Cluster.objects.get(name="demo")
        prometheus = None
        if settings.TRAFFICLENS_DEMO_PROMETHEUS and LocalPrometheus.available():
            try:
                prometheus = LocalPrometheus(
                    [f"127.0.0.1:{sim.port}"], scrape_interval=DEMO_SCRAPE_SECONDS
                ).start()
            except LocalPrometheusError as exc:
                self.stdout.write(f"prometheus did not start ({exc}); volumes from the model")
        if prometheus is not None:
            _demo_source(cluster, prometheus.url, TrafficSource.Preset.CADVISOR)
            self.stdout.write(
                f"prometheus at {prometheus.url} scrapes the simulation; the demo's volumes are "
                f"measured through it (cAdvisor preset, {DEMO_WINDOW_SECONDS} s window) from "
                f"about {DEMO_WINDOW_SECONDS} s after start"
            )
        else:
            _demo_source(cluster, sim.url, TrafficSource.Preset.SIMULATION)
            self.stdout.write(
                "no prometheus binary (make system-deps installs it): the demo's volumes come "
                "from the simulation's traffic model directly and are labelled simulated"
            )
        return prometheus


# The demo's Prometheus scrapes every 2 s and rates over 30 s: a rate needs its window filled
# with samples (Prometheus divides by the whole range), so the first refresh waits for that.
DEMO_SCRAPE_SECONDS = 2.0
DEMO_WINDOW_SECONDS = 30
DEMO_REFRESH_SECONDS = 60


def _demo_source(cluster: Cluster, url: str, preset: str) -> None:
    """Point the demo cluster's traffic source at this run's Prometheus or simulation."""
    now = timezone.now()
    wait = DEMO_WINDOW_SECONDS + 5 if preset == TrafficSource.Preset.CADVISOR else 0
    TrafficSource.objects.update_or_create(
        cluster=cluster,
        defaults={
            "url": url,
            "preset": preset,
            "window_seconds": DEMO_WINDOW_SECONDS,
            "refresh_interval": DEMO_REFRESH_SECONDS,
            "auth": TrafficSource.Auth.NONE,
            "enabled": True,
            # First refresh once the window holds samples (the scheduler runs it when due).
            "last_attempt_at": now - timedelta(seconds=DEMO_REFRESH_SECONDS - wait),
            "last_error": "",
        },
    )


def _first_admin() -> str | None:
    """With no user at all, create `admin` (a superuser) and return its new random password."""
    from django.contrib.auth import get_user_model

    users = get_user_model()
    if users.objects.exists():
        return None
    password = secrets.token_urlsafe(12)
    users.objects.create_superuser("admin", password=password)
    return password


def _admin_exists() -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username="admin").exists()


def _ensure_cluster(name: str, source: str, context: str) -> str:
    cluster, created = Cluster.objects.get_or_create(
        name=name, defaults={"source": source, "kube_context": context, "display_name": name}
    )
    if not created and (cluster.source, cluster.kube_context) != (source, context):
        cluster.source, cluster.kube_context = source, context
        cluster.save(update_fields=["source", "kube_context"])
    return cluster.name
