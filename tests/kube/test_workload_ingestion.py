"""The apps/v1 workloads come in with everything else, listed once or watched, and a cluster
that does not grant (or serve) them is analysed without them and stays healthy."""

import threading
import time

import pytest
from kubernetes import config
from kubernetes.client.exceptions import ApiException

from routing.jobs.ingest import snapshot_now, start_watch
from routing.kube.listing import list_cluster
from routing.kube.runner import ClusterWatcher
from routing.models import Cluster, ObjectVersion, Snapshot
from routing.snapshots import objects_at
from routing.workloads import WorkloadIndex
from tests.kube.waiting import wait_for

ROUTING_KINDS = {"Node", "Service", "EndpointSlice", "Pod"}
APPS_KINDS = {"ReplicaSet", "Deployment", "DaemonSet"}  # the demo runs no StatefulSet
FAST = {"debounce": 0.1, "max_delay": 0.5, "stale_after": 1.0}


@pytest.fixture
def cluster(db):
    return Cluster.objects.create(name="demo", source="simulated", kube_context="simcluster")


def _stored_kinds(cluster) -> dict[str, int]:
    rows = ObjectVersion.objects.filter(cluster=cluster, last_seq=None).values_list(
        "kind", flat=True
    )
    counts: dict[str, int] = {}
    for kind in rows:
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def test_a_snapshot_stores_the_workloads_and_pods_find_their_owners(demo_sim, cluster):
    snapshot = snapshot_now(cluster)
    stored = _stored_kinds(cluster)
    assert stored["Deployment"] == len(demo_sim.objects("deployments")) == 11
    assert stored["ReplicaSet"] == len(demo_sim.objects("replicasets"))
    assert stored["DaemonSet"] == 1 and "StatefulSet" not in stored
    objects = objects_at(snapshot)
    index = WorkloadIndex(objects)
    owner = index.owner_of_pod("monitoring", demo_sim.objects("pods")[0]["metadata"]["name"])
    assert owner is not None and str(owner) == "DaemonSet monitoring/node-exporter"
    assert owner.node_selector == {"eks.amazonaws.com/nodegroup": "general"}
    cart = index.workload("Deployment", "shop", "cart")
    assert cart is not None and (cart.replicas, cart.ready) == (6, 6)


@pytest.mark.django_db(transaction=True)
def test_the_watch_stores_a_scaled_deployment(demo_sim, cluster):
    watcher = start_watch(cluster, **FAST)

    def cart_replicas():
        snapshot = Snapshot.objects.filter(cluster=cluster).order_by("-seq").first()
        if snapshot is None:
            return None
        cart = WorkloadIndex(objects_at(snapshot)).workload("Deployment", "shop", "cart")
        return cart.replicas if cart else None

    try:
        assert wait_for(cart_replicas, 15) == 6
        assert set(_stored_kinds(cluster)) >= APPS_KINDS
        demo_sim.scale("shop", "cart", 3)
        wait_for(lambda: cart_replicas() == 9, 5)
        assert Cluster.objects.get(pk=cluster.pk).status == "watching"
    finally:
        watcher.stop()


def _refusing_apps(sim, tmp_path, status: int):
    path = tmp_path / "kc"
    sim.write_kubeconfig(path)
    api = config.new_client_from_config(config_file=str(path))
    real = api.call_api

    def call_api(resource_path, *args, **kwargs):
        if resource_path.startswith("/apis/apps/"):
            raise ApiException(status=status, reason="Forbidden" if status == 403 else "NotFound")
        return real(resource_path, *args, **kwargs)

    api.call_api = call_api
    return api


@pytest.mark.parametrize("status", [403, 404])
def test_without_the_apps_api_listing_carries_on(demo_sim, tmp_path, status):
    objects, versions = list_cluster(_refusing_apps(demo_sim, tmp_path, status))
    assert {o["kind"] for o in objects} == ROUTING_KINDS
    assert set(versions) == ROUTING_KINDS


def test_without_the_apps_api_the_watcher_snapshots_and_stays_healthy(demo_sim, tmp_path):
    written = threading.Event()
    seen: list[set[str]] = []
    statuses: list[str] = []

    def write(objects, source):
        seen.append({o["kind"] for o in objects})
        written.set()

    watcher = ClusterWatcher(
        _refusing_apps(demo_sim, tmp_path, 403),
        write=write,
        set_status=lambda s, m: statuses.append(s),
        debounce=0.05,
        max_delay=0.2,
        stale_after=0.5,
    )
    watcher.start()
    try:
        assert written.wait(10)
        assert seen[0] == ROUTING_KINDS
        time.sleep(0.7)  # past stale_after: a kind not granted never makes the cluster stale
        assert "stale" not in statuses and statuses[-1] == "watching"
    finally:
        watcher.stop()


def test_a_failing_apps_api_is_retried_and_reported(demo_sim, tmp_path):
    """Not a permission answer: the apps API is down like any other, the cluster goes stale."""
    statuses: list[tuple[str, str]] = []
    watcher = ClusterWatcher(
        _refusing_apps(demo_sim, tmp_path, 500),
        write=lambda objects, source: None,
        set_status=lambda s, m: statuses.append((s, m)),
        debounce=0.05,
        max_delay=0.2,
        stale_after=0.3,
    )
    watcher.start()
    try:
        wait_for(lambda: any(s == "stale" for s, _ in statuses), 5)
        reason = next(m for s, m in statuses if s == "stale")
        assert "API unreachable" in reason and "HTTP 500" in reason
    finally:
        watcher.stop()
