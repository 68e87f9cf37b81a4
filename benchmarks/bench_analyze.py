"""Benchmark: the whole `manage.py analyze --format json` process against a bare orjson parse."""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import pstats
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "benchmarks"
sys.path.insert(0, str(ROOT))

from benchmarks.gen_cluster import add_size_arguments  # noqa: E402

RATIO_TARGET = 3.0  # analyze may take at most this many times the bare parse (medians)
RSS_TARGET = 1 << 30  # analyze's peak resident memory must stay under 1 GiB
BASELINE = "import orjson,sys; orjson.loads(open(sys.argv[1],'rb').read())"


@dataclass
class Run:
    seconds: float
    max_rss: int  # bytes
    returncode: int
    stderr: str


def run(cmd: list[str]) -> Run:
    """Run cmd with stdout discarded; wall time and the child's own peak RSS from wait4."""
    # The parent must stay small: Popen uses vfork, and Linux folds the pre-exec image (the parent's
    # memory) into the child's ru_maxrss. That is why the cluster is generated in a child too.
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        # Already reaped by wait4: recording the status keeps Popen from waiting again.
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-4000:].decode(errors="replace")
    return Run(seconds, usage.ru_maxrss * 1024, proc.returncode, tail)  # ru_maxrss is KiB on Linux


def cluster_file(args: argparse.Namespace) -> tuple[Path, dict, bool]:
    """The dump for these parameters, generated once and cached: (path, meta, cached)."""
    # The generator's source is part of the key, so a changed generator never reuses a stale file.
    digest = hashlib.sha256()
    for name in ("gen_cluster.py", "cluster_objects.py"):
        digest.update((HERE / name).read_bytes())
    stem = f"cluster-s{args.services}-e{args.endpoints}-n{args.nodes}-z{args.zones}-seed{args.seed}"
    stem += "-pods" if args.pods else "-nopods"
    path = args.data_dir / f"{stem}-{digest.hexdigest()[:10]}.json"
    meta_path = path.with_suffix(".meta.json")
    if path.exists() and meta_path.exists():
        return path, orjson.loads(meta_path.read_bytes()), True
    args.data_dir.mkdir(parents=True, exist_ok=True)
    for stale in args.data_dir.glob(f"{stem}-*.json"):
        stale.unlink()
    tmp = path.with_suffix(".partial")
    sizes = {"services": args.services, "endpoints": args.endpoints, "nodes": args.nodes}
    sizes |= {"zones": args.zones, "seed": args.seed}
    cmd = [sys.executable, "-m", "benchmarks.gen_cluster", "--pods" if args.pods else "--no-pods"]
    cmd += [arg for key, value in sizes.items() for arg in (f"--{key}", str(value))]
    cmd += ["-o", str(tmp), "--meta", str(meta_path)]
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=sys.stderr)
    tmp.rename(path)  # only a complete file ever carries the cache name
    return path, orjson.loads(meta_path.read_bytes()), False


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu
            )
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "orjson": orjson.__version__,
    }


def summarize(runs: list[Run]) -> dict | None:
    if not runs:
        return None
    times = [r.seconds for r in runs]
    return {
        "medianSeconds": round(statistics.median(times), 4),
        "minSeconds": round(min(times), 4),
        "maxSeconds": round(max(times), 4),
        "seconds": [round(t, 4) for t in times],
        "peakRssBytes": max(r.max_rss for r in runs),
    }


# `python -m cProfile -o OUT manage.py ...`, but with os._exit turned into a normal exit: manage.py
# leaves `analyze` through os._exit to skip heap teardown, which would skip writing the profile too.
PROFILER = """import cProfile, os, runpy, sys
out = sys.argv.pop(1)
del sys.argv[0]
def _exit(status):
    raise SystemExit(status)
os._exit = _exit
profiler = cProfile.Profile()
try:
    profiler.runcall(runpy.run_path, sys.argv[0], run_name="__main__")
finally:
    profiler.dump_stats(out)
"""


def profile(path: Path, args: argparse.Namespace, out: io.TextIOBase) -> str | None:
    """Run analyze once under cProfile, print the top 25 cumulative entries; the error or None."""
    prof = args.data_dir / "analyze.prof"
    prof.unlink(missing_ok=True)
    cmd = [sys.executable, "-c", PROFILER, str(prof), "manage.py", "analyze", "--format", "json"]
    result = run([*cmd, str(path), *args.analyze_args])
    if result.returncode != 0 or not prof.exists():
        return f"analyze under cProfile exited {result.returncode}: {result.stderr.strip()}"
    where = os.path.relpath(prof, ROOT)
    print(f"\ncProfile of analyze ({result.seconds:.2f} s with profiling), in {where}:", file=out)
    pstats.Stats(str(prof), stream=out).sort_stats("cumulative").print_stats(25)
    return None


def mib(n: int) -> str:
    return f"{n / (1 << 20):.0f} MiB"


