"""Benchmark: refresh the measured volumes of a 10,000-Service cluster from a real Prometheus.

Everything runs on loopback, each part in its own process:

1. the simulated `large` cluster (`manage.py simcluster --scenario large`: 10,000 Services,
   100,000 Pods, 1,000 nodes, no churn), which also serves its byte counters at /metrics:
   cAdvisor's per-Pod series, Istio's per-Service histograms, Beyla's per-owner flows (~300,000
   series);
2. a snapshot of it in PostgreSQL, listed through the kubernetes client as the watcher lists
   (`routing.jobs.ingest.snapshot_now`), then VACUUM ANALYZE;
3. Debian's Prometheus, started with `routing.volumes.local_prometheus.LocalPrometheus`, scraping
   that /metrics every --scrape-interval seconds; the refreshes begin once the rate's window has
   filled (window / interval + 2 scrapes);
4. for each repetition and preset (and module, see --modules), a fresh Python process that
   runs `refresh(cluster, preset_name=PRESET, window_seconds=WINDOW)` (the one query, the index
   from the stored snapshot, the attribution, the MeasuredVolume rows; DEBUG off) and reports
   its wall time, its time per stage and its peak RSS during the call (VmHWM, reset just
   before the call; the process holds ~100 MiB of Django before it).

With --align (the default) each refresh starts right after a scrape has ended, so it competes
with as little of the next scrape as the interval allows (the simulated cluster rendering 300,000
series and Prometheus ingesting them share this machine's cores; a production Prometheus runs
elsewhere). Queries are counted by Prometheus itself: `prometheus_http_requests_total{handler=
"/api/v1/query"}` in its own /metrics, read before and after each refresh (nothing else queries
it meanwhile), with the time it spent answering (`prometheus_http_request_duration_seconds`) and
evaluating (`prometheus_engine_query_duration_seconds`, inner_eval + prepare_time). Each fetch is
checked against the simulation's configured rates (GET /_sim/traffic): Services stored, and how
many within 5%.

Target: every preset under 10 s, with exactly one query. Exit status 1 if missed, 2 without
prometheus.

    .venv/bin/python benchmarks/bench_volumes.py                  # the full-size run
    .venv/bin/python benchmarks/bench_volumes.py --services 500 --endpoints 5000 --nodes 60 \\
        --reps 1                                                  # a quick one
    .venv/bin/python benchmarks/bench_volumes.py --profile        # + a cProfile'd refresh each
    .venv/bin/python benchmarks/bench_volumes.py --compare-queries 3   # + cAdvisor query forms
    PYTHONPATH=/tmp/old .venv/bin/python benchmarks/bench_volumes.py \\
        --modules routing.volumes.refresh,old_refresh            # before/after, interleaved

Needs Debian's `prometheus` (apt-get install prometheus, or `make system-deps`) and PostgreSQL;
it drops and recreates its own database (default trafficlens_bench_volumes; the name must
contain "bench"). Prometheus holds ~2.5 GB for the full-size cluster, the simulated cluster
~1 GB; building the cluster and the snapshot takes about a minute.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

import orjson
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 10.0
PRESETS = ("cadvisor", "istio", "beyla")
DEFAULT_MODULE = "routing.volumes.refresh"
QUERY_HANDLER = "/api/v1/query"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# Functions of the refresh module timed one by one in the child (those it has).
STAGES = (
    "instant_query",
    "index_for",
    "_index_objects",
    "build_index",
    "attribute",
    "_monthly_cost",
)
# The cAdvisor preset's sum of both directions in one pass over each counter: the same result
# (checked by --compare-queries) without evaluating each rate twice as `(a + b) or a or b` does.
# The added label keeps rate()'s nameless receive and transmit series apart until the sum.
CADVISOR_ONE_PASS = (
    'sum by (namespace, pod) (rate(container_network_receive_bytes_total{{pod!=""}}[{window}])'
    ' or label_replace(rate(container_network_transmit_bytes_total{{pod!=""}}[{window}]),'
    ' "trafficlens_direction", "transmit", "", ""))'
)
ONE_PASS = "cadvisor-one-pass"  # --presets: the cadvisor preset with CADVISOR_ONE_PASS


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    size = parser.add_argument_group(
        "the simulated cluster (manage.py simcluster --scenario large)"
    )
    size.add_argument("--services", type=int, default=10_000, help="default %(default)s")
    size.add_argument("--endpoints", type=int, default=100_000, help="= Pods; default %(default)s")
    size.add_argument("--nodes", type=int, default=1_000, help="default %(default)s")
    size.add_argument("--zones", type=int, default=3, help="default %(default)s")
    size.add_argument("--seed", type=int, default=1, help="default %(default)s")
    run = parser.add_argument_group("the runs")
    run.add_argument(
        "--presets",
        default=",".join(PRESETS),
        help="comma-separated; default %(default)s. Also cadvisor-one-pass: the cadvisor preset "
        "with its query in one pass over each counter (the same answer; see --compare-queries)",
    )
    run.add_argument(
        "--reps", type=int, default=3, help="refreshes per preset, interleaved; default 3"
    )
    run.add_argument(
        "--window",
        type=int,
        default=60,
        help="seconds the rate is taken over (the fetch's window); default 60",
    )
    run.add_argument(
        "--scrape-interval",
        type=float,
        default=10.0,
        help="Prometheus's scrape interval and timeout, seconds; default 10 (one scrape of the "
        "full cluster takes 2-5 s here, so 5 s scrapes time out on a busy machine)",
    )
    run.add_argument(
        "--align",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="start each refresh right after a scrape has ended (default: on)",
    )
    run.add_argument(
        "--modules",
        default=DEFAULT_MODULE,
        help="comma-separated modules whose refresh() is timed, interleaved (e.g. a copy of an "
        "earlier routing/volumes/refresh.py on PYTHONPATH); default %(default)s",
    )
    run.add_argument(
        "--profile",
        action="store_true",
        help="after the timed runs, one cProfile'd refresh per preset and module (top 30 "
        "functions by cumulative time)",
    )
    run.add_argument(
        "--compare-queries",
        type=int,
        default=0,
        metavar="N",
        help="after the runs, time the cAdvisor preset's query against a one-pass form of it N "
        "times each, interleaved, and check they give the same series and values",
    )
    run.add_argument("--json", help="also write the results here")
    where = parser.add_argument_group("where")
    where.add_argument(
        "--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL, without db name"
    )
    where.add_argument(
        "--database", default="trafficlens_bench_volumes", help="dropped and recreated"
    )
    where.add_argument(
        "--prometheus", help="the prometheus binary (default: on PATH or /usr/bin/prometheus)"
    )
    # Internal: one refresh in this process (the parent starts these).
    parser.add_argument("--child", metavar="PRESET", help=argparse.SUPPRESS)
    parser.add_argument("--child-module", default=DEFAULT_MODULE, help=argparse.SUPPRESS)
    parser.add_argument("--child-profile", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- memory, and Prometheus's own figures -----------------------------------------------------


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


def http_get(url: str, timeout: float = 30) -> bytes:
    with _NO_PROXY.open(url, timeout=timeout) as answer:
        return answer.read()


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


def query_counters(url: str) -> dict[str, float]:
    """Prometheus's own count of instant queries and the seconds it spent on them."""
    text = http_get(f"{url}/metrics").decode()
    engine = "prometheus_engine_query_duration_seconds_sum"
    return {
        "queries": metric_sum(text, "prometheus_http_requests_total", handler=QUERY_HANDLER),
        "answerSeconds": metric_sum(
            text, "prometheus_http_request_duration_seconds_sum", handler=QUERY_HANDLER
        ),
        "evalSeconds": metric_sum(text, engine, slice="inner_eval")
        + metric_sum(text, engine, slice="prepare_time"),
    }


