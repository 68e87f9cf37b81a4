"""Shared by the volume tests: the API tests' users and token clients, and the simulated demo
cluster scraped by a real Prometheus (one of each per test module, as they are module-scoped)."""

from pathlib import Path

import pytest

from routing.jobs.ingest import snapshot_now
from routing.kube.sim import SimCluster
from routing.models import Cluster
from routing.volumes.local_prometheus import LocalPrometheus
from routing.volumes.models import TrafficSource
from tests.api.conftest import make_user, token_client

__all__ = ["WINDOW", "demo", "make_user", "prometheus", "sim", "token_client"]

WINDOW = 10  # seconds: the rate's range, a few scrapes at 1 s


@pytest.fixture(scope="module")
def sim():
    cluster = SimCluster(scenario="demo", seed=3, churn=0).start(port=0)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def prometheus(sim):
    server = LocalPrometheus([f"127.0.0.1:{sim.port}"], scrape_interval=1.0).start()
    server.wait_for_scrapes(WINDOW + 5)
    yield server
    server.stop()


@pytest.fixture
def demo(sim, prometheus, tmp_path, settings) -> Cluster:
    """Cluster `demo` watching the simulation (one snapshot), its source the Prometheus."""
    path = Path(tmp_path) / "kubeconfig"
    sim.write_kubeconfig(path)
    settings.TRAFFICLENS_SIM_KUBECONFIG = path
    cluster = Cluster.objects.create(name="demo", source=Cluster.Source.SIMULATED)
    snapshot_now(cluster)
    TrafficSource.objects.create(cluster=cluster, url=prometheus.url, window_seconds=WINDOW)
    return cluster
