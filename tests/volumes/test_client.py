"""The Prometheus client's refusals and network failures (routing.volumes.prometheus).

Faults are real: a closed port, a listener that never answers, a server that is not Prometheus.
Answers of a real Prometheus are in test_refresh_prometheus.py.
"""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from routing.volumes.prometheus import (
    Endpoint,
    PrometheusError,
    credentials_problem,
    headers,
    instant_query,
)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("env", "file", "problem"),
    [
        ("TRAFFICLENS_PROMETHEUS_TOKEN", "", None),
        ("DATABASE_URL", "", "must start with TRAFFICLENS_PROMETHEUS_"),
        ("TRAFFICLENS_PROMETHEUS_X;rm", "", "must start with TRAFFICLENS_PROMETHEUS_"),
        ("", "prometheus/token", None),
        ("", "../../etc/shadow", "must be inside"),
        ("", "/var/run/secrets/kubernetes.io/serviceaccount/token", "must be inside"),
        ("", ".", "must be inside"),
    ],
)
def test_credentials_come_only_from_their_own_variables_and_directory(tmp_path, env, file, problem):
    found = credentials_problem(env, file, str(tmp_path))
    assert (found is None) if problem is None else (problem in found)


def test_bearer_and_basic_headers_from_env_and_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAFFICLENS_PROMETHEUS_TOKEN", "s3cret\n")
    bearer = Endpoint("http://x", auth="bearer", credentials_env="TRAFFICLENS_PROMETHEUS_TOKEN")
    assert headers(bearer)["Authorization"] == "Bearer s3cret"
    (tmp_path / "basic").write_text("user:pa:ss\n")
    basic = Endpoint(
        "http://x", auth="basic", credentials_file="basic", credentials_dir=str(tmp_path)
    )
    assert headers(basic)["Authorization"] == "Basic dXNlcjpwYTpzcw=="


def test_missing_credentials_are_a_clear_error(tmp_path):
    unset = Endpoint("http://x", auth="bearer", credentials_env="TRAFFICLENS_PROMETHEUS_NOPE")
    with pytest.raises(PrometheusError, match="TRAFFICLENS_PROMETHEUS_NOPE .* is not set"):
        headers(unset)
    missing = Endpoint(
        "http://x", auth="bearer", credentials_file="absent", credentials_dir=str(tmp_path)
    )
    with pytest.raises(PrometheusError, match="cannot read the Prometheus credentials file"):
        headers(missing)
    outside = Endpoint("http://x", auth="bearer", credentials_env="HOME")
    with pytest.raises(PrometheusError, match="must start with"):
        headers(outside)


def test_a_closed_port_is_unreachable():
    endpoint = Endpoint(f"http://127.0.0.1:{_closed_port()}", timeout=2)
    with pytest.raises(PrometheusError, match="cannot reach Prometheus at http://127.0.0.1"):
        instant_query(endpoint, "up")


def test_a_server_that_never_answers_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)  # accepts connections (the kernel does), never reads or answers
    try:
        endpoint = Endpoint(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(PrometheusError, match=r"did not answer within 0.5 s"):
            instant_query(endpoint, "up")
        assert time.monotonic() - started < 5
    finally:
        listener.close()


class _NotPrometheus(BaseHTTPRequestHandler):
    def do_POST(self):
        body = b"<html>login page</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_server_that_is_not_prometheus_is_said_so():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotPrometheus)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = Endpoint(f"http://127.0.0.1:{server.server_port}", timeout=2)
        with pytest.raises(PrometheusError, match="not Prometheus's API .*login page"):
            instant_query(endpoint, "up")
    finally:
        server.shutdown()
        server.server_close()


def test_no_url_is_a_clear_error():
    with pytest.raises(PrometheusError, match="no Prometheus URL"):
        instant_query(Endpoint(""), "up")
