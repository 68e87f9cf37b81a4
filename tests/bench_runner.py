"""Running a benchmark script once, small, from a test (tests/test_bench_smoke.py and
tests/test_bench_storage_smoke.py): the PostgreSQL server to give it, and the run itself."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import orjson

ROOT = Path(__file__).resolve().parents[1]


def postgres_server() -> str:
    """The tests' PostgreSQL server, without a database name (the benchmark makes its own)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"
    return "postgres://postgres@127.0.0.1:5432"


def run_benchmark(script: str, args: list[str], out: Path) -> dict:
    """`python benchmarks/SCRIPT ARGS` (its own settings, not the tests'); it must exit 0 and
    write its results as JSON to `out` (one of ARGS says so), which is returned."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, f"benchmarks/{script}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return orjson.loads(out.read_bytes())
