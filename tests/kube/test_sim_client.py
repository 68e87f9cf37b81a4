"""The simulated cluster through the real `kubernetes` client: discovery, list, watch, faults."""

import json
import threading
import time
import urllib.request

import orjson
import pytest
import urllib3
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from routing.kube.sim import SimCluster


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    cluster = SimCluster("demo", seed=1, churn=0, bookmark_interval=0.2).start()
    cluster.kubeconfig = cluster.write_kubeconfig(tmp_path_factory.mktemp("kube") / "config")
    yield cluster
    cluster.stop()


@pytest.fixture()
def api(sim):
    sim.faults.clear()
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(sim.kubeconfig), client_configuration=configuration)
    with client.ApiClient(configuration) as api_client:
        yield api_client


def raw(response) -> dict:
    return orjson.loads(response.data)


def test_version_and_discovery(api):
    assert client.VersionApi(api).get_code().git_version == "v1.35.0"
    core = client.CoreV1Api(api).get_api_resources()
    assert {r.name for r in core.resources} == {
        "nodes",
        "services",
        "pods",
        "namespaces",
        "events",
        "endpoints",
    }
    groups = client.ApisApi(api).get_api_versions()
    assert [g.name for g in groups.groups] == [
        "apps",
        "authorization.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
    ]
    slices = client.DiscoveryV1Api(api).get_api_resources()
    assert [r.name for r in slices.resources] == ["endpointslices"]


def test_aggregated_discovery_request_gets_legacy_json(sim):
    # kubectl asks for aggregated discovery first; plain JSON makes it fall back to legacy.
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    for path in ("/api?timeout=32s", "/apis?timeout=32s"):
        request = urllib.request.Request(f"{sim.url}{path}", headers={"Accept": accept})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.headers["Content-Type"] == "application/json"
            assert json.load(response)["kind"] in ("APIVersions", "APIGroupList")
    request = urllib.request.Request(
        f"{sim.url}/api/v1/nodes", headers={"Accept": "application/vnd.kubernetes.protobuf"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response)["kind"] == "NodeList"


def test_lists_of_each_resource(api, sim):
    core, disc = client.CoreV1Api(api), client.DiscoveryV1Api(api)
    nodes = core.list_node()
    assert len(nodes.items) == 10
    assert int(nodes.metadata.resource_version) == sim.resource_version
    assert {n.metadata.labels.get("topology.kubernetes.io/zone") for n in nodes.items} == {
        "us-east-1a",
        "us-east-1b",
        "us-east-1c",
        None,  # the control-plane node is unlabelled
    }
    assert all(n.spec.provider_id.startswith("aws:///") for n in nodes.items)
    services = core.list_service_for_all_namespaces()
    assert len(services.items) == 12
    checkout = core.read_namespaced_service("checkout", "shop")
    assert checkout.spec.traffic_distribution == "PreferSameZone"
    pods = core.list_namespaced_pod("shop", label_selector="app=search")
    assert len(pods.items) == 9 and all(p.status.phase == "Running" for p in pods.items)
    slices = disc.list_endpoint_slice_for_all_namespaces()
    assert len(slices.items) == 12
    one = disc.list_namespaced_endpoint_slice(
        "shop", label_selector="kubernetes.io/service-name=cart"
    ).items
    assert len(one) == 1 and len(one[0].endpoints) == 6
    # Items of a list carry no kind; single objects do, as from the real API.
    body = raw(core.list_node(_preload_content=False))
    assert body["kind"] == "NodeList" and "kind" not in body["items"][0]
    assert raw(core.read_node(nodes.items[0].metadata.name, _preload_content=False))["kind"] == (
        "Node"
    )


def test_field_selectors(api, sim):
    core = client.CoreV1Api(api)
    node = sim.world.ready_workers()[0].name
    pods = core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}").items
    assert pods and all(p.spec.node_name == node for p in pods)
    with pytest.raises(ApiException) as err:
        core.list_pod_for_all_namespaces(field_selector="spec.schedulerName=x")
    assert err.value.status == 400


def test_not_found_is_a_status(api):
    with pytest.raises(ApiException) as err:
        client.CoreV1Api(api).read_namespaced_pod("nope", "shop")
    assert err.value.status == 404
    assert json.loads(err.value.body)["reason"] == "NotFound"


