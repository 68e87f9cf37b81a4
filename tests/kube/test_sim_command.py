"""`manage.py simcluster`: serves until interrupted and writes a usable kubeconfig."""

import json
import signal
import subprocess
import sys
import urllib.request

import yaml


def test_simcluster_command_serves_and_stops(project_dir, tmp_path):
    kubeconfig = tmp_path / "sim.kubeconfig"
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "simcluster", "--port", "0", "--churn", "0",
         "--kubeconfig", str(kubeconfig)],
        cwd=project_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[1].startswith("serving on http://127.0.0.1:"), (lines, proc.stderr.read())
        url = lines[1].split()[-1]
        with urllib.request.urlopen(f"{url}/api/v1/nodes", timeout=5) as response:
            assert len(json.load(response)["items"]) == 10
        config = yaml.safe_load(kubeconfig.read_text())
        assert config["current-context"] == "simcluster"
        assert config["clusters"][0]["cluster"]["server"] == url
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "stopping" in out
