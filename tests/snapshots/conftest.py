"""Fixtures for the snapshot tests: a cluster row (the demo dump's are in tests/conftest.py)."""

import pytest

from routing.models import Cluster


@pytest.fixture
def cluster(db):
    return Cluster.objects.create(name="demo", source=Cluster.Source.UPLOAD)
