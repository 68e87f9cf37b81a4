"""Benchmark: list a large simulated cluster raw + orjson vs through the client's typed models.

Starts `manage.py simcluster --scenario large` in a child process (so the server does not share
this process's CPU time or GIL), then lists Nodes, Services, EndpointSlices and Pods through the
real `kubernetes` client both ways, interleaved, with the same page size. Prints medians and
their ratio (target: raw at least 5x faster).
"""

import argparse
import gc
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
os.environ.setdefault("DEBUG", "true")  # a development run: no SECRET_KEY needed

from kubernetes import client, config  # noqa: E402

from routing.kube.listing import list_cluster  # noqa: E402

PAGE = 5000


def typed_list(api_client: client.ApiClient) -> int:
    """The same four lists through the generated API classes (typed model objects)."""
    core, discovery = client.CoreV1Api(api_client), client.DiscoveryV1Api(api_client)
    calls = (
        core.list_node,
        core.list_service_for_all_namespaces,
        discovery.list_endpoint_slice_for_all_namespaces,
        core.list_pod_for_all_namespaces,
    )
    count = 0
    for call in calls:
        token = None
        while True:
            page = call(limit=PAGE, _continue=token) if token else call(limit=PAGE)
            count += len(page.items)
            token = page.metadata._continue
            if not token:
                break
    return count


def raw_list(api_client: client.ApiClient) -> int:
    objects, _ = list_cluster(api_client)
    return len(objects)


def timed(fn, api_client) -> tuple[float, int]:
    gc.collect()
    start = time.perf_counter()
    count = fn(api_client)
    return time.perf_counter() - start, count


def wait_ready(kubeconfig: Path, proc: subprocess.Popen, timeout: float = 300) -> client.ApiClient:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"simcluster exited with {proc.returncode}")
        if kubeconfig.exists():
            api_client = config.new_client_from_config(config_file=str(kubeconfig))
            try:
                client.VersionApi(api_client).get_code()
                return api_client
            except Exception:  # noqa: BLE001 - not up yet
                pass
        time.sleep(0.5)
    raise SystemExit("simcluster did not start in time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=100_000)
    parser.add_argument("--nodes", type=int, default=1_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        cmd = [
            sys.executable,
            "manage.py",
            "simcluster",
            "--scenario",
            "large",
            "--port",
            "0",
            "--services",
            str(args.services),
            "--endpoints",
            str(args.endpoints),
            "--nodes",
            str(args.nodes),
            "--kubeconfig",
            str(kubeconfig),
        ]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            api_client = wait_ready(kubeconfig, proc)
            raw, typed = [], []
            for _ in range(args.reps):
                seconds, raw_count = timed(raw_list, api_client)
                raw.append(seconds)
                seconds, typed_count = timed(typed_list, api_client)
                typed.append(seconds)
        finally:
            proc.terminate()
            proc.wait(30)
    with open("/proc/cpuinfo") as fh:
        cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "?")
    print(f"machine: {platform.platform()}; {cpu}; nproc {os.cpu_count()}")
    print(f"python {platform.python_version()}")
    print(
        f"cluster: {args.services} services, {args.endpoints} endpoints, {args.nodes} nodes; "
        f"{raw_count} objects listed (typed: {typed_count}); page size {PAGE}"
    )
    for label, runs in (("raw + orjson", raw), ("typed models", typed)):
        shown = ", ".join(f"{t:.2f}" for t in runs)
        print(f"{label}  median {statistics.median(runs):.2f} s  (runs {shown})")
    ratio = statistics.median(typed) / statistics.median(raw)
    print(f"typed / raw: {ratio:.1f}x (target >= 5x): {'PASS' if ratio >= 5 else 'FAIL'}")
    return 0 if ratio >= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
