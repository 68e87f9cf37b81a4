"""Trim, key and hash incoming objects; turn the engine's report into stored summary rows."""

import hashlib
import math
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from routing.engine import InputError
from routing.engine.flows import same_routing
from routing.engine.loader import label_of
from routing.engine.model import UNKNOWN_ZONE, ZONE_LABEL
from routing.models import SEVERITY_RANK, WHAT_IF_COLUMNS, Cluster, ServiceSummary
from routing.snapshots.packing import compress, pack_object
from routing.snapshots.trim import KINDS, TRIMMERS

KIND_RANK = {kind: i for i, kind in enumerate(KINDS)}
_MAX_NAME = 253  # Kubernetes' own limit, and the columns' width
_POLICY_WIDTH = ServiceSummary._meta.get_field("policy").max_length

Key = tuple[str, str, str]  # (kind, namespace, name); namespace "" for Nodes


def canonical_bytes(obj: dict) -> bytes:
    """The bytes that are hashed and stored: orjson with sorted keys."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


# What the store keeps of a trimmed object, and its digest: (pack_object of its canonical
# JSON, sha256 of that JSON in hex). A watcher works it out as each object arrives (stored_form).
StoredForm = tuple[bytes, str]


@dataclass(slots=True)
class _Prepared:
    prefix: str  # where the caller's object was, for error messages
    index: int
    obj: dict  # trimmed
    raw: bytes  # canonical JSON (b"" where `packed` is known)
    digest: str
    packed: bytes | None = None  # the stored form, when the caller had it (else packed from raw)


@dataclass(slots=True)
class _Summary:
    """A Service's summary: what its digest covers, and what a stored row adds to that."""

    fields: dict[str, Any]  # the digest's fields; row_fields() adds the rest
    digest: str
    entry: bytes  # the report entry's canonical JSON
    svc: dict[str, Any]  # the report entry

    def row_fields(self) -> dict[str, Any]:
        """Every column's value of a stored row: only for rows written (a summary equal to its
        open row is compared by digest and goes no further)."""
        fields, svc = self.fields, self.svc
        fields["report"] = compress(self.entry)
        # Derived from fields the digest covers, so added after it: rows written before these
        # columns existed keep their digest (and are not reopened by the next snapshot).
        fields["severity"] = max(
            (SEVERITY_RANK.get(d["severity"], 0) for d in svc["diagnostics"]), default=0
        )
        recommendation = svc["recommendation"]
        fields["saving_per_gb"] = recommendation["costPerGbSaved"] if recommendation else None
        fields["recommended_policy"] = recommendation["policy"] if recommendation else None
        fields["best_fix"] = fields["fixes"][0]["kind"] if fields["fixes"] else None
        fields["endpoint_zones"] = endpoint_zones(svc.get("endpoints") or ())
        mark_same_routing(fields["what_if"], fields["matrix"])
        for policy, column in WHAT_IF_COLUMNS.items():
            run = fields["what_if"].get(policy)
            fields[column] = None if run is None else orjson.dumps(run).decode()
        return fields


def _key(kind: str, obj: dict, prefix: str, index: int) -> Key:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        message = "has no metadata" if meta is None else "metadata must be an object"
        raise InputError(message, obj=_what(prefix, index, kind))
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise InputError("metadata.name is missing", obj=_what(prefix, index, kind))
    if len(name) > _MAX_NAME:
        message = f"metadata.name is longer than {_MAX_NAME} characters"
        raise InputError(message, obj=_what(prefix, index, kind))
    if kind == "Node":
        return kind, "", name
    namespace = meta.get("namespace")  # trimming has set "default" where it was absent
    if not isinstance(namespace, str):
        raise InputError("metadata.namespace must be a string", obj=_what(prefix, index, kind))
    if len(namespace) > _MAX_NAME:
        message = f"metadata.namespace is longer than {_MAX_NAME} characters"
        raise InputError(message, obj=_what(prefix, index, kind))
    return kind, namespace, name


def _what(prefix: str, index: int, kind: str) -> str:
    """How an error names the object (made only for an error: most objects have none)."""
    return f"{label_of(prefix, index)} ({kind})"


