"""The API of measured volumes: a cluster's traffic source, refreshing it, and its fetches.

Refreshes that reach a real Prometheus are in tests/volumes/test_refresh_prometheus.py; here the
source points at a closed port, which is what "Prometheus down" looks like from our side.
"""

import socket

import pytest

from routing.jobs.locks import Lease
from routing.volumes.models import TrafficSource, VolumeFetch

from .conftest import assert_error

URL = "/api/v1/clusters/demo/traffic-source/"
SOURCE = {"url": "http://127.0.0.1:9", "preset": "istio", "windowSeconds": 3600}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_admins_set_a_source_viewers_read_it_editors_may_not_set_it(demo_cluster, token_client):
    assert_error(token_client("viewer").get(URL), 404, "not_found")
    assert_error(token_client("editor").put(URL, SOURCE, format="json"), 403)
    body = token_client("admin").put(URL, SOURCE, format="json").json()
    assert body["preset"] == "istio" and body["windowSeconds"] == 3600
    assert body["verifyTls"] is True and body["refreshInterval"] == 3600
    assert body["status"] == {
        "state": "never",
        "lastAttemptAt": None,
        "lastSuccessAt": None,
        "error": None,
        "staleSince": None,
    }
    assert token_client("viewer").get(URL).json() == body
    changed = token_client("admin").put(URL, {"windowSeconds": 600}, format="json").json()
    assert changed["windowSeconds"] == 600 and changed["preset"] == "istio"  # partial update
    assert token_client("admin").delete(URL).status_code == 204
    assert not TrafficSource.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"auth": "bearer", "credentialsEnv": "DATABASE_URL"}, "credentialsEnv", "TRAFFICLENS_"),
        ({"auth": "bearer", "credentialsFile": "../etc/passwd"}, "credentialsFile", "inside"),
        ({"auth": "bearer"}, "auth", "Name an environment variable or a file"),
        ({"preset": "custom"}, "query", "needs a query"),
        ({"url": "file:///etc/passwd"}, "url", ""),
        ({"url": ""}, "url", "Prometheus base URL"),
        ({"windowSeconds": 5}, "windowSeconds", ""),
        ({"password": "x"}, "password", "Unknown field"),
        ({"preset": "simulation"}, "preset", "simulated clusters only"),
    ],
)
def test_a_source_that_could_leak_or_cannot_work_is_refused(
    demo_cluster, token_client, body, field, says
):
    error = assert_error(token_client("admin").put(URL, SOURCE | body, format="json"), 400)
    assert field in error["details"], error
    assert says in " ".join(error["details"][field])
    assert not TrafficSource.objects.exists()


def test_refresh_against_a_prometheus_that_is_down_is_a_502_with_the_reason(
    demo_cluster, token_client
):
    admin = token_client("admin")
    admin.put(URL, SOURCE | {"url": f"http://127.0.0.1:{_closed_port()}"}, format="json")
    refresh = "/api/v1/clusters/demo/volumes/refresh/"
    assert_error(token_client("viewer").post(refresh), 403)
    error = assert_error(token_client("editor").post(refresh), 502, "refresh_failed")
    assert "cannot reach Prometheus" in error["message"]
    status = admin.get(URL).json()["status"]
    assert status["state"] == "failing" and "cannot reach Prometheus" in status["error"]
    assert not VolumeFetch.objects.exists()
    fetches = token_client("viewer").get("/api/v1/clusters/demo/volumes/fetches/").json()
    assert fetches["count"] == 0


def test_refresh_while_another_runs_is_a_409(demo_cluster, token_client):
    token_client("admin").put(URL, SOURCE, format="json")
    lease = Lease(f"volumes:{demo_cluster.pk}", ttl=60)
    assert lease.acquire()
    try:
        response = token_client("editor").post("/api/v1/clusters/demo/volumes/refresh/")
        assert_error(response, 409, "busy")
    finally:
        lease.release()


def test_refresh_without_a_source_is_a_404(demo_cluster, token_client):
    response = token_client("editor").post("/api/v1/clusters/demo/volumes/refresh/")
    assert_error(response, 404, "not_found")
