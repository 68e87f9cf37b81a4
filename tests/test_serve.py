"""`make run`'s command: one process serves the pages while watching the simulated demo cluster,
and the first user it creates can sign in and see the demo's snapshots."""

import http.cookiejar
import os
import re
import socket
import sqlite3
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


def _start_serve(args: list[str], env: dict[str, str], *, stderr: int):
    """`manage.py serve ARGS` in the background, and the list its output lines are added to
    (by a reader thread) as they come."""
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
    )
    lines: list[str] = []
    stdout = proc.stdout
    assert stdout is not None
    threading.Thread(target=lambda: lines.extend(ln.decode() for ln in stdout), daemon=True).start()
    return proc, lines


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
    proc, lines = _start_serve([f"127.0.0.1:{port}"], env, stderr=subprocess.STDOUT)
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


def _serve_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PORT")}
    env.pop("TRAFFICLENS_KUBECONFIG", None)
    env.pop("TRAFFICLENS_PORT", None)
    return {
        **env,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TRAFFICLENS_SIM_KUBECONFIG": str(tmp_path / "sim.kubeconfig"),
        **extra,
    }


def _users(tmp_path: Path) -> list[str]:
    """The user names in the test's SQLite database; none when serve never created it."""
    if not (tmp_path / "db.sqlite3").exists():
        return []
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        tables = db.execute("SELECT name FROM sqlite_master WHERE name = 'auth_user'").fetchall()
        return [row[0] for row in db.execute("SELECT username FROM auth_user")] if tables else []


@pytest.fixture
def taken_port():
    """A port a server of this test listens on."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


@pytest.mark.parametrize("how", ["serve HOST:PORT", "TRAFFICLENS_PORT", "make run PORT="])
def test_a_taken_port_ends_the_start_at_once_naming_it(tmp_path, taken_port, how):
    port = str(taken_port)
    env = _serve_env(tmp_path)
    if how == "serve HOST:PORT":
        command = [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"]
    elif how == "TRAFFICLENS_PORT":
        command = [sys.executable, "manage.py", "serve"]
        env["TRAFFICLENS_PORT"] = port
    else:  # -o: never reinstall the venv from here, even when pyproject.toml is newer
        command = ["make", "-s", "-o", ".venv/.installed", "run", f"PORT={port}"]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0, result.stdout + result.stderr
    assert time.monotonic() - started < 30
    said = [line for line in result.stderr.splitlines() if f"port {port}" in line]
    assert len(said) == 1, result.stderr
    assert said[0].startswith(f"CommandError: port {port} on 127.0.0.1 is already in use")
    assert "make run PORT=8080" in said[0] and "TRAFFICLENS_PORT=8080" in said[0]
    assert "password" not in result.stdout + result.stderr
    assert _users(tmp_path) == []  # and nothing was migrated, created or started


# serve with its port check skipped: what happens when the port is taken between that check and
# Daphne's listen (or when the check cannot see the conflict).
_WITHOUT_PORT_CHECK = """
import sys, django
django.setup()
from django.core.management import execute_from_command_line
from routing.management.commands import serve
serve.check_can_listen = lambda host, port: None
execute_from_command_line(["manage.py", "serve", "--no-demo", sys.argv[1]])
"""


def test_a_listen_failure_in_daphne_fails_the_command(tmp_path, taken_port):
    env = _serve_env(tmp_path, DJANGO_SETTINGS_MODULE="dashboard.settings")
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_PORT_CHECK, f"127.0.0.1:{taken_port}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"CommandError: Couldn't listen on 127.0.0.1:{taken_port}"), last
    assert "make run PORT=8080" in last
    assert "password" not in result.stdout + result.stderr
    assert _users(tmp_path) == []  # migrated, but no admin whose password nobody saw


def test_a_later_start_names_admin_and_how_to_reset_its_password(tmp_path):
    env = _serve_env(tmp_path)
    create = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "from django.contrib.auth.models import User\n"
        "call_command('migrate', verbosity=0)\n"
        "User.objects.create_superuser('admin', password='set-before')\n"
    )
    subprocess.run(
        [sys.executable, "-c", create],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "dashboard.settings"},
        check=True,
        timeout=60,
    )
    port = _free_port()
    proc, lines = _start_serve(["--no-demo", f"127.0.0.1:{port}"], env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not any("sign in at" in line for line in list(lines)):
            assert proc.poll() is None, "".join(lines)[-2000:]
            assert time.monotonic() < deadline, "no sign-in line: " + "".join(lines)[-2000:]
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(20)
    (said,) = [line for line in lines if "sign in at" in line]
    assert said.startswith(f"sign in at http://127.0.0.1:{port}/ as admin"), said
    assert "manage.py changepassword admin" in said
    assert not any("with password" in line for line in lines)
    assert _users(tmp_path) == ["admin"]
