"""Benchmark: snapshot storage on PostgreSQL grows with change, not with the number of snapshots.

Writes one full snapshot of a generated cluster, then N-1 more with a small share of objects
edited between snapshots (Pod phase or labels, an endpoint's readiness or hints, a Service or
Node label: the edits a live cluster makes), and reports the routing tables' on-disk size after
the first and after the last snapshot, and the write times: wall and CPU (time.process_time of
this process, which writes: PostgreSQL's own work is in the wall time only). Targets (issue
16): a 1%-change snapshot of 10,000 Services in < 0.5 s of CPU, a full one in < 4 s, and 100
snapshots in at most 2.5x the space of one.

Two modes. `--mode snapshot` (the default) hands write_snapshot every object each time, as a
listing or an upload does. `--mode watcher` feeds the edits to a ClusterState as the watch
threads do (each event parsed, trimmed and applied; every node's heartbeat too, which trimming
absorbs) and writes as a watcher does: the first snapshot whole, then only what changed
(routing.snapshots.write_changes). The watch side's CPU is reported apart from the writes': the
first listing's (trimming, and applying to the state, which hashes and packs each object as it
arrives) and the events' per snapshot.

    .venv/bin/python benchmarks/bench_storage.py                  # the full-size run
    .venv/bin/python benchmarks/bench_storage.py --mode watcher   # ... as a watcher writes
    .venv/bin/python benchmarks/bench_storage.py --services 500 --endpoints 5000 --nodes 60 \
        --snapshots 20                                            # a quick one

It drops and recreates its own database (default trafficlens_bench; the name must contain
"bench") on every run, so each run starts from the migrations with empty tables.
"""

from __future__ import annotations

import argparse
import os
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

RATIO_TARGET = 2.5
CHANGE_CPU_TARGET = 0.5  # seconds of CPU for a 1%-change snapshot of 10,000 Services
FULL_TARGET = 4.0  # seconds for a full one
TABLES = ("routing_cluster", "routing_snapshot", "routing_objectversion", "routing_servicesummary")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_arguments(parser)
    parser.add_argument("--snapshots", type=int, default=100, help="including the first")
    parser.add_argument("--change", type=float, default=0.01, help="share of objects edited")
    parser.add_argument(
        "--mode",
        choices=("snapshot", "watcher"),
        default="snapshot",
        help="every object to write_snapshot each time, or a watcher's deltas (module doc)",
    )
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

    def step(self, round_: int, share: float) -> list[int]:
        """Edit a share of the objects; the indexes of those edited (every node's heartbeat
        and resourceVersion move too)."""
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
        return picked

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


class Timed:
    """Wall and CPU seconds of each call (CPU: time.process_time, this process's threads), and
    the CPU the cyclic garbage collector took within it (an outlier's usual cause)."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.gc: list[float] = []
        self._gc_started = 0.0
        self._gc_spent = 0.0

    def _collecting(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = time.process_time()
        else:
            self._gc_spent += time.process_time() - self._gc_started

    def __call__(self, fn, *args, **kwargs):
        import gc

        self._gc_spent = 0.0
        gc.callbacks.append(self._collecting)
        try:
            w0, c0 = time.perf_counter(), time.process_time()
            result = fn(*args, **kwargs)
            self.cpu.append(time.process_time() - c0)
            self.wall.append(time.perf_counter() - w0)
        finally:
            gc.callbacks.remove(self._collecting)
        self.gc.append(self._gc_spent)
        return result

    def each(self) -> dict:
        """Every call's figures, rounded (for the JSON)."""
        return {
            "wall": [round(x, 3) for x in self.wall],
            "cpu": [round(x, 3) for x in self.cpu],
            "gcCpu": [round(x, 3) for x in self.gc],
        }

    def summary(self) -> dict:
        if not self.wall:
            return {}
        return {
            "wallMedian": round(statistics.median(self.wall), 3),
            "wallMax": round(max(self.wall), 3),
            "cpuMedian": round(statistics.median(self.cpu), 3),
            "cpuMax": round(max(self.cpu), 3),
        }


