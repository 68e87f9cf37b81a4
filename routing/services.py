"""Orchestration between the web app and the pure engine: options from settings, cached analyses."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from routing.engine import InputError, Options, analyze_cluster, build_cluster, load_path


@dataclass(frozen=True)
class DumpAnalysis:
    """The report for a dump, or the one-line error that explains why there is none."""

    path: Path
    report: dict[str, Any] | None
    error: str | None


_cache: dict[tuple[str, float, int], DumpAnalysis] = {}


def engine_options(**overrides: Any) -> Options:
    """Analysis options from the deployment's settings."""
    provider = settings.TRAFFICLENS_PROVIDER
    values: dict[str, Any] = {
        "overload_limit": settings.TRAFFICLENS_OVERLOAD_LIMIT,
        "provider": None if provider == "auto" else provider,
        "proxy_detail": "zones",  # pages show zones; per-node detail is for the CLI and API
    }
    values.update(overrides)
    return Options(**values)


def analyze_dump(path: Path) -> DumpAnalysis:
    """Analyse a kubectl dump; re-read only when the file changes (keyed by mtime and size)."""
    try:
        stat = path.stat()
    except OSError as exc:
        return DumpAnalysis(path, None, f"{path}: cannot read: {exc.strerror or exc}")
    key = (str(path), stat.st_mtime, stat.st_size)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    try:
        result = DumpAnalysis(
            path, analyze_cluster(build_cluster(load_path(str(path))), engine_options()), None
        )
    except InputError as exc:
        result = DumpAnalysis(path, None, str(exc.with_source(str(path))))
    _cache.clear()  # one dump at a time is shown; keep memory flat
    _cache[key] = result
    return result


_snapshot_cache: dict[int, dict[str, Any]] = {}


def analyze_snapshot(snapshot: Any) -> dict[str, Any]:
    """The full report for a stored snapshot (cached: a snapshot never changes)."""
    from routing.snapshots import cluster_options, objects_at

    report = _snapshot_cache.get(snapshot.pk)
    if report is None:
        items = [("items", i, obj) for i, obj in enumerate(objects_at(snapshot))]
        report = analyze_cluster(build_cluster(items), cluster_options(snapshot.cluster))
        _snapshot_cache.clear()  # the page shows the newest; keep memory flat
        _snapshot_cache[snapshot.pk] = report
    return report
