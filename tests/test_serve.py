"""`make run`'s command: one process serves the pages while watching the simulated demo cluster,
and the first user it creates can sign in and see the demo's snapshots."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sign_in(base: str, username: str, password: str) -> urllib.request.OpenerDirector:
    """A urllib opener holding a session signed in through the sign-in form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/accounts/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/"}
    ).encode()
    response = opener.open(f"{base}/accounts/login/", data=body, timeout=10)
    assert response.url == f"{base}/", "sign-in did not land on the clusters page"
    return opener


@pytest.mark.parametrize("prometheus", ["true", "false"])
def test_serve_creates_a_first_user_and_watches_the_demo(tmp_path, prometheus):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TRAFFICLENS_SIM_KUBECONFIG": str(tmp_path / "sim.kubeconfig"),
        "TRAFFICLENS_DEMO_PROMETHEUS": prometheus,
    }
    env.pop("TRAFFICLENS_KUBECONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(line.decode() for line in proc.stdout), daemon=True
    )
    reader.start()
    try:
        deadline = time.monotonic() + 60
        password = None
        while password is None:
            assert proc.poll() is None, "".join(lines)[-2000:]
            assert time.monotonic() < deadline, "no first-user line: " + "".join(lines)[-2000:]
            found = [re.search(r"as admin with password (\S+)", line) for line in list(lines)]
            password = next((m.group(1) for m in found if m), None)
            time.sleep(0.2)
        snapshots = None
        while not snapshots:
            assert proc.poll() is None, "".join(lines)[-2000:]
            assert time.monotonic() < deadline, "no snapshot within 60 s"
            time.sleep(0.5)
            try:
                opener = _sign_in(base, "admin", password)
                url = f"{base}/api/v1/clusters/demo/snapshots/"
                snapshots = orjson.loads(opener.open(url, timeout=5).read())["results"]
            except (urllib.error.URLError, ConnectionError):
                continue
        assert snapshots[0]["source"] in ("watch", "scheduled")
        assert (tmp_path / "sim.kubeconfig").exists()
        assert "kubeconfig" not in opener.open(f"{base}/", timeout=5).read().decode()
        # Dollars out of the box: measured through Prometheus (once its window holds
        # samples), or the simulation's model labelled as such.
        kind = "measured" if prometheus == "true" else "simulated"
        said = "prometheus at http://127.0.0.1:" if kind == "measured" else "no prometheus binary"
        assert any(said in line for line in lines), "".join(lines)[-2000:]
        deadline = time.monotonic() + 90
        flows: dict = {}
        while not flows.get("monthlyCost"):
            assert proc.poll() is None, "".join(lines)[-2000:]
            assert time.monotonic() < deadline, f"no monthly cost within 90 s: {flows}"
            time.sleep(1)
            flows = orjson.loads(
                opener.open(f"{base}/api/v1/clusters/demo/flowmap/", timeout=5).read()
            )
        assert flows["volumes"][kind] == flows["servicesWithVolume"] > 0
        assert flows["weighting"] == "volume"
    finally:
        proc.terminate()
        proc.wait(20)
