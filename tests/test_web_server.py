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
import yaml
from django.db import connection

from tests.test_serve import _free_port

ROOT = Path(__file__).resolve().parents[1]


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
        "SECRET_KEY": "test-only-" + "k" * 50,
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
