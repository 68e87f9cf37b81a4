"""Benchmark: REST API latency under load on a 10,000-Service snapshot in PostgreSQL.

Stores one snapshot of a generated cluster (10k Services, 100k endpoints, 1k nodes by default),
starts the production web server in its own processes, and drives it with `wrk` from another
process on loopback: 20 connections (concurrent clients), each sending its next request as soon
as the last answer arrives. Two runs, one per endpoint:

- list: a page of 100 Services, filtered (by namespace, policy, mechanism, cross-zone share or
  diagnostics, rotating) and ordered by cost;
- detail: one Service's full report, a different Service on every request (2,000 of them, so
  nothing is answered twice in a row and no response cache could help).

Target: p99 under 100 ms for each, with no error responses.

`--runs volumes` (alone or beside list,detail) compares three more endpoints without and with
measured volumes, in the same run and against the same server: the flow map, the Services list
in its default ordering (-cost without volumes, -monthly_cost with), and the recommendations.
"With" is one VolumeFetch and a MeasuredVolume row for every Service of the snapshot, written
directly; "without" deletes that fetch again. The two alternate `--volume-rounds` times.

    .venv/bin/python benchmarks/bench_api.py                      # the full-size run
    .venv/bin/python benchmarks/bench_api.py --services 500 --endpoints 5000 --nodes 60 \
        --duration 5                                              # a quick one
    .venv/bin/python benchmarks/bench_api.py --runs volumes       # with and without volumes

Needs `wrk` (Debian: apt-get install wrk). It drops and recreates its own database (default
trafficlens_bench_api; the name must contain "bench").
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from random import Random

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.gen_cluster import add_size_arguments  # noqa: E402

P99_TARGET_MS = 100.0
SERVERS = {
    # What docker-compose.yml's web service runs (see there), on a loopback port.
    "production": "gunicorn dashboard.wsgi:application --workers {workers} "
    "--bind 127.0.0.1:{port} --log-level warning",
    # For comparison: the same app under the ASGI server Channels ships with.
    "daphne": "daphne -b 127.0.0.1 -p {port} dashboard.asgi:application",
}

# wrk's Lua side: every thread walks the path list from its own offset; at the end the main
# thread prints the latency percentiles and error counts as one JSON line.
WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local token = os.getenv("BENCH_TOKEN")
local counter = 1
local threads = {}
local stride = tonumber(os.getenv("BENCH_STRIDE") or "997")
function setup(thread)
  thread:set("offset", #threads * stride)
  table.insert(threads, thread)
end
function init(args)
  counter = offset or 0
end
function request()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50": %d, "p90": %d, "p99": %d, "max": %d, '
    .. '"mean": %.1f, "status_errors": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_arguments(parser, pods=False)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--duration", type=int, default=30, help="seconds per run")
    parser.add_argument("--server", choices=sorted(SERVERS), default="production")
    parser.add_argument("--workers", type=int, default=2, help="web server processes")
    parser.add_argument(
        "--cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the API's per-snapshot answer cache (TRAFFICLENS_API_CACHE_SECONDS=0 when off)",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15", help="cache for the server")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--reuse", action="store_true", help="keep the database of a last run")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="no db name")
    parser.add_argument("--database", default="trafficlens_bench_api")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument(
        "--runs",
        default="list,detail",
        help="comma-separated: list, detail, volumes (the flow map, default-ordered list and "
        "recommendations without and with a measured volume for every Service), coldlist "
        "(list pages whose filters and sort never repeat: no answer comes from the cache); "
        "default %(default)s",
    )
    parser.add_argument(
        "--write-every",
        type=float,
        default=0.0,
        help="while the runs are timed, write a snapshot with --write-change of the Services "
        "changed every this many seconds (0: no writes; issue 16 asks for 5)",
    )
    parser.add_argument(
        "--writer",
        choices=("watcher", "full"),
        default="watcher",
        help="how the snapshots are written meanwhile: as a watcher (only what changed; "
        "default) or every object (write_snapshot, as a listing or an upload)",
    )
    parser.add_argument(
        "--write-change",
        type=float,
        default=0.01,
        help="the share of Services each written snapshot changes (default 1%%)",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="before the runs, write this many snapshots as --writer and --write-change "
        "would, back to back: the closed rows a cluster keeps after that many writes (a "
        "watcher writing every 5 s: 720 an hour), which the list of the latest snapshot must "
        "not scan (default 0)",
    )
    parser.add_argument(
        "--volume-rounds",
        type=int,
        default=2,
        help="how many times the volumes comparison alternates without / with (default 2)",
    )
    args = parser.parse_args(argv)
    args.runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    unknown = set(args.runs) - set(RUNS)
    if unknown:
        parser.error(f"unknown runs {sorted(unknown)}; choose from {', '.join(RUNS)}")
    return args


RUNS = ("list", "detail", "volumes", "coldlist")
COLD_PATHS = 100_000  # never-repeating list queries per timed run (far more than it sends)
VOLUME_ENDPOINTS = ("flowmap", "services", "recommendations")


def prepare(args: argparse.Namespace) -> dict:
    """The snapshot in PostgreSQL, a viewer token, and the request paths of each run."""
    from benchmarks.bench_db import django_on

    django_on(args.pg, args.database, fresh=not args.reuse)
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from benchmarks.gen_cluster import generate
    from routing.models import ApiToken, Cluster, ServiceSummary
    from routing.snapshots import write_snapshot

    cluster = Cluster.objects.filter(name="bench").first()
    if cluster is None:
        started = time.perf_counter()
        doc = generate(args.services, args.endpoints, args.nodes, args.zones, args.seed)
        cluster = Cluster.objects.create(name="bench", source=Cluster.Source.SIMULATED)
        write_snapshot(cluster, doc["items"], source="scheduled")
        del doc
        print(f"snapshot stored in {time.perf_counter() - started:.1f} s")
        # What autovacuum does within a minute of a large write: statistics, and the visibility
        # map that lets the Services list read its covering index alone.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE routing_servicesummary")
    user, _ = User.objects.get_or_create(username="bench-viewer")
    user.groups.add(Group.objects.get(name="viewer"))
    _, token = ApiToken.objects.issue(user, "bench")

    summaries = list(ServiceSummary.objects.open(cluster).values_list("namespace", "name"))
    rng = Random(args.seed)
    namespaces = sorted({ns for ns, _ in summaries})
    base = "/api/v1/clusters/bench/services/"
    filters = [f"namespace={ns}" for ns in namespaces] + [
        "policy=PreferClose",
        "policy=none",
        "mechanism=trafficDistribution",
        "min_cross_zone=0.2",
        "has_diagnostics=true",
    ]
    lists = [f"{base}?{f}&ordering=-cost&page_size=100" for f in filters]
    details = [
        f"{base}{ns}/{name}/" for ns, name in rng.sample(summaries, min(2000, len(summaries)))
    ]
    warm, cold = cold_list_paths(namespaces, args.seed)
    return {
        "token": token,
        "coldlist": cold,
        "coldlist-warmup": warm,
        "list": lists,
        "detail": details,
        # The volumes comparison: the same filters in the default ordering, the flow map and the
        # recommendations' first page (what the dashboard's pages ask for).
        "services": [f"{base}?{f}&page_size=100" for f in filters],
        "flowmap": ["/api/v1/clusters/bench/flowmap/"],
        "recommendations": ["/api/v1/clusters/bench/recommendations/"],
        "count": len(summaries),
        "cluster": cluster.pk,
    }


def cold_list_paths(namespaces: list[str], seed: int) -> tuple[list[str], list[str]]:
    """Two disjoint lists of list queries, none repeated (warm-up's and the timed run's): each
    a random mix of the filters, always a cross-zone threshold to four places, and any sort
    key, so that each request is a question the cache has not seen."""
    from routing.figures.service_list import KNOWN_POLICIES, MECHANISMS, ORDERINGS

    rng = Random(seed)
    orderings = [o for o in ORDERINGS if "monthly_cost" not in o]  # no volumes in this run
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < COLD_PATHS + 5_000:
        parts = []
        if rng.random() < 0.4:
            parts.append(f"namespace={rng.choice(namespaces)}")
        if rng.random() < 0.3:
            parts.append(f"policy={rng.choice(KNOWN_POLICIES)}")
        if rng.random() < 0.15:
            parts.append(f"mechanism={rng.choice(MECHANISMS)}")
        if rng.random() < 0.2:
            parts.append(f"has_diagnostics={rng.choice(['true', 'false'])}")
        if rng.random() < 0.2:
            parts.append(f"overloaded={rng.choice(['true', 'false'])}")
        parts.append(f"min_cross_zone={rng.randrange(10_000) / 10_000:.4f}")
        parts.append(f"ordering={rng.choice(orderings)}")
        query = "&".join(parts)
        if query not in seen:
            seen.add(query)
            out.append(f"/api/v1/clusters/bench/services/?{query}&page_size=100")
    return out[:5_000], out[5_000:]


class SnapshotWriter(threading.Thread):
    """While the runs are timed: every `every` seconds, change `change` of the Services (their
    trafficDistribution turned on or off, a real change for the engine) and write the cluster's
    snapshot: as a watcher does (`watcher`: the changed objects as watch events into its state,
    then routing.snapshots.write_changes, after one whole write before the runs), or every object
    through write_snapshot (`full`: a listing's or an upload's path). Records each write's wall
    time and this thread's CPU time."""

    def __init__(
        self, cluster_id: int, items: list[dict], every: float, change: float, seed: int, how: str
    ):
        super().__init__(name="snapshot-writer", daemon=True)
        from benchmarks.bench_storage import Watcher
        from routing.models import Cluster

        self.cluster = Cluster.objects.get(pk=cluster_id)
        self.items, self.every, self.how = items, every, how
        self.services = [o for o in items if o["kind"] == "Service"]
        self.per_write = max(1, round(len(self.services) * change))
        self.rng = Random(seed)
        self.stop = threading.Event()
        self.writes: list[tuple[float, float]] = []  # (wall s, this thread's CPU s)
        self.failures = 0
        self.watcher = None
        if how == "watcher":
            self.watcher = Watcher(self.cluster, items)
            self.watcher.write()  # the watcher's first snapshot: whole, before anything is timed

    def _write(self, changed: list[dict]) -> None:
        from routing.snapshots import write_snapshot

        if self.watcher is not None:
            self.watcher.events(changed)
            self.watcher.write()
        else:
            write_snapshot(self.cluster, self.items, source="watch")

    def change(self) -> None:
        """Change `per_write` Services and write the snapshot (unrecorded: --history's)."""
        changed = self.rng.sample(self.services, self.per_write)
        for svc in changed:
            spec = svc.setdefault("spec", {})
            if spec.pop("trafficDistribution", None) is None:
                spec["trafficDistribution"] = "PreferSameZone"
        self._write(changed)

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stop.wait(self.every):
                wall, cpu = time.perf_counter(), time.thread_time()
                try:
                    self.change()
                except Exception as exc:  # noqa: BLE001 - counted and reported, the run goes on
                    self.failures += 1
                    print(f"snapshot write failed: {exc}", flush=True)
                    continue
                self.writes.append((time.perf_counter() - wall, time.thread_time() - cpu))
        finally:
            connection.close()

    def summary(self) -> dict:
        walls = [w for w, _ in self.writes]
        cpus = [c for _, c in self.writes]
        return {
            "every": self.every,
            "how": self.how,
            "servicesChanged": self.per_write,
            "writes": len(self.writes),
            "failures": self.failures,
            "wallMedian": round(statistics.median(walls), 3) if walls else None,
            "cpuMedian": round(statistics.median(cpus), 3) if cpus else None,
        }


