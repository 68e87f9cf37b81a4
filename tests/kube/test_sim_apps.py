"""The simulated cluster's apps/v1 workloads through the real `kubernetes` client: Deployments
own their Pods through ReplicaSets, node-exporter is a DaemonSet, scaling and rollouts show."""

import threading

import pytest
from kubernetes import client, config, watch

from routing.kube.sim import SimCluster
from routing.workloads import WorkloadIndex, nodes_kept_off


@pytest.fixture()
def sim(tmp_path):
    cluster = SimCluster("demo", seed=1, churn=0, bookmark_interval=0.2).start()
    cluster.kubeconfig = cluster.write_kubeconfig(tmp_path / "config")
    yield cluster
    cluster.stop()


@pytest.fixture()
def apps(sim):
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(sim.kubeconfig), client_configuration=configuration)
    with client.ApiClient(configuration) as api_client:
        yield client.AppsV1Api(api_client)


def test_discovery_and_typed_lists(apps):
    resources = {r.name: r for r in apps.get_api_resources().resources}
    assert set(resources) == {"replicasets", "deployments", "statefulsets", "daemonsets"}
    assert resources["deployments"].short_names == ["deploy"] and resources["daemonsets"].namespaced
    deployments = apps.list_deployment_for_all_namespaces()
    assert len(deployments.items) == 11  # every demo Service but node-exporter
    cart = apps.read_namespaced_deployment("cart", "shop")
    assert cart.spec.replicas == 6 and cart.status.ready_replicas == 6
    assert cart.spec.selector.match_labels == {"app": "cart"}
    (rs,) = apps.list_namespaced_replica_set("shop", label_selector="app=cart").items
    assert rs.metadata.owner_references[0].kind == "Deployment"
    assert rs.metadata.owner_references[0].uid == cart.metadata.uid
    assert rs.spec.replicas == 6 and rs.spec.selector.match_labels["pod-template-hash"]
    (ds,) = apps.list_daemon_set_for_all_namespaces().items
    assert (ds.metadata.namespace, ds.metadata.name) == ("monitoring", "node-exporter")
    assert ds.spec.template.spec.node_selector == {"eks.amazonaws.com/nodegroup": "general"}
    assert ds.status.desired_number_scheduled == ds.status.number_ready == 6
    assert apps.list_stateful_set_for_all_namespaces().items == []


def _objects(sim):
    plurals = {"nodes": "Node", "pods": "Pod", "replicasets": "ReplicaSet",
               "deployments": "Deployment", "daemonsets": "DaemonSet"}  # fmt: skip
    return [
        {"kind": kind, **obj} for plural, kind in plurals.items() for obj in sim.objects(plural)
    ]


def test_every_pod_has_a_known_owner(sim):
    objects = _objects(sim)
    index = WorkloadIndex(objects)
    for pod in (o for o in objects if o["kind"] == "Pod"):
        meta = pod["metadata"]
        owner = index.owner_of_pod(meta["namespace"], meta["name"])
        assert owner is not None and owner.name == meta["labels"]["app"], meta["name"]
        assert owner.kind == ("DaemonSet" if meta["namespace"] == "monitoring" else "Deployment")
    exporter = index.workload("DaemonSet", "monitoring", "node-exporter")
    nodes = [o for o in objects if o["kind"] == "Node"]
    kept_off = nodes_kept_off(exporter, nodes)
    # One batch node per zone, and the control plane (no node group label, and tainted).
    assert len(kept_off) == 4
    assert all("nodegroup=general" in why for why in kept_off.values())


def test_scale_and_rollout_change_deployments_and_replica_sets(sim, apps):
    seen: list[tuple[str, str, int]] = []
    done = threading.Event()

    def follow() -> None:
        stream = watch.Watch()
        start = apps.list_namespaced_replica_set("shop").metadata.resource_version
        ready.set()
        for event in stream.stream(
            apps.list_namespaced_replica_set, "shop", resource_version=start, timeout_seconds=10
        ):
            rs = event["object"]
            seen.append((event["type"], rs.metadata.name, rs.spec.replicas))
            if event["type"] == "ADDED":
                done.set()
                stream.stop()

    ready = threading.Event()
    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    assert ready.wait(5)
    old = apps.read_namespaced_deployment("payments", "shop")
    sim.scale("shop", "payments", 2)
    scaled = apps.read_namespaced_deployment("payments", "shop")
    assert (old.spec.replicas, scaled.spec.replicas) == (4, 6)
    sim.rollout("shop", "payments")
    assert done.wait(10), seen
    replica_sets = apps.list_namespaced_replica_set("shop", label_selector="app=payments").items
    by_name = {rs.metadata.name: rs.spec.replicas for rs in replica_sets}
    assert sorted(by_name.values()) == [0, 6]  # the old one is kept, at zero, for rollbacks
    assert any(t == "MODIFIED" and n in by_name for t, n, _ in seen)
    rolled = apps.read_namespaced_deployment("payments", "shop")
    assert rolled.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
