"""Benchmark: watch event → browser socket latency under churn, on the Redis channel layer.

The production shape, each part in its own process on loopback:
- the simulated demo cluster (`simcluster`-equivalent, in this process) making N changes a
  second (default 50: scale-ups and -downs, rollouts, node failures, policy switches; each
  change is one or more watch events);
- the watcher (`manage.py watch`, as docker-compose.yml's watcher), which reports every watch
  event to the cluster's group as it arrives and writes snapshots (debounced);
- the ASGI server for sockets (`daphne dashboard.asgi:application`, as the compose `ws`
  service), with the Redis channel layer between the two;
- S browser-like clients (default 100) in a process of their own, each a signed-in session
  socket on /ws/clusters/<cluster>/.

With `--clusters N` (issue 16, target 6: 1,000 sockets over 20 clusters) there are N simulated
clusters, one kubeconfig context each, all watched by the one watcher; the churn asked is shared
out evenly (it is the total rate of all of them) and socket i watches cluster i mod N.

Every `cluster.changed` event carries, per change, the wall-clock instant the watcher received
the watch event (`at`); a client's latency is its receive instant minus `at`, for every change of
every message on every socket. Target: p99 under 500 ms.

    .venv/bin/python benchmarks/bench_live.py                      # 100 sockets, 50 changes/s, 30 s
    .venv/bin/python benchmarks/bench_live.py --sockets 10 --duration 5
    .venv/bin/python benchmarks/bench_live.py --clusters 20 --sockets 1000   # issue 16, target 6

Needs PostgreSQL and Redis (DATABASE server and REDIS_URL below); drops and recreates its own
database (default trafficlens_bench_live).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_db import django_on  # noqa: E402

P99_TARGET_MS = 500.0
SECRET_KEY = "bench-only-" + "k" * 50


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session_cookie() -> str:
    """A signed-in viewer session, made the way the sign-in form makes one."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    user = User.objects.create_user("bench", password="bench-password-1")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


CONNECTING_AT_ONCE = 50  # opening handshakes in flight: a page load's worth, not a stampede
CONNECT_TRIES = 3


async def _connect(url: str, cookie: str, gate: asyncio.Semaphore, failures: list[str]):
    """A signed-in socket past its hello; a failed attempt is retried (live.js reconnects too)."""
    import websockets

    headers = {"Cookie": cookie, "Origin": "http://127.0.0.1"}
    for attempt in range(CONNECT_TRIES):
        async with gate:
            try:
                socket = await websockets.connect(url, additional_headers=headers, max_queue=None)
                hello = orjson.loads(await socket.recv())
                assert hello["type"] == "hello", hello
                return socket
            except (OSError, websockets.exceptions.WebSocketException) as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(0.5 * (attempt + 1))
    return None


async def _receive(socket, start: float, deadline: float, out: list[float], counts: list[int]):
    async with socket:
        messages = 0
        while (left := deadline - time.time()) > 0:
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=left)
            except TimeoutError:
                break
            received = time.time()
            event = orjson.loads(raw)
            if event["type"] != "cluster.changed" or received < start:
                continue  # the warm-up is not measured
            messages += 1
            out.extend(received - change["at"] for change in event["changes"])
        counts.append(messages)


async def _clients(urls: list[str], cookie: str, warmup: float, duration: float):
    """Every socket connected first (how long that took is reported, not measured as latency),
    then each one's latencies (seconds) over `duration` after `warmup`; with the message
    counts and the connection attempts that failed (each retried)."""
    failures: list[str] = []
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
    began = time.time()
    sockets = await asyncio.gather(*(_connect(url, cookie, gate, failures) for url in urls))
    connect_seconds = time.time() - began
    counts: list[int] = []
    start = time.time() + warmup
    deadline = start + duration
    collected: list[list[float]] = [[] for _ in urls]
    await asyncio.gather(
        *(
            _receive(socket, start, deadline, collected[i], counts)
            for i, socket in enumerate(sockets)
            if socket is not None
        )
    )
    return collected, counts, failures, connect_seconds


