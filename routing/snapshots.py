"""Write and read snapshots: trimmed objects and Service summaries stored as seq intervals.

A snapshot stores only what changed since the cluster's previous one: every object is trimmed
to the fields routing reads (so heartbeats and resourceVersion bumps are not changes), hashed,
and compared with the cluster's open versions; changed and vanished ones are closed at the new
seq and new versions opened. Service summaries from the engine are stored the same way.
"""

import gc
import hashlib
import logging
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import Exists, Max, Min, OuterRef, QuerySet
from django.utils import timezone

from routing.engine import InputError, Options, analyze_cluster, build_cluster
from routing.engine.loader import label_of
from routing.incremental import options_fingerprint, services_to_analyse
from routing.intake import read_dump
from routing.models import Cluster, ObjectVersion, ServiceSummary, Snapshot
from routing.services import engine_options
from routing.trim import KINDS, TRIMMERS

logger = logging.getLogger(__name__)

_KIND_RANK = {kind: i for i, kind in enumerate(KINDS)}
_ZONE_LABEL = "topology.kubernetes.io/zone"  # in the deprecated endpoint `topology` map
BATCH_SIZE = 1000
_MAX_NAME = 253  # Kubernetes' own limit, and the columns' width
_POLICY_WIDTH = ServiceSummary._meta.get_field("policy").max_length

# Called with the Snapshot after its transaction commits (never for a rolled-back one); the live
# broadcast registers here. A failing callback is logged and does not stop the others.
on_snapshot_committed: list[Callable[[Snapshot], None]] = []

Key = tuple[str, str, str]  # (kind, namespace, name); namespace "" for Nodes

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
    "what_if",
    "report",
)
_SUMMARY_COLUMNS = (
    "cluster_id",
    "namespace",
    "name",
    "first_seq",
    "content_hash",
    *_SUMMARY_FIELDS,
)


