"""The production web command from docker-compose.yml, run natively: migrate, then gunicorn.

On PostgreSQL (CI) it serves from the test database with the web service's connection pool, as
in production; elsewhere from a fresh SQLite file.
"""

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest
import yaml
from django.db import connection

from tests.test_serve import _free_port
from tests.web.server import current_database_url

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "test-only-" + "k" * 50


def _compose_web() -> tuple[list[str], dict]:
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]
    command = web["command"]
    assert "gunicorn dashboard.wsgi:application" in command
    assert web["environment"]["WEB_CONCURRENCY"]
    return command.split(" ", 2), web["environment"]  # sh -c "..."


def _database_url(tmp_path: Path) -> str:
    if connection.vendor != "postgresql":
        return f"sqlite:///{tmp_path / 'db.sqlite3'}"
    s = connection.settings_dict
    login = quote(s["USER"], safe="") + (
        f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else ""
    )
    return f"postgres://{login}@{s['HOST']}:{s['PORT']}/{s['NAME']}"  # the test database


@pytest.mark.django_db(transaction=True)
def test_compose_web_command_serves_the_api(tmp_path):
    port = _free_port()
    (shell, flag, script), compose_env = _compose_web()
    script = script.strip('"').replace("0.0.0.0:8000", f"127.0.0.1:{port}")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DATABASE_URL": _database_url(tmp_path),
        "DATABASE_POOL": compose_env["DATABASE_POOL"],
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "WEB_CONCURRENCY": "2",
    }
    proc = subprocess.Popen(
        [shell, flag, script], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
            try:
                url = f"http://127.0.0.1:{port}/api/v1/health"
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert orjson.loads(response.read()) == {"status": "ok", "database": "ok"}
                    break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "gunicorn did not answer within 90 s"
                time.sleep(0.5)
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/clusters/", timeout=5)
            raise AssertionError("anonymous request was let in")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _compose(service: str) -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][service]


def _wait_http(url: str, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, f"{what} exited: {proc.stdout.read().decode()[-2000:]}"
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline, f"{what} did not answer within 60 s"
            time.sleep(0.3)


@pytest.mark.django_db(transaction=True)
def test_compose_proxy_sends_pages_to_web_and_sockets_to_ws(tmp_path, client, settings):
    """nginx with deploy/nginx.conf in front of compose's web (gunicorn) and ws (Daphne)."""
    import asyncio

    import websockets
    from django.contrib.auth.models import Group, User

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: apt-get install -y nginx-light (.ci/run does)"
    assert _compose("proxy")["volumes"] == ["./deploy/nginx.conf:/etc/nginx/nginx.conf:ro"]
    ws_command = _compose("ws")["command"]
    assert ws_command == "daphne -b 0.0.0.0 -p 8001 dashboard.asgi:application"

    web_port, ws_port, proxy_port = _free_port(), _free_port(), _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DATABASE_URL": current_database_url(),  # where the session below is stored
        "DEBUG": "false",
        # The session signed in below is valid only under the key that made it.
        "SECRET_KEY": settings.SECRET_KEY,
    }
    (shell, flag, script), _ = _compose_web()
    web_script = script.strip('"').replace("0.0.0.0:8000", f"127.0.0.1:{web_port}")
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    conf = conf.replace("server web:8000;", f"server 127.0.0.1:{web_port};")
    conf = conf.replace("server ws:8001;", f"server 127.0.0.1:{ws_port};")
    conf = conf.replace("listen 8000;", f"listen 127.0.0.1:{proxy_port};")
    assert conf.count("127.0.0.1:") == 3
    (tmp_path / "nginx.conf").write_text(conf)

    group, _ = Group.objects.get_or_create(name="viewer")
    user = User.objects.create_user("vera", password="x" * 12)
    user.groups.add(group)
    client.force_login(user)
    session = client.cookies["sessionid"].value

    procs = []
    try:
        procs.append(
            subprocess.Popen([shell, flag, web_script], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        )  # fmt: skip
        ws_args = ws_command.replace("0.0.0.0", "127.0.0.1").replace("8001", str(ws_port))
        procs.append(
            subprocess.Popen(ws_args.split(), cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        )  # fmt: skip
        procs.append(
            subprocess.Popen(
                [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                 "-g", f"daemon off; pid {tmp_path}/nginx.pid; error_log stderr;"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        _wait_http(f"http://127.0.0.1:{web_port}/healthz", procs[0], "gunicorn")
        _wait_http(f"http://127.0.0.1:{ws_port}/healthz", procs[1], "daphne")
        base = f"http://127.0.0.1:{proxy_port}"
        _wait_http(f"{base}/healthz", procs[2], "nginx")

        # Pages through the proxy: a signed-out visit is sent to sign-in.
        opener = urllib.request.build_opener(_NoRedirect())
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(f"{base}/", timeout=5)
        assert redirect.value.code == 302
        assert redirect.value.headers["Location"] == "/accounts/login/?next=/"

        async def socket_hello():
            headers = {"Cookie": f"sessionid={session}", "Origin": f"http://127.0.0.1:{proxy_port}"}
            url = f"ws://127.0.0.1:{proxy_port}/ws/clusters/"
            async with websockets.connect(url, additional_headers=headers) as sock:
                return orjson.loads(await asyncio.wait_for(sock.recv(), 10))

        assert asyncio.run(socket_hello()) == {"type": "hello", "clusters": []}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
