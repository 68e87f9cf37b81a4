"""The simulated API at the HTTP level: bodies read on every path, Status errors, one write per
small answer, future resourceVersions, access reviews and OpenAPI."""

import http.client
import io
import json
import socket

import orjson
import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from routing.kube.sim import SimCluster
from routing.kube.sim.server import Handler


@pytest.fixture(scope="module")
def sim():
    cluster = SimCluster("demo", seed=2, churn=0).start()
    yield cluster
    cluster.stop()


@pytest.fixture()
def conn(sim):
    connection = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    yield connection
    connection.close()


def answer(conn: http.client.HTTPConnection) -> tuple[int, dict, http.client.HTTPResponse]:
    response = conn.getresponse()
    body = response.read()
    return response.status, orjson.loads(body), response


def raw_exchange(sim, request: bytes) -> bytes:
    """Send bytes as they are and read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", sim.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_refused_write_reads_its_body_and_the_connection_stays_in_step(conn):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        body = json.dumps({"kind": "Pod", "metadata": {"name": "x"}}).encode()
        conn.request(method, "/api/v1/namespaces/shop/pods", body=body)
        code, status, _ = answer(conn)
        assert (code, status["kind"], status["reason"]) == (405, "Status", "MethodNotAllowed")
        # The same connection: the body above was not taken for the next request.
        conn.request("GET", "/api/v1/namespaces/shop/services/cart")
        code, svc, _ = answer(conn)
        assert code == 200 and svc["metadata"]["name"] == "cart"


def test_a_chunked_body_is_read_to_its_last_chunk(conn):
    conn.putrequest("POST", "/api/v1/namespaces/shop/pods")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    conn.send(b'5;ext=1\r\n{"a":\r\n3\r\n 1}\r\n0\r\nX-Trailer: yes\r\n\r\n')
    code, status, _ = answer(conn)
    assert code == 405 and status["kind"] == "Status"
    conn.request("GET", "/version")
    code, version, _ = answer(conn)
    assert code == 200 and version["gitVersion"] == "v1.35.0"


def test_requests_the_stdlib_refuses_get_a_status_not_html(sim):
    for request, code in (
        (b"GARBAGE\r\n\r\n", 400),
        (b"FROB /api HTTP/1.1\r\nHost: x\r\n\r\n", 501),
        (b"POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n", 400),
        (b"POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413),
        (b"POST /api HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    ):
        head, _, body = raw_exchange(sim, request).partition(b"\r\n\r\n")
        assert head.split(b" ")[1] == str(code).encode(), (request, head)
        assert b"Content-Type: application/json" in head and b"Connection: close" in head
        status = orjson.loads(body)
        assert status["kind"] == "Status" and status["code"] == code


def test_the_python_client_gets_a_status_for_a_write_then_keeps_working(sim, tmp_path):
    configuration = client.Configuration()
    path = sim.write_kubeconfig(tmp_path / "config")
    config.load_kube_config(config_file=str(path), client_configuration=configuration)
    with client.ApiClient(configuration) as api_client:
        core = client.CoreV1Api(api_client)
        pod = {"metadata": {"name": "x"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
        with pytest.raises(ApiException) as err:
            core.create_namespaced_pod("shop", pod)
        assert err.value.status == 405
        assert json.loads(err.value.body)["reason"] == "MethodNotAllowed"
        assert len(core.list_namespaced_service("shop").items) == 11


class _Recorder(io.RawIOBase):
    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data) -> int:  # type: ignore[override]
        self.writes.append(bytes(data))
        return len(data)


def test_a_small_answer_leaves_in_one_write_and_nagle_is_off():
    # Two writes (headers, then body) wait ~40 ms each on a kept-alive connection: the client's
    # delayed ACK of the first holds the second back under Nagle's algorithm.
    assert Handler.disable_nagle_algorithm is True
    handler = Handler.__new__(Handler)
    handler.wfile, handler.command = _Recorder(), "GET"
    handler.request_version, handler.requestline = "HTTP/1.1", "GET / HTTP/1.1"
    handler.client_address = ("127.0.0.1", 1)
    handler.send_body(200, b'{"a":', b"1}")
    assert len(handler.wfile.writes) == 1
    head, body = handler.wfile.writes[0].split(b"\r\n\r\n")
    assert b"Content-Length: 7" in head and body == b'{"a":1}'


def test_a_list_at_a_future_resource_version_times_out_like_the_api_server(sim, conn):
    sim.api.resources.fresh_wait = 0.2
    ahead = sim.resource_version + 1000
    for match in ("", "&resourceVersionMatch=NotOlderThan", "&resourceVersionMatch=Exact"):
        conn.request("GET", f"/api/v1/nodes?resourceVersion={ahead}{match}")
        code, status, _ = answer(conn)
        assert (code, status["reason"]) == (504, "Timeout")
        assert status["message"] == (
            f"Timeout: Too large resource version: {ahead}, current: {sim.resource_version}"
        )
        assert status["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"
    conn.request("GET", f"/api/v1/nodes?resourceVersion={sim.resource_version}")
    code, nodes, _ = answer(conn)
    assert code == 200 and len(nodes["items"]) == 10


def review(conn, resource: str, spec: dict) -> tuple[int, dict]:
    kind = "SelfSubjectAccessReview" if "access" in resource else "SelfSubjectRulesReview"
    body = {"kind": kind, "apiVersion": "authorization.k8s.io/v1", "spec": spec}
    conn.request(
        "POST", f"/apis/authorization.k8s.io/v1/{resource}", body=json.dumps(body).encode()
    )
    code, out, _ = answer(conn)
    return code, out


def test_access_reviews_allow_reads_and_deny_writes(conn):
    for verb, allowed in (("get", True), ("list", True), ("watch", True), ("create", False)):
        attributes = {"resourceAttributes": {"verb": verb, "resource": "pods", "namespace": "shop"}}
        code, out = review(conn, "selfsubjectaccessreviews", attributes)
        assert code == 201 and out["status"]["allowed"] is allowed
        assert out["spec"] == attributes
    code, out = review(
        conn,
        "selfsubjectaccessreviews",
        {"resourceAttributes": {"verb": "get", "resource": "pods", "subresource": "exec"}},
    )
    assert out["status"] == {"allowed": False, "reason": "the simulated cluster is read-only"}
    _, out = review(conn, "selfsubjectaccessreviews", {"nonResourceAttributes": {"verb": "get"}})
    assert out["status"]["allowed"] is True
    code, out = review(conn, "selfsubjectaccessreviews", {})
    assert (code, out["reason"]) == (422, "Invalid")
    code, out = review(conn, "selfsubjectrulesreviews", {"namespace": "shop"})
    assert code == 201 and out["status"]["resourceRules"][0]["verbs"] == ["get", "list", "watch"]
    conn.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body=b"{")
    code, out, _ = answer(conn)
    assert (code, out["reason"]) == (400, "BadRequest")
    conn.request("GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
    assert answer(conn)[0] == 405


def test_an_access_review_in_protobuf_is_read(conn):
    # What kubectl 1.37 sends: the k8s protobuf envelope around the review.
    def field(number: int, payload: bytes) -> bytes:
        return bytes([number << 3 | 2, len(payload)]) + payload

    attributes = field(2, b"delete") + field(5, b"pods") + field(1, b"shop")
    review_bytes = field(2, field(1, attributes))
    type_meta = field(1, b"authorization.k8s.io/v1") + field(2, b"SelfSubjectAccessReview")
    body = b"k8s\x00" + field(1, type_meta) + field(2, review_bytes)
    headers = {"Content-Type": "application/vnd.kubernetes.protobuf"}
    path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    conn.request("POST", path, body=body, headers=headers)
    code, out, _ = answer(conn)
    assert code == 201 and out["status"]["allowed"] is False
    assert out["spec"]["resourceAttributes"] == {
        "namespace": "shop",
        "verb": "delete",
        "resource": "pods",
    }


def test_openapi_v3_documents_resolve_every_reference(conn):
    conn.request("GET", "/openapi/v3")
    code, index, _ = answer(conn)
    assert code == 200
    assert set(index["paths"]) == {
        "api/v1",
        "apis/apps/v1",
        "apis/authorization.k8s.io/v1",
        "apis/discovery.k8s.io/v1",
        "apis/events.k8s.io/v1",
    }
    for entry in index["paths"].values():
        conn.request("GET", entry["serverRelativeURL"])
        code, doc, _ = answer(conn)
        assert code == 200 and doc["openapi"].startswith("3.")
        schemas = doc["components"]["schemas"]
        refs = [r for r in json.dumps(doc).split('"$ref": "')[1:]]
        for ref in refs:
            assert ref.split('"')[0].removeprefix("#/components/schemas/") in schemas
        # Each path's operation names a kind that some schema carries (kubectl explain's way).
        for methods in doc["paths"].values():
            for op in methods.values():
                gvk = op["x-kubernetes-group-version-kind"]
                assert any(
                    gvk in s.get("x-kubernetes-group-version-kind", []) for s in schemas.values()
                )
    conn.request("GET", "/openapi/v3/apis/nope/v1")
    assert answer(conn)[0] == 404


def test_openapi_v2_for_older_kubectl(conn):
    conn.request("GET", "/openapi/v2", headers={"Accept": "application/json"})
    code, doc, _ = answer(conn)
    assert code == 200 and doc["swagger"] == "2.0"
    slice_schema = doc["definitions"]["io.k8s.api.discovery.v1.EndpointSlice"]
    assert slice_schema["x-kubernetes-group-version-kind"] == [
        {"group": "discovery.k8s.io", "kind": "EndpointSlice", "version": "v1"}
    ]
    endpoints = slice_schema["properties"]["endpoints"]
    assert endpoints["items"]["$ref"] == "#/definitions/io.k8s.api.discovery.v1.Endpoint"
    protobuf = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    conn.request("GET", "/openapi/v2", headers={"Accept": protobuf})
    response = conn.getresponse()
    body = response.read()
    assert response.headers["Content-Type"].endswith("v2.v1.0+protobuf")
    assert body.startswith(b"\n\x032.0")  # field 1, the Swagger version