def canonical_bytes(obj: dict) -> bytes:
    """The bytes that are hashed and stored: orjson with sorted keys."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


# --- writing --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Prepared:
    prefix: str  # where the caller's object was, for error messages
    index: int
    obj: dict  # trimmed
    raw: bytes  # canonical JSON
    digest: str


@dataclass(slots=True)
class _Summary:
    fields: dict[str, Any]
    digest: str


def _key(kind: str, obj: dict, label: str) -> Key:
    meta = obj.get("metadata")
    what = f"{label} ({kind})"
    if not isinstance(meta, dict):
        raise InputError(
            "has no metadata" if meta is None else "metadata must be an object", obj=what
        )
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise InputError("metadata.name is missing", obj=what)
    if len(name) > _MAX_NAME:
        raise InputError(f"metadata.name is longer than {_MAX_NAME} characters", obj=what)
    if kind == "Node":
        return kind, "", name
    namespace = meta.get("namespace")  # trimming has set "default" where it was absent
    if not isinstance(namespace, str):
        raise InputError("metadata.namespace must be a string", obj=what)
    if len(namespace) > _MAX_NAME:
        raise InputError(f"metadata.namespace is longer than {_MAX_NAME} characters", obj=what)
    return kind, namespace, name


def _prepare(items: Iterable[tuple[str, int, Any]]) -> dict[Key, _Prepared]:
    """Trim, key and hash every tracked object; later duplicates replace earlier ones."""
    prepared: dict[Key, _Prepared] = {}
    for prefix, index, obj in items:
        label = label_of(prefix, index)
        if not isinstance(obj, dict):
            raise InputError("is not a Kubernetes object", obj=label)
        kind = obj.get("kind")
        if not isinstance(kind, str):
            raise InputError("has no kind" if kind is None else "kind must be a string", obj=label)
        trimmer = TRIMMERS.get(kind)
        if trimmer is None:
            continue
        trimmed = trimmer(obj)
        key = _key(kind, trimmed, label)
        try:
            # A copy: orjson's own result keeps a 4 KB buffer however short the JSON is, which
            # for 175,000 objects held until they are stored was 700 MB.
            raw = bytes(memoryview(canonical_bytes(trimmed)))
        except orjson.JSONEncodeError as exc:
            raise InputError(f"cannot be stored as JSON: {exc}", obj=label) from None
        prepared[key] = _Prepared(prefix, index, trimmed, raw, hashlib.sha256(raw).hexdigest())
    # A fixed order (kind, namespace, name) makes the analysis independent of the input order,
    # down to the last bit of every float, so a reordered but equal input changes no summary.
    return dict(sorted(prepared.items(), key=lambda kv: (_KIND_RANK[kv[0][0]], kv[0][1:])))


def _declared_policy(policy: dict[str, Any]) -> str:
    if policy["mechanism"] == "topologyAuto":
        return "Auto"
    return (policy["trafficDistribution"] or "none")[:_POLICY_WIDTH]


def _summaries(report: dict[str, Any]) -> dict[tuple[str, str], _Summary]:
    out = {}
    for svc in report["services"]:
        flows = svc["flows"]
        fields = {
            "mechanism": svc["policy"]["mechanism"],
            "policy": _declared_policy(svc["policy"]),
            "internal_traffic_policy": svc["policy"]["internalTrafficPolicy"],
            "cross_zone_fraction": flows["crossZoneFraction"],
            "cross_region_fraction": flows["crossRegionFraction"],
            "dropped": flows["dropped"],
            "max_overload": flows["maxOverload"],
            "cost_per_gb": svc["cost"]["costPerGb"],
            "matrix": flows["matrix"],
            "diagnostics": svc["diagnostics"],
            "recommendation": svc["recommendation"],
            "what_if": {
                policy: {
                    "crossZoneFraction": w["crossZoneFraction"],
                    "dropped": w["dropped"],
                    "maxOverload": w["maxOverload"],
                    "costPerGb": w["costPerGb"],
                    "matrix": w["matrix"],  # the cluster flow map's what-if views add these up
                }
                for policy, w in svc["whatIf"].items()
            },
        }
        # The whole entry too, so a Service's detail is read back rather than re-analysed; it
        # is part of the digest, so a changed report (say, a moved endpoint) opens a new row.
        entry = canonical_bytes(svc)
        digest = hashlib.sha256(canonical_bytes(fields) + entry).hexdigest()
        fields["report"] = zlib.compress(entry)
        out[(svc["namespace"], svc["name"])] = _Summary(fields, digest)
    return out


def _figures(
    prepared: dict[Key, _Prepared], cluster: Cluster, seq: int, cluster_section: dict[str, Any]
) -> dict[str, Any]:
    """Counts from the objects (ready endpoints per zone too, for the topology view), the
    report's cluster section, and cluster-wide means over the summaries in force at `seq`."""
    counts = dict.fromkeys(KINDS, 0)
    endpoints = 0
    ready_by_zone: dict[str, int] = {}
    for (kind, _, _), p in prepared.items():
        counts[kind] += 1
        if kind == "EndpointSlice":
            slice_endpoints = p.obj.get("endpoints") or ()
            endpoints += len(slice_endpoints)
            for endpoint in slice_endpoints:
                # Kubernetes reads a missing `ready` as ready (k8s-semantics.md).
                if (endpoint.get("conditions") or {}).get("ready") is not False:
                    topology = endpoint.get("topology") or {}
                    zone = endpoint.get("zone") or topology.get(_ZONE_LABEL) or "unknown"
                    ready_by_zone[zone] = ready_by_zone.get(zone, 0) + 1
    rows = list(
        ServiceSummary.objects.at(cluster.pk, seq).values_list(
            "cross_zone_fraction", "cost_per_gb", "diagnostics"
        )
    )
    n = len(rows)
    return {
        "nodes": counts["Node"],
        "services": counts["Service"],
        "endpoint_slices": counts["EndpointSlice"],
        "pods": counts["Pod"],
        "endpoints": endpoints,
        "cross_zone_fraction": sum(r[0] for r in rows) / n if n else None,
        "cost_per_gb_mean": sum(r[1] for r in rows) / n if n else None,
        "services_with_diagnostics": sum(
            any(d["severity"] in ("warning", "error") for d in r[2]) for r in rows
        ),
        "cluster_report": cluster_section,
        "ready_endpoints_by_zone": dict(sorted(ready_by_zone.items())),
    }


def cluster_options(cluster: Cluster, **overrides: Any) -> Options:
    """Engine options for a cluster: the deployment's settings, then the cluster's own."""
    values: dict[str, Any] = {"proxy_detail": "zones"}  # per-node detail is for the CLI
    if cluster.provider != Cluster.Provider.AUTO:
        values["provider"] = cluster.provider
    if cluster.price_cross_zone is not None:
        values["price_cross_zone"] = float(cluster.price_cross_zone)
    if cluster.price_cross_region is not None:
        values["price_cross_region"] = float(cluster.price_cross_region)
    values.update(overrides)
    return engine_options(**values)


