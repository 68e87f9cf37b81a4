"""Benchmark: snapshot storage on PostgreSQL grows with change, not with the number of snapshots.

Writes one full snapshot of a generated cluster, then N-1 more with a small share of objects
edited between snapshots (Pod phase or labels, an endpoint's readiness or hints, a Service or
Node label: the edits a live cluster makes), and reports the routing tables' on-disk size after
the first and after the last snapshot, and the write times. Targets: 100 snapshots at 1% change
take at most 3x the space of one.

    .venv/bin/python benchmarks/bench_storage.py                  # the full-size run
    .venv/bin/python benchmarks/bench_storage.py --services 500 --endpoints 5000 --nodes 60 \
        --snapshots 20                                            # a quick one

It drops and recreates its own database (default trafficlens_bench; the name must contain
"bench") on every run, so each run starts from the migrations with empty tables.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from random import Random

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_db import django_on  # noqa: E402
from benchmarks.gen_cluster import add_size_arguments  # noqa: E402

RATIO_TARGET = 3.0
TABLES = ("routing_cluster", "routing_snapshot", "routing_objectversion", "routing_servicesummary")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_arguments(parser)
    parser.add_argument("--snapshots", type=int, default=100, help="including the first")
    parser.add_argument("--change", type=float, default=0.01, help="share of objects edited")
    parser.add_argument(
        "--server", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL, no db name"
    )
    parser.add_argument("--database", default="trafficlens_bench")
    parser.add_argument("--json", help="also write the results here")
    return parser.parse_args(argv)


def table_sizes() -> dict[str, dict[str, int]]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """SELECT relname, pg_relation_size(oid), pg_indexes_size(oid),
                      pg_total_relation_size(oid), COALESCE(n_live_tup, 0)
               FROM pg_class LEFT JOIN pg_stat_user_tables USING (relname)
               WHERE relname = ANY(%s) AND relkind = 'r'""",
            [list(TABLES)],
        )
        return {
            name: {"heap": heap, "indexes": idx, "total": total, "toast": total - heap - idx}
            for name, heap, idx, total, _ in cur.fetchall()
        }


def total(sizes: dict[str, dict[str, int]]) -> int:
    return sum(t["total"] for t in sizes.values())


class Churn:
    """Small, realistic edits to a share of the objects, in place and deterministic."""

    def __init__(self, items: list[dict], seed: int) -> None:
        self.items = items
        self.rng = Random(seed)
        self.nodes = [o for o in items if o["kind"] == "Node"]

    def step(self, round_: int, share: float) -> int:
        rng = self.rng
        picked = rng.sample(range(len(self.items)), max(1, round(len(self.items) * share)))
        for i in picked:
            obj = self.items[i]
            getattr(self, "_" + obj["kind"].lower())(obj, round_)
        # Every node reports a heartbeat, and every object's resourceVersion moves: noise that
        # trimming must absorb.
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1748779200 + 300 * round_))
        for node in self.nodes:
            for cond in node["status"]["conditions"]:
                cond["lastHeartbeatTime"] = stamp
            node["metadata"]["resourceVersion"] = str(10_000_000 + round_)
        return len(picked)

    def _pod(self, pod: dict, round_: int) -> None:
        if self.rng.random() < 0.5:
            status = pod["status"]
            status["phase"] = "Pending" if status.get("phase") == "Running" else "Running"
        else:
            pod["metadata"].setdefault("labels", {})["example.com/revision"] = str(round_)

    def _endpointslice(self, slice_: dict, round_: int) -> None:
        eps = slice_.get("endpoints")
        if not eps:
            slice_["metadata"]["labels"]["example.com/revision"] = str(round_)
            return
        ep = self.rng.choice(eps)
        if "hints" in ep and self.rng.random() < 0.2:
            del ep["hints"]  # the controller dropped this endpoint's hint
        else:
            cond = ep["conditions"]
            cond["ready"] = cond["serving"] = not cond.get("ready")

    def _service(self, svc: dict, round_: int) -> None:
        svc["metadata"].setdefault("annotations", {})["example.com/deployed-at"] = str(round_)

    def _node(self, node: dict, round_: int) -> None:
        node["metadata"]["labels"]["example.com/pool-revision"] = str(round_)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    django_on(args.server, args.database)
    from django.db import connection

    from benchmarks.bench_analyze import machine
    from benchmarks.gen_cluster import generate, stats
    from routing import snapshots
    from routing.engine import analyze_cluster, build_cluster
    from routing.models import Cluster, ObjectVersion, ServiceSummary
    from routing.options import cluster_options
    from routing.snapshots.diff import diff_snapshots
    from routing.snapshots.prepare import _prepare
    from routing.snapshots.write import gc_paused

    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        pg_version = cur.fetchone()[0].split(" on ")[0]

    m = machine()
    print(f"machine: {m['platform']}; {m['cpu']}; nproc {m['nproc']}; {m['python']}")
    print(f"database: {pg_version}, {args.database}")
    started = time.perf_counter()
    doc = generate(
        args.services, args.endpoints, args.nodes, args.zones, args.seed, args.pods, "us-east-1"
    )
    items = doc["items"]
    counts = stats(doc)
    counts.pop("policies"), counts.pop("types")
    print(
        f"cluster: {counts} ({len(items)} objects), generated in "
        f"{time.perf_counter() - started:.1f} s"
    )
    cluster = Cluster.objects.create(name="bench", source=Cluster.Source.SIMULATED)

    # The engine's share of a write: trim + hash + analysis, without the database.
    with gc_paused():  # as write_snapshot runs them
        t0 = time.perf_counter()
        prepared = _prepare(("items", i, o) for i, o in enumerate(items))
        engine_items = [(p.prefix, p.index, p.obj) for p in prepared.values()]
        t1 = time.perf_counter()
        analyze_cluster(build_cluster(engine_items), cluster_options(cluster))
        t2 = time.perf_counter()
    del prepared, engine_items
    trim_seconds, analysis_seconds = t1 - t0, t2 - t1
    print(
        f"without the database: trim+hash {trim_seconds:.2f} s, analysis {analysis_seconds:.2f} s"
    )

    t0 = time.perf_counter()
    first = snapshots.write_snapshot(cluster, items, source="scheduled")
    full_seconds = time.perf_counter() - t0
    one = table_sizes()
    print(
        f"snapshot 1 (full, {first.changed_objects} versions): {full_seconds:.2f} s, "
        f"tables {total(one) / 2**20:.1f} MiB"
    )

    churn = Churn(items, args.seed)
    times, edited, changed = [], [], []
    for round_ in range(2, args.snapshots + 1):
        edited.append(churn.step(round_, args.change))
        t0 = time.perf_counter()
        snap = snapshots.write_snapshot(cluster, items, source="scheduled")
        times.append(time.perf_counter() - t0)
        changed.append(snap.changed_objects)
        if round_ % 10 == 0 or round_ == args.snapshots:
            print(
                f"  snapshot {round_}: {times[-1]:.2f} s, {snap.changed_objects} versions "
                f"opened+closed, tables {total(table_sizes()) / 2**20:.1f} MiB",
                flush=True,
            )
    last = table_sizes()
    with connection.cursor() as cur:
        cur.execute(f"VACUUM ANALYZE {', '.join(TABLES)}")
    vacuumed = table_sizes()

    # Reading back: the oldest snapshot's objects (every interval lookup), and diffs.
    reads = {}
    latest = cluster.latest_snapshot()
    previous = cluster.snapshots.get(seq=latest.seq - 1) if latest.seq > 1 else latest
    for label, call in (
        ("objectsAtFirst", lambda: snapshots.objects_at(first)),
        ("objectsAtLatest", lambda: snapshots.objects_at(latest)),
        ("diffConsecutive", lambda: diff_snapshots(previous, latest)),
        ("diffFirstToLatest", lambda: diff_snapshots(first, latest)),
    ):
        t0 = time.perf_counter()
        call()
        reads[label] = round(time.perf_counter() - t0, 3)

    ratio = total(last) / total(one)
    result = {
        "machine": m | {"postgres": pg_version},
        "cluster": counts | {"objects": len(items)},
        "snapshots": args.snapshots,
        "changeShare": args.change,
        "objectsEditedPerSnapshot": statistics.median(edited) if edited else 0,
        "versionsOpenedClosedMedian": statistics.median(changed) if changed else 0,
        "rows": {
            "objectVersions": ObjectVersion.objects.filter(cluster=cluster).count(),
            "serviceSummaries": ServiceSummary.objects.filter(cluster=cluster).count(),
            "summariesOpenedAfterFirst": ServiceSummary.objects.filter(
                cluster=cluster, first_seq__gt=1
            ).count(),
        },
        "secondsTrimHash": round(trim_seconds, 3),
        "secondsAnalysis": round(analysis_seconds, 3),
        "secondsFullSnapshot": round(full_seconds, 3),
        "secondsChangeSnapshotMedian": round(statistics.median(times), 3) if times else None,
        "secondsChangeSnapshotMax": round(max(times), 3) if times else None,
        "bytesOneSnapshot": total(one),
        "bytesAllSnapshots": total(last),
        "bytesAllSnapshotsAfterVacuum": total(vacuumed),
        "secondsReading": reads,
        "ratio": round(ratio, 3),
        "ratioTarget": RATIO_TARGET,
        "tablesOne": one,
        "tablesAll": last,
    }
    print()
    print(f"write, full snapshot:      {full_seconds:.2f} s")
    if times:
        print(
            f"write, {args.change:.0%}-change snapshot: median {statistics.median(times):.2f} s, "
            f"max {max(times):.2f} s ({result['objectsEditedPerSnapshot']} objects edited, "
            f"median {result['versionsOpenedClosedMedian']} versions opened+closed)"
        )
    print(f"rows: {result['rows']}")
    for label, sizes in (("1 snapshot", one), (f"{args.snapshots} snapshots", last)):
        parts = ", ".join(
            f"{name.removeprefix('routing_')} {t['total'] / 2**20:.1f} MiB "
            f"(heap {t['heap'] / 2**20:.1f}, idx {t['indexes'] / 2**20:.1f}, "
            f"toast {t['toast'] / 2**20:.1f})"
            for name, t in sorted(sizes.items())
            if t["total"] > 1 << 20
        )
        print(f"size, {label}: {total(sizes) / 2**20:.1f} MiB: {parts}")
    print("reading: " + ", ".join(f"{k} {v:.2f} s" for k, v in reads.items()))
    print(f"size after VACUUM: {total(vacuumed) / 2**20:.1f} MiB (space kept for reuse)")
    verdict = "meets" if ratio <= RATIO_TARGET else "MISSES"
    print(
        f"ratio {args.snapshots} snapshots / 1 snapshot: {ratio:.2f}x ({verdict} the "
        f"{RATIO_TARGET:.0f}x target)"
    )
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    return result


if __name__ == "__main__":
    main()
