"""Start the product as a subprocess for browser tests: a real ASGI server on a free port.

The subprocess reads the test database (so it sees what a transactional test committed) and, when
REDIS_URL is set, shares the Redis channel layer with the test process.
"""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from tests.test_serve import _free_port

ROOT = Path(__file__).resolve().parents[2]


def current_database_url() -> str:
    """DATABASE_URL for the database this test process is using (the test database)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    login = quote(s["USER"], safe="") + (
        f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else ""
    )
    return f"postgres://{login}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


class Server:
    """A running server process; `url` is its base address."""

    def __init__(self, args: list[str], env: dict[str, str], port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(Path(env["TRAFFICLENS_TEST_LOG"]), "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 60) -> "Server":
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5):
                    return self
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"server not ready in {timeout} s: {self.output()[-3000:]}"
                    ) from None
                time.sleep(0.3)

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:  # Daphne may wait on open sockets
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


def server_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)},
        "DATABASE_URL": current_database_url(),
        "DEBUG": "true",  # static files from the app directories, as `make run` serves them
        "TRAFFICLENS_TEST_LOG": str(tmp / "server.log"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("TRAFFICLENS_KUBECONFIG", None)
    env.update(extra)
    return env


def start_daphne(tmp: Path, **extra: str) -> Server:
    """The ASGI app (pages, API and websockets) under Daphne, as production's `ws` service."""
    port = _free_port()
    daphne = Path(sys.executable).parent / "daphne"
    args = [str(daphne), "-b", "127.0.0.1", "-p", str(port), "dashboard.asgi:application"]
    return Server(args, server_env(tmp, **extra), port).wait_ready()


def start_serve(tmp: Path, port: int | None = None, **extra: str) -> Server:
    """`manage.py serve --no-demo`: the embedded product, watching the clusters in the database."""
    port = port or _free_port()
    args = [sys.executable, "manage.py", "serve", "--no-demo", f"127.0.0.1:{port}"]
    return Server(args, server_env(tmp, **extra), port).wait_ready()
