"""Write a snapshot: one locked transaction per cluster, storage proportional to change.

A snapshot stores only what changed since the cluster's previous one: every object is trimmed
to the fields routing reads (so heartbeats and resourceVersion bumps are not changes), hashed,
and compared with the cluster's open versions; changed and vanished ones are closed at the new
seq and new versions opened. Service summaries from the engine are stored the same way.
"""

import gc
import logging
import time
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from routing.engine import Options, analyze_cluster, build_cluster
from routing.engine.dump_directory import DumpDirectory
from routing.fixes import add_fixes
from routing.models import Cluster, ObjectVersion, Snapshot
from routing.options import cluster_options
from routing.snapshots.beside import CopyBeside
from routing.snapshots.incremental import (
    cluster_wide_change,
    options_fingerprint,
    services_to_analyze,
)
from routing.snapshots.intake import read_dump
from routing.snapshots.prepare import (
    Key,
    StoredForm,
    _figures,
    _prepare,
    _Prepared,
    prepare_keyed,
    settle,
    summary_items,
)
from routing.snapshots.store import (
    _VERSION_COLUMNS,
    _close_versions,
    _decode_versions,
    _open_versions,
    _store_summaries,
)
from routing.volumes.measured_clients import changed_services, latest_fetch_id, measured

logger = logging.getLogger(__name__)

# A write that opens this many object versions refreshes the planner's statistics after it.
ANALYZE_AFTER = 10_000
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
    trimmed: bool = False,
) -> Snapshot:
    """Store the cluster's state as a new snapshot, in one transaction, and return it.

    `objects` are kubectl-shaped dicts; kinds other than those of trim.KINDS are ignored, and
    of two objects with the same kind, namespace and name the later one counts. Raises
    InputError for a malformed object before anything is written. Only the Services that
    changed are re-analysed (routing/snapshots/incremental.py) unless `reanalyze_all` is set.
    `trimmed`: the objects are trim_object's results already (a listing's), not trimmed again.
    A watcher, which knows what changed since its last snapshot, calls write_changes instead.
    """
    items = (("items", i, obj) for i, obj in enumerate(objects))
    return _write(cluster, items, source, taken_at, reanalyze_all, trimmed)


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
    trimmed: bool = False,
) -> Snapshot:
    check_source(source)
    started = time.perf_counter()
    with gc_paused():
        when = taken_at or timezone.now()
        return _write_paused(cluster, items, source, when, started, reanalyze_all, trimmed)


class _AllBut:
    """The keys other than these."""

    def __init__(self, excluded: Container[Key]):
        self.excluded = excluded

    def __contains__(self, key: object) -> bool:
        return key not in self.excluded


def check_source(source: str) -> None:
    if source not in Snapshot.Source.values:
        raise ValueError(f"unknown snapshot source {source!r}")


def _write_paused(
    cluster: Cluster,
    items: Iterable[tuple[str, int, Any]],
    source: str,
    taken_at: datetime,
    started: float,
    reanalyze_all: bool = False,
    trimmed: bool = False,
    unchanged: tuple[int, Container[Key]] | None = None,
    known: Mapping[Key, StoredForm | None] | None = None,
    keyed: Mapping[str, Mapping[Key, dict]] | None = None,
) -> Snapshot:
    """`unchanged`: (after_seq, changed): a watcher's objects whose keys `changed` leaves out
    are as its snapshot `after_seq` stored them; they are hashed only if the snapshots since
    say otherwise (objects_as_written). `known`: the stored form of objects (by key) that the
    caller worked out ahead (_prepare). `keyed`: instead of `items`, a watcher's objects by
    kind and key, trimmed (prepare_keyed)."""
    # Trimming and hashing (and most InputErrors) happen before the transaction takes the lock;
    # the analysis runs under it because what it must cover depends on the previous snapshot.
    deferred = _AllBut(unchanged[1]) if unchanged is not None else ()
    if keyed is not None:
        prepared = prepare_keyed(keyed, deferred=deferred, known=known)
    else:
        prepared = _prepare(items, trimmed=trimmed, deferred=deferred, known=known)
    clients_fetch = latest_fetch_id(cluster.pk) if measured(cluster) else None
    options = cluster_options(cluster, clients_fetch=clients_fetch)
    fingerprint = options_fingerprint(options)
    with transaction.atomic():
        # Serialises writers (and prune) of one cluster; other clusters are not blocked.
        locked = Cluster.objects.select_for_update().get(pk=cluster.pk)
        last = Snapshot.objects.filter(cluster=locked).order_by("-seq").first()
        seq = (last.seq if last else 0) + 1
        versions = _open_versions(locked)
        if unchanged is not None:
            as_written = last is not None and objects_as_written(locked, last, unchanged[0])
            settle(prepared, versions if as_written else {})
        scope = None
        if not reanalyze_all and last is not None and last.options_hash == fingerprint:
            touched = [k for k, p in prepared.items() if versions.get(k, (0, ""))[1] != p.digest]
            touched += [k for k in versions if k not in prepared]
            scope = services_to_analyze(
                touched,
                lambda key: prepared[key].obj if key in prepared else None,
                lambda keys: _decode_versions([versions[k][0] for k in keys if k in versions]),
                options,
            )
        if scope is not None and last is not None and options.client_zones is not None:
            moved = changed_services(last.client_zones_fetch, clients_fetch)
            scope = None if moved is None else scope | moved
        new, closed = _close_versions(locked, seq, prepared, versions)
        # The new versions go to the database while the engine analyses (beside.py): they
        # depend only on the hashes, and the server inserts them on the core the analysis
        # leaves idle.
        with CopyBeside(ObjectVersion, _VERSION_COLUMNS, new) as stored:
            report, scope = _analysis(prepared, options, scope, last)
        opened = stored.count
        # Each Service's summary made as it streams into the database, which inserts one
        # while the next is made.
        _store_summaries(locked, seq, summary_items(report), scope)
        cluster_section = report["cluster"]
        del report
        snapshot = Snapshot.objects.create(
            cluster=locked,
            seq=seq,
            taken_at=taken_at,
            source=source,
            changed_objects=opened + closed,
            options_hash=fingerprint,
            client_zones_fetch=clients_fetch,
            **_figures(prepared, locked, cluster_section),
        )
        transaction.on_commit(partial(_notify, snapshot))
        if opened >= ANALYZE_AFTER:
            transaction.on_commit(analyze_tables, robust=True)
    _log(snapshot, f"{len(prepared)} objects", opened, closed, scope, started)
    return snapshot


