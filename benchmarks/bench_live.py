"""Benchmark: watch event → browser socket latency under churn, on the Redis channel layer.

The production shape, each part in its own process on loopback:
- the simulated demo cluster (`simcluster`-equivalent, in this process) making N changes a
  second (default 50: scale-ups and -downs, rollouts, node failures, policy switches; each
  change is one or more watch events);
- the watcher (`manage.py watch`, as docker-compose.yml's watcher), which reports every watch
  event to the cluster's group as it arrives and writes snapshots (debounced);
- the ASGI server for sockets (`daphne dashboard.asgi:application`, as the compose `ws`
  service), with the Redis channel layer between the two;
- S browser-like clients (default 100) in this process, each a signed-in session socket on
  /ws/clusters/<cluster>/.

Every `cluster.changed` event carries, per change, the wall-clock instant the watcher received
the watch event (`at`); a client's latency is its receive instant minus `at`, for every change of
every message on every socket. Target: p99 under 500 ms.

    .venv/bin/python benchmarks/bench_live.py                      # 100 sockets, 50 changes/s, 30 s
    .venv/bin/python benchmarks/bench_live.py --sockets 10 --duration 5

Needs PostgreSQL and Redis (DATABASE server and REDIS_URL below); drops and recreates its own
database (default trafficlens_bench_live).
"""

from __future__ import annotations

import argparse
import asyncio
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


async def _client(url: str, cookie: str, deadline: float, out: list[float], counts: list[int]):
    import websockets

    headers = {"Cookie": cookie, "Origin": "http://127.0.0.1"}
    async with websockets.connect(url, additional_headers=headers, max_queue=None) as socket:
        hello = orjson.loads(await socket.recv())
        assert hello["type"] == "hello", hello
        messages = 0
        while (left := deadline - time.time()) > 0:
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=left)
            except TimeoutError:
                break
            received = time.time()
            event = orjson.loads(raw)
            if event["type"] != "cluster.changed":
                continue
            messages += 1
            out.extend(received - change["at"] for change in event["changes"])
        counts.append(messages)


async def _clients(url: str, cookie: str, sockets: int, warmup: float, duration: float):
    latencies: list[float] = []
    counts: list[int] = []
    start = time.time() + warmup
    deadline = start + duration
    collected: list[list[float]] = [[] for _ in range(sockets)]
    tasks = [
        asyncio.create_task(_client(url, cookie, deadline, collected[i], counts))
        for i in range(sockets)
    ]
    await asyncio.gather(*tasks)
    for values in collected:
        latencies.extend(values)
    return latencies, counts


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=100)
    parser.add_argument("--churn", type=float, default=50.0, help="changes per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="trafficlens_bench_live")
    parser.add_argument(
        "--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    )
    args = parser.parse_args()

    os.environ["REDIS_URL"] = args.redis
    os.environ["SECRET_KEY"] = SECRET_KEY  # the session made here must be valid in the server
    django_on(args.server, args.database)
    from routing.kube.sim import SimCluster
    from routing.models import Cluster

    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    sim = SimCluster(scenario="demo", seed=7, churn=args.churn).start(port=0)
    sim_started = time.monotonic()
    kubeconfig = sim.write_kubeconfig(tmp / "sim.kubeconfig")
    Cluster.objects.create(name="demo", source=Cluster.Source.SIMULATED, kube_context="simcluster")
    cookie = _session_cookie()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.server}/{args.database}",
        "REDIS_URL": args.redis,
        "TRAFFICLENS_SIM_KUBECONFIG": str(kubeconfig),
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
        latencies, counts = asyncio.run(
            _clients(
                f"ws://127.0.0.1:{port}/ws/clusters/demo/",
                cookie,
                args.sockets,
                args.warmup,
                args.duration,
            )
        )
    finally:
        for proc in (watcher, server):
            proc.terminate()
        for proc in (watcher, server):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:  # Daphne waits on open sockets
                proc.kill()
        actions = sum(sim.churn.actions.values())
        sim_seconds = time.monotonic() - sim_started
        sim.stop()
    from routing.models import Snapshot

    snapshots = Snapshot.objects.filter(cluster__name="demo").count()
    if not latencies:
        raise SystemExit("no change reached any socket")
    ms = [v * 1000 for v in latencies]
    p99 = _percentile(ms, 99)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        f"{args.sockets} sockets, churn {args.churn}/s asked: {actions} sim actions took effect "
        f"in {sim_seconds:.0f} s ({actions / sim_seconds:.1f}/s; the rest found nothing to "
        f"act on), {args.duration:.0f} s measured; {snapshots} snapshots written in all"
    )
    print(
        f"messages per socket: min {min(counts)} max {max(counts)}; watch events delivered: "
        f"{len(ms)} ({len(ms) / args.sockets / args.duration:.1f} per second to each socket)"
    )
    print(
        f"watch event -> socket latency ms: p50 {statistics.median(ms):.1f}  "
        f"p90 {_percentile(ms, 90):.1f}  p99 {p99:.1f}  max {max(ms):.1f}"
    )
    verdict = "meets" if p99 < P99_TARGET_MS else "MISSES"
    print(f"p99 {p99:.1f} ms {verdict} the {P99_TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
