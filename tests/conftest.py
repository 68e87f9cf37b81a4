"""Shared fixtures for the whole test suite."""

import shutil
from pathlib import Path

import orjson
import pytest

from tests.factories import DEMO_DUMP


@pytest.fixture(scope="session")
def project_dir() -> Path:
    """The repository root, where manage.py lives."""
    return Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _empty_cache():
    """Tests reuse database ids (SQLite, rolled-back transactions): start each with no cache."""
    from django.core.cache import cache

    from routing.service_index.cache import forget_all

    cache.clear()
    forget_all()  # the Services list's in-process indexes, keyed by snapshot id and instant
    yield


@pytest.fixture
def demo_sim(tmp_path, settings):
    """The simulated demo cluster on a free loopback port, wired in as the simulated source."""
    from routing.kube.sim import SimCluster

    cluster = SimCluster(scenario="demo", seed=3, churn=0, bookmark_interval=0.5).start(port=0)
    path = tmp_path / "kubeconfig"
    cluster.write_kubeconfig(path)
    settings.TRAFFICLENS_SIM_KUBECONFIG = path
    yield cluster
    cluster.stop()


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own on a free port (tests/redis_server.py), which the test
    may stop and start again; stopped at the end whatever happened."""
    from tests.redis_server import RedisServer

    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def demo_bytes() -> bytes:
    return DEMO_DUMP.read_bytes()


@pytest.fixture
def demo_objects(demo_bytes) -> list[dict]:
    return orjson.loads(demo_bytes)["items"]
