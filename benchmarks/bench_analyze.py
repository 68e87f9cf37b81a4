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
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "benchmarks"
sys.path.insert(0, str(ROOT))

from benchmarks.gen_cluster import add_size_arguments  # noqa: E402

RATIO_TARGET = 3.0  # a cluster of sizes given by hand: analyze / bare parse (medians), issue 1
# analyze's peak resident memory, at most this many times the bare parse's (issue 16)
MEMORY_FACTOR = 1.5
BASELINE = "import orjson,sys; orjson.loads(open(sys.argv[1],'rb').read())"


@dataclass(frozen=True)
class Row:
    """A cluster the targets are stated for (`--row`), with its own ratio target."""

    title: str
    sizes: dict  # gen_cluster size arguments (zones and seed: the defaults)
    ratio_target: float


# Issue 16, target 1: analyze (what-if and fixes included) at Kubernetes' scalability limits
# (a Pod per endpoint), and on the 10,000-Service cluster without Pods.
ROWS = {
    "limits": Row(
        "10,000 Services, 150,000 endpoints, 5,000 Nodes, 150,000 Pods",
        {"services": 10000, "endpoints": 150000, "nodes": 5000, "pods": True},
        2.0,
    ),
    "no-pods": Row(
        "10,000 Services, 100,000 endpoints, 1,000 Nodes, no Pods",
        {"services": 10000, "endpoints": 100000, "nodes": 1000, "pods": False},
        2.5,
    ),
}


@dataclass
class Run:
    seconds: float
    max_rss: int  # bytes
    returncode: int
    stderr: str
    sha256: str | None = None  # of stdout, when asked for


def run(cmd: list[str], cwd: Path = ROOT, digest: bool = False) -> Run:
    """Run cmd with stdout discarded; wall time and the child's own peak RSS from wait4.
    `digest`: stdout to a file instead, its sha256 in the Run (untimed runs only)."""
    # The parent must stay small: Popen uses vfork, and Linux folds the pre-exec image (the parent's
    # memory) into the child's ru_maxrss. That is why the cluster is generated in a child too.
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out if digest else subprocess.DEVNULL,
            stderr=err,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        # Already reaped by wait4: recording the status keeps Popen from waiting again.
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-4000:].decode(errors="replace")
        sha = _sha256(out) if digest else None
    # ru_maxrss is KiB on Linux
    return Run(seconds, usage.ru_maxrss * 1024, proc.returncode, tail, sha)


def _sha256(f: Any) -> str:
    f.seek(0)
    digest = hashlib.sha256()
    while chunk := f.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


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


# Which form of the engine a checkout runs (routing/engine/native.py; "python" where a checkout
# predates the compiled form): a comparison across checkouts says what it compared.
ENGINE_FORM = (
    "import routing.engine as e; n = getattr(e, 'native', None); "
    "print(n.form + ': ' + n.reason if n else 'python: a checkout without the compiled form')"
)


