"""`make run`'s command: one process serves the page while watching the simulated demo cluster."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_watches_the_demo_and_shows_its_snapshots(tmp_path):
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TRAFFICLENS_SIM_KUBECONFIG": str(tmp_path / "sim.kubeconfig"),
    }
    env.pop("TRAFFICLENS_KUBECONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        html = ""
        while "cluster demo, snapshot" not in html:
            assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
            assert time.monotonic() < deadline, f"no snapshot shown within 60 s: {html[-500:]}"
            time.sleep(0.5)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    html = response.read().decode()
            except OSError:
                continue
        assert "shop/checkout" in html and "kubeconfig" not in html
        assert (tmp_path / "sim.kubeconfig").exists()
    finally:
        proc.terminate()
        proc.wait(20)