@contextmanager
def _gc_paused() -> Iterator[None]:
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
    reanalyse_all: bool = False,
) -> Snapshot:
    """Store the cluster's state as a new snapshot, in one transaction, and return it.

    `objects` are kubectl-shaped dicts; kinds other than Node, Service, EndpointSlice and Pod
    are ignored, and of two objects with the same kind, namespace and name the later one counts.
    Raises InputError for a malformed object before anything is written. Only the Services
    that changed are re-analysed (routing/incremental.py) unless `reanalyse_all` is set.
    """
    items = (("items", i, obj) for i, obj in enumerate(objects))
    return _write(cluster, items, source, taken_at, reanalyse_all)


def import_dump(
    cluster: Cluster, data: bytes, *, source: str = "upload", validate: bool = True
) -> Snapshot:
    """Parse a `kubectl get -o json|yaml` dump, check it and store it as a snapshot.

    Raises InputError for a dump that is malformed, that holds no Node, Service or
    EndpointSlice (stored, it would be a snapshot in which every object vanished), that holds a
    NUL character or names the API server would refuse, and TooLarge (an InputError) for one
    past the upload limits (routing/intake.py). `validate=False` skips the name rules only, for
    tests that store hostile names on purpose to test escaping; live clusters never come here.
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
    reanalyse_all: bool = False,
) -> Snapshot:
    if source not in Snapshot.Source.values:
        raise ValueError(f"unknown snapshot source {source!r}")
    started = time.perf_counter()
    with _gc_paused():
        when = taken_at or timezone.now()
        return _write_paused(cluster, items, source, when, started, reanalyse_all)


def _write_paused(
    cluster: Cluster,
    items: Iterable[tuple[str, int, Any]],
    source: str,
    taken_at: datetime,
    started: float,
    reanalyse_all: bool = False,
) -> Snapshot:
    # Trimming and hashing (and most InputErrors) happen before the transaction takes the lock;
    # the analysis runs under it because what it must cover depends on the previous snapshot.
    prepared = _prepare(items)
    options = cluster_options(cluster)
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
        if not reanalyse_all and last is not None and last.options_hash == fingerprint:
            scope = services_to_analyse(
                touched,
                lambda key: prepared[key].obj if key in prepared else None,
                lambda keys: _decode_versions([versions[k][0] for k in keys if k in versions]),
                options,
            )
        engine_items = [(p.prefix, p.index, p.obj) for p in prepared.values()]
        report = analyze_cluster(build_cluster(engine_items), replace(options, services=scope))
        del engine_items
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


def _open_versions(cluster: Cluster) -> dict[Key, tuple[int, str]]:
    """(kind, namespace, name) -> (row id, content hash) of the cluster's current versions."""
    rows = ObjectVersion.objects.open(cluster).values_list(
        "id", "kind", "namespace", "name", "content_hash"
    )
    return {(k, ns, n): (pk, digest) for pk, k, ns, n, digest in rows.iterator(chunk_size=10000)}


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
    to_close = [
        pk
        for key, (pk, digest) in versions.items()
        if key not in prepared or prepared[key].digest != digest
    ]
    _close(ObjectVersion, to_close, seq)
    new = [
        (cluster.pk, *key, p.digest, zlib.compress(p.raw), seq)
        for key, p in prepared.items()
        if versions.get(key, (0, ""))[1] != p.digest
    ]
    _insert(ObjectVersion, _VERSION_COLUMNS, new)
    return len(new), len(to_close)


def _store_summaries(
    cluster: Cluster,
    seq: int,
    summaries: dict[tuple[str, str], _Summary],
    scope: frozenset[tuple[str, str]] | None,
) -> None:
    """Close and open summary intervals; with a `scope`, Services outside it stay as they are."""
    unchanged: set[tuple[str, str]] = set()
    to_close: list[int] = []
    open_rows = ServiceSummary.objects.open(cluster).values_list(
        "id", "namespace", "name", "content_hash"
    )
    for pk, namespace, name, digest in open_rows.iterator(chunk_size=10000):
        if scope is not None and (namespace, name) not in scope:
            continue
        s = summaries.get((namespace, name))
        if s is not None and s.digest == digest:
            unchanged.add((namespace, name))
        else:
            to_close.append(pk)
    _close(ServiceSummary, to_close, seq)
    new = [
        (cluster.pk, *key, seq, s.digest, *(s.fields[f] for f in _SUMMARY_FIELDS))
        for key, s in summaries.items()
        if key not in unchanged
    ]
    _insert(ServiceSummary, _SUMMARY_COLUMNS, new)