def _analysis(
    prepared: dict[Key, _Prepared],
    options: Options,
    scope: frozenset | None,
    last: Snapshot | None,
) -> tuple[dict[str, Any], frozenset | None]:
    """The engine's report of the prepared objects, fixes included, for the Services in
    `scope`, and the scope it covers: every Service (None) if the change reaches what all of
    them read. Uses no database: it runs while the versions are stored."""
    engine_items = [(p.prefix, p.index, p.obj) for p in prepared.values()]
    parsed = build_cluster(engine_items)
    del engine_items
    if scope is not None and last is not None:
        # What every Service's analysis reads of the whole cluster (zones, client weights,
        # Auto's ratios, what can be simulated...), computed from the Nodes alone: if any
        # of it moved, so may every report, whatever incremental.py made of the change.
        section = analyze_cluster(parsed, replace(options, services=frozenset()))["cluster"]
        if cluster_wide_change(section, last.cluster_report) is not None:
            scope = None
    report = analyze_cluster(parsed, replace(options, services=scope))
    # Only for the Services analysed now, and only those with something to fix; from the
    # analysis' own parse, so each Service's objects are not read again.
    add_fixes(report, (p.obj for p in prepared.values()), options, parsed)
    return report, scope


def objects_as_written(cluster: Cluster, last: Snapshot, after_seq: int) -> bool:
    """Whether the stored objects are still those of snapshot `after_seq`: it is the latest, or
    every snapshot since (a recompute after a price change, a measured-volume refresh: other
    writers that analyse the stored objects again) opened and closed no object version."""
    if last.seq == after_seq:
        return True
    since = Snapshot.objects.filter(cluster=cluster, seq__gt=after_seq, seq__lte=last.seq)
    counts = since.values_list("changed_objects", flat=True)
    return last.seq > after_seq and list(counts) == [0] * (last.seq - after_seq)


def analyze_tables() -> None:
    """Fresh planner statistics for the interval tables after a bulk write (PostgreSQL).

    The next writes look rows up by key (a delta's changed objects; the summaries of the
    Services in scope, in both paths): planned with statistics from before a large cluster's
    first snapshot, which say the table holds
    next to nothing open, the lookup filters every open row (0.5 s at 121,000 objects instead
    of 5 ms); autoanalyze would fix that only a minute or so later.
    """
    if connection.vendor != "postgresql":
        return
    # Only the columns that decide the plan (the row count comes with any ANALYZE): 0.1 s at
    # 121,000 objects, where every column, the large ones included, took 0.9 s. Autoanalyze
    # does the rest later, as it did before.
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE routing_objectversion (cluster_id, last_seq), "
            "routing_servicesummary (cluster_id, last_seq)"
        )


def _log(
    snapshot: Snapshot,
    objects: str,
    opened: int,
    closed: int,
    scope: frozenset | None,
    started: float,
) -> None:
    logger.info(
        "cluster %s snapshot %d: %s, %d opened, %d closed, %s Services analysed, %.2f s",
        snapshot.cluster.name,
        snapshot.seq,
        objects,
        opened,
        closed,
        "all" if scope is None else len(scope),
        time.perf_counter() - started,
    )


def _notify(snapshot: Snapshot) -> None:
    for callback in list(on_snapshot_committed):
        try:
            callback(snapshot)
        except Exception:
            logger.exception("snapshot callback %r failed for %s", callback, snapshot)