def test_pagination_walks_a_consistent_snapshot(api, sim):
    core = client.CoreV1Api(api)
    names, token, pages = [], None, 0
    while True:
        page = core.list_pod_for_all_namespaces(limit=7, _continue=token)
        names += [p.metadata.name for p in page.items]
        pages += 1
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == sim.store.count("pods") - len(names)
    assert pages == -(-sim.store.count("pods") // 7)
    assert len(names) == len(set(names)) == sim.store.count("pods")


def test_watch_sees_added_modified_deleted(api, sim):
    core = client.CoreV1Api(api)
    disc = client.DiscoveryV1Api(api)
    rv = core.list_namespaced_pod("shop").metadata.resource_version
    sim.scale("shop", "email", {"us-east-1a": 2})
    sim.scale("shop", "email", {"us-east-1a": 1})
    types = [
        e["type"]
        for e in watch.Watch().stream(
            core.list_namespaced_pod, "shop", resource_version=rv, timeout_seconds=1
        )
    ]
    assert types == ["ADDED", "DELETED"]
    events = list(
        watch.Watch().stream(
            disc.list_namespaced_endpoint_slice,
            "shop",
            resource_version=rv,
            timeout_seconds=1,
            label_selector="kubernetes.io/service-name=email",
        )
    )
    assert [e["type"] for e in events] == ["MODIFIED", "MODIFIED"]
    assert len(events[0]["object"].endpoints) == 4
    assert len(events[1]["object"].endpoints) == 3


def test_watch_streams_live_changes(api, sim):
    core = client.CoreV1Api(api)
    rv = core.list_service_for_all_namespaces().metadata.resource_version
    timer = threading.Timer(0.3, sim.set_traffic_distribution, ("shop", "email", "PreferSameNode"))
    timer.start()
    try:
        w = watch.Watch()
        for event in w.stream(
            core.list_service_for_all_namespaces, resource_version=rv, timeout_seconds=5
        ):
            assert event["type"] == "MODIFIED"
            assert event["object"].spec.traffic_distribution == "PreferSameNode"
            w.stop()
            break
        else:
            pytest.fail("no event within the watch's timeout")
    finally:
        timer.cancel()
        sim.set_traffic_distribution("shop", "email", None)


def test_watch_without_resource_version_starts_with_current_objects(api):
    core = client.CoreV1Api(api)
    events = list(watch.Watch().stream(core.list_node, timeout_seconds=1))
    assert [e["type"] for e in events] == ["ADDED"] * 10
    w = watch.Watch()
    types = []
    for event in w.stream(
        core.list_node,
        send_initial_events=True,
        allow_watch_bookmarks=True,
        resource_version_match="NotOlderThan",
        timeout_seconds=5,
    ):
        types.append(event["type"])
        if event["type"] == "BOOKMARK":
            annotations = event["raw_object"]["metadata"]["annotations"]
            assert annotations == {"k8s.io/initial-events-end": "true"}
            w.stop()
    assert types == ["ADDED"] * 10 + ["BOOKMARK"]


def test_bookmarks_arrive(api):
    core = client.CoreV1Api(api)
    rv = core.list_node().metadata.resource_version
    w = watch.Watch()
    started = time.monotonic()
    for event in w.stream(
        core.list_node, resource_version=rv, allow_watch_bookmarks=True, timeout_seconds=5
    ):
        assert event["type"] == "BOOKMARK"
        assert int(event["raw_object"]["metadata"]["resourceVersion"]) >= int(rv)
        w.stop()
        break
    assert time.monotonic() - started < 3


def test_forced_expiry_raises_410(api, sim):
    core = client.CoreV1Api(api)
    rv = core.list_node().metadata.resource_version
    sim.faults.expire_next_watches(1)
    with pytest.raises(ApiException) as err:
        list(watch.Watch().stream(core.list_node, resource_version=rv, timeout_seconds=2))
    assert err.value.status == 410 and "Expired" in err.value.reason


def test_compaction_expires_old_resource_versions(api, sim):
    core = client.CoreV1Api(api)
    rv = core.list_namespaced_service("shop").metadata.resource_version
    sim.set_traffic_distribution("shop", "email", "PreferClose")
    sim.set_traffic_distribution("shop", "email", None)
    sim.faults.compact()
    with pytest.raises(ApiException) as err:
        list(
            watch.Watch().stream(
                core.list_service_for_all_namespaces, resource_version=rv, timeout_seconds=2
            )
        )
    assert err.value.status == 410
    fresh = core.list_service_for_all_namespaces().metadata.resource_version
    assert (
        list(
            watch.Watch().stream(
                core.list_service_for_all_namespaces, resource_version=fresh, timeout_seconds=1
            )
        )
        == []
    )


def test_server_error_fault(api, sim):
    core = client.CoreV1Api(api)
    sim.faults.fail_next_requests(1)
    with pytest.raises(ApiException) as err:
        core.list_node()
    assert err.value.status == 500
    assert json.loads(err.value.body)["kind"] == "Status"
    assert len(core.list_node().items) == 10


def test_dropped_watches_end_the_stream(api, sim):
    core = client.CoreV1Api(api)
    rv = core.list_namespaced_pod("shop").metadata.resource_version
    sim.scale("shop", "email", {"us-east-1b": 2})
    sim.scale("shop", "email", {"us-east-1b": 1})
    seen, started = [], time.monotonic()
    for event in watch.Watch().stream(
        core.list_namespaced_pod, "shop", resource_version=rv, timeout_seconds=20
    ):
        seen.append(event["type"])
        if len(seen) == 1:
            sim.faults.drop_watches()
    assert seen[0] == "ADDED"
    assert time.monotonic() - started < 5


def test_abrupt_drop_breaks_the_connection(api, sim):
    core = client.CoreV1Api(api)
    rv = core.list_namespaced_pod("shop").metadata.resource_version
    sim.scale("shop", "email", {"us-east-1c": 2})
    sim.scale("shop", "email", {"us-east-1c": 1})
    stream = watch.Watch().stream(
        core.list_namespaced_pod, "shop", resource_version=rv, timeout_seconds=20
    )
    with pytest.raises(urllib3.exceptions.ProtocolError):
        for _ in stream:
            sim.faults.drop_watches(abrupt=True)


def test_control_endpoint_and_delay(api, sim):
    request = urllib.request.Request(
        f"{sim.url}/_sim/faults",
        data=json.dumps({"failRequests": 1, "delaySeconds": 0.2}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response)["failRequests"] == 1
    core = client.CoreV1Api(api)
    started = time.monotonic()
    with pytest.raises(ApiException) as err:
        core.list_node()
    assert err.value.status == 500 and time.monotonic() - started >= 0.2
    sim.faults.set_delay(0)
    assert len(core.list_node().items) == 10
