"""Without permission to read Pods (RBAC), listing and watching carry on with the rest."""

import threading

from kubernetes import config
from kubernetes.client.exceptions import ApiException

from routing.kube.listing import list_cluster
from routing.kube.runner import ClusterWatcher

APPS = ("ReplicaSet", "Deployment", "DaemonSet")  # served by the sim (tests/kube/test_sim_apps.py)


def _forbid_pods(api):
    real = api.call_api

    def call_api(path, *args, **kwargs):
        if path.startswith("/api/v1/pods"):
            raise ApiException(status=403, reason="Forbidden")
        return real(path, *args, **kwargs)

    api.call_api = call_api
    return api


def _api(sim, tmp_path):
    path = tmp_path / "kc"
    sim.write_kubeconfig(path)
    return _forbid_pods(config.new_client_from_config(config_file=str(path)))


def test_list_cluster_skips_forbidden_pods(demo_sim, tmp_path):
    objects, versions = list_cluster(_api(demo_sim, tmp_path))
    kinds = {o["kind"] for o in objects}
    assert kinds == {"Node", "Service", "EndpointSlice", *APPS} and "Pod" not in versions


def test_watcher_snapshots_without_pods_and_stays_healthy(demo_sim, tmp_path):
    written = threading.Event()
    seen: list = []
    statuses: list = []

    def write(objects, source):
        seen.append({o["kind"] for o in objects})
        written.set()

    watcher = ClusterWatcher(
        _api(demo_sim, tmp_path),
        write=write,
        set_status=lambda s, m: statuses.append(s),
        debounce=0.05,
        max_delay=0.2,
        stale_after=0.5,
    )
    watcher.start()
    try:
        assert written.wait(10)
        assert seen[0] == {"Node", "Service", "EndpointSlice", *APPS}
        assert "stale" not in statuses and statuses[-1] == "watching"
    finally:
        watcher.stop()
