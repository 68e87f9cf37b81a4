"""Benchmark: per-request latency of the simulated API server over one kept-alive connection.

Starts `manage.py simcluster --scenario demo --churn 0` in a child process (so the server does
not share this process's CPU time or GIL), opens one HTTP/1.1 connection and sends the small
requests kubectl makes by the hundred (`describe pods` is a get and an events list per Pod):
a Pod by name, the Node list, the Pod list as a server-side printed Table, and a 404. Each kind
is timed `--requests` times, interleaved, after a warm-up; prints median and p99 per kind and
overall. With `--kubectl` it also times `kubectl describe pods -A` end to end.

Target (issue 14 item 6): median under 2 ms per request on loopback.
"""

import argparse
import http.client
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
TARGET_MS = 2.0


def start_sim(kubeconfig: Path) -> tuple[subprocess.Popen, str]:
    cmd = [
        sys.executable, "manage.py", "simcluster", "--scenario", "demo", "--churn", "0",
        "--seed", "2", "--port", "0", "--kubeconfig", str(kubeconfig),
    ]  # fmt: skip
    env = dict(os.environ, DEBUG="true")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"simcluster exited with {proc.returncode}")
        if kubeconfig.exists() and kubeconfig.stat().st_size:
            server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
            return proc, server
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("simcluster did not start in time")


def request(conn: http.client.HTTPConnection, path: str, accept: str) -> tuple[float, int]:
    started = time.perf_counter()
    conn.request("GET", path, headers={"Accept": accept})
    response = conn.getresponse()
    response.read()
    return time.perf_counter() - started, response.status


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500, help="timed requests per kind")
    parser.add_argument("--kubectl", help="also time `KUBECTL describe pods -A`")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        proc, server = start_sim(kubeconfig)
        try:
            url = urlsplit(server)
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            conn.request("GET", "/api/v1/namespaces/shop/pods?limit=1")
            response = conn.getresponse()
            pod = yaml.safe_load(response.read())["items"][0]["metadata"]["name"]
            kinds = {
                "get pod": (f"/api/v1/namespaces/shop/pods/{pod}", "application/json"),
                "list nodes": ("/api/v1/nodes", "application/json"),
                "table pods": ("/api/v1/namespaces/shop/pods", TABLE),
                "404": ("/api/v1/namespaces/shop/pods/nope", "application/json"),
            }
            times: dict[str, list[float]] = {k: [] for k in kinds}
            for _ in range(20):  # warm-up
                for path, accept in kinds.values():
                    request(conn, path, accept)
            for _ in range(args.requests):
                for kind, (path, accept) in kinds.items():
                    seconds, _ = request(conn, path, accept)
                    times[kind].append(seconds * 1000)
            conn.close()
            describe = None
            if args.kubectl:
                cmd = [args.kubectl, f"--kubeconfig={kubeconfig}", f"--cache-dir={tmp}/cache"]
                subprocess.run([*cmd, "get", "nodes"], capture_output=True, check=True)
                started = time.perf_counter()
                out = subprocess.run(
                    [*cmd, "describe", "pods", "-A"], capture_output=True, check=True
                )
                pods = sum(1 for line in out.stdout.splitlines() if line.startswith(b"Name:"))
                describe = (time.perf_counter() - started, pods)
        finally:
            proc.terminate()
            proc.wait(30)
    with open("/proc/cpuinfo") as fh:
        cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "?")
    print(f"machine: {platform.platform()}; {cpu}; nproc {os.cpu_count()}")
    print(f"python {platform.python_version()}; {args.requests} requests per kind, one connection")
    everything: list[float] = []
    for kind, values in times.items():
        everything += values
        print(
            f"{kind:<11} median {statistics.median(values):7.3f} ms"
            f"  p99 {percentile(values, 0.99):7.3f} ms"
        )
    median = statistics.median(everything)
    print(f"{'all':<11} median {median:7.3f} ms  p99 {percentile(everything, 0.99):7.3f} ms")
    if describe is not None:
        print(f"kubectl describe pods -A: {describe[0]:.2f} s for {describe[1]} pods")
    verdict = "PASS" if median < TARGET_MS else "FAIL"
    print(f"median < {TARGET_MS} ms: {verdict}")
    return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
