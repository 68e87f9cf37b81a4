"""Fixtures for the pages' view tests: a viewer, clients signed in as one, the demo cluster."""

import pytest
from rest_framework.test import APIClient

from routing.models import Cluster
from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP, user_with_role


@pytest.fixture
def viewer(db):
    return user_with_role("vic", "viewer")


@pytest.fixture
def client(client, viewer):
    """Django's test client, signed in as the viewer."""
    client.force_login(viewer)
    return client


@pytest.fixture
def api(viewer):
    """The API's test client, authenticated as the viewer."""
    api = APIClient()
    api.force_authenticate(viewer)
    return api


@pytest.fixture
def shop(db):
    """Cluster `shop` with one snapshot of the demo dump."""
    cluster = Cluster.objects.create(name="shop", display_name="Demo shop", source="upload")
    import_dump(cluster, DEMO_DUMP.read_bytes())
    return cluster
