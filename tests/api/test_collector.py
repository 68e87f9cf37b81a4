"""Figures that keep every Service's parsed row while they compute hold Python's cyclic collector
off until those rows are freed (routing.figures.runs.read_runs says why), and always turn it
back on, also when they fail."""

import gc

import pytest

from routing.figures import namespaces, policy_services, traffic
from routing.models import Cluster
from routing.snapshots import import_dump
from tests.api.test_policy_services import _dump

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot(db):
    cluster = Cluster.objects.create(name="small", source=Cluster.Source.UPLOAD)
    import_dump(cluster, _dump())
    return cluster.latest_snapshot()


def _spy(monkeypatch, module, name: str) -> list[bool]:
    """Record whether the collector is on each time `module.name` is called."""
    seen: list[bool] = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return seen


@pytest.mark.parametrize("policy", ["observed", "Auto"])
def test_the_flow_map_sums_with_the_collector_off(snapshot, monkeypatch, policy):
    seen = _spy(monkeypatch, traffic, "volume_summary")  # called once the rows are summed
    assert gc.isenabled()
    traffic.flow_map(snapshot, policy)
    assert seen == [False]
    assert gc.isenabled()


def test_the_top_table_ranks_with_the_collector_off(snapshot, monkeypatch):
    seen = _spy(monkeypatch, policy_services, "_row")  # a shown row, built while all are kept
    policy_services.policy_services(snapshot, "PreferSameZone")
    assert seen and not any(seen)
    assert gc.isenabled()


def test_the_namespace_roll_up_sums_with_the_collector_off(snapshot, monkeypatch):
    seen = _spy(monkeypatch, namespaces, "_figures")
    namespaces.namespace_rollup(snapshot)
    assert seen and not any(seen)
    assert gc.isenabled()


def test_the_collector_comes_back_after_a_failure(snapshot, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(traffic, "volume_summary", fail)
    with pytest.raises(RuntimeError):
        traffic.flow_map(snapshot, "Auto")
    assert gc.isenabled()


def test_pages_turn_the_collector_back_on(snapshot, client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", password="x" * 12)
    client.force_login(user)
    for path in (
        "/clusters/small/",
        "/clusters/small/?policy=none",
        "/clusters/small/recommendations/",
        "/api/v1/clusters/small/recommendations/",
        "/api/v1/clusters/small/namespaces/",
    ):
        assert client.get(path).status_code == 200, path
        assert gc.isenabled(), path
