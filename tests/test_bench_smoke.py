"""Issue 16's benchmarks run once each at a tiny size, so that none can rot unnoticed ("CI runs
each benchmark once at a small size"). Nothing is timed here: a run must finish and its results
must say it did what it measures; its latencies are not judged.

- bench_api: list pages whose filters and sort never repeat (no cached answer), the cached list
  and the detail, while a 1%-change snapshot is written every second, after a short history;
- bench_coldlist_cost: the same cold list queries, then the Service details, one at a time in
  process, each request's Python and PostgreSQL CPU;
- bench_watchers: clusters split by two `manage.py watch` replicas, changes to the database,
  one replica killed and its clusters taken over, nothing lost;
- bench_pages: every page and API call it times answers, on a snapshot with measured volumes;
- bench_live: watch events of two clusters reach the sockets of each;
- bench_analyze: `manage.py analyze` against a bare parse of the same dump, interleaved, with
  the output's sha256 (also from another checkout, to show a change leaves it as it was)."""

import hashlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.bench_runner import postgres_server, run_benchmark

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed (make system-deps)")
def test_the_api_benchmark_runs_cold_lists_and_details_under_write_load(tmp_path):
    out = tmp_path / "bench.json"
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    args = [
        *("--services", "200", "--endpoints", "1500", "--nodes", "20"),
        *("--duration", "2", "--runs", "coldlist,list,detail", "--write-every", "1"),
        *("--history", "3"),
        *("--pg", postgres_server(), "--database", "trafficlens_bench_api_smoke"),
        *("--redis", redis, "--port", str(_free_port()), "--json", str(out)),
    ]
    results = run_benchmark("bench_api.py", args, out)
    for run in ("coldlist", "list", "detail"):
        assert results[run]["requests"] > 0, results[run]
        assert results[run]["status_errors"] == 0 and results[run]["socket_errors"] == 0
    assert results["writes"]["writes"] >= 1 and results["writes"]["failures"] == 0
    assert results["writes"]["servicesChanged"] == 2  # 1% of 200
    # --history: 3 writes of 2 changed Services each before the runs, so closed rows exist
    assert results["history"]["open"] == 200
    assert results["history"]["all"] - results["history"]["open"] >= 3


def test_the_cold_list_cost_benchmark_splits_each_request_s_cpu(tmp_path):
    out = tmp_path / "cost.json"
    args = [
        *("--services", "200", "--endpoints", "1500", "--nodes", "20"),
        *("--queries", "20", "--rounds", "2"),
        *("--pg", postgres_server(), "--database", "trafficlens_bench_cost_smoke"),
        *("--json", str(out)),
    ]
    results = run_benchmark("bench_coldlist_cost.py", args, out)
    assert results["services"] == 200 and len(results["rounds"]) == 2
    for r in results["rounds"]:
        # token, snapshot lookup; the page's keys and rows come from the snapshot's index in
        # the process, read once by the warm-up's requests
        assert r["queries"] == 2, r
        assert r["pythonCpuMs"] > 0 and r["postgresCpuMs"] >= 0 and r["wallMs"] > 0, r
    # The Service details, on the same database: token, snapshot, report with its cluster
    # section (no volume source in the benchmark's cluster).
    detail = run_benchmark(
        "bench_coldlist_cost.py", [*args, "--reuse", "--endpoint", "detail"], out
    )
    assert detail["endpoint"] == "detail" and len(detail["rounds"]) == 2
    for r in detail["rounds"]:
        assert r["queries"] == 3, r
        assert r["pythonCpuMs"] > 0 and r["wallMs"] > 0, r


def test_the_watchers_benchmark_splits_fails_over_and_loses_nothing(tmp_path):
    out = tmp_path / "bench.json"
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    args = [
        *("--clusters", "2", "--services", "20", "--endpoints", "100", "--nodes", "4"),
        *("--steady", "3", "--failover", "6", "--lease-ttl", "2", "--rate", "3"),
        *("--pg", postgres_server(), "--database", "trafficlens_bench_watchers_smoke"),
        *("--redis", redis, "--json", str(out)),
    ]
    results = run_benchmark("bench_watchers.py", args, out)
    assert [m["clusters"] for m in results["memory"]] == [1, 1]  # split evenly
    assert results["failover"]["clustersOfKilled"] == 1
    assert results["failover"]["takeoverSeconds"] is not None
    assert results["failover"]["servedSeconds"] is not None
    for phase in ("steady", "duringFailover"):
        assert results[phase]["changes"] > 0 and results[phase]["lost"] == 0, results[phase]


def test_the_analyze_benchmark_measures_a_small_cluster_and_hashes_its_output(tmp_path):
    # This very tree as the "before" one: the comparison runs, and gives the same output.
    command = [
        sys.executable,
        "benchmarks/bench_analyze.py",
        *("--services", "40", "--endpoints", "300", "--nodes", "12"),
        *("--reps", "1", "--warmup", "0", "--json", "--data-dir", str(tmp_path)),
        *("--before-tree", str(ROOT)),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = orjson.loads(done.stdout)
    assert report["analyzeError"] is None
    assert (report["cluster"]["services"], report["cluster"]["pods"]) == (40, 300)
    for side in ("baseline", "analyze", "before"):
        assert len(report[side]["seconds"]) == 1 and report[side]["peakRssBytes"] > 0
    assert report["ratio"] > 0 and report["beforeRatio"] > 0 and report["memoryRatio"] > 0
    analyzed = subprocess.run(
        [sys.executable, "manage.py", "analyze", "--format", "json", report["cluster"]["file"]],
        cwd=ROOT,
        capture_output=True,
        timeout=600,
    )
    assert report["outputSha256"] == hashlib.sha256(analyzed.stdout).hexdigest()
    assert report["beforeSha256"] == report["outputSha256"]


def test_the_analyze_benchmark_s_rows_are_issue_16_s_clusters():
    from benchmarks.bench_analyze import ROWS

    limits, no_pods = ROWS["limits"], ROWS["no-pods"]
    assert limits.sizes == {"services": 10000, "endpoints": 150000, "nodes": 5000, "pods": True}
    assert no_pods.sizes == {"services": 10000, "endpoints": 100000, "nodes": 1000, "pods": False}
    assert (limits.ratio_target, no_pods.ratio_target) == (2.0, 2.5)


def test_the_pages_benchmark_serves_every_page_with_measured_volumes(tmp_path):
    out = tmp_path / "bench.json"
    args = [
        *("--services", "60", "--endpoints", "400", "--nodes", "12", "--repeat", "1"),
        *("--server", postgres_server(), "--database", "trafficlens_bench_pages_smoke"),
        *("--volumes", "--json", str(out)),
    ]
    results = run_benchmark("bench_pages.py", args, out)
    assert results["servicesWithVolume"] == 60
    assert len(results["pages"]) >= 20
    assert {page["status"] for page in results["pages"].values()} == {200}, results["pages"]


def test_the_live_benchmark_reaches_sockets_on_every_cluster(tmp_path):
    out = tmp_path / "bench.json"
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    args = [
        *("--clusters", "2", "--sockets", "4", "--duration", "3", "--warmup", "2"),
        *("--server", postgres_server(), "--database", "trafficlens_bench_live_smoke"),
        *("--redis", redis, "--json", str(out)),
    ]
    results = run_benchmark("bench_live.py", args, out)
    assert results["connected"] == 4 and results["socketsWithChanges"] == 4
    assert results["samples"] > 0
    assert sorted(results["clusterP99"]) == ["sim00", "sim01"]
