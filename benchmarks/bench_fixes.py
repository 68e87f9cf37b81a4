"""Benchmark: the verified-fix search (routing.fixes.add_fixes) against the analysis it extends.

In one process: load, parse and analyse a generated cluster (what `manage.py analyze --no-fixes`
does, minus printing), then add_fixes on that same report. Prints both times and
(analyze + fixes) / analyze, the figure issue 12's target is stated in (at most 1.5x).

`--dump FILE` writes every Service's `fixes` and `noFixReason` as sorted JSON, and the sha256 of
that file is always printed, so a change to the search can be checked to give the same output.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import inspect
import sys
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "benchmarks"
sys.path.insert(0, str(ROOT))

from benchmarks.bench_analyze import cluster_file, machine  # noqa: E402
from benchmarks.gen_cluster import add_size_arguments  # noqa: E402

RATIO_TARGET = 1.5  # analyze with fixes may take at most this many times analyze without


def fixes_json(report: dict[str, Any]) -> bytes:
    """Every Service's fixes and no-fix reason, keyed by namespace/name, in a stable form."""
    out = {
        f"{e['namespace']}/{e['name']}": {"fixes": e["fixes"], "noFixReason": e["noFixReason"]}
        for e in report["services"]
    }
    return orjson.dumps(out, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def measure(path: Path, options: Any) -> tuple[float, float, dict[str, Any]]:
    """(analyze seconds, fixes seconds, report) for one run, the collector off as in the CLI."""
    from routing.engine import analyze_cluster, build_cluster, load_path
    from routing.fixes import add_fixes

    gc.collect()
    gc.disable()  # as routing.engine.cli does
    try:
        start = time.perf_counter()
        items = load_path(str(path))
        cluster = build_cluster(items)
        report = analyze_cluster(cluster, options)
        analyzed = time.perf_counter()
        add_fixes(report, (obj for _, _, obj in items), options, **_with(cluster))
        fixed = time.perf_counter()
    finally:
        gc.enable()
    return analyzed - start, fixed - analyzed, report


def _with(cluster: Any) -> dict[str, Any]:
    """The report's own parse, passed as the CLI passes it, where add_fixes takes it (it did
    not before issue 12's speed-up: this benchmark also measures that version)."""
    from routing.fixes import add_fixes

    return {"cluster": cluster} if "cluster" in inspect.signature(add_fixes).parameters else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_size_arguments(parser)
    # Scaled with --services unless given: 10 endpoints per Service, a node per 10 Services.
    parser.set_defaults(endpoints=None, nodes=None, seed=5)
    parser.add_argument("--clients", choices=("cpu", "uniform", "pods"), default="cpu")
    parser.add_argument("--reps", type=int, default=1, help="timed runs (the fastest counts)")
    parser.add_argument("--dump", type=Path, help="write the fixes JSON here")
    parser.add_argument("--profile", type=Path, help="write a cProfile of add_fixes here")
    parser.add_argument("--data-dir", type=Path, default=HERE / "data")
    parser.add_argument("--enforce", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    args.endpoints = args.services * 10 if args.endpoints is None else args.endpoints
    args.nodes = max(1, args.services // 10) if args.nodes is None else args.nodes

    from routing.engine import Options  # pure: no Django settings needed

    path, meta, cached = cluster_file(args)
    options = Options(clients=args.clients)
    m = machine()
    print(f"machine: {m['platform']}; {m['cpu']}; nproc {m['nproc']}; {m['python']}")
    print(
        f"cluster: {path.name} ({'cached' if cached else 'generated'}): {meta['services']} "
        f"Services, {meta['endpoints']} endpoints, {meta['nodes']} nodes, {meta['pods']} Pods; "
        f"clients {args.clients}"
    )
    runs = []
    report: dict[str, Any] = {}
    for _ in range(max(1, args.reps)):
        analyze_s, fixes_s, report = measure(path, options)
        runs.append((analyze_s, fixes_s))
        print(
            f"  analyze {analyze_s:7.2f} s   fixes {fixes_s:7.2f} s   "
            f"(analyze + fixes) / analyze {(analyze_s + fixes_s) / analyze_s:5.2f}x"
        )
    analyze_s, fixes_s = min(runs, key=lambda r: (r[0] + r[1]) / r[0])
    ratio = (analyze_s + fixes_s) / analyze_s
    searched = sum(1 for e in report["services"] if e["fixes"] or e["noFixReason"])
    with_fixes = sum(1 for e in report["services"] if e["fixes"])
    print(f"Services with a fix: {with_fixes}; with a fix or a no-fix reason: {searched}")
    verdict = "PASS" if ratio <= RATIO_TARGET else "FAIL"
    print(f"best ratio: {ratio:.2f}x (target <= {RATIO_TARGET:g}x): {verdict}")
    dumped = fixes_json(report)
    print(f"fixes sha256: {hashlib.sha256(dumped).hexdigest()}")
    if args.dump:
        args.dump.write_bytes(dumped)
        print(f"fixes JSON written to {args.dump}")
    if args.profile:
        _profile(path, options, args.profile)
    return 1 if args.enforce and ratio > RATIO_TARGET else 0


def _profile(path: Path, options: Any, out: Path) -> None:
    import cProfile
    import pstats

    from routing.engine import analyze_cluster, build_cluster, load_path
    from routing.fixes import add_fixes

    items = load_path(str(path))
    cluster = build_cluster(items)
    report = analyze_cluster(cluster, options)
    profiler = cProfile.Profile()
    profiler.runcall(add_fixes, report, [obj for _, _, obj in items], options, **_with(cluster))
    profiler.dump_stats(str(out))
    pstats.Stats(str(out)).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    sys.exit(main())
