"""Re-analysing only the Services that changed gives exactly what re-analysing everything gives."""

import copy

import pytest

from routing.models import Cluster, ServiceSummary, Snapshot
from routing.snapshots import summaries_at, write_snapshot

from .builders import find

pytestmark = pytest.mark.django_db


def _state(cluster):
    snapshot = Snapshot.objects.filter(cluster=cluster).order_by("-seq").first()
    hashes = dict(((r.namespace, r.name), r.content_hash) for r in summaries_at(snapshot))
    figures = (
        snapshot.cross_zone_fraction,
        snapshot.cost_per_gb_mean,
        snapshot.services_with_diagnostics,
        snapshot.services,
    )
    return hashes, figures


def _mutations():
    def switch_policy(objs):
        find(objs, "Service", "catalog")["spec"]["trafficDistribution"] = "PreferSameZone"

    def drop_hint(objs):
        del find(objs, "EndpointSlice", "cart-7xk2p")["endpoints"][0]["hints"]

    def move_slice_to_another_service(objs):
        find(objs, "EndpointSlice", "email-7xk2p")["metadata"]["labels"][
            "kubernetes.io/service-name"
        ] = "catalog"

    def remove_service(objs):
        objs.remove(find(objs, "Service", "inventory"))

    def add_service(objs):
        svc = copy.deepcopy(find(objs, "Service", "cart"))
        svc["metadata"]["name"] = "cart-v2"
        objs.append(svc)

    def node_label(objs):
        find(objs, "Node", "ip-10-0-1-1")["metadata"]["labels"]["pool"] = "b"

    def node_cpu(objs):
        find(objs, "Node", "ip-10-0-1-1")["status"]["allocatable"]["cpu"] = "16"

    return [
        switch_policy,
        drop_hint,
        move_slice_to_another_service,
        remove_service,
        add_service,
        node_cpu,
    ]


def test_incremental_summaries_equal_a_full_reanalysis(demo_objects):
    fast = Cluster.objects.create(name="fast", source=Cluster.Source.UPLOAD)
    full = Cluster.objects.create(name="full", source=Cluster.Source.UPLOAD)
    objects = copy.deepcopy(demo_objects)
    write_snapshot(fast, objects, source="upload")
    write_snapshot(full, objects, source="upload", reanalyze_all=True)
    for mutate in _mutations():
        mutate(objects)
        before = ServiceSummary.objects.filter(cluster=fast).count()
        write_snapshot(fast, objects, source="upload")
        write_snapshot(full, objects, source="upload", reanalyze_all=True)
        assert _state(fast) == _state(full), mutate.__name__
        opened = ServiceSummary.objects.filter(cluster=fast).count() - before
        if mutate.__name__ != "node_cpu":
            assert opened <= 2, f"{mutate.__name__} re-stored {opened} summaries"


def test_a_price_change_reanalyses_every_service(demo_objects):
    cluster = Cluster.objects.create(name="p", source=Cluster.Source.UPLOAD)
    write_snapshot(cluster, demo_objects, source="upload")
    crossing = {k for k, v in _costs(cluster).items() if v > 0}
    Cluster.objects.filter(pk=cluster.pk).update(price_cross_zone="0.05")
    cluster.refresh_from_db()
    write_snapshot(cluster, demo_objects, source="upload")
    after = _costs(cluster)
    assert crossing and all(after[k] > 0 for k in crossing)
    assert all(after[k] == pytest.approx(v * 2.5) for k, v in _costs(cluster, seq=1).items())


def _costs(cluster, seq=None):
    snapshot = (
        Snapshot.objects.get(cluster=cluster, seq=seq)
        if seq
        else (Snapshot.objects.filter(cluster=cluster).order_by("-seq").first())
    )
    return {(r.namespace, r.name): r.cost_per_gb for r in summaries_at(snapshot)}
