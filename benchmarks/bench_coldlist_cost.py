"""Benchmark: what one cold Services list request costs, split into Python and PostgreSQL CPU.

bench_api.py measures the cold list under load, where every process shares two cores; this
says where a request's CPU goes, without the load: it sends bench_api's never-repeating list
queries (or, with `--endpoint detail`, its Service details, each Service once) one after
another through Django's test client in this process (token auth, DEBUG off, the answer cache
off, the production settings otherwise) and reads

- this process's CPU time (`time.process_time`): Django, DRF, the ORM, serialising;
- the PostgreSQL backend's CPU time, from /proc/<its pid>/stat (the server must be local);
- the queries per request.

It works on bench_api.py's database, prepared the same way (`--reuse` keeps one). To compare
two checkouts, run this from each in turn on the same database, alternating:

    .venv/bin/python benchmarks/bench_api.py --runs coldlist        # once, to build it
    .venv/bin/python benchmarks/bench_coldlist_cost.py --reuse --queries 400 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from itertools import cycle
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from benchmarks.bench_api import parse_args as api_args

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=400, help="cold queries per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument(
        "--endpoint",
        choices=("coldlist", "detail"),
        default="coldlist",
        help="bench_api's never-repeating list queries, or its Service details",
    )
    own, rest = parser.parse_known_args(argv)
    # The cluster and database options are bench_api.py's (--services, --reuse, --pg, ...).
    api = api_args([*rest, "--runs", "coldlist"])
    return argparse.Namespace(**{**vars(api), **vars(own)})


def backend_cpu(connection) -> float:
    """CPU seconds the PostgreSQL backend of `connection` has used (user + system)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    # The production settings where they matter to a request's cost (bench_api's server).
    os.environ.update(
        DEBUG="false",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        LOG_LEVEL="ERROR",
        ALLOWED_HOSTS="localhost",
        TRAFFICLENS_API_CACHE_SECONDS="0",
        DATABASE_POOL="true",
    )
    from benchmarks.bench_analyze import machine
    from benchmarks.bench_api import prepare

    plan = prepare(args)
    from django.db import connection
    from django.test import Client

    m = machine()
    print(f"machine: {m['platform']}; {m['cpu']}; nproc {m['nproc']}; {m['python']}")
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {plan['token']}")
    for path in plan["coldlist-warmup"][:50]:  # imports, connections, PostgreSQL's buffers
        assert client.get(path).status_code == 200
    # Each detail path names another Service; the answer cache is off, so none is answered
    # from it even when the list wraps around.
    paths = iter(plan["coldlist"]) if args.endpoint == "coldlist" else cycle(plan["detail"])
    sent = [0]

    def count(execute, sql, params, many, context):  # lighter than recording each query
        sent[0] += 1
        return execute(sql, params, many, context)

    rounds = []
    for _ in range(args.rounds):
        batch = [next(paths) for _ in range(args.queries)]
        before, sent[0] = backend_cpu(connection), 0
        wall, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(count):
            for path in batch:
                response = client.get(path)
                if response.status_code != 200:
                    raise SystemExit(f"{path}: {response.status_code} {response.content[:300]!r}")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        database = backend_cpu(connection) - before
        n = len(batch)
        rounds.append(
            {
                "pythonCpuMs": round(1000 * cpu / n, 3),
                "postgresCpuMs": round(1000 * database / n, 3),
                "wallMs": round(1000 * wall / n, 3),
                "queries": round(sent[0] / n, 2),
            }
        )
        r = rounds[-1]
        print(
            f"{n} {args.endpoint} requests: Python {r['pythonCpuMs']} ms, PostgreSQL "
            f"{r['postgresCpuMs']} ms of CPU, {r['wallMs']} ms wall, {r['queries']} queries each",
            flush=True,
        )
    medians = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    print(f"median of {args.rounds} rounds: {medians}")
    results = {
        "machine": m,
        "endpoint": args.endpoint,
        "services": plan["count"],
        "rounds": rounds,
        "median": medians,
    }
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return results


if __name__ == "__main__":
    main()
