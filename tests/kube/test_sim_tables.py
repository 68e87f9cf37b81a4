"""Server-side printing: Tables with the API server's columns and cell formats."""

import http.client

import orjson
import pytest

from routing.kube.sim import SimCluster
from routing.kube.sim.printers import human_duration, selector_string
from routing.kube.sim.tables import negotiate

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
TABLE_BETA = "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"


@pytest.fixture(scope="module")
def sim():
    cluster = SimCluster("demo", seed=2, churn=0).start()
    yield cluster
    cluster.stop()


def get(sim, path: str, accept: str = TABLE) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    try:
        conn.request("GET", path, headers={"Accept": accept})
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, body
        return orjson.loads(body)
    finally:
        conn.close()


def columns(table: dict, wide: bool = False) -> list[str]:
    return [c["name"] for c in table["columnDefinitions"] if wide or c["priority"] == 0]


@pytest.mark.parametrize(
    ("path", "plain", "wide"),
    [
        (
            "/api/v1/nodes",
            ["Name", "Status", "Roles", "Age", "Version"],
            ["Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"],
        ),
        (
            "/api/v1/services",
            ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"],
            ["Selector"],
        ),
        (
            "/apis/discovery.k8s.io/v1/endpointslices",
            ["Name", "AddressType", "Ports", "Endpoints", "Age"],
            [],
        ),
        (
            "/api/v1/pods",
            ["Name", "Ready", "Status", "Restarts", "Age"],
            ["IP", "Node", "Nominated Node", "Readiness Gates"],
        ),
        ("/api/v1/namespaces", ["Name", "Status", "Age"], []),
        ("/api/v1/endpoints", ["Name", "Endpoints", "Age"], []),
        (
            "/api/v1/events",
            ["Last Seen", "Type", "Reason", "Object", "Message"],
            ["Subobject", "Source", "First Seen", "Count", "Name"],
        ),
        (
            "/apis/apps/v1/deployments",
            ["Name", "Ready", "Up-to-date", "Available", "Age"],
            ["Containers", "Images", "Selector"],
        ),
        (
            "/apis/apps/v1/replicasets",
            ["Name", "Desired", "Current", "Ready", "Age"],
            ["Containers", "Images", "Selector"],
        ),
        (
            "/apis/apps/v1/daemonsets",
            ["Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector"]
            + ["Age"],
            ["Containers", "Images", "Selector"],
        ),
    ],
)
def test_columns_are_the_api_servers(sim, path, plain, wide):
    table = get(sim, path)
    assert (table["kind"], table["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert columns(table) == plain
    assert [c for c in columns(table, wide=True) if c not in plain] == wide
    # Every row has a cell per column (the server prints as for -o wide).
    assert table["rows"] and all(
        len(r["cells"]) == len(table["columnDefinitions"]) for r in table["rows"]
    )
    assert table["metadata"]["resourceVersion"]


def test_cells_follow_the_printers(sim):
    nodes = {r["cells"][0]: r["cells"] for r in get(sim, "/api/v1/nodes")["rows"]}
    control = nodes["ip-10-0-99-10.ec2.internal"]
    assert control[1:3] == ["Ready", "control-plane"] and control[4] == "v1.35.0-eks-4096722"
    assert control[5:7] == ["10.0.99.10", "<none>"]
    assert control[9] == "containerd://2.1.4"
    services = {r["cells"][0]: r["cells"] for r in get(sim, "/api/v1/services")["rows"]}
    assert services["cart"][1] == "ClusterIP"
    assert services["cart"][3:5] == ["<none>", "80/TCP"]
    assert services["cart"][6] == "app=cart"
    frontend = services["frontend"]
    assert frontend[1] == "LoadBalancer" and frontend[3].endswith(".elb.us-east-1.amazonaws.com")
    assert frontend[4].startswith("80:") and frontend[4].endswith("/TCP")
    slices = get(sim, "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices")["rows"]
    search = next(r["cells"] for r in slices if r["cells"][0].startswith("search-"))
    assert search[1:3] == ["IPv4", "8080"] and search[3].endswith(" + 6 more...")
    pods = get(sim, "/api/v1/namespaces/shop/pods")["rows"]
    stuck = next(r["cells"] for r in pods if r["cells"][0].startswith("legacy-db-"))
    assert stuck[1:4] == ["0/1", "Terminating", "0"]
    running = next(r["cells"] for r in pods if r["cells"][0].startswith("cart-"))
    assert running[1:4] == ["1/1", "Running", "0"] and running[7:] == ["<none>", "<none>"]
    endpoints = {r["cells"][0]: r["cells"] for r in get(sim, "/api/v1/endpoints")["rows"]}
    assert endpoints["legacy-db"][1] == "<none>"
    assert endpoints["email"][1].count(":8080") == 3
    deployments = {r["cells"][0]: r["cells"] for r in get(sim, "/apis/apps/v1/deployments")["rows"]}
    assert deployments["cart"][1:4] == ["6/6", 6, 6] and deployments["cart"][7] == "app=cart"
    daemons = get(sim, "/apis/apps/v1/daemonsets")["rows"][0]["cells"]
    assert daemons[6] == "eks.amazonaws.com/nodegroup=general"


def test_row_objects_follow_include_object(sim):
    meta_only = get(sim, "/api/v1/namespaces/shop/services/cart")
    assert len(meta_only["rows"]) == 1
    obj = meta_only["rows"][0]["object"]
    assert (obj["kind"], obj["apiVersion"]) == ("PartialObjectMetadata", "meta.k8s.io/v1")
    assert obj["metadata"]["name"] == "cart" and "spec" not in obj
    full = get(sim, "/api/v1/namespaces/shop/services/cart?includeObject=Object")
    assert full["rows"][0]["object"]["spec"]["selector"] == {"app": "cart"}
    assert full["rows"][0]["object"]["kind"] == "Service"
    assert get(sim, "/api/v1/nodes?includeObject=None")["rows"][0]["object"] is None
    beta = get(sim, "/api/v1/nodes?limit=3", TABLE_BETA)
    assert beta["apiVersion"] == "meta.k8s.io/v1beta1" and len(beta["rows"]) == 3
    assert beta["metadata"]["continue"] and beta["metadata"]["remainingItemCount"] == 7
    assert beta["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1beta1"
    # The same events through events.k8s.io: same columns, the object in that version.
    events = get(sim, "/apis/events.k8s.io/v1/events?includeObject=Object")
    assert columns(events)[:3] == ["Last Seen", "Type", "Reason"]
    assert {r["object"]["apiVersion"] for r in events["rows"]} == {"events.k8s.io/v1"}
    assert all("note" in r["object"] for r in events["rows"])


def test_other_media_types_get_json(sim):
    nodes = get(sim, "/api/v1/nodes", "application/vnd.kubernetes.protobuf, application/json")
    assert nodes["kind"] == "NodeList"
    partial = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
    assert get(sim, "/api/v1/nodes", partial)["kind"] == "NodeList"
    assert negotiate(None, {}).table is None
    assert negotiate("application/json;as=Table;v=v2;g=meta.k8s.io", {}).table is None


def test_human_duration_and_selectors():
    cases = {
        -5: "<invalid>",
        -1: "0s",
        0: "0s",
        119: "119s",
        120: "2m",
        121: "2m1s",
        599: "9m59s",
        600: "10m",
        3 * 3600 - 1: "179m",
        3 * 3600: "3h",
        3 * 3600 + 60: "3h1m",
        8 * 3600: "8h",
        48 * 3600: "2d",
        49 * 3600: "2d1h",
        8 * 86400: "8d",
        730 * 86400: "2y",
        731 * 86400: "2y1d",
        8 * 365 * 86400: "8y",
    }
    assert {seconds: human_duration(seconds) for seconds in cases} == cases
    selector = {
        "matchLabels": {"b": "2", "a": "1"},
        "matchExpressions": [
            {"key": "c", "operator": "In", "values": ["y", "x"]},
            {"key": "d", "operator": "DoesNotExist"},
        ],
    }
    assert selector_string(selector) == "a=1,b=2,c in (x,y),!d"
