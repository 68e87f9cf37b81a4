"""Write a snapshot: one locked transaction per cluster, storage proportional to change.

A snapshot stores only what changed since the cluster's previous one: every object is trimmed
to the fields routing reads (so heartbeats and resourceVersion bumps are not changes), hashed,
and compared with the cluster's open versions; changed and vanished ones are closed at the new
seq and new versions opened. Service summaries from the engine are stored the same way.
"""

import gc
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from routing.engine import analyze_cluster, build_cluster
from routing.engine.dump_directory import DumpDirectory
from routing.fixes import add_fixes
from routing.models import Cluster, Snapshot
from routing.options import cluster_options
from routing.snapshots.incremental import options_fingerprint, services_to_analyze
from routing.snapshots.intake import read_dump
from routing.snapshots.prepare import _figures, _prepare, _summaries
from routing.snapshots.store import (
    _decode_versions,
    _open_versions,
    _store_objects,
    _store_summaries,
)
from routing.volumes.measured_clients import changed_services, latest_fetch_id, measured

logger = logging.getLogger(__name__)

# Called with the Snapshot after its transaction commits (never for a rolled-back one); the live
# broadcast registers here. A failing callback is logged and does not stop the others.
on_snapshot_committed: list[Callable[[Snapshot], None]] = []


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic collector while building many small containers.

    Trimming and analysing a large cluster allocates millions of dicts and lists that all stay
    alive, so every automatic collection scans them in vain: it doubles the time. Reference
    counting still frees everything; collection resumes (and catches up) afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def write_snapshot(
    cluster: Cluster,
    objects: Iterable[dict],
    *,
    source: str,
    taken_at: datetime | None = None,
    reanalyze_all: bool = False,
) -> Snapshot:
    """Store the cluster's state as a new snapshot, in one transaction, and return it.

    `objects` are kubectl-shaped dicts; kinds other than Node, Service, EndpointSlice and Pod
    are ignored, and of two objects with the same kind, namespace and name the later one counts.
    Raises InputError for a malformed object before anything is written. Only the Services
    that changed are re-analysed (routing/snapshots/incremental.py) unless `reanalyze_all` is set.
    """
    items = (("items", i, obj) for i, obj in enumerate(objects))
    return _write(cluster, items, source, taken_at, reanalyze_all)


def import_dump(
    cluster: Cluster,
    data: bytes | DumpDirectory,
    *,
    source: str = "upload",
    validate: bool = True,
) -> Snapshot:
    """Parse a `kubectl get -o json|yaml` dump (or a `kubectl cluster-info dump` directory),
    check it and store it as a snapshot.

    Raises InputError for a dump that is malformed, that holds no Node, Service or
    EndpointSlice (stored, it would be a snapshot in which every object vanished), that holds a
    NUL character or names the API server would refuse, and TooLarge (an InputError) for one
    past the upload limits (routing/snapshots/intake.py). `validate=False` skips the name rules
    only, for tests that store hostile names on purpose to test escaping; live clusters never
    come here.
    """
    items = read_dump(data, validate=validate)
    return _write(cluster, _consumed(items), source, None)


def _consumed(items: list) -> Iterator:
    """The items, each let go of once taken: a parsed object (managedFields, Pod specs and
    statuses...) is then freed as soon as it is trimmed, rather than after the analysis."""
    items.reverse()
    while items:
        yield items.pop()


def _write(
    cluster: Cluster,
    items: Iterable[tuple[str, int, Any]],
    source: str,
    taken_at: datetime | None,
    reanalyze_all: bool = False,
) -> Snapshot:
    if source not in Snapshot.Source.values:
        raise ValueError(f"unknown snapshot source {source!r}")
    started = time.perf_counter()
    with gc_paused():
        when = taken_at or timezone.now()
        return _write_paused(cluster, items, source, when, started, reanalyze_all)


def _write_paused(
    cluster: Cluster,
    items: Iterable[tuple[str, int, Any]],
    source: str,
    taken_at: datetime,
    started: float,
    reanalyze_all: bool = False,
) -> Snapshot:
    # Trimming and hashing (and most InputErrors) happen before the transaction takes the lock;
    # the analysis runs under it because what it must cover depends on the previous snapshot.
    prepared = _prepare(items)
    clients_fetch = latest_fetch_id(cluster.pk) if measured(cluster) else None
    options = cluster_options(cluster, clients_fetch=clients_fetch)
    fingerprint = options_fingerprint(options)
    with transaction.atomic():
        # Serialises writers (and prune) of one cluster; other clusters are not blocked.
        locked = Cluster.objects.select_for_update().get(pk=cluster.pk)
        last = Snapshot.objects.filter(cluster=locked).order_by("-seq").first()
        seq = (last.seq if last else 0) + 1
        versions = _open_versions(locked)
        touched = [k for k, p in prepared.items() if versions.get(k, (0, ""))[1] != p.digest]
        touched += [k for k in versions if k not in prepared]
        scope = None
        if not reanalyze_all and last is not None and last.options_hash == fingerprint:
            scope = services_to_analyze(
                touched,
                lambda key: prepared[key].obj if key in prepared else None,
                lambda keys: _decode_versions([versions[k][0] for k in keys if k in versions]),
                options,
            )
        if scope is not None and last is not None and options.client_zones is not None:
            moved = changed_services(last.client_zones_fetch, clients_fetch)
            scope = None if moved is None else scope | moved
        engine_items = [(p.prefix, p.index, p.obj) for p in prepared.values()]
        parsed = build_cluster(engine_items)
        report = analyze_cluster(parsed, replace(options, services=scope))
        del engine_items
        # Only for the Services analysed now, and only those with something to fix; from the
        # analysis' own parse, so each Service's objects are not read again.
        add_fixes(report, (p.obj for p in prepared.values()), options, parsed)
        del parsed
        summaries = _summaries(report)
        cluster_section = report["cluster"]
        del report
        opened, closed = _store_objects(locked, seq, prepared, versions)
        _store_summaries(locked, seq, summaries, scope)
        snapshot = Snapshot.objects.create(
            cluster=locked,
            seq=seq,
            taken_at=taken_at,
            source=source,
            changed_objects=opened + closed,
            options_hash=fingerprint,
            client_zones_fetch=clients_fetch,
            **_figures(prepared, locked, seq, cluster_section),
        )
        transaction.on_commit(partial(_notify, snapshot))
    logger.info(
        "cluster %s snapshot %d: %d objects, %d opened, %d closed, %s Services analysed, %.2f s",
        locked.name,
        seq,
        len(prepared),
        opened,
        closed,
        "all" if scope is None else len(scope),
        time.perf_counter() - started,
    )
    return snapshot


def _notify(snapshot: Snapshot) -> None:
    for callback in list(on_snapshot_committed):
        try:
            callback(snapshot)
        except Exception:
            logger.exception("snapshot callback %r failed for %s", callback, snapshot)
