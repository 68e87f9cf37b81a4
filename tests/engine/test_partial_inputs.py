"""Inputs that miss a kind the analysis needs, and the table that tells the whole story.

A dump without EndpointSlices or without Nodes must neither flag every Service as broken nor show
perfect figures: the cluster section says once why nothing is simulated. Placeholder addresses get
a warning naming their slice. The table never hides a Service's name and never cuts a warning."""

import json
import pathlib
import subprocess
import sys

from .test_edge_cases import analyze, endpoint, node, service, slice_

ROOT = pathlib.Path(__file__).resolve().parents[2]
NODES = [node("a1", "zone-a"), node("b1", "zone-b")]
EPS = [endpoint("10.0.0.1", "a1", "zone-a"), endpoint("10.0.0.2", "b1", "zone-b")]


def _analyze_cli(tmp_path, items, *args):
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return subprocess.run(
        [sys.executable, "manage.py", "analyze", str(path), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout


def test_no_endpoint_slices_is_said_once_and_no_service_is_broken(tmp_path):
    items = [*NODES, service("web"), service("api")]
    report = analyze(items)
    gap = report["cluster"]["notSimulated"]
    assert "no EndpointSlices" in gap
    assert report["cluster"]["warnings"][0] == gap
    for s in report["services"]:
        assert not [d for d in s["diagnostics"] if d["severity"] == "error"], s["diagnostics"]
    table = _analyze_cli(tmp_path, items)
    assert table.count("no EndpointSlices") == 1
    assert table.count("not simulated") == 2  # one per Service row
    assert "rejects" not in table


def test_no_nodes_marks_figures_not_simulated(tmp_path):
    items = [service(), slice_("svc-x", *EPS)]
    report = analyze(items)
    assert "no Nodes" in report["cluster"]["notSimulated"]
    table = _analyze_cli(tmp_path, items)
    row = next(line for line in table.splitlines() if line.startswith("default/svc"))
    assert row.endswith("not simulated") and "0.0%" not in row
    entry = json.loads(_analyze_cli(tmp_path, items, "--format", "json"))["services"][0]
    assert entry["fixes"] == [] and entry["noFixReason"] in (
        None,
        report["cluster"]["notSimulated"],
    )


def test_a_complete_input_is_simulated():
    report = analyze([*NODES, service(), slice_("svc-x", *EPS)])
    assert report["cluster"]["notSimulated"] is None


def test_pods_basis_without_pods_says_so_at_cluster_level():
    report = analyze([*NODES, service(), slice_("svc-x", *EPS)], clients="pods")
    assert report["cluster"]["clientWeights"] == "cpu"
    assert any("no Pods in the input" in w for w in report["cluster"]["warnings"])


def test_placeholder_addresses_get_a_warning_naming_the_slice():
    bad = endpoint("<your-pod-ip>", "a1", "zone-a")
    v6 = endpoint("10.0.0.9", "a1", "zone-a")  # an IPv4 address in an IPv6 slice
    items = [
        *NODES,
        service(),
        slice_("svc-x", bad, *EPS),
        slice_("svc-y", v6, address_type="IPv6"),
    ]
    warnings = analyze(items)["cluster"]["warnings"]
    (x,) = [w for w in warnings if "svc-x" in w]
    assert "'<your-pod-ip>'" in x and "not a valid IPv4 address" in x
    (y,) = [w for w in warnings if "svc-y" in w]
    assert "not a valid IPv6 address" in y
    good = analyze([*NODES, service(), slice_("svc-x", *EPS)])["cluster"]["warnings"]
    assert not [w for w in good if "valid" in w]


def _long_named(namespace: str) -> list[dict]:
    svc = service("checkout", td="PreferSameZone")
    svc["metadata"]["namespace"] = namespace
    hinted = endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"])
    sl = slice_("checkout-x", hinted, EPS[1], service_name="checkout")
    sl["metadata"]["namespace"] = namespace
    return [*NODES, node("nozone", None), svc, sl]


def test_a_long_namespace_puts_the_name_on_its_own_line_and_warnings_wrap(tmp_path):
    namespace = "payments-platform-team-production-eu"
    table = _analyze_cli(tmp_path, _long_named(namespace), "--monthly-gb", "2000")
    lines = table.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert f"{namespace}/checkout" in lines
    header = next(line for line in lines if line.startswith("SERVICE"))
    assert header.split()[-1] == "$/MONTH"
    warning_text = " ".join(
        line.strip() for line in table.split("Warnings:")[1].splitlines() if line.strip()
    )
    assert "node nozone has no topology.kubernetes.io/zone label" in warning_text
    assert "..." not in table.split("Warnings:")[1]


def test_wide_shows_full_names_and_every_finding_on_one_line_each(tmp_path):
    namespace = "payments-platform-team-production-eu"
    items = _long_named(namespace)
    items[-1]["endpoints"].append(endpoint("10.0.0.3", "b1", "zone-b", ready=None))
    narrow = _analyze_cli(tmp_path, items)
    wide = _analyze_cli(tmp_path, items, "--wide")
    row = next(line for line in wide.splitlines() if line.startswith(f"{namespace}/checkout "))
    assert "%" in row  # the figures are on the name's line
    header = next(line for line in wide.splitlines() if line.startswith("SERVICE"))
    assert "DROPPED" in header and "X-REGION" in header
    findings = [line for line in wide.splitlines() if line.startswith(("  !", "  i"))]
    report = json.loads(_analyze_cli(tmp_path, items, "--format", "json"))
    messages = [d["message"] for d in report["services"][0]["diagnostics"]]
    assert len(messages) >= 2
    assert [line[5:] for line in findings] == messages  # whole, one line each
    assert len([line for line in narrow.splitlines() if line.startswith(("  !", "  i"))]) == 1
