"""docker-compose.yml's web, ws and proxy services run natively on free loopback ports.

web is compose's own command (migrate, then gunicorn), ws is Daphne, proxy is nginx with
deploy/nginx.conf whose upstream and listen addresses are rewritten to the loopback ports.
"""

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from tests.test_serve import _free_port

ROOT = Path(__file__).resolve().parents[1]


def compose_service(name: str) -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][name]


def compose_web() -> tuple[list[str], dict]:
    """compose's web command split as `sh -c SCRIPT`, and its environment."""
    web = compose_service("web")
    command = web["command"]
    assert "gunicorn dashboard.wsgi:application" in command
    assert web["environment"]["WEB_CONCURRENCY"]
    return command.split(" ", 2), web["environment"]


def wait_http(url: str, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    """Wait until `url` answers anything at all (an HTTP error is an answer)."""
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, f"{what} exited: {proc.stdout.read().decode()[-2000:]}"
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline, f"{what} did not answer within {timeout:.0f} s"
            time.sleep(0.3)


def nginx_binary() -> str:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: apt-get install -y nginx-light (.ci/run does)"
    return nginx


class ProductionStack:
    """gunicorn (web), Daphne (ws) and nginx (proxy) as compose wires them; `url` is the proxy.

    `env` is the app's environment (DATABASE_URL, SECRET_KEY, DEBUG, ...), on top of the test
    process's own.
    """

    def __init__(self, tmp_path: Path, env: dict[str, str]):
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            **env,
        }
        self.web_port, self.ws_port, self.port = _free_port(), _free_port(), _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []

    def _nginx_conf(self) -> Path:
        conf = (ROOT / "deploy" / "nginx.conf").read_text()
        conf = conf.replace("server web:8000;", f"server 127.0.0.1:{self.web_port};")
        conf = conf.replace("server ws:8001;", f"server 127.0.0.1:{self.ws_port};")
        conf = conf.replace("listen 8000;", f"listen 127.0.0.1:{self.port};")
        assert conf.count("127.0.0.1:") == 3
        path = self.tmp_path / "nginx.conf"
        path.write_text(conf)
        return path

    def _spawn(self, args: list[str], **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs
        )
        self.procs.append(proc)
        return proc

    def __enter__(self) -> "ProductionStack":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        (shell, flag, script), _ = compose_web()
        web_script = script.strip('"').replace("0.0.0.0:8000", f"127.0.0.1:{self.web_port}")
        ws_command = compose_service("ws")["command"]
        assert ws_command == "daphne -b 0.0.0.0 -p 8001 dashboard.asgi:application"
        ws_args = ws_command.replace("0.0.0.0", "127.0.0.1").replace("8001", str(self.ws_port))
        web = self._spawn([shell, flag, web_script], env=self.env)
        ws = self._spawn(ws_args.split(), env=self.env)
        conf = self._nginx_conf()
        nginx_globals = f"daemon off; pid {self.tmp_path}/nginx.pid; error_log stderr;"
        proxy = self._spawn([nginx_binary(), "-p", str(self.tmp_path), "-c", str(conf),
                             "-g", nginx_globals])  # fmt: skip
        wait_http(f"http://127.0.0.1:{self.web_port}/healthz", web, "gunicorn", timeout=90)
        wait_http(f"http://127.0.0.1:{self.ws_port}/healthz", ws, "daphne")
        wait_http(f"{self.url}/healthz", proxy, "nginx")

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def collect_static(env: dict[str, str]) -> None:
    """`collectstatic` into env["STATIC_ROOT"], as the Docker image does at build time."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        timeout=300,
    )
