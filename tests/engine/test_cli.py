"""`manage.py analyze` as people and tools use it: width, stable JSON, several files, purity."""

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = pathlib.Path(__file__).parent / "vectors"


def _input(tmp_path: pathlib.Path, case: str) -> str:
    path = tmp_path / f"{case}.json"
    path.write_text(json.dumps(json.loads((VECTORS / f"{case}.json").read_text())["input"]))
    return str(path)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "analyze", *args],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_table_fits_80_columns_and_names_each_service(tmp_path):
    paths = [_input(tmp_path, c) for c in ("flows-000", "flows-007", "auto-022", "proxy-012")]
    result = run(*paths)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert max(len(line) for line in out.splitlines()) <= 80
    for name in ("shop/cart", "shop/db", "default/svc"):
        assert name in out
    assert "Zone matrix" in out and "us-west-2a" in out
    assert "Auto is off" in out  # auto-022's top diagnostic


def test_json_is_byte_identical_across_runs(tmp_path):
    path = _input(tmp_path, "flows-001")
    first, second = run("--format", "json", path), run("--format", "json", path)
    assert first.returncode == 0 and first.stdout == second.stdout


def test_several_paths_give_an_array_in_order(tmp_path):
    a, b = _input(tmp_path, "flows-000"), _input(tmp_path, "proxy-000")
    reports = json.loads(run("--format", "json", a, b).stdout)
    assert isinstance(reports, list) and len(reports) == 2
    assert reports[0]["services"][0]["name"] == "cart"
    assert reports[1]["services"][0]["name"] == "svc"


def test_service_filter_monthly_volume_and_provider(tmp_path):
    path = _input(tmp_path, "flows-000")
    report = json.loads(
        run(
            "--format",
            "json",
            "--service",
            "shop/cart",
            "--monthly-gb",
            "1000",
            "--provider",
            "gcp",
            path,
        ).stdout
    )
    (svc,) = report["services"]
    assert report["cluster"]["provider"] == "gcp" and svc["cost"]["pricePerGbCrossZone"] == 0.01
    assert svc["cost"]["monthlyCost"] == svc["cost"]["costPerGb"] * 1000
    rec = svc["recommendation"]
    assert rec["policy"] == "PreferSameZone"
    assert rec["monthlySaved"] == rec["costPerGbSaved"] * 1000 > 0
    assert "kubectl -n shop patch service cart" in rec["change"]


def test_proxy_detail_zones_keeps_every_answer(tmp_path):
    path = _input(tmp_path, "proxy-030")
    full = json.loads(run("--format", "json", "--proxy-detail", "nodes", path).stdout)["services"][
        0
    ]
    compact = json.loads(run("--format", "json", "--proxy-detail", "zones", path).stdout)[
        "services"
    ][0]
    zone_of = {name: entry["zone"] or "unknown" for name, entry in full["proxy"].items()}
    for name, entry in full["proxy"].items():
        assert compact["proxy"].get(name, compact["proxyByZone"][zone_of[name]]) == entry


def test_json_goes_out_a_service_at_a_time_in_the_bytes_of_the_whole(monkeypatch):
    import io

    import orjson

    from routing.engine import cli

    whole = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    services = [{"name": f"s{i}", "z": {"b": i / 3, "a": [None, True, "é"]}} for i in range(40)]
    payloads = [
        {"cluster": {"zones": {"b": 1, "a": 2}}, "services": services},
        {"cluster": {}, "services": []},
        {"cluster": {}, "services": [{"load": {2: 0.5, 1: 0.5}}]},  # non-str keys: the fallback
        {"cluster": {}, "services": services, "other": 1},  # not a report: in one piece
        [{"cluster": {}, "services": services}] * 2,  # several files: an array
    ]
    for chunk in (1 << 20, 50):  # one write, or a write every few Services
        monkeypatch.setattr(cli, "_CHUNK", chunk)
        for payload in payloads:
            out = io.BytesIO()
            cli.write_json(payload, out)
            assert out.getvalue() == orjson.dumps(payload, option=whole) + b"\n"


def test_the_last_input_is_kept_until_the_next_run_only(tmp_path):
    from routing.engine import cli

    path = _input(tmp_path, "flows-000")
    for _ in range(2):
        assert cli.main(["--format", "json", "--no-fixes", path]) == 0
        items, cluster, reports = cli._KEPT  # never freed object by object before os._exit
        assert len(reports) == 1 and cluster.services and items


def test_engine_imports_no_django():
    code = (
        "import sys, routing.engine, routing.engine.cli; "
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == b"[]"


def test_analysing_the_same_cluster_twice_gives_the_same_report():
    from routing.engine import Options, analyze_cluster, build_cluster, load_bytes

    case = json.loads((VECTORS / "flows-000.json").read_text())
    cluster = build_cluster(load_bytes(json.dumps(case["input"]).encode()))
    first = analyze_cluster(cluster, Options(clients="pods"))
    assert first == analyze_cluster(cluster, Options(clients="pods"))
    assert first["cluster"]["clientWeights"] == "cpu"  # the input has no Pods
    assert len(first["cluster"]["warnings"]) == 1


def test_pods_basis_without_running_pods_falls_back_to_cpu():
    from routing.engine import Options, analyze_cluster, build_cluster, load_bytes

    case = json.loads((VECTORS / "flows-000.json").read_text())
    node = next(i for i in case["input"]["items"] if i["kind"] == "Node")["metadata"]["name"]
    pending = {
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "x"},
        "spec": {"nodeName": node},
        "status": {"phase": "Pending"},
    }
    case["input"]["items"].append(pending)
    report = analyze_cluster(
        build_cluster(load_bytes(json.dumps(case["input"]).encode())), Options(clients="pods")
    )
    svc = report["services"][0]
    assert report["cluster"]["clientWeights"] == "cpu"
    total = sum(v for row in svc["flows"]["matrix"].values() for v in row.values())
    assert abs(total + svc["flows"]["dropped"] - 1.0) < 1e-9


def test_hints_pending_after_a_policy_switch_says_what_the_next_sync_changes():
    from routing.engine import Options, analyze_cluster, build_cluster, load_path

    demo = ROOT / "examples" / "demo-shop.json"
    report = analyze_cluster(build_cluster(load_path(str(demo))), Options())
    by_name = {s["name"]: s for s in report["services"]}
    codes = {name: [d["code"] for d in s["diagnostics"]] for name, s in by_name.items()}
    pending = next(d for d in by_name["checkout"]["diagnostics"] if d["code"] == "hints-pending")
    assert pending["severity"] == "warning" and "10.1.2.4" in pending["message"]
    assert "from 67% to 0%" in pending["message"]
    for settled in ("cart", "search", "sessions", "catalog", "payments"):
        assert "hints-pending" not in codes[settled], settled