def _prepare(
    items: Iterable[tuple[str, int, Any]],
    *,
    trimmed: bool = False,
    deferred: Container[Key] = (),
    known: Mapping[Key, StoredForm | None] | None = None,
) -> dict[Key, _Prepared]:
    """Trim, key and hash every tracked object; later duplicates replace earlier ones.

    `trimmed`: the objects are trim_object's results already (a watcher's or a listing's), so
    they are not trimmed again (trimming is idempotent: the result would be equal, at a cost).
    `deferred`: keys whose objects are not hashed here (their digest is left empty), because
    the caller expects them to be stored unchanged already: settle() completes them.
    `known`: stored_form of the keys' objects, worked out by the caller (a watcher, as they
    arrived): neither hashed nor packed again.
    """
    known = known or {}
    prepared: dict[Key, _Prepared] = {}
    for prefix, index, obj in items:
        if not isinstance(obj, dict):
            raise InputError("is not a Kubernetes object", obj=label_of(prefix, index))
        kind = obj.get("kind")
        if not isinstance(kind, str):
            message = "has no kind" if kind is None else "kind must be a string"
            raise InputError(message, obj=label_of(prefix, index))
        trimmer = TRIMMERS.get(kind)
        if trimmer is None:
            continue
        trimmed_obj = obj if trimmed else trimmer(obj)
        key = _key(kind, trimmed_obj, prefix, index)
        form = known.get(key)
        if form is not None:
            prepared[key] = _Prepared(prefix, index, trimmed_obj, b"", form[1], form[0])
        elif key in deferred:
            prepared[key] = _Prepared(prefix, index, trimmed_obj, b"", "")
        else:
            raw, digest = _hashed(trimmed_obj, label_of(prefix, index))
            prepared[key] = _Prepared(prefix, index, trimmed_obj, raw, digest)
    # A fixed order (kind, namespace, name) makes the analysis independent of the input order,
    # down to the last bit of every float, so a reordered but equal input changes no summary.
    # Keys of one kind sort as plain tuples (no key function: half the time at 121,000).
    by_kind: dict[str, list[Key]] = {kind: [] for kind in KINDS}
    for key in prepared:
        by_kind[key[0]].append(key)
    return {key: prepared[key] for keys in by_kind.values() for key in sorted(keys)}


def prepare_keyed(
    objects: Mapping[str, Mapping[Key, dict]],
    *,
    deferred: Container[Key] = (),
    known: Mapping[Key, StoredForm | None] | None = None,
) -> dict[Key, _Prepared]:
    """_prepare(("items", i, obj) for i, obj in every object in order, trimmed=True, ...) of a
    watcher's objects: trimmed already, by kind, each under its state's key (kind, namespace
    or "", name: routing.kube.state). Where every key is what _key would make of its object,
    the objects are not read again for it (a full write of 121,000 objects spent ~0.27 s
    keying them, about half of it in that); otherwise _prepare itself runs, and says what is
    wrong."""
    try:
        return _keyed(objects, deferred, known or {})
    except _NotAsKeyed:
        everything = (obj for of_kind in objects.values() for obj in of_kind.values())
        items = (("items", i, obj) for i, obj in enumerate(everything))
        return _prepare(items, trimmed=True, deferred=deferred, known=known)


class _NotAsKeyed(Exception):
    """An object whose state key may not be what _key makes of it."""


def _keyed(
    objects: Mapping[str, Mapping[Key, dict]],
    deferred: Container[Key],
    known: Mapping[Key, StoredForm | None],
) -> dict[Key, _Prepared]:
    made: dict[str, dict[Key, _Prepared]] = {kind: {} for kind in KINDS}
    index = -1
    for kind, held in objects.items():
        into = made.get(kind)
        for key, obj in held.items():
            index += 1
            if into is None or key[0] != kind or type(obj) is not dict or obj.get("kind") != kind:
                raise _NotAsKeyed  # a kind not stored, or filed under another
            _, namespace, name = key
            # _key's checks; a Node's namespace is "" (its own, if any, is not read), any
            # other object's its own, which the state reads as "" only if it has none.
            if not (
                type(name) is str
                and 0 < len(name) <= _MAX_NAME
                and type(namespace) is str
                and len(namespace) <= _MAX_NAME
                and (not namespace if kind == "Node" else bool(namespace))
            ):
                raise _NotAsKeyed
            form = known.get(key)
            if form is not None:
                into[key] = _Prepared("items", index, obj, b"", form[1], form[0])
            elif key in deferred:
                into[key] = _Prepared("items", index, obj, b"", "")
            else:
                raw, digest = _hashed(obj, label_of("items", index))
                into[key] = _Prepared("items", index, obj, raw, digest)
    # In _prepare's order: by kind, then key.
    return {key: of_kind[key] for of_kind in made.values() for key in sorted(of_kind)}


def _hashed(obj: dict, label: str) -> tuple[bytes, str]:
    """The canonical bytes to store and their digest."""
    try:
        # A copy: orjson's own result keeps a 4 KB buffer however short the JSON is, which
        # for 175,000 objects held until they are stored was 700 MB.
        raw = bytes(memoryview(canonical_bytes(obj)))
    except orjson.JSONEncodeError as exc:
        raise InputError(f"cannot be stored as JSON: {exc}", obj=label) from None
    return raw, hashlib.sha256(raw).hexdigest()


def stored_form(obj: dict) -> StoredForm | None:
    """What the store will keep of a trimmed object, and its digest, worked out ahead of a
    write (a watcher does it as each object arrives, so its writes neither hash nor pack it);
    None if it cannot be stored as JSON (the write then says why)."""
    try:
        raw, digest = _hashed(obj, "")
    except InputError:
        return None
    return pack_object(raw), digest


