"""The production web command from docker-compose.yml, run natively: migrate, then gunicorn.

On PostgreSQL (CI) it serves from the test database with the web service's connection pool, as
in production; elsewhere from a fresh SQLite file.
"""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest
from django.db import connection

from tests.stack import ProductionStack, compose_service, compose_web
from tests.test_serve import _free_port
from tests.web.server import current_database_url

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "test-only-" + "k" * 50


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
    (shell, flag, script), compose_env = compose_web()
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
                    # No REDIS_URL in this process's environment: Redis is reported as such.
                    expected = {"status": "ok", "database": "ok", "redis": "not_configured"}
                    assert orjson.loads(response.read()) == expected
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


@pytest.mark.django_db(transaction=True)
def test_compose_proxy_sends_pages_to_web_and_sockets_to_ws(tmp_path, client, settings):
    """nginx with deploy/nginx.conf in front of compose's web (gunicorn) and ws (Daphne)."""
    import asyncio

    import websockets
    from django.contrib.auth.models import Group, User

    assert compose_service("proxy")["volumes"] == ["./deploy/nginx.conf:/etc/nginx/nginx.conf:ro"]
    group, _ = Group.objects.get_or_create(name="viewer")
    user = User.objects.create_user("vera", password="x" * 12)
    user.groups.add(group)
    client.force_login(user)
    session = client.cookies["sessionid"].value

    env = {
        "DATABASE_URL": current_database_url(),  # where the session above is stored
        "DEBUG": "false",
        # The session signed in above is valid only under the key that made it.
        "SECRET_KEY": settings.SECRET_KEY,
        "TRUST_PROXY_HEADERS": compose_service("web")["environment"]["TRUST_PROXY_HEADERS"],
    }
    with ProductionStack(tmp_path, env) as stack:
        # Pages through the proxy: a signed-out visit is sent to sign-in.
        opener = urllib.request.build_opener(_NoRedirect())
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(f"{stack.url}/", timeout=5)
        assert redirect.value.code == 302
        assert redirect.value.headers["Location"] == "/accounts/login/?next=/"
        # No version in the proxy's headers (server_tokens off).
        assert redirect.value.headers["Server"] == "nginx"

        async def socket_hello():
            headers = {"Cookie": f"sessionid={session}", "Origin": stack.url}
            url = f"ws://127.0.0.1:{stack.port}/ws/clusters/"
            async with websockets.connect(url, additional_headers=headers) as sock:
                return orjson.loads(await asyncio.wait_for(sock.recv(), 10))

        assert asyncio.run(socket_hello()) == {"type": "hello", "clusters": []}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