def counter_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {key: after[key] - before[key] for key in before}


def wait_after_scrape(url: str, timeout: float = 120.0) -> float:
    """Block until the (only) target's last scrape ended less than a second ago; returns how
    long after its end we are. Reads /api/v1/targets, which is not a query."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = orjson.loads(http_get(f"{url}/api/v1/targets?state=active"))
        target = doc["data"]["activeTargets"][0]
        stamp = target["lastScrape"]  # RFC 3339 with nanoseconds; fromisoformat takes micro
        head, _, fraction = stamp.rstrip("Z").partition(".")
        started = datetime.fromisoformat(f"{head}.{(fraction + '000000')[:6]}+00:00").timestamp()
        since_end = time.time() - started - float(target["lastScrapeDuration"])
        if target["health"] == "up" and 0.1 <= since_end <= 1.0:
            return since_end
        time.sleep(0.1)
    raise SystemExit(f"no scrape of {url}'s target ended within {timeout:g} s")


# --- the child: one refresh --------------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    """One refresh of cluster `bench` with preset args.child; prints one JSON line."""
    os.environ["DEBUG"] = "false"  # no query log: production's settings
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    from benchmarks.bench_db import django_on

    django_on(args.pg, args.database, fresh=False)
    import gc

    from routing.models import Cluster
    from routing.volumes.models import TrafficSource

    module = importlib.import_module(args.child_module)
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
    preset = args.child
    if preset == ONE_PASS:  # the cadvisor preset with the one-pass form of its query
        import dataclasses

        from routing.volumes import presets

        preset = "cadvisor"
        one_pass = dataclasses.replace(presets.CADVISOR, template=CADVISOR_ONE_PASS)
        presets.PRESETS[preset] = one_pass
    cluster = Cluster.objects.get(name="bench")
    url = TrafficSource.objects.get(cluster=cluster).url
    gc.collect()
    aligned = wait_after_scrape(url) if args.align else None
    rss_before = status_kib("VmRSS")
    peak_reset = reset_peak()
    profiler = None
    if args.child_profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    began = time.perf_counter()
    found = module.refresh(cluster, preset_name=preset, window_seconds=args.window)
    wall = time.perf_counter() - began
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.child_profile)
    out = {
        "preset": args.child,
        "module": args.child_module,
        "seconds": wall,
        "stages": {**stages, "store": wall - found.duration},
        "rssBeforeMiB": rss_before / 1024,
        "peakMiB": status_kib("VmHWM") / 1024,
        "peakReset": peak_reset,
        "afterScrape": aligned,
        "fetch": found.fetch.pk if found.fetch else None,
        "services": len(found.volumes),
        "series": found.series,
        "unmatched": found.attribution.unmatched_count,
        "notes": found.attribution.notes,
    }
    print("RESULT " + orjson.dumps(out).decode(), flush=True)


def run_child(
    args: argparse.Namespace, preset: str, module: str, profile: str | None = None
) -> dict:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        preset,
        "--child-module",
        module,
        "--window",
        str(args.window),
        "--pg",
        args.pg,
        "--database",
        args.database,
        "--align" if args.align else "--no-align",
    ]
    if profile:
        command += ["--child-profile", profile]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(
            f"the {preset} refresh ({module}) failed (exit {done.returncode}):\n"
            f"{done.stdout}{done.stderr}"
        )
    return orjson.loads(lines[-1][len("RESULT ") :])


# --- the parent: cluster, snapshot, Prometheus, runs -------------------------------------------


def start_sim(args: argparse.Namespace, kubeconfig: Path) -> tuple[subprocess.Popen, str]:
    """`manage.py simcluster --scenario large` in a child process; (process, its URL)."""
    command = [sys.executable, "manage.py", "simcluster", "--scenario", "large", "--port", "0"]
    command += ["--churn", "0", "--seed", str(args.seed), "--kubeconfig", str(kubeconfig)]
    for size in ("services", "endpoints", "nodes", "zones"):
        command += [f"--{size}", str(getattr(args, size))]
    env = {**os.environ, "DEBUG": "true", "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:  # it prints its counts, its URL, then the kubeconfig's path
        print(f"  sim: {line.rstrip()}")
        if line.startswith("kubeconfig:"):
            break
    if proc.poll() is not None or not kubeconfig.exists():
        raise SystemExit(f"simcluster did not start (exit {proc.poll()})")
    doc = yaml.safe_load(kubeconfig.read_text())
    return proc, doc["clusters"][0]["cluster"]["server"]


def sim_rates(url: str) -> dict[tuple[str, str], float]:
    doc = orjson.loads(http_get(f"{url}/_sim/traffic", timeout=120))
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


def prometheus_figures(prom, window: str) -> dict:
    """Series held, scrapes (and failed ones) over `window`, the last scrape's duration and
    Prometheus's memory. Uses queries: call it only outside the counted refreshes."""
    text = http_get(f"{prom.url}/metrics").decode()
    job = prom.job
    up = f'up{{job="{job}"}}'
    figures: dict = {"headSeries": int(metric_sum(text, "prometheus_tsdb_head_series"))}
    if prom.pid is not None:
        figures["rssMiB"] = round(status_kib("VmRSS", prom.pid) / 1024)
        figures["peakMiB"] = round(status_kib("VmHWM", prom.pid) / 1024)
    for key, promql in (
        ("lastScrapeSeconds", f'scrape_duration_seconds{{job="{job}"}}'),
        ("maxScrapeSeconds", f'max_over_time(scrape_duration_seconds{{job="{job}"}}[{window}])'),
        ("samplesScraped", f'scrape_samples_scraped{{job="{job}"}}'),
        ("scrapes", f'count_over_time(up{{job="{job}"}}[{window}])'),
        ("failedScrapes", f"count_over_time({up}[{window}]) - sum_over_time({up}[{window}])"),
    ):
        rows = prom.query(promql)
        figures[key] = round(float(rows[0]["value"][1]), 3) if rows else 0
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
        "queries": sorted({int(r["prometheus"]["queries"]) for r in runs}),
        "medianAnswerSeconds": statistics.median(r["prometheus"]["answerSeconds"] for r in runs),
        "medianEvalSeconds": statistics.median(r["prometheus"]["evalSeconds"] for r in runs),
        "stages": {
            n: statistics.median(r["stages"].get(n, 0.0) for r in runs) for n in stage_names
        },
    }