def settle(prepared: dict[Key, _Prepared], stored: Mapping[Key, tuple[int, str]]) -> None:
    """Complete the objects _prepare deferred: the digest of their stored open version where
    the caller vouches that `stored` holds them unchanged, otherwise hashed now."""
    for key, p in prepared.items():
        if p.digest:
            continue
        if key in stored:
            p.digest = stored[key][1]  # never written: its digest equals the stored one
        else:
            p.raw, p.digest = _hashed(p.obj, label_of(p.prefix, p.index))


def _declared_policy(policy: dict[str, Any]) -> str:
    if policy["mechanism"] == "topologyAuto":
        return "Auto"
    return (policy["trafficDistribution"] or "none")[:_POLICY_WIDTH]


def endpoint_zones(endpoints: Iterable[dict[str, Any]]) -> str:
    """ServiceSummary.endpoint_zones of a report entry's endpoints: "|a|b|", or "" without any.
    (A zone is a label value, which never holds "|".)"""
    zones = sorted({ep.get("zone") or UNKNOWN_ZONE for ep in endpoints})
    return f"|{'|'.join(zones)}|" if zones else ""


def summary_items(report: dict[str, Any]) -> Iterator[tuple[tuple[str, str], _Summary]]:
    """Each Service's summary row, made as it is taken (the writers stream them into COPY)."""
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
            "fixes": svc.get("fixes", []),
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
        yield (svc["namespace"], svc["name"]), _Summary(fields, digest, entry, svc)


def mark_same_routing(what_if: dict[str, dict[str, Any]], observed: dict[str, Any]) -> None:
    """Mark each what-if run whose zone matrix routes as the observed one does (`sameRouting`:
    the same shares, up to float noise): the top table under a policy counts the Services it
    would change from that, instead of reading and comparing every row's two matrices. Not part
    of the digest (added after it): a function of what the digest covers."""
    for run in what_if.values():
        run["sameRouting"] = same_routing(run["matrix"], observed)


class Tally:
    """What a snapshot counts of its objects: per kind, endpoints, ready endpoints per zone.

    Sums of per-object parts, so a delta write (routing/snapshots/delta.py) carries the
    previous snapshot's tally and adds what its changed objects add and take away.
    """

    def __init__(self) -> None:
        self.counts = dict.fromkeys(KINDS, 0)
        self.endpoints = 0
        self.ready_by_zone: dict[str, int] = {}

    def add(self, kind: str, obj: dict[str, Any], sign: int = 1) -> None:
        """Count one object in (sign 1) or out (sign -1)."""
        self.counts[kind] += sign
        if kind != "EndpointSlice":
            return
        slice_endpoints = obj.get("endpoints") or ()
        self.endpoints += sign * len(slice_endpoints)
        ready_by_zone = self.ready_by_zone
        for endpoint in slice_endpoints:
            # Kubernetes reads a missing `ready` as ready (k8s-semantics.md).
            if (endpoint.get("conditions") or {}).get("ready") is not False:
                topology = endpoint.get("topology") or {}
                zone = endpoint.get("zone") or topology.get(ZONE_LABEL) or "unknown"
                ready_by_zone[zone] = ready_by_zone.get(zone, 0) + sign

    def figures(self) -> dict[str, Any]:
        """The Snapshot fields of the tally (a zone without ready endpoints is left out)."""
        counts = self.counts
        return {
            "nodes": counts["Node"],
            "services": counts["Service"],
            "endpoint_slices": counts["EndpointSlice"],
            "pods": counts["Pod"],
            "endpoints": self.endpoints,
            "ready_endpoints_by_zone": {z: n for z, n in sorted(self.ready_by_zone.items()) if n},
        }


def _figures(
    prepared: dict[Key, _Prepared], cluster: Cluster, cluster_section: dict[str, Any]
) -> dict[str, Any]:
    """Counts from the objects (ready endpoints per zone too, for the topology view), the
    report's cluster section, and cluster-wide means over the summaries just written."""
    tally = Tally()
    for (kind, _, _), p in prepared.items():
        tally.add(kind, p.obj)
    return {**tally.figures(), **_means(cluster), "cluster_report": cluster_section}


def _means(cluster: Cluster) -> dict[str, Any]:
    """Cluster-wide figures over the open Service summaries: for a writer, in its transaction
    and under the cluster's lock once it has stored the new snapshot's summaries, those are
    the new snapshot's. (Read as ServiceSummary.objects.at(cluster, seq), the same rows came
    from a scan of every row the cluster ever had: 17 ms after 300 writes of 100 Services,
    3.5 ms from the open rows; docs/benchmarks.md, issue 16.)"""
    rows = list(
        ServiceSummary.objects.open(cluster).values_list(
            "cross_zone_fraction", "cost_per_gb", "severity"
        )
    )
    n = len(rows)
    # fsum: exact, so the mean does not depend on the order the database returns rows in (a
    # delta write and a full one of the same state store the same figure, to the last bit).
    return {
        "cross_zone_fraction": math.fsum(r[0] for r in rows) / n if n else None,
        "cost_per_gb_mean": math.fsum(r[1] for r in rows) / n if n else None,
        "services_with_diagnostics": sum(r[2] >= SEVERITY_RANK["warning"] for r in rows),
    }
