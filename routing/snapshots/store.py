"""Close and open intervals of object versions and Service summaries: new rows in one
streamed binary COPY per table on PostgreSQL (bulk_create batches on SQLite)."""

from collections.abc import Iterable, Iterator
from itertools import islice

import orjson
from django.db import connection
from django.db.models import Q
from psycopg.types.json import set_json_dumps

from routing.models import WHAT_IF_COLUMNS, Cluster, ObjectVersion, ServiceSummary
from routing.snapshots.packing import pack_object
from routing.snapshots.prepare import Key, _Prepared, _Summary
from routing.snapshots.read import decode

BATCH_SIZE = 1000

_VERSION_COLUMNS = (
    "cluster_id",
    "kind",
    "namespace",
    "name",
    "content_hash",
    "data",
    "first_seq",
)
_SUMMARY_FIELDS = (
    "mechanism",
    "policy",
    "internal_traffic_policy",
    "cross_zone_fraction",
    "cross_region_fraction",
    "dropped",
    "max_overload",
    "cost_per_gb",
    "matrix",
    "diagnostics",
    "recommendation",
    "fixes",
    "what_if",
    *WHAT_IF_COLUMNS.values(),
    "report",
    "severity",
    "saving_per_gb",
    "endpoint_zones",
    "recommended_policy",
    "best_fix",
)
_SUMMARY_COLUMNS = (
    "cluster_id",
    "namespace",
    "name",
    "first_seq",
    "content_hash",
    *_SUMMARY_FIELDS,
)


def _open_versions(cluster: Cluster) -> dict[Key, tuple[int, str]]:
    """(kind, namespace, name) -> (row id, content hash) of the cluster's current versions."""
    rows = ObjectVersion.objects.open(cluster).values_list(
        "id", "kind", "namespace", "name", "content_hash"
    )
    return {(k, ns, n): (pk, digest) for pk, k, ns, n, digest in rows.iterator(chunk_size=10000)}


def _open_versions_of(cluster: Cluster, keys: Iterable[Key]) -> dict[Key, tuple[int, str, bytes]]:
    """(row id, content hash, data) of the current versions of these keys only: looked up by
    key (the history index), so that a small change does not read the whole table."""
    found: dict[Key, tuple[int, str, bytes]] = {}
    columns = ("id", "kind", "namespace", "name", "content_hash", "data")
    for match in _by_key(("kind", "namespace"), keys):
        rows = ObjectVersion.objects.open(cluster).filter(match).values_list(*columns)
        for pk, kind, namespace, name, digest, data in rows:
            found[(kind, namespace, name)] = (pk, digest, bytes(data))
    return found


def _open_summaries(
    cluster: Cluster, keys: Iterable[tuple[str, str]] | None = None
) -> dict[tuple[str, str], tuple[int, str]]:
    """(namespace, name) -> (row id, content hash) of the open summaries: all of them, or of
    `keys` only (looked up by key)."""
    opened = ServiceSummary.objects.open(cluster)
    columns = ("id", "namespace", "name", "content_hash")
    if keys is None:
        rows = opened.values_list(*columns).iterator(chunk_size=10000)
        return {(ns, name): (pk, digest) for pk, ns, name, digest in rows}
    found = {}
    for match in _by_key(("namespace",), keys):
        for pk, ns, name, digest in opened.filter(match).values_list(*columns):
            found[(ns, name)] = (pk, digest)
    return found


