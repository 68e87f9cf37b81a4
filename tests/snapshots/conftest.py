"""Fixtures for the snapshot tests: a cluster row and the demo dump."""

from pathlib import Path

import orjson
import pytest

from routing.models import Cluster

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-shop.json"


@pytest.fixture
def cluster(db):
    return Cluster.objects.create(name="demo", source=Cluster.Source.UPLOAD)


@pytest.fixture
def demo_bytes() -> bytes:
    return DEMO.read_bytes()


@pytest.fixture
def demo_objects(demo_bytes) -> list[dict]:
    return orjson.loads(demo_bytes)["items"]