def print_report(report: dict) -> None:
    m, c = report["machine"], report["cluster"]
    print(f"machine: {m['platform']}; {m['cpu']}; nproc {m['nproc']}; {m['python']}")
    how = "cached" if c["cached"] else f"generated in {c['generationSeconds']} s"
    print(f"cluster: {c['file']} ({c['bytes'] / 1e6:.1f} MB, {how})")
    kinds = ("nodes", "services", "endpointSlices", "endpoints", "pods")
    print("  " + ", ".join(f"{c[k]} {k}" for k in kinds) + f"; policies {c['policies']}")
    if report["reps"]:
        print(f"\n{report['reps']} interleaved repetitions, wall time per process:")
        print(f"  {'':18} {'median':>8} {'min':>8} {'max':>8} {'peak RSS':>10}")
    for label, key in (("baseline (orjson)", "baseline"), ("analyze", "analyze")):
        if s := report[key]:
            times = " ".join(f"{s[k]:7.2f}s" for k in ("medianSeconds", "minSeconds", "maxSeconds"))
            print(f"  {label:18} {times} {mib(s['peakRssBytes']):>10}")
    if report["analyzeError"]:
        print(f"\nANALYZE FAILED: {report['analyzeError']}")
        return
    verdict = {True: "PASS", False: "FAIL", None: "n/a"}
    if report["ratio"] is not None:
        target = f"target <= {RATIO_TARGET:g}x"
        print(
            f"\nratio of medians: {report['ratio']:.2f}x ({target}): {verdict[report['passTime']]}"
        )
    if report["analyze"]:
        peak, target = mib(report["analyze"]["peakRssBytes"]), f"target < {mib(RSS_TARGET)}"
        print(f"analyze peak RSS: {peak} ({target}): {verdict[report['passMemory']]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_size_arguments(parser)
    parser.add_argument(
        "--reps", type=int, default=5, help="timed repetitions of each process (0: none)"
    )
    parser.add_argument(
        "--warmup", type=int, default=1, help="untimed runs of each first (page cache, .pyc)"
    )
    example = '--analyze-args="--clients uniform"'
    parser.add_argument("--analyze-args", default="", type=shlex.split, help=f"e.g. {example}")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--profile", action="store_true", help="also run analyze once under cProfile"
    )
    parser.add_argument("--enforce", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--data-dir", type=Path, default=HERE / "data")
    args = parser.parse_args(argv)
    out = sys.stderr if args.json else sys.stdout

    path, meta, cached = cluster_file(args)
    path = Path(os.path.relpath(path, ROOT))  # children run in ROOT; shorter in the report
    baseline_cmd = [sys.executable, "-c", BASELINE, str(path)]
    analyze_cmd = [
        sys.executable,
        "manage.py",
        "analyze",
        "--format",
        "json",
        str(path),
        *args.analyze_args,
    ]
    error = None if (ROOT / "manage.py").exists() else f"{ROOT / 'manage.py'} does not exist yet"
    for _ in range(args.warmup):
        run(baseline_cmd)
        if error is None and (result := run(analyze_cmd)).returncode != 0:
            error = f"exit status {result.returncode}: {result.stderr.strip()}"
    baseline: list[Run] = []
    analyze: list[Run] = []
    # Interleaved, so that drift on the machine (other load, thermal limits) hits both sides alike.
    for _ in range(args.reps):
        baseline.append(run(baseline_cmd))
        if baseline[-1].returncode != 0:
            raise SystemExit(f"baseline parse failed: {baseline[-1].stderr.strip()}")
        if error is None:
            analyze.append(run(analyze_cmd))
            if analyze[-1].returncode != 0:
                error = f"exit status {analyze[-1].returncode}: {analyze[-1].stderr.strip()}"
                analyze.pop()

    b, a = summarize(baseline), summarize(analyze)
    ratio = a["medianSeconds"] / b["medianSeconds"] if a and b else None
    report = {
        "machine": machine(),
        "cluster": {
            "file": str(path),
            "cached": cached,
            "generationSeconds": meta["seconds"],
        }
        | {k: v for k, v in meta.items() if k != "seconds"},
        "command": shlex.join(["python", *analyze_cmd[1:]]),
        "reps": args.reps,
        "baseline": b,
        "analyze": a,
        "analyzeError": error,
        "ratio": round(ratio, 3) if ratio is not None else None,
        "targets": {"ratio": RATIO_TARGET, "peakRssBytes": RSS_TARGET},
        "passTime": ratio <= RATIO_TARGET if ratio is not None else None,
        "passMemory": a["peakRssBytes"] < RSS_TARGET if a else None,
    }
    if not args.json:
        print_report(report)
    if args.profile and error is None:
        error = report["analyzeError"] = profile(path, args, out)
    if args.json:
        sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    if error:
        if args.json:  # the text report already says so
            print(f"analyze failed: {error}", file=sys.stderr)
        return 1
    missed = report["passTime"] is False or report["passMemory"] is False
    return 1 if args.enforce and missed else 0


if __name__ == "__main__":
    sys.exit(main())
