"""The storage benchmark runs once at a tiny size in both modes, every object to write_snapshot
and a watcher's deltas, so that it cannot rot unnoticed (issue 16: "CI runs each benchmark once
at a small size"). Nothing is timed here: each run must finish and report its figures, and the
two modes, fed the same edits, must store the same rows in the same space."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.bench_runner import postgres_server, run_benchmark

ROOT = Path(__file__).resolve().parents[1]


def _database() -> str:
    """A benchmark database of this test run's own (beside the tests' one when there is one)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return f"{urlsplit(url).path.strip('/')}_bench_storage"
    return "trafficlens_bench_storage_smoke"


def _run(mode: str, tmp_path: Path) -> dict:
    out = tmp_path / f"{mode}.json"
    args = [
        *("--services", "60", "--endpoints", "400", "--nodes", "12", "--snapshots", "4"),
        *("--mode", mode, "--server", postgres_server(), "--database", _database()),
        *("--json", str(out)),
    ]
    return run_benchmark("bench_storage.py", args, out)


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("bench_storage")
    return {mode: _run(mode, tmp) for mode in ("snapshot", "watcher")}


def test_both_modes_write_every_snapshot_and_report_their_times(results):
    for mode, result in results.items():
        assert result["mode"] == mode
        assert result["snapshots"] == 4 and result["objectsEditedPerSnapshot"] > 0
        assert result["versionsOpenedClosedMedian"] > 0
        for key in ("cpuSecondsFullSnapshot", "cpuSecondsChangeSnapshotMedian", "ratio"):
            assert result[key] is not None and result[key] > 0, (mode, key)
        assert result["bytesAllSnapshots"] > result["bytesOneSnapshot"]
    assert results["watcher"]["watchSide"]["cpuMedian"] >= 0
    assert results["snapshot"]["watchSide"] is None


def test_a_watchers_deltas_store_what_full_writes_store(results):
    snapshot, watcher = results["snapshot"], results["watcher"]
    assert watcher["rows"] == snapshot["rows"]
    assert watcher["versionsOpenedClosedMedian"] == snapshot["versionsOpenedClosedMedian"]