def write_history(writer: SnapshotWriter, count: int) -> None:
    """`count` snapshots written back to back before the runs (--history)."""
    started = time.perf_counter()
    for done in range(1, count + 1):
        writer.change()
        if done % 50 == 0 or done == count:
            print(f"history: {done}/{count} snapshots in {time.perf_counter() - started:.0f} s")


def history_rows(cluster_id: int) -> dict:
    """The cluster's Service summary rows: open (the latest snapshot's) and closed."""
    from routing.models import ServiceSummary

    rows = ServiceSummary.objects.filter(cluster_id=cluster_id)
    found = {"open": rows.filter(last_seq__isnull=True).count(), "all": rows.count()}
    print(f"Service summary rows: {found['open']} open, {found['all'] - found['open']} closed")
    return found


def set_volumes(cluster_id: int, on: bool, seed: int) -> int:
    """Give every Service of the newest snapshot a measured volume (one VolumeFetch, one
    MeasuredVolume row each), or delete the benchmark's fetch again. Returns the rows."""
    from django.db import connection
    from django.utils import timezone

    from routing.models import ServiceSummary
    from routing.volumes.models import MeasuredVolume, VolumeFetch

    VolumeFetch.objects.filter(cluster_id=cluster_id).delete()
    if not on:
        return 0
    # In a fixed order, so that the same seed gives each Service the same volume whatever order
    # the database returns the rows in (it did not: two databases of the same snapshot got
    # the same volumes dealt to different Services).
    rows = ServiceSummary.objects.open(cluster_id).order_by("namespace", "name")
    keys = list(rows.values_list("namespace", "name"))
    rng = Random(seed)
    gbs = [round(min(rng.lognormvariate(4.0, 1.5), 1e6), 3) for _ in keys]
    fetch = VolumeFetch.objects.create(
        cluster_id=cluster_id,
        fetched_at=timezone.now(),
        preset="cadvisor",
        source="benchmark: one measured volume per Service",
        window_seconds=7 * 86_400,
        services=len(keys),
        series=len(keys),
        total_gb=sum(gbs),
    )
    MeasuredVolume.objects.bulk_create(
        (
            MeasuredVolume(fetch=fetch, namespace=ns, name=name, monthly_gb=gb)
            for (ns, name), gb in zip(keys, gbs, strict=True)
        ),
        batch_size=2000,
    )
    with connection.cursor() as cursor:  # what autovacuum does soon after such a write
        cursor.execute(f"VACUUM ANALYZE {MeasuredVolume._meta.db_table}")
    return len(keys)