class Watcher:
    """What a watcher does with the same edits: watch events parsed, trimmed and applied to a
    ClusterState; writes of the first snapshot whole, then of what changed."""

    def __init__(self, cluster, items: list[dict]) -> None:
        from routing.kube.state import ClusterState
        from routing.snapshots.prepare import stored_form
        from routing.snapshots.trim import KINDS

        self.cluster = cluster
        self.state = ClusterState(KINDS, stored_form)  # as start_watch's
        self.after_seq: int | None = None
        events = orjson.loads(orjson.dumps(items))  # what the listing's pages parse to
        # The first listing's CPU, reported apart from the writes': trimming, and applying to
        # the state (which works out each object's stored form as it arrives).
        self.listing = {"trim": 0.0, "apply": 0.0}
        for kind in KINDS:
            c0 = time.process_time()
            listed = [self._trim(o) for o in events if o["kind"] == kind]
            c1 = time.process_time()
            self.state.replace_kind(kind, listed)
            self.listing["trim"] += c1 - c0
            self.listing["apply"] += time.process_time() - c1

    @staticmethod
    def _trim(obj: dict) -> dict:
        from routing.snapshots.trim import trim_object

        return trim_object(obj)

    def events(self, objects: list[dict]) -> None:
        """Each object as a MODIFIED watch event: parsed from its JSON, trimmed, applied."""
        for obj in objects:
            self.state.apply("MODIFIED", self._trim(orjson.loads(orjson.dumps(obj))))

    def write(self):
        from routing.snapshots import write_changes

        handover = self.state.handover()
        snapshot = write_changes(
            self.cluster,
            handover.by_kind,
            handover.changed,
            after_seq=self.after_seq,
            source="watch",
            forms=handover.forms,
        )
        self.state.written(handover)
        self.after_seq = snapshot.seq
        return snapshot


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    django_on(args.server, args.database)
    from django.db import connection

    from benchmarks.bench_analyze import machine
    from benchmarks.gen_cluster import generate, stats
    from routing import snapshots
    from routing.engine import analyze_cluster, build_cluster, native
    from routing.models import Cluster, ObjectVersion, ServiceSummary
    from routing.options import cluster_options
    from routing.snapshots.diff import diff_snapshots
    from routing.snapshots.prepare import _prepare
    from routing.snapshots.write import gc_paused

    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        pg_version = cur.fetchone()[0].split(" on ")[0]

    m = machine()
    load_before = os.getloadavg()
    print(f"machine: {m['platform']}; {m['cpu']}; nproc {m['nproc']}; {m['python']}")
    print(f"database: {pg_version}, {args.database}; mode {args.mode}")
    print(f"engine: {native.form}: {native.reason}")
    print("load average: " + " ".join(f"{x:.2f}" for x in load_before))
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

    watcher = Watcher(cluster, items) if args.mode == "watcher" else None

    def write():
        if watcher is not None:
            return watcher.write()
        return snapshots.write_snapshot(cluster, items, source="scheduled")

    full = Timed()
    first = full(write)
    one = table_sizes()
    print(
        f"snapshot 1 (full, {first.changed_objects} versions): {full.wall[0]:.2f} s, "
        f"CPU {full.cpu[0]:.2f} s, tables {total(one) / 2**20:.1f} MiB"
    )

    churn = Churn(items, args.seed)
    change, watch_side = Timed(), Timed()
    edited, changed = [], []
    for round_ in range(2, args.snapshots + 1):
        picked = churn.step(round_, args.change)
        edited.append(len(picked))
        if watcher is not None:
            watch_side(watcher.events, [items[i] for i in picked] + churn.nodes)
        snap = change(write)
        changed.append(snap.changed_objects)
        if round_ % 10 == 0 or round_ == args.snapshots:
            print(
                f"  snapshot {round_}: {change.wall[-1]:.2f} s, CPU {change.cpu[-1]:.2f} s, "
                f"{snap.changed_objects} versions opened+closed, "
                f"tables {total(table_sizes()) / 2**20:.1f} MiB",
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
    times = change.summary()
    result = {
        "machine": m | {"postgres": pg_version},
        "mode": args.mode,
        "loadAverage": {"before": load_before, "after": os.getloadavg()},
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
        "engine": native.form,
        "secondsFullSnapshot": round(full.wall[0], 3),
        "cpuSecondsFullSnapshot": round(full.cpu[0], 3),
        "secondsChangeSnapshotMedian": times.get("wallMedian"),
        "secondsChangeSnapshotMax": times.get("wallMax"),
        "cpuSecondsChangeSnapshotMedian": times.get("cpuMedian"),
        "cpuSecondsChangeSnapshotMax": times.get("cpuMax"),
        "watchSide": watch_side.summary() or None,
        "watchSideFirstListingCpu": (
            {k: round(v, 3) for k, v in watcher.listing.items()} if watcher else None
        ),
        "changeSnapshots": change.each(),
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
    print(
        f"write, full snapshot:      {full.wall[0]:.2f} s, CPU {full.cpu[0]:.2f} s "
        f"(target < {FULL_TARGET:.0f} s)"
    )
    if times:
        print(
            f"write, {args.change:.0%}-change snapshot: median {times['wallMedian']:.2f} s, "
            f"max {times['wallMax']:.2f} s; CPU median {times['cpuMedian']:.3f} s, "
            f"max {times['cpuMax']:.3f} s (target < {CHANGE_CPU_TARGET} s of CPU; "
            f"{result['objectsEditedPerSnapshot']} objects edited, "
            f"median {result['versionsOpenedClosedMedian']} versions opened+closed)"
        )
    if watcher is not None:
        print(
            f"watch side, first listing (not in the write): CPU trim "
            f"{watcher.listing['trim']:.2f} s, applied to the state (stored forms worked out "
            f"there) {watcher.listing['apply']:.2f} s"
        )
    if result["watchSide"]:
        side = result["watchSide"]
        print(
            f"watch side per snapshot (events parsed, trimmed, applied; not in the write): "
            f"CPU median {side['cpuMedian']:.3f} s"
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
        f"{RATIO_TARGET}x target)"
    )
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    return result


if __name__ == "__main__":
    main()
