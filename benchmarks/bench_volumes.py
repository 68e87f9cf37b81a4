"""Benchmark: refresh the measured volumes of a 10,000-Service cluster from a real Prometheus.

Everything runs on loopback, each part in its own process:

1. the simulated `large` cluster (`manage.py simcluster --scenario large`: 10,000 Services,
   ~100,000 Pods, 1,000 nodes), which also serves its byte counters at /metrics (cAdvisor's
   per-Pod series, Istio's per-Service histograms, Beyla's per-owner flows);
2. a snapshot of it in PostgreSQL, listed through the kubernetes client as the watcher does
   (`routing.jobs.ingest.snapshot_now`);
3. Debian's Prometheus (`routing.volumes.local_prometheus.LocalPrometheus`) scraping that /metrics
   every `--scrape-interval` seconds; the refreshes start once the rate's window is full;
4. for each preset and repetition, a fresh Python process that runs
   `routing.volumes.refresh.refresh(cluster, preset_name=..., window_seconds=...)` (the query,
   the index from the stored snapshot, the attribution, the 10,000 MeasuredVolume rows) and
   reports its wall time and its peak RSS during the call (VmHWM, reset just before it).

Queries are counted by Prometheus itself: `prometheus_http_requests_total{handler=
"/api/v1/query"}` from its own /metrics, read before and after each refresh process (nothing
else queries it meanwhile). Each fetch is checked against the simulation's configured rates
(GET /_sim/traffic): how many Services it matched, and how many are within 5%.

Target: every preset under 10 s, with exactly one query.

    .venv/bin/python benchmarks/bench_volumes.py                   # the full-size run
    .venv/bin/python benchmarks/bench_volumes.py --services 500 --endpoints 5000 --nodes 60
    .venv/bin/python benchmarks/bench_volumes.py --profile         # + one cProfile'd refresh each

Needs Debian's `prometheus` (apt-get install prometheus; `make system-deps`) and PostgreSQL; it
drops and recreates its own database (default trafficlens_bench_volumes; the name must contain
"bench"). Prometheus holds ~2 GB for the full-size cluster; its first scrape takes a few seconds.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import orjson
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 10.0
PRESETS = ("cadvisor", "istio", "beyla")
QUERY_HANDLER = "/api/v1/query"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# Functions of routing.volumes.refresh timed one by one in the child (those that exist).
STAGES = (
    "instant_query",
    "_index_objects",
    "index_for",
    "build_index",
    "attribute",
    "_monthly_cost",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Reproduce docs/benchmarks.md's 'Measured volumes': run it with no options.",
    )
    size = parser.add_argument_group("the simulated cluster (scenario large)")
    size.add_argument("--services", type=int, default=10_000)
    size.add_argument("--endpoints", type=int, default=100_000)
    size.add_argument("--nodes", type=int, default=1_000)
    size.add_argument("--zones", type=int, default=3)
    size.add_argument("--seed", type=int, default=1)
    run = parser.add_argument_group("the runs")
    run.add_argument(
        "--presets", default=",".join(PRESETS), help="comma-separated (default: %(default)s)"
    )
    run.add_argument("--reps", type=int, default=3, help="refreshes per preset, interleaved")
    run.add_argument(
        "--window", type=int, default=30, help="seconds the rate is taken over (default 30)"
    )
    run.add_argument(
        "--scrape-interval", type=float, default=5.0, help="Prometheus's (default 5 s)"
    )
    run.add_argument(
        "--profile",
        action="store_true",
        help="after the timed runs, one cProfile'd refresh per preset (top functions printed)",
    )
    run.add_argument("--json", help="also write the results here")
    where = parser.add_argument_group("where")
    where.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="no db name")
    where.add_argument("--database", default="trafficlens_bench_volumes")
    where.add_argument("--prometheus", help="the prometheus binary (default: on PATH or /usr/bin)")
    # Internal: one refresh in this process (the parent starts these).
    parser.add_argument("--child", metavar="PRESET", help=argparse.SUPPRESS)
    parser.add_argument("--child-profile", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- memory and Prometheus's own counters ------------------------------------------------------


def status_kib(field: str, pid: int | str = "self") -> int:
    """A /proc/<pid>/status figure in KiB (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def reset_peak() -> bool:
    """Set this process's VmHWM to its current RSS (Linux >= 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def prometheus_metrics(url: str) -> str:
    with _NO_PROXY.open(f"{url}/metrics", timeout=30) as answer:
        return answer.read().decode()


def metric_sum(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples in Prometheus text whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name) or line[len(name) : len(name) + 1] not in ("{", " "):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


def queries_received(url: str) -> int:
    text = prometheus_metrics(url)
    return int(metric_sum(text, "prometheus_http_requests_total", handler=QUERY_HANDLER))


# --- the child: one refresh --------------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    """One refresh of cluster `bench` with preset args.child; prints one JSON line."""
    os.environ["DEBUG"] = "false"  # no query log: production's settings
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    from benchmarks.bench_db import django_on

    django_on(args.pg, args.database, fresh=False)
    import gc

    from routing.models import Cluster
    from routing.volumes import refresh as module

    stages: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*a, **kw):
            began = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                stages[name] = stages.get(name, 0.0) + time.perf_counter() - began

        return wrapper

    for name in STAGES:
        if hasattr(module, name):
            setattr(module, name, timed(name, getattr(module, name)))
    cluster = Cluster.objects.get(name="bench")
    gc.collect()
    rss_before = status_kib("VmRSS")
    peak_reset = reset_peak()
    profiler = None
    if args.child_profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    began = time.perf_counter()
    found = module.refresh(cluster, preset_name=args.child, window_seconds=args.window)
    wall = time.perf_counter() - began
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.child_profile)
    out = {
        "preset": args.child,
        "seconds": wall,
        "measureSeconds": found.duration,
        "stages": {**stages, "store": wall - found.duration},
        "rssBeforeMiB": rss_before / 1024,
        "peakMiB": status_kib("VmHWM") / 1024,
        "peakReset": peak_reset,
        "fetch": found.fetch.pk if found.fetch else None,
        "services": len(found.volumes),
        "series": found.series,
        "unmatched": found.attribution.unmatched_count,
        "notes": found.attribution.notes,
    }
    print("RESULT " + orjson.dumps(out).decode(), flush=True)


def run_child(args: argparse.Namespace, preset: str, profile: str | None = None) -> dict:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        preset,
        "--window",
        str(args.window),
        "--pg",
        args.pg,
        "--database",
        args.database,
    ]
    if profile:
        command += ["--child-profile", profile]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(
            f"the {preset} refresh failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return orjson.loads(lines[-1][len("RESULT ") :])


# --- the parent: cluster, snapshot, Prometheus, runs -------------------------------------------


def start_sim(args: argparse.Namespace, kubeconfig: Path) -> tuple[subprocess.Popen, str]:
    """`manage.py simcluster --scenario large` in a child process; (process, its URL)."""
    command = [
        sys.executable,
        "manage.py",
        "simcluster",
        "--scenario",
        "large",
        "--port",
        "0",
        "--churn",
        "0",
        "--seed",
        str(args.seed),
        "--services",
        str(args.services),
        "--endpoints",
        str(args.endpoints),
        "--nodes",
        str(args.nodes),
        "--zones",
        str(args.zones),
        "--kubeconfig",
        str(kubeconfig),
    ]
    env = {**os.environ, "DEBUG": "true", "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:  # it prints its counts, then its URL, then the kubeconfig's path
        print(f"  sim: {line.rstrip()}")
        if line.startswith("kubeconfig:"):
            break
    if proc.poll() is not None or not kubeconfig.exists():
        raise SystemExit(f"simcluster did not start (exit {proc.poll()})")
    doc = yaml.safe_load(kubeconfig.read_text())
    return proc, doc["clusters"][0]["cluster"]["server"]


def sim_rates(url: str) -> dict[tuple[str, str], float]:
    with _NO_PROXY.open(f"{url}/_sim/traffic", timeout=60) as answer:
        doc = orjson.loads(answer.read())
    return {(s["namespace"], s["name"]): float(s["bytesPerSecond"]) for s in doc["services"]}


def check_fetch(fetch_id: int, expected: dict[tuple[str, str], float]) -> dict:
    """How the stored volumes compare with the simulation's configured rates."""
    from routing.volumes.models import MeasuredVolume
    from routing.volumes.refresh import monthly_gb

    rows = MeasuredVolume.objects.filter(fetch_id=fetch_id).values_list(
        "namespace", "name", "monthly_gb"
    )
    stored = {(ns, name): gb for ns, name, gb in rows}
    carrying = {key: monthly_gb(rate) for key, rate in expected.items() if rate > 0}
    within = sum(
        1
        for key, gb in carrying.items()
        if key in stored and math.isclose(stored[key], gb, rel_tol=0.05)
    )
    return {"stored": len(stored), "carrying": len(carrying), "within5pct": within}


def prometheus_figures(prom, pid: int | None) -> dict:
    """Series held, last scrape's duration and samples, and Prometheus's memory."""
    text = prometheus_metrics(prom.url)
    figures = {"headSeries": int(metric_sum(text, "prometheus_tsdb_head_series"))}
    if pid is not None:
        figures["rssMiB"] = status_kib("VmRSS", pid) / 1024
        figures["peakMiB"] = status_kib("VmHWM", pid) / 1024
    for name in ("scrape_duration_seconds", "scrape_samples_scraped"):
        rows = prom.query(f'{name}{{job="{prom.job}"}}')
        figures[name] = float(rows[0]["value"][1]) if rows else None
    return figures


def machine() -> dict:
    from benchmarks.bench_analyze import machine as base

    m = base()
    with open("/proc/meminfo") as fh:
        total = next(int(ln.split()[1]) for ln in fh if ln.startswith("MemTotal:"))
    m["memGiB"] = round(total / 1024**2, 1)
    return m


def summarise(runs: list[dict]) -> dict:
    times = [r["seconds"] for r in runs]
    stage_names = sorted({name for r in runs for name in r["stages"]})
    return {
        "medianSeconds": statistics.median(times),
        "maxSeconds": max(times),
        "runs": times,
        "medianPeakMiB": statistics.median(r["peakMiB"] for r in runs),
        "medianRssBeforeMiB": statistics.median(r["rssBeforeMiB"] for r in runs),
        "queries": sorted({r["queries"] for r in runs}),
        "stages": {
            n: statistics.median(r["stages"].get(n, 0.0) for r in runs) for n in stage_names
        },
    }


def print_profile(path: str, preset: str) -> None:
    import pstats

    print(f"\n--- cProfile of one {preset} refresh (cumulative, top 25) ---")
    pstats.Stats(path, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.child:
        child(args)
        return {}
    presets = [p.strip() for p in args.presets.split(",") if p.strip()]
    unknown = set(presets) - set(PRESETS)
    if unknown:
        raise SystemExit(f"unknown presets {sorted(unknown)}; one of {', '.join(PRESETS)}")
    from routing.volumes.local_prometheus import LocalPrometheus, find_binary

    binary = args.prometheus or find_binary()
    if binary is None or (args.prometheus and not os.access(binary, os.X_OK)):
        print(
            "bench_volumes: FAILED: no prometheus binary "
            f"({args.prometheus or 'not on PATH, nor /usr/bin/prometheus'}); this benchmark "
            "measures against a real Prometheus: apt-get install prometheus (make system-deps)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    m = machine()
    print(
        f"machine: {m['platform']}; {m['cpu']}; {m['nproc']} CPUs; {m['memGiB']} GiB RAM; "
        f"{m['python']}"
    )
    version = subprocess.run([binary, "--version"], capture_output=True, text=True)
    m["prometheus"] = (version.stdout or version.stderr).splitlines()[0]
    print(m["prometheus"])

    from benchmarks.bench_db import django_on

    django_on(args.pg, args.database, fresh=True)
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count

    from routing.jobs.ingest import snapshot_now
    from routing.models import Cluster, ObjectVersion
    from routing.volumes.models import TrafficSource

    results: dict = {"machine": m, "window": args.window, "scrapeInterval": args.scrape_interval}
    with tempfile.TemporaryDirectory(prefix="bench-volumes-") as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        started = time.perf_counter()
        sim, sim_url = start_sim(args, kubeconfig)
        prom = None
        try:
            print(f"simulated cluster up in {time.perf_counter() - started:.1f} s at {sim_url}")
            settings.TRAFFICLENS_SIM_KUBECONFIG = kubeconfig
            cluster = Cluster.objects.create(name="bench", source=Cluster.Source.SIMULATED)
            began = time.perf_counter()
            snapshot = snapshot_now(cluster)
            counts = dict(
                ObjectVersion.objects.at(cluster.pk, snapshot.seq)
                .values_list("kind")
                .annotate(n=Count("pk"))
                .values_list("kind", "n")
            )
            with connection.cursor() as cursor:  # what autovacuum does soon after the write
                cursor.execute("VACUUM ANALYZE routing_objectversion")
                cursor.execute("VACUUM ANALYZE routing_servicesummary")
            results["snapshot"] = {"seconds": time.perf_counter() - began, "objects": counts}
            print(
                f"snapshot {snapshot.seq} stored in {time.perf_counter() - began:.1f} s: {counts}"
            )
            connection.close()  # the children write; keep no idle transaction open meanwhile

            target = sim_url.split("://", 1)[1]
            prom = LocalPrometheus(
                [target], scrape_interval=args.scrape_interval, binary=binary
            ).start()
            scrapes = math.ceil(args.window / args.scrape_interval) + 2
            began = time.perf_counter()
            prom.wait_for_scrapes(scrapes, timeout=scrapes * args.scrape_interval + 300)
            print(
                f"Prometheus {prom.url} (pid {prom.pid}): {scrapes} scrapes every "
                f"{args.scrape_interval:g} s in {time.perf_counter() - began:.1f} s"
            )
            results["prometheusBefore"] = prometheus_figures(prom, prom.pid)
            print(f"  {results['prometheusBefore']}")
            TrafficSource.objects.create(
                cluster=cluster, url=prom.url, window_seconds=args.window, timeout_seconds=120
            )
            connection.close()
            expected = sim_rates(sim_url)

            runs: dict[str, list[dict]] = {p: [] for p in presets}
            for rep in range(args.reps):
                for preset in presets:
                    before = queries_received(prom.url)
                    r = run_child(args, preset)
                    r["queries"] = queries_received(prom.url) - before
                    r["check"] = check_fetch(r["fetch"], expected)
                    connection.close()
                    runs[preset].append(r)
                    stages = ", ".join(f"{k} {v:.2f}" for k, v in sorted(r["stages"].items()))
                    print(
                        f"[{rep + 1}/{args.reps}] {preset:8} {r['seconds']:6.2f} s, peak "
                        f"{r['peakMiB']:.0f} MiB (before {r['rssBeforeMiB']:.0f}), "
                        f"{r['queries']} quer{'y' if r['queries'] == 1 else 'ies'}, "
                        f"{r['series']} series, {r['services']} Services stored "
                        f"({r['check']['within5pct']}/{r['check']['carrying']} within 5%), "
                        f"unmatched {r['unmatched']}; stages: {stages}"
                    )
            results["prometheusAfter"] = prometheus_figures(prom, prom.pid)
            results["simPeakMiB"] = status_kib("VmHWM", sim.pid) / 1024
            results["runs"] = runs
            results["summary"] = {p: summarise(rs) for p, rs in runs.items()}
            if args.profile:
                for preset in presets:
                    path = str(Path(tmp) / f"{preset}.prof")
                    run_child(args, preset, profile=path)
                    print_profile(path, preset)
        finally:
            if prom is not None:
                prom.stop()
            sim.terminate()
            try:
                sim.wait(30)
            except subprocess.TimeoutExpired:
                sim.kill()
                sim.wait()

    print(f"\nPrometheus after the runs: {results['prometheusAfter']}")
    print(f"simulated cluster's peak RSS: {results['simPeakMiB']:.0f} MiB")
    print(f"\n{'preset':9} {'median':>8} {'max':>8} {'peak RSS':>9} {'queries':>8}  target")
    ok = True
    for preset, s in results["summary"].items():
        good = s["maxSeconds"] < TARGET_SECONDS and s["queries"] == [1]
        ok &= good
        print(
            f"{preset:9} {s['medianSeconds']:7.2f}s {s['maxSeconds']:7.2f}s "
            f"{s['medianPeakMiB']:6.0f} MiB {','.join(map(str, s['queries'])):>8}  "
            f"{'ok' if good else 'MISSED'} (< {TARGET_SECONDS:g} s, one query)"
        )
        print(
            "          stages (median s): "
            + ", ".join(f"{k} {v:.2f}" for k, v in sorted(s["stages"].items()))
        )
    results["ok"] = ok
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return results


if __name__ == "__main__":
    sys.exit(0 if main().get("ok", True) else 1)