def _by_key(fields: tuple[str, ...], keys: Iterable[tuple[str, ...]]) -> Iterator[Q]:
    """Filters matching `keys` (`fields` values, then a name), a batch of at most BATCH_SIZE
    names each: names grouped under their other fields, so each group is one range of the
    history index (cluster, [kind,] namespace, name, first_seq) and a parameter list."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for key in keys:
        groups.setdefault(tuple(key[:-1]), []).append(key[-1])
    match, size = Q(), 0
    for head, names in sorted(groups.items()):
        for start in range(0, len(names), BATCH_SIZE):
            chunk = names[start : start + BATCH_SIZE]
            if size and size + len(chunk) > BATCH_SIZE:
                yield match
                match, size = Q(), 0
            match |= Q(**dict(zip(fields, head, strict=True)), name__in=chunk)
            size += len(chunk)
    if size:
        yield match


def _decode_versions(ids: list[int]) -> list[dict]:
    found: list[dict] = []
    for start in range(0, len(ids), BATCH_SIZE):
        rows = ObjectVersion.objects.filter(pk__in=ids[start : start + BATCH_SIZE])
        found.extend(decode(data) for data in rows.values_list("data", flat=True))
    return found


def _close(model, ids: list[int], seq: int) -> None:
    for start in range(0, len(ids), BATCH_SIZE):
        model.objects.filter(pk__in=ids[start : start + BATCH_SIZE]).update(last_seq=seq)


def _store_objects(
    cluster: Cluster, seq: int, prepared: dict[Key, _Prepared], versions: dict[Key, tuple[int, str]]
) -> tuple[int, int]:
    """Close the versions of changed and vanished objects and open new ones: (opened, closed)."""
    new, closed = _close_versions(cluster, seq, prepared, versions)
    return _insert(ObjectVersion, _VERSION_COLUMNS, new), closed


def _close_versions(
    cluster: Cluster, seq: int, prepared: dict[Key, _Prepared], versions: dict[Key, tuple[int, str]]
) -> tuple[Iterator[tuple], int]:
    """Close the versions of changed and vanished objects; the new versions' rows (made as
    they are taken) and how many were closed. _store_objects inserts the rows at once, a full
    write while it analyses (beside.py)."""
    to_close = [
        pk
        for key, (pk, digest) in versions.items()
        if key not in prepared or prepared[key].digest != digest
    ]
    _close(ObjectVersion, to_close, seq)
    # Packed as they stream: the server inserts one while the next is packed. (The model's pk
    # is read once: a property, 121,000 reads of it in a full write.)
    cluster_id, none = cluster.pk, (0, "")
    new = (
        (cluster_id, *key, p.digest, pack_object(p.raw) if p.packed is None else p.packed, seq)
        for key, p in prepared.items()
        if versions.get(key, none)[1] != p.digest
    )
    return new, len(to_close)


def _store_summaries(
    cluster: Cluster,
    seq: int,
    summaries: Iterable[tuple[tuple[str, str], _Summary]],
    scope: frozenset[tuple[str, str]] | None,
    open_rows: dict[tuple[str, str], tuple[int, str]] | None = None,
) -> None:
    """Open summary intervals for `summaries` (prepare.summary_items: made as they stream into
    the database) and close the ones they replace; with a `scope`, Services outside it stay as
    they are. `open_rows`: _open_summaries(cluster, scope), when the caller has read them
    already.

    No vacuum follows (autovacuum's alone): one after each write, to keep the table's pages
    all-visible for the Services list's index-only scans, stopped paying once the list's pages
    came from routing.service_index, and cost PostgreSQL 18-29 ms a write (docs/benchmarks.md)."""
    if open_rows is None:
        open_rows = _open_summaries(cluster, scope)
    unchanged: set[tuple[str, str]] = set()

    cluster_id = cluster.pk

    def new_rows() -> Iterator[tuple]:
        for key, s in summaries:
            if key in open_rows and open_rows[key][1] == s.digest:
                unchanged.add(key)
                continue
            fields = s.row_fields()
            yield (cluster_id, *key, seq, s.digest, *(fields[f] for f in _SUMMARY_FIELDS))

    _insert(ServiceSummary, _SUMMARY_COLUMNS, new_rows())
    # Open rows replaced, or of Services gone: closed after the new rows are in (nothing
    # requires one open row per Service at any instant; the cluster's row lock is held).
    to_close = [pk for key, (pk, _) in open_rows.items() if key not in unchanged]
    _close(ServiceSummary, to_close, seq)


def _insert(model, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """Insert new rows (values in `columns` order, by attname), consumed as they come; their
    count. PostgreSQL: one COPY, which the server processes while more rows are made."""
    if connection.vendor != "postgresql":
        count, rows = 0, iter(rows)
        while batch := list(islice(rows, BATCH_SIZE)):
            model.objects.bulk_create([model(**dict(zip(columns, r, strict=True))) for r in batch])
            count += len(batch)
        return count
    return _copy(model, columns, rows)


def _copy(model, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    # COPY: an INSERT of a thousand rows spends most of its time in building and parsing the
    # statement (Django's compiler, psycopg's placeholder scan); COPY streams the values. In
    # the binary format: bytes go as they are (the text format doubled them into hex) and the
    # server parses no numbers; of a full 10,000-Service snapshot's COPY, the server's CPU
    # fell by ~15% (docs/benchmarks.md, issue 16 target 2).
    sql, types = copy_statement(model, columns)
    with connection.cursor() as cursor:
        # JSON values (dicts and lists) encoded as the other writes encode them (orjson).
        set_json_dumps(orjson.dumps, context=cursor.cursor)
        with cursor.copy(sql) as copy:
            copy.set_types(types)
            count = 0
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def copy_statement(model, columns: tuple[str, ...]) -> tuple[str, list[str]]:
    """The binary COPY of `columns` (attnames) into the model's table, and the PostgreSQL type
    names psycopg dumps their values as."""
    meta = model._meta
    fields = [meta.get_field(c.removesuffix("_id")) for c in columns]
    sql = "COPY {} ({}) FROM STDIN (FORMAT BINARY)".format(
        connection.ops.quote_name(meta.db_table),
        ", ".join(connection.ops.quote_name(f.column) for f in fields),
    )
    return sql, [f.db_type(connection).split("(")[0] for f in fields]
