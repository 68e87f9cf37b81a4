"""Namespaces, the controller's Events and v1 Endpoints, kept in step with the simulated world."""

import json

import pytest
from kubernetes import client, config, watch

from routing.kube.sim import SimCluster
from routing.kube.sim.events import HINTS_DISABLED


@pytest.fixture()
def sim(tmp_path):
    # Function scope: these tests change the world and count what the changes wrote.
    cluster = SimCluster("demo", seed=2, churn=0).start()
    cluster.kubeconfig = cluster.write_kubeconfig(tmp_path / "config")
    yield cluster
    cluster.stop()


@pytest.fixture()
def core(sim):
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(sim.kubeconfig), client_configuration=configuration)
    with client.ApiClient(configuration) as api_client:
        yield client.CoreV1Api(api_client), client.EventsV1Api(api_client)


def service_events(core_api, name: str) -> list:
    selector = f"involvedObject.kind=Service,involvedObject.name={name}"
    return core_api.list_namespaced_event("shop", field_selector=selector).items


def test_namespaces_are_the_system_ones_and_those_in_use(core):
    core_api, _ = core
    names = [ns.metadata.name for ns in core_api.list_namespace().items]
    assert names == [
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system",
        "monitoring",
        "shop",
    ]
    shop = core_api.read_namespace("shop")
    assert shop.status.phase == "Active"
    assert shop.metadata.labels == {"kubernetes.io/metadata.name": "shop"}
    events = list(watch.Watch().stream(core_api.list_namespace, timeout_seconds=1))
    assert [e["type"] for e in events] == ["ADDED"] * 6


def test_the_controller_reports_why_auto_is_off_on_the_service(core, sim):
    core_api, events_api = core
    (warning,) = service_events(core_api, "payments")
    assert (warning.type, warning.reason) == ("Warning", "TopologyAwareHintsDisabled")
    assert warning.message.startswith("Unable to allocate minimum required endpoints")
    assert warning.message.endswith(", addressType: IPv4")
    assert warning.source.component == "endpoint-slice-controller"
    payments = core_api.read_namespaced_service("payments", "shop")
    assert warning.involved_object.uid == payments.metadata.uid
    (enabled,) = service_events(core_api, "search")
    assert (enabled.type, enabled.reason) == ("Normal", "TopologyAwareHintsEnabled")
    # Another reconcile that fails the same way raises the count of the same Event (the Auto
    # annotation wins over the field, so hints stay off).
    sim.set_traffic_distribution("shop", "payments", "PreferSameZone")
    (again,) = service_events(core_api, "payments")
    assert (again.metadata.name, again.count) == (warning.metadata.name, 2)
    # The same object through events.k8s.io/v1 (read raw: like a real cluster's, it has
    # `eventTime: null`, which the client's model refuses).
    listed = json.loads(events_api.list_namespaced_event("shop", _preload_content=False).data)
    (v1,) = [e for e in listed["items"] if e["regarding"]["name"] == "payments"]
    assert (v1["note"], v1["deprecatedCount"], v1["reportingController"]) == (
        again.message,
        2,
        "endpoint-slice-controller",
    )
    assert v1["eventTime"] is None and v1["metadata"]["name"] == again.metadata.name
    # With one more endpoint the reason's figures change: a new Event, as the recorder writes.
    sim.scale("shop", "payments", {"us-east-1a": 3})
    assert len(service_events(core_api, "payments")) == 2


def test_removing_auto_disables_hints_with_a_warning_and_adding_it_back_enables_them(core, sim):
    core_api, _ = core
    rv = core_api.list_namespaced_event("shop").metadata.resource_version
    sim.set_topology_mode("shop", "search", None)
    reasons = [(e.type, e.reason, e.message) for e in service_events(core_api, "search")]
    assert ("Warning", "TopologyAwareHintsDisabled", f"{HINTS_DISABLED}, addressType: IPv4") in (
        reasons
    )
    sim.set_topology_mode("shop", "search", "Auto")
    enabled = [e for e in service_events(core_api, "search") if e.type == "Normal"]
    assert len(enabled) == 1 and enabled[0].count == 2
    seen = [
        (e["type"], e["object"].reason)
        for e in watch.Watch().stream(
            core_api.list_namespaced_event, "shop", resource_version=rv, timeout_seconds=1
        )
    ]
    assert seen == [
        ("ADDED", "TopologyAwareHintsDisabled"),
        ("MODIFIED", "TopologyAwareHintsEnabled"),
    ]
    # A Service that never had Auto gets no event for it.
    sim.set_traffic_distribution("shop", "email", "PreferSameNode")
    assert service_events(core_api, "email") == []


def test_endpoints_mirror_the_slices(core, sim):
    core_api, _ = core
    email = core_api.read_namespaced_endpoints("email", "shop")
    (subset,) = email.subsets
    assert [a.ip for a in subset.addresses] == sorted(
        (a.ip for a in subset.addresses), key=lambda ip: tuple(int(p) for p in ip.split("."))
    )
    assert len(subset.addresses) == 3 and subset.not_ready_addresses is None
    assert [(p.name, p.port, p.protocol) for p in subset.ports] == [("http", 8080, "TCP")]
    assert all(a.target_ref.kind == "Pod" and a.node_name for a in subset.addresses)
    # A stuck terminating Pod is in no Endpoints, not even as not ready.
    assert core_api.read_namespaced_endpoints("legacy-db", "shop").subsets is None
    # Graceful scale-down: terminating Pods leave the Endpoints at once.
    sim.scale("shop", "email", {"us-east-1a": 0}, graceful=True)
    assert len(core_api.read_namespaced_endpoints("email", "shop").subsets[0].addresses) == 2
    # A failed node: its Pods' addresses become not ready.
    node = next(a.node_name for a in subset.addresses if a.ip in _ips(core_api, "email"))
    sim.set_node_ready(node, False)
    after = core_api.read_namespaced_endpoints("email", "shop").subsets[0]
    assert [a.node_name for a in after.not_ready_addresses] == [node]
    assert node not in [a.node_name for a in after.addresses]


def _ips(core_api, service: str) -> set[str]:
    return {
        a.ip
        for s in core_api.read_namespaced_endpoints(service, "shop").subsets or []
        for a in s.addresses or []
    }