def print_profile(path: str, label: str) -> None:
    import pstats

    print(f"\n--- cProfile of one {label} refresh (cumulative, top 30) ---")
    pstats.Stats(path, stream=sys.stdout).sort_stats("cumulative").print_stats(30)


def compare_queries(prom, window: int, reps: int) -> dict:
    """The cAdvisor preset's query against CADVISOR_ONE_PASS: Prometheus's answer and
    evaluation time for each, interleaved, both evaluated at the same instant per rep."""
    from routing.volumes.presets import CADVISOR, duration, promql

    forms = {
        "preset": promql(CADVISOR, window),
        "one pass": CADVISOR_ONE_PASS.format(window=duration(window)),
    }
    out: dict = {
        name: {"query": q, "answerSeconds": [], "evalSeconds": []} for name, q in forms.items()
    }
    for _ in range(reps):
        wait_after_scrape(prom.url)
        at = time.time() - 0.5
        values = {}
        for name, query in forms.items():
            before = query_counters(prom.url)
            body = urllib.parse.urlencode({"query": query, "time": f"{at:.3f}"}).encode()
            with _NO_PROXY.open(f"{prom.url}/api/v1/query", data=body, timeout=300) as answer:
                result = orjson.loads(answer.read())["data"]["result"]
            delta = counter_delta(before, query_counters(prom.url))
            out[name]["answerSeconds"].append(delta["answerSeconds"])
            out[name]["evalSeconds"].append(delta["evalSeconds"])
            values[name] = {
                (r["metric"].get("namespace"), r["metric"].get("pod")): float(r["value"][1])
                for r in result
            }
        a, b = values["preset"], values["one pass"]
        same = a.keys() == b.keys() and all(math.isclose(a[k], b[k], rel_tol=1e-9) for k in a)
        out.setdefault("same", []).append(same)
        out.setdefault("series", []).append(len(a))
    for name in forms:
        for key in ("answerSeconds", "evalSeconds"):
            out[name]["median" + key[0].upper() + key[1:]] = statistics.median(out[name][key])
    return out


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.child:
        child(args)
        return {}
    presets = [p.strip() for p in args.presets.split(",") if p.strip()]
    unknown = set(presets) - set(PRESETS) - {ONE_PASS}
    if unknown:
        raise SystemExit(f"unknown presets {sorted(unknown)}; one of {', '.join(PRESETS)}")
    modules = [m.strip() for m in args.modules.split(",") if m.strip()]
    for module in modules:  # fail now, not after building the cluster
        if importlib.util.find_spec(module) is None:
            raise SystemExit(f"no module {module} (on PYTHONPATH?)")
    from routing.volumes.local_prometheus import LocalPrometheus, find_binary

    binary = args.prometheus or find_binary()
    if binary is None or not os.access(binary, os.X_OK):
        print(
            "bench_volumes: FAILED: no prometheus binary "
            f"({args.prometheus or 'none on PATH, nor /usr/bin/prometheus'}); this benchmark "
            "measures against a real Prometheus: apt-get install prometheus (make system-deps)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    m = machine()
    version = subprocess.run([binary, "--version"], capture_output=True, text=True)
    m["prometheus"] = (version.stdout or version.stderr).splitlines()[0]
    print(
        f"machine: {m['platform']}; {m['cpu']}; {m['nproc']} CPUs; {m['memGiB']} GiB RAM; "
        f"{m['python']}\n{m['prometheus']}"
    )

    from benchmarks.bench_db import django_on

    django_on(args.pg, args.database, fresh=True)
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count

    from routing.jobs.ingest import snapshot_now
    from routing.models import Cluster, ObjectVersion
    from routing.volumes.models import TrafficSource

    results: dict = {
        "machine": m,
        "window": args.window,
        "scrapeInterval": args.scrape_interval,
        "align": args.align,
    }
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
            took = time.perf_counter() - began
            counts = dict(
                ObjectVersion.objects.at(cluster.pk, snapshot.seq)
                .values("kind")
                .annotate(n=Count("pk"))
                .values_list("kind", "n")
            )
            with connection.cursor() as cursor:  # what autovacuum does soon after the write
                cursor.execute("VACUUM ANALYZE routing_objectversion")
                cursor.execute("VACUUM ANALYZE routing_servicesummary")
            results["snapshot"] = {"seconds": took, "objects": counts}
            print(f"snapshot {snapshot.seq} listed and stored in {took:.1f} s: {counts}")

            prom = LocalPrometheus(
                [sim_url.split("://", 1)[1]], scrape_interval=args.scrape_interval, binary=binary
            ).start()
            scrapes = math.ceil(args.window / args.scrape_interval) + 2
            began = time.perf_counter()
            prom.wait_for_scrapes(scrapes, timeout=scrapes * args.scrape_interval + 300)
            print(
                f"Prometheus {prom.url} (pid {prom.pid}): {scrapes} scrapes, "
                f"{args.scrape_interval:g} s apart, in {time.perf_counter() - began:.1f} s; "
                f"window {args.window} s"
            )
            window_text = f"{int(args.window)}s"
            results["prometheusBefore"] = prometheus_figures(prom, window_text)
            print(f"  {results['prometheusBefore']}")
            TrafficSource.objects.create(
                cluster=cluster, url=prom.url, window_seconds=args.window, timeout_seconds=120
            )
            expected = sim_rates(sim_url)
            connection.close()  # the children write; hold no connection meanwhile

            runs: dict[str, list[dict]] = {}
            run_began = time.time()
            for rep in range(args.reps):
                for preset in presets:
                    for module in modules:
                        before = query_counters(prom.url)
                        r = run_child(args, preset, module)
                        r["prometheus"] = counter_delta(before, query_counters(prom.url))
                        r["check"] = check_fetch(r["fetch"], expected)
                        connection.close()
                        short = module.rsplit(".", 1)[-1]
                        label = preset if len(modules) == 1 else f"{preset} [{short}]"
                        runs.setdefault(label, []).append(r)
                        p, c = r["prometheus"], r["check"]
                        stages = ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items())
                        print(
                            f"[{rep + 1}/{args.reps}] {label:10} {r['seconds']:6.2f} s, peak "
                            f"{r['peakMiB']:.0f} MiB (before {r['rssBeforeMiB']:.0f}); "
                            f"{p['queries']:.0f} quer{'y' if p['queries'] == 1 else 'ies'} "
                            f"(Prometheus answered in {p['answerSeconds']:.2f} s, evaluating "
                            f"{p['evalSeconds']:.2f}); {r['series']} series -> "
                            f"{r['services']} Services ({c['within5pct']}/{c['carrying']} "
                            f"within 5%), unmatched {r['unmatched']}; stages: {stages}",
                            flush=True,
                        )
            span = f"{math.ceil(time.time() - run_began) + int(args.window)}s"
            results["prometheusAfter"] = prometheus_figures(prom, span)
            results["simPeakMiB"] = round(status_kib("VmHWM", sim.pid) / 1024)
            results["runs"] = runs
            results["summary"] = {label: summarise(rs) for label, rs in runs.items()}
            if args.compare_queries:
                results["queryForms"] = compare_queries(prom, args.window, args.compare_queries)
            if args.profile:
                for preset in presets:
                    for module in modules:
                        path = str(Path(tmp) / f"{preset}-{module}.prof")
                        run_child(args, preset, module, profile=path)
                        print_profile(path, f"{preset} ({module})")
        finally:
            if prom is not None:
                prom.stop()
            sim.terminate()
            try:
                sim.wait(30)
            except subprocess.TimeoutExpired:
                sim.kill()
                sim.wait()

    print(f"\nPrometheus over the runs: {results['prometheusAfter']}")
    print(f"simulated cluster's peak RSS: {results['simPeakMiB']} MiB")
    if "queryForms" in results:
        q = results["queryForms"]
        print(f"\ncAdvisor query forms ({len(q['same'])} reps, same answer: {all(q['same'])}):")
        for name in ("preset", "one pass"):
            print(
                f"  {name:8} Prometheus answered in {q[name]['medianAnswerSeconds']:.2f} s "
                f"(evaluating {q[name]['medianEvalSeconds']:.2f} s), median: {q[name]['query']}"
            )
    print(
        f"\n{'refresh':28} {'median':>7} {'max':>7} {'peak RSS':>9} {'queries':>7} "
        f"{'Prometheus':>10}  target"
    )
    ok = True
    for label, s in results["summary"].items():
        good = s["maxSeconds"] < TARGET_SECONDS and s["queries"] == [1]
        ok &= good
        print(
            f"{label:28} {s['medianSeconds']:6.2f}s {s['maxSeconds']:6.2f}s "
            f"{s['medianPeakMiB']:5.0f} MiB {','.join(map(str, s['queries'])):>7} "
            f"{s['medianAnswerSeconds']:9.2f}s  "
            f"{'ok' if good else 'MISSED'} (< {TARGET_SECONDS:g} s, one query)"
        )
        stages = ", ".join(f"{k} {v:.2f}" for k, v in s["stages"].items())
        print(f"{'':28} stages, median s: {stages}")
    results["ok"] = ok
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return results


if __name__ == "__main__":
    sys.exit(0 if main().get("ok", True) else 1)