def engine_form(tree: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", ENGINE_FORM],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or f"unknown ({result.stderr.strip()[-200:]})"


def byte_compile(tree: Path) -> None:
    """Write the checkout's .pyc files, as an installed copy (or the image: Dockerfile) has
    them: a first run writes them anyway, except where PYTHONDONTWRITEBYTECODE is set, and then
    every timed run would compile the project's sources again (~0.1 s) while the bare parse
    imports no source at all."""
    targets = [name for name in ("routing", "dashboard", "manage.py") if (tree / name).exists()]
    if targets:
        subprocess.run([sys.executable, "-m", "compileall", "-q", *targets], cwd=tree, check=False)


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
    for key, form in report.get("engine", {}).items():
        print(f"engine ({key}): {form}")
    how = "cached" if c["cached"] else f"generated in {c['generationSeconds']} s"
    if report["row"]:
        print(f"row {report['row']}: {ROWS[report['row']].title}")
    print(f"cluster: {c['file']} ({c['bytes'] / 1e6:.1f} MB, {how})")
    kinds = ("nodes", "services", "endpointSlices", "endpoints", "pods")
    print("  " + ", ".join(f"{c[k]} {k}" for k in kinds) + f"; policies {c['policies']}")
    if report["reps"]:
        loads = " -> ".join(f"{a:.2f}" for a in (report["loadBefore"][0], report["loadAfter"][0]))
        print(f"\n{report['reps']} interleaved repetitions, wall time per process (load {loads}):")
        print(f"  {'':18} {'median':>8} {'min':>8} {'max':>8} {'peak RSS':>10}")
    rows = [("baseline (orjson)", "baseline"), ("analyze", "analyze"), ("analyze before", "before")]
    for label, key in rows:
        if s := report.get(key):
            times = " ".join(f"{s[k]:7.2f}s" for k in ("medianSeconds", "minSeconds", "maxSeconds"))
            print(f"  {label:18} {times} {mib(s['peakRssBytes']):>10}")
    for label, key in (("analyze", "outputSha256"), ("analyze before", "beforeSha256")):
        if report.get(key):
            print(f"{label} output sha256: {report[key]}")
    if report["analyzeError"]:
        print(f"\nANALYZE FAILED: {report['analyzeError']}")
        return
    verdict = {True: "PASS", False: "FAIL", None: "n/a"}
    target = report["targets"]
    if report["ratio"] is not None:
        print(
            f"\nratio of medians: {report['ratio']:.2f}x (target <= {target['ratio']:g}x): "
            f"{verdict[report['passTime']]}"
        )
    if report.get("beforeRatio") is not None:
        print(f"ratio of medians, analyze before: {report['beforeRatio']:.2f}x")
    if report["memoryRatio"] is not None:
        peak = mib(report["analyze"]["peakRssBytes"])
        print(
            f"analyze peak RSS: {peak}, {report['memoryRatio']:.2f}x the parse's "
            f"(target <= {target['memoryFactor']:g}x): {verdict[report['passMemory']]}"
        )


def measure(args: argparse.Namespace, row: str | None, out: io.TextIOBase) -> dict:
    """One cluster: the bare parse and analyze (and analyze from `--before-tree`), interleaved."""
    path, meta, cached = cluster_file(args)
    path = Path(os.path.relpath(path, ROOT))  # children run in ROOT; shorter in the report
    baseline_cmd = [sys.executable, "-c", BASELINE, str(path)]
    analyze = [sys.executable, "manage.py", "analyze", "--format", "json"]
    analyze_cmd = [*analyze, str(path), *args.analyze_args]
    commands = {"analyze": (analyze_cmd, ROOT)}
    if args.before_tree:  # another checkout, e.g. `git archive HEAD` unpacked: absolute path
        before_cmd = [*analyze, str(ROOT / path), *args.analyze_args]
        commands["before"] = (before_cmd, args.before_tree.resolve())
    error = None if (ROOT / "manage.py").exists() else f"{ROOT / 'manage.py'} does not exist yet"
    shas: dict[str, str | None] = dict.fromkeys(commands)
    for _, cwd in commands.values():
        byte_compile(cwd)
    # Untimed first runs (page cache); the first of each analyze also gives its output's
    # sha256, so that a change can be shown to leave the output as it was.
    for k in range(max(args.warmup, 1)):
        if k < args.warmup:
            run(baseline_cmd)
        for key, (cmd, cwd) in commands.items():
            if error is not None:
                break
            result = run(cmd, cwd, digest=k == 0)
            if result.returncode != 0:
                error = f"{key}: exit status {result.returncode}: {result.stderr.strip()}"
            elif k == 0:
                shas[key] = result.sha256
    times: dict[str, list[Run]] = {"baseline": [], **{key: [] for key in commands}}
    load_before = os.getloadavg()
    # Interleaved, so that drift on the machine (other load, thermal limits) hits both sides alike.
    for _ in range(args.reps):
        times["baseline"].append(run(baseline_cmd))
        if times["baseline"][-1].returncode != 0:
            raise SystemExit(f"baseline parse failed: {times['baseline'][-1].stderr.strip()}")
        for key, (cmd, cwd) in commands.items():
            if error is not None:
                break
            times[key].append(result := run(cmd, cwd))
            if result.returncode != 0:
                error = f"{key}: exit status {result.returncode}: {result.stderr.strip()}"
                times[key].pop()
    load_after = os.getloadavg()

    b, a = summarize(times["baseline"]), summarize(times["analyze"])
    before = summarize(times["before"]) if "before" in times else None
    ratio = a["medianSeconds"] / b["medianSeconds"] if a and b else None
    before_ratio = before["medianSeconds"] / b["medianSeconds"] if before and b else None
    memory = a["peakRssBytes"] / b["peakRssBytes"] if a and b else None
    ratio_target = ROWS[row].ratio_target if row else RATIO_TARGET
    report = {
        "row": row,
        "machine": machine(),
        "engine": {key: engine_form(cwd) for key, (_, cwd) in commands.items()},
        "cluster": {
            "file": str(path),
            "cached": cached,
            "generationSeconds": meta["seconds"],
        }
        | {k: v for k, v in meta.items() if k != "seconds"},
        "command": shlex.join(["python", *analyze_cmd[1:]]),
        "reps": args.reps,
        "loadBefore": load_before,
        "loadAfter": load_after,
        "baseline": b,
        "analyze": a,
        "before": before,
        "analyzeError": error,
        "outputSha256": shas["analyze"],
        "beforeSha256": shas.get("before"),
        "ratio": round(ratio, 3) if ratio is not None else None,
        "beforeRatio": round(before_ratio, 3) if before_ratio is not None else None,
        "memoryRatio": round(memory, 3) if memory is not None else None,
        "targets": {"ratio": ratio_target, "memoryFactor": MEMORY_FACTOR},
        "passTime": ratio <= ratio_target if ratio is not None else None,
        "passMemory": memory <= MEMORY_FACTOR if memory is not None else None,
    }
    if not args.json:
        print_report(report)
    if args.profile and error is None:
        error = report["analyzeError"] = profile(path, args, out)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_size_arguments(parser)
    parser.add_argument(
        "--row",
        action="append",
        choices=sorted(ROWS),
        help="a cluster the targets are stated for, instead of the size arguments; repeatable: "
        + "; ".join(f"{name}: {r.title}, <= {r.ratio_target:g}x" for name, r in ROWS.items()),
    )
    parser.add_argument(
        "--reps", type=int, default=5, help="timed repetitions of each process (0: none)"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="untimed runs of each first (page cache, .pyc); analyze runs once untimed even at "
        "0, for its output's sha256",
    )
    example = '--analyze-args="--clients uniform"'
    parser.add_argument("--analyze-args", default="", type=shlex.split, help=f"e.g. {example}")
    parser.add_argument(
        "--before-tree",
        type=Path,
        help="also time `manage.py analyze` of another checkout (e.g. `git archive HEAD` "
        "unpacked), interleaved, and compare its output",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--profile", action="store_true", help="also run analyze once under cProfile"
    )
    parser.add_argument("--enforce", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--data-dir", type=Path, default=HERE / "data")
    args = parser.parse_args(argv)
    out = sys.stderr if args.json else sys.stdout

    reports = []
    for i, row in enumerate(args.row or [None]):
        if row is not None:
            args = argparse.Namespace(**vars(args) | ROWS[row].sizes)
        if i and not args.json:
            print()
        reports.append(measure(args, row, out))
    if args.json:
        payload = reports[0] if len(reports) == 1 else reports
        sys.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n")
    failed = [r["analyzeError"] for r in reports if r["analyzeError"]]
    if failed:
        if args.json:  # the text report already says so
            for error in failed:
                print(f"analyze failed: {error}", file=sys.stderr)
        return 1
    missed = any(r["passTime"] is False or r["passMemory"] is False for r in reports)
    return 1 if args.enforce and missed else 0


if __name__ == "__main__":
    sys.exit(main())