def plan_items(args: argparse.Namespace) -> list[dict]:
    """The generated cluster's objects again (deterministic), for the writer to change."""
    from benchmarks.gen_cluster import generate

    return generate(args.services, args.endpoints, args.nodes, args.zones, args.seed)["items"]


def flush_cache(url: str) -> None:
    """Start from an empty cache: every list answer is computed at least once in the run."""
    import redis

    redis.Redis.from_url(url).flushdb()


def start_server(args: argparse.Namespace) -> subprocess.Popen:
    command = SERVERS[args.server].format(port=args.port, workers=args.workers)
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": args.redis,
        "DATABASE_POOL": "true",  # as docker-compose.yml's web service
        "TRAFFICLENS_API_CACHE_SECONDS": "600" if args.cache else "0",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    server = subprocess.Popen(shlex.split(command), cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/api/v1/health", timeout=2):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"the server exited: {command}") from None
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("the server did not answer /api/v1/health within 60 s")


def check(args: argparse.Namespace, paths: list[str], token: str) -> None:
    """Each kind of request answers 200 before it is timed (a fast 4xx would flatter us)."""
    for path in (paths[0], paths[-1]):
        req = urllib.request.Request(
            f"http://127.0.0.1:{args.port}{path}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            if resp.status != 200:
                raise SystemExit(f"{path}: HTTP {resp.status}")
            orjson.loads(resp.read())


def wrk(
    args: argparse.Namespace, paths: list[str], token: str, seconds: int, stride: int = 997
) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        script, listing = Path(tmp, "bench.lua"), Path(tmp, "paths.txt")
        script.write_text(WRK_SCRIPT)
        listing.write_text("\n".join(paths) + "\n")
        out = subprocess.run(
            [
                "wrk",
                f"-c{args.connections}",
                "-t2",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                f"http://127.0.0.1:{args.port}",
            ],
            env={
                **os.environ,
                "BENCH_PATHS": str(listing),
                "BENCH_TOKEN": token,
                "BENCH_STRIDE": str(stride),
            },
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    result = orjson.loads(out.strip().splitlines()[-1])
    for key in ("p50", "p90", "p99", "max"):
        result[key] = round(result.pop(key) / 1000, 2)  # microseconds -> ms
    result["mean"] = round(result["mean"] / 1000, 2)
    result["rps"] = round(result["requests"] / result["seconds"], 1)
    return result


def timed_run(args: argparse.Namespace, plan: dict, run: str, label: str) -> dict:
    check(args, plan[run], plan["token"])
    if run == "coldlist":
        # Warm-up on other queries; the timed run's two threads start half the list apart.
        warm = plan["coldlist-warmup"]
        wrk(args, warm, plan["token"], 3, stride=len(warm) // 2)
        r = wrk(args, plan[run], plan["token"], args.duration, stride=len(plan[run]) // 2)
        if r["requests"] >= len(plan[run]) // 2:
            raise SystemExit("coldlist: a thread ran past its half of the queries; make more")
    else:
        wrk(args, plan[run], plan["token"], 3)  # warm-up: imports, connections, PG buffers
        r = wrk(args, plan[run], plan["token"], args.duration)
    ok = r["p99"] < P99_TARGET_MS and not r["status_errors"] and not r["socket_errors"]
    print(
        f"{label:24} {args.connections} clients: {r['rps']} req/s, p50 {r['p50']} ms, "
        f"p90 {r['p90']} ms, p99 {r['p99']} ms, max {r['max']} ms, "
        f"errors {r['status_errors']}+{r['socket_errors']} "
        f"[{'ok' if ok else 'MISSED'}: p99 < {P99_TARGET_MS:.0f} ms]",
        flush=True,
    )
    return r


def compare_volumes(args: argparse.Namespace, plan: dict) -> dict:
    """The flow map, default-ordered list and recommendations without and with volumes,
    alternating; per endpoint and variant the runs' figures and their medians."""
    out: dict = {e: {"without": [], "with": []} for e in VOLUME_ENDPOINTS}
    for round_ in range(args.volume_rounds):
        for variant in ("without", "with"):
            rows = set_volumes(plan["cluster"], variant == "with", args.seed + round_)
            print(f"round {round_ + 1}, {variant} volumes ({rows} MeasuredVolume rows)")
            for endpoint in VOLUME_ENDPOINTS:
                r = timed_run(args, plan, endpoint, f"  {endpoint} ({variant})")
                out[endpoint][variant].append(r)
    set_volumes(plan["cluster"], False, args.seed)
    print(f"\n{'endpoint':16} {'volumes':8} {'req/s':>7} {'p50':>9} {'p99':>9}  (median of runs)")
    for endpoint in VOLUME_ENDPOINTS:
        for variant in ("without", "with"):
            runs = out[endpoint][variant]
            med = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99")}
            out[endpoint][variant + "Median"] = med
            print(
                f"{endpoint:16} {variant:8} {med['rps']:7.1f} {med['p50']:7.1f}ms "
                f"{med['p99']:7.1f}ms"
            )
    return out


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    from benchmarks.bench_analyze import machine

    m = machine()
    print(f"machine: {m['platform']}; {m['cpu']}; nproc {m['nproc']}; {m['python']}")
    plan = prepare(args)
    cache = "on" if args.cache else "off"
    print(f"{plan['count']} Services; {args.server} server, {args.workers} workers, cache {cache}")
    results: dict = {"machine": m, "server": args.server, "workers": args.workers, "cache": cache}
    writer = None
    if args.write_every > 0 or args.history > 0:
        writer = SnapshotWriter(
            plan["cluster"],
            plan_items(args),
            args.write_every,
            args.write_change,
            args.seed,
            args.writer,
        )
        write_history(writer, args.history)
        results["history"] = history_rows(plan["cluster"])
    if args.write_every > 0:
        assert writer is not None
        writer.start()
    flush_cache(args.redis)
    server = start_server(args)
    try:
        for run in ("coldlist", "list", "detail"):
            if run in args.runs:
                results[run] = timed_run(args, plan, run, run)
        if writer is not None:
            writer.stop.set()
            writer.join()
            results["writes"] = writer.summary()
            print(f"snapshots written meanwhile: {results['writes']}", flush=True)
        if "volumes" in args.runs:
            results["volumes"] = compare_volumes(args, plan)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:  # Daphne may linger over open connections
            server.kill()
            server.wait()
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return results


if __name__ == "__main__":
    main()