def run_clients(urls: list[str], cookie: str, warmup: float, duration: float):
    """The clients, in a process of their own (spawned): the simulated clusters' servers in
    this process would otherwise share its interpreter with them and delay their receives."""
    return asyncio.run(_clients(urls, cookie, warmup, duration))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=100)
    parser.add_argument("--clusters", type=int, default=1, help="simulated clusters")
    parser.add_argument(
        "--churn", type=float, default=50.0, help="changes per second, over all clusters"
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="trafficlens_bench_live")
    parser.add_argument(
        "--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    )
    parser.add_argument("--json", help="also write the results as JSON to this file")
    args = parser.parse_args()

    os.environ["REDIS_URL"] = args.redis
    os.environ["SECRET_KEY"] = SECRET_KEY  # the session made here must be valid in the server
    django_on(args.server, args.database)
    from benchmarks.bench_watchers import merged_kubeconfig
    from routing.kube.sim import SimCluster
    from routing.models import Cluster

    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    sims = [
        SimCluster(scenario="demo", seed=7 + i, churn=args.churn / args.clusters).start(port=0)
        for i in range(args.clusters)
    ]
    sim_started = time.monotonic()
    kubeconfig = tmp / "sim.kubeconfig"
    merged_kubeconfig(sims, kubeconfig)  # contexts sim00, sim01, ...
    names = [f"sim{i:02d}" for i in range(args.clusters)]
    socket_cluster = [names[i % args.clusters] for i in range(args.sockets)]
    for name in names:
        Cluster.objects.create(name=name, source=Cluster.Source.KUBECONFIG, kube_context=name)
    cookie = _session_cookie()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.server}/{args.database}",
        "REDIS_URL": args.redis,
        "TRAFFICLENS_KUBECONFIG": str(kubeconfig),
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "LOG_LEVEL": "WARNING",
    }
    bin_dir = Path(sys.executable).parent
    server = subprocess.Popen(
        [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(port), "dashboard.asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    watcher = subprocess.Popen(
        [sys.executable, "manage.py", "watch"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        urls = [f"ws://127.0.0.1:{port}/ws/clusters/{name}/" for name in socket_cluster]
        spawn = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
            per_socket, counts, failures, connect_seconds = pool.submit(
                run_clients, urls, cookie, args.warmup, args.duration
            ).result()
    finally:
        for proc in (watcher, server):
            proc.terminate()
        for proc in (watcher, server):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:  # Daphne waits on open sockets
                proc.kill()
        actions = sum(sum(sim.churn.actions.values()) for sim in sims)
        sim_seconds = time.monotonic() - sim_started
        for sim in sims:
            sim.stop()
    from routing.models import Snapshot

    snapshots = Snapshot.objects.filter(cluster__name__in=names).count()
    ms = [v * 1000 for values in per_socket for v in values]
    if not ms:
        raise SystemExit("no change reached any socket")
    p99 = _percentile(ms, 99)
    # Per cluster: the p99 of its sockets' samples, and the worst of those.
    by_cluster: dict[str, list[float]] = {name: [] for name in names}
    for name, values in zip(socket_cluster, per_socket, strict=True):
        by_cluster[name].extend(v * 1000 for v in values)
    cluster_p99 = {name: _percentile(v, 99) for name, v in by_cluster.items() if v}
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        f"{args.sockets} sockets over {args.clusters} clusters, churn {args.churn}/s asked in "
        f"all: {actions} sim actions took effect "
        f"in {sim_seconds:.0f} s ({actions / sim_seconds:.1f}/s; the rest found nothing to "
        f"act on), {args.duration:.0f} s measured; {snapshots} snapshots written in all"
    )
    print(
        f"sockets connected: {len(counts)} of {args.sockets} in {connect_seconds:.1f} s "
        f"({CONNECTING_AT_ONCE} handshakes at a time); failed handshakes (retried): "
        f"{len(failures)}" + (f", first: {failures[0]}" if failures else "")
    )
    print(
        f"messages per socket: min {min(counts)} max {max(counts)}; watch events delivered: "
        f"{len(ms)} ({len(ms) / args.sockets / args.duration:.1f} per second to each socket)"
    )
    print(
        f"watch event -> socket latency ms: p50 {statistics.median(ms):.1f}  "
        f"p90 {_percentile(ms, 90):.1f}  p99 {p99:.1f}  max {max(ms):.1f}"
    )
    if args.clusters > 1:
        worst = max(cluster_p99, key=cluster_p99.get)
        print(
            f"clusters whose sockets got changes: {len(cluster_p99)} of {args.clusters}; "
            f"worst cluster's p99 {cluster_p99[worst]:.1f} ms ({worst})"
        )
    verdict = "meets" if p99 < P99_TARGET_MS else "MISSES"
    print(f"p99 {p99:.1f} ms {verdict} the {P99_TARGET_MS:.0f} ms target")
    if args.json:
        results = {
            "sockets": args.sockets,
            "clusters": args.clusters,
            "connected": len(counts),
            "failedHandshakes": len(failures),
            "connectSeconds": connect_seconds,
            "socketsWithChanges": sum(1 for values in per_socket if values),
            "samples": len(ms),
            "p50": statistics.median(ms),
            "p99": p99,
            "max": max(ms),
            "clusterP99": cluster_p99,
            "snapshots": snapshots,
        }
        Path(args.json).write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