def _insert(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert new rows (values in `columns` order, by attname) in batches of BATCH_SIZE."""
    for start in range(0, len(rows), BATCH_SIZE):
        _insert_batch(model, columns, rows[start : start + BATCH_SIZE])


def _insert_batch(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows])
        return
    # COPY: an INSERT of a thousand rows spends most of its time in building and parsing the
    # statement (Django's compiler, psycopg's placeholder scan); COPY streams the values.
    meta = model._meta
    fields = [meta.get_field(c.removesuffix("_id")) for c in columns]
    json_at = [i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
    sql = "COPY {} ({}) FROM STDIN".format(
        connection.ops.quote_name(meta.db_table),
        ", ".join(connection.ops.quote_name(f.column) for f in fields),
    )
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            if json_at:
                row = list(row)
                for i in json_at:
                    if row[i] is not None:
                        row[i] = orjson.dumps(row[i]).decode()
            copy.write_row(row)


def _notify(snapshot: Snapshot) -> None:
    for callback in list(on_snapshot_committed):
        try:
            callback(snapshot)
        except Exception:
            logger.exception("snapshot callback %r failed for %s", callback, snapshot)


# --- reading --------------------------------------------------------------------------------


def decode(data: bytes | memoryview) -> dict:
    """A stored ObjectVersion.data back to the trimmed object."""
    return orjson.loads(zlib.decompress(data))


def objects_at(snapshot: Snapshot) -> list[dict]:
    """The snapshot's objects (trimmed, kubectl-shaped): Nodes, Services, slices, Pods by name."""
    rows = ObjectVersion.objects.at(snapshot.cluster_id, snapshot.seq).values_list(
        "kind", "namespace", "name", "data"
    )
    # Sorted here rather than by the database, whose collation would make the order vary.
    keyed = [
        ((_KIND_RANK[kind], namespace, name), data)
        for kind, namespace, name, data in rows.iterator(chunk_size=2000)
    ]
    keyed.sort(key=lambda pair: pair[0])
    return [decode(data) for _, data in keyed]


def summaries_at(snapshot: Snapshot) -> QuerySet[ServiceSummary]:
    """The snapshot's per-Service summaries, by namespace and name."""
    return ServiceSummary.objects.at(snapshot.cluster_id, snapshot.seq).order_by(
        "namespace", "name"
    )


# --- retention ------------------------------------------------------------------------------


def prune(cluster: Cluster, *, now: datetime | None = None) -> int:
    """Delete snapshots past the cluster's retention (never the latest) and unused intervals.

    An object version or summary is deleted once no remaining snapshot lies in its interval.
    Returns how many snapshots were deleted.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Cluster.objects.select_for_update().get(pk=cluster.pk)
        latest = Snapshot.objects.filter(cluster=locked).aggregate(m=Max("seq"))["m"]
        if latest is None:
            return 0
        cutoff = now - timedelta(days=locked.retention_days)
        deleted, _ = (
            Snapshot.objects.filter(cluster=locked, taken_at__lt=cutoff)
            .exclude(seq=latest)
            .delete()
        )
        oldest = Snapshot.objects.filter(cluster=locked).aggregate(m=Min("seq"))["m"]
        freed = 0
        # Writing never leaves an interval without a snapshot; only deleting snapshots does.
        for model in (ObjectVersion, ServiceSummary) if deleted else ():
            # Everything that closed at or before the oldest snapshot, plus intervals that fall
            # in a gap left by deleting snapshots out of seq order (imports with old times).
            covered = Snapshot.objects.filter(
                cluster=locked, seq__gte=OuterRef("first_seq"), seq__lt=OuterRef("last_seq")
            )
            stale = model.objects.filter(cluster=locked, last_seq__isnull=False)
            n, _ = stale.filter(last_seq__lte=oldest).delete()
            freed += n
            n, _ = stale.filter(~Exists(covered)).delete()
            freed += n
    logger.info("cluster %s: pruned %d snapshot(s) and %d interval(s)", locked.name, deleted, freed)
    return deleted
