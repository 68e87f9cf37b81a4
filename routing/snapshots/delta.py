"""Write a snapshot from what changed since the previous one: the live watcher's path.

A watcher knows which objects changed since the snapshot it last wrote (routing/kube/state.py
keeps them until a write commits), so a snapshot need not cost what the cluster holds: only the
changed objects are hashed and compared with their stored versions (read by key), only the
Services they can reach are analysed (incremental.py), from an engine model of the Nodes and
those Services' own objects, and the counts and the report's cluster section are the previous
snapshot's plus the change. Unchanged objects are neither trimmed, hashed nor analysed.

That is exactly what write_snapshot stores for the same state (tests/snapshots/test_delta.py
writes both ways and compares) as long as nothing cluster-wide moves. Otherwise write_changes
writes every object as write_snapshot does, and logs why (_FullWrite):
- the watcher's first snapshot, or another writer's snapshot since the watcher's last one that
  stored other objects (one that analysed the same objects again, after a price change or a
  measured-volume refresh, leaves the change valid);
- most objects changed (more than MOST of them: one scan is cheaper than lookups by key);
- the analysis options changed, or the measured client zones changed everywhere;
- a change reaches every Service: a Node's zone, readiness or CPU, a Node added or removed, a
  Pod when clients are weighted by Pods (incremental.py);
- the cluster section's parse warnings would change: an EndpointSlice with an address the API
  server would refuse, or a change in how many slices belong to no Service;
- the cluster gains its first or loses its last Service or EndpointSlice (its notSimulated).
"""

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from routing.engine import Cluster as ParsedCluster
from routing.engine import InputError, analyze_cluster, build_cluster
from routing.engine.model import SERVICE_NAME_LABEL
from routing.engine.parse import SharedNodes
from routing.fixes import add_fixes
from routing.models import Cluster, ServiceSummary, Snapshot
from routing.options import cluster_options
from routing.snapshots.incremental import (
    cluster_wide_change,
    options_fingerprint,
    services_to_analyze,
)
from routing.snapshots.prepare import (
    KIND_RANK,
    Key,
    StoredForm,
    Tally,
    _means,
    _prepare,
    _Prepared,
    summary_items,
)
from routing.snapshots.read import decode
from routing.snapshots.store import (
    _open_summaries,
    _open_versions_of,
    _store_objects,
    _store_summaries,
)
from routing.snapshots.write import (
    _log,
    _notify,
    _write_paused,
    check_source,
    gc_paused,
    objects_as_written,
)
from routing.volumes.measured_clients import changed_services, latest_fetch_id, measured
from routing.workloads import KINDS as WORKLOAD_KINDS

logger = logging.getLogger(__name__)

# Every object the watcher holds, by kind, then by key: trim_object's results, keyed as the
# snapshot keys them (routing.snapshots.Key; trimming gives namespaced objects "default").
Objects = Mapping[str, Mapping[Key, dict[str, Any]]]
ServiceKey = tuple[str, str]

# Past this share of the objects changed (a relist after a long outage, say), one scan of the
# open versions costs less than looking each changed key up.
MOST = 0.25

_EMPTY: dict[str, Any] = {}  # an absent object's fields
_NONE: Mapping[Key, dict[str, Any]] = {}  # an absent kind's objects
# The cluster section keys a delta carries from the previous snapshot instead of computing:
# they read every Service and slice (the others, the Nodes alone, are computed and compared).
_CARRIED = ("warnings", "notSimulated")


class _FullWrite(Exception):
    """The change cannot be written exactly as a delta (the message says why)."""


def write_changes(
    cluster: Cluster,
    objects: Objects,
    changed: Mapping[Key, dict[str, Any] | None],
    *,
    after_seq: int | None,
    source: str,
    taken_at: datetime | None = None,
    forms: Mapping[Key, StoredForm | None] | None = None,
) -> Snapshot:
    """Store the cluster's state as a new snapshot, as write_snapshot does, at the cost of what
    changed since snapshot `after_seq`.

    `objects`: every object of the cluster now (see Objects); `changed`: the keys whose object
    may differ from snapshot `after_seq`'s (None: deleted), a superset being harmless;
    `after_seq`: the snapshot this caller wrote last from the same state, None when it has not
    (every object is then written, as write_snapshot does); `forms`: prepare.stored_form of
    objects (by key), where the caller worked it out as they arrived (ClusterState does), so
    that the write neither hashes nor packs them. Raises InputError for a malformed changed
    object before anything is written.
    """
    check_source(source)
    started = time.perf_counter()
    with gc_paused():
        when = taken_at or timezone.now()
        if after_seq is not None:
            try:
                return _write_delta(
                    cluster, objects, changed, after_seq, source, when, started, forms
                )
            except _FullWrite as why:
                logger.info("cluster %s: writing every object: %s", cluster.name, why)
        # What `changed` leaves out is stored as it is, if no other writer stored other objects
        # since `after_seq`: those are not hashed again unless _write_paused finds otherwise.
        unchanged = (after_seq, changed) if after_seq is not None else None
        return _write_paused(
            cluster, (), source, when, started, unchanged=unchanged, known=forms, keyed=objects
        )


def _write_delta(
    cluster: Cluster,
    objects: Objects,
    changed: Mapping[Key, dict[str, Any] | None],
    after_seq: int,
    source: str,
    taken_at: datetime,
    started: float,
    forms: Mapping[Key, StoredForm | None] | None = None,
) -> Snapshot:
    if len(changed) > sum(map(len, objects.values())) * MOST:
        raise _FullWrite("most objects changed")
    present = [(key, obj) for key, obj in changed.items() if obj is not None]
    # Hashing (and most InputErrors) before the lock, as write_snapshot does; already trimmed.
    changed_items = (("changed", i, obj) for i, (_, obj) in enumerate(present))
    prepared = _prepare(changed_items, trimmed=True, known=forms)
    if prepared.keys() != {key for key, _ in present}:
        raise _FullWrite("the changed objects are keyed otherwise than the snapshot keys them")
    clients_fetch = latest_fetch_id(cluster.pk) if measured(cluster) else None
    options = cluster_options(cluster, clients_fetch=clients_fetch)
    if options.proxy_detail == "auto":
        raise _FullWrite("the proxy detail depends on the number of Services")
    fingerprint = options_fingerprint(options)
    with transaction.atomic():
        # Serialises writers of one cluster, as write_snapshot does; a _FullWrite raised under
        # it rolls back nothing, since nothing is written before every check has passed.
        locked = Cluster.objects.select_for_update().get(pk=cluster.pk)
        last = Snapshot.objects.filter(cluster=locked).order_by("-seq").first()
        if last is None or not objects_as_written(locked, last, after_seq):
            raise _FullWrite("another writer stored other objects since this one's last snapshot")
        if last.options_hash != fingerprint:
            raise _FullWrite("the analysis options changed")
        change = _Change(objects, changed, prepared, _open_versions_of(locked, changed))
        scope = services_to_analyze(change.touched, change.new, change.old_of, options)
        if scope is None:
            raise _FullWrite("a change reaches every Service")
        if options.client_zones is not None:
            moved = changed_services(last.client_zones_fetch, clients_fetch)
            if moved is None:
                raise _FullWrite("the measured client zones changed everywhere")
            scope |= moved
        view = _ScopeView(change, scope)
        with_pods = options.clients == "pods"
        parsed = build_cluster(_items(view.nodes, view.new_objects(with_pods)))
        # Whether the input holds any slice decides what the engine can simulate: the whole
        # cluster's answer, not the scope's.
        parsed.has_slices = bool(objects.get("EndpointSlice"))
        report = analyze_cluster(parsed, replace(options, services=scope))
        section = _carried_section(report, last)
        _check_parse_warnings(view, parsed)
        open_rows = _open_summaries(locked, scope)
        _check_still_simulated(locked, last, objects, len(open_rows), len(report["services"]))
        tally = _carried_tally(last, change)
        # Only the analysed Services' objects, and of the Pods and workloads only those their
        # endpoints name: a fix reads nothing else (routing/fixes/objects.py).
        add_fixes(report, view.fix_objects(with_pods), options, parsed)
        del parsed
        seq = last.seq + 1
        versions = {key: (pk, digest) for key, (pk, digest, _) in change.versions.items()}
        opened, closed = _store_objects(locked, seq, prepared, versions)
        _store_summaries(locked, seq, summary_items(report), scope, open_rows)
        del report
        snapshot = Snapshot.objects.create(
            cluster=locked,
            seq=seq,
            taken_at=taken_at,
            source=source,
            changed_objects=opened + closed,
            options_hash=fingerprint,
            client_zones_fetch=clients_fetch,
            cluster_report=section,
            **tally.figures(),
            **_means(locked),
        )
        transaction.on_commit(partial(_notify, snapshot))
    described = f"{len(change.touched)} of {len(changed)} listed objects changed"
    _log(snapshot, described, opened, closed, scope, started)
    return snapshot


class _Change:
    """The changed objects: new forms, stored forms, and which of them really differ."""

    def __init__(
        self,
        objects: Objects,
        changed: Mapping[Key, dict[str, Any] | None],
        prepared: dict[Key, _Prepared],
        versions: dict[Key, tuple[int, str, bytes]],
    ):
        self.objects = objects
        self.changed = changed
        self.prepared = prepared
        self.versions = versions  # the open versions of the changed keys: (id, digest, data)
        self._old: dict[Key, dict[str, Any]] = {}
        # A key can be marked changed and be back as stored (edited and undone): not touched.
        self.touched = sorted(
            key
            for key in changed
            if (prepared[key].digest if key in prepared else None)
            != (versions[key][1] if key in versions else None)
        )

    def new(self, key: Key) -> dict[str, Any] | None:
        found = self.prepared.get(key)
        return found.obj if found is not None else None

    def old(self, key: Key) -> dict[str, Any] | None:
        if key not in self.versions:
            return None
        if key not in self._old:
            self._old[key] = decode(self.versions[key][2])
        return self._old[key]

    def old_of(self, keys: Iterable[Key]) -> list[dict[str, Any]]:
        return [obj for obj in (self.old(key) for key in keys) if obj is not None]


class _ScopeView:
    """The objects the analysis of the Services in scope reads, before and after the change.

    Besides each Service and the slices labelled with its name, the changed slices themselves
    (any label or none): whether a slice belongs to a Service decides a parse warning, so both
    builds must see every slice whose answer may have changed (an unchanged slice labelled with
    an unchanged Service's name answers as before).
    """

    def __init__(self, change: _Change, scope: frozenset[ServiceKey]):
        objects = change.objects
        self.change = change
        self.scope = scope
        nodes = objects.get("Node", _NONE)
        self.nodes = [nodes[key] for key in sorted(nodes)]
        touched = set(change.touched)
        self.touched_slices = [k for k in change.touched if k[0] == "EndpointSlice"]
        # Unchanged slices of the Services in scope: the same before and after.
        self.kept_slices: list[Key] = []
        for key, obj in objects.get("EndpointSlice", _NONE).items():
            if (key[1], _service_label(obj)) in scope and key not in touched:
                self.kept_slices.append(key)

    def _services(self) -> list[Key]:
        return [("Service", namespace, name) for namespace, name in self.scope]

    def new_objects(self, with_pods: bool) -> list[dict[str, Any]]:
        """Besides the Nodes, what the analysis of the new state reads, in key order (Pods:
        when they weigh clients, all of them, after; only their count per node matters)."""
        change, objects = self.change, self.change.objects
        found = [(key, objects.get(key[0], _NONE).get(key)) for key in self._kept()]
        found += [(key, change.new(key)) for key in self._changed()]
        in_order = _in_key_order(found)
        if with_pods:
            in_order += objects.get("Pod", _NONE).values()
        return in_order

    def old_objects(self) -> list[dict[str, Any]]:
        """The same of the state the previous snapshot stored (no Pods: warnings only)."""
        change, objects = self.change, self.change.objects
        found = [(key, objects.get(key[0], _NONE).get(key)) for key in self._kept()]
        found += [(key, change.old(key)) for key in self._changed()]
        return _in_key_order(found)

    def _kept(self) -> list[Key]:
        """Keys in view whose object the change left as stored."""
        changed = self.change.changed
        return [k for k in self._services() if k not in changed] + self.kept_slices

    def _changed(self) -> list[Key]:
        """Keys in view the change lists (a Service or slice it added, edited or deleted, or
        listed though it is back as stored)."""
        changed = self.change.changed
        return [k for k in self._services() if k in changed] + self.touched_slices

    def fix_objects(self, with_pods: bool) -> list[dict[str, Any]]:
        """What the fix search reads for the Services in scope, in the order a full write
        gives it (kind, namespace, name): the Nodes, each Service and its labelled slices, the
        Pods its endpoints name (all Pods when they weigh clients) and the workloads that own
        them, up their owner chain (Pod -> ReplicaSet -> Deployment)."""
        objects = self.change.objects
        keys = {*self._services(), *self.kept_slices, *self.touched_slices}
        pods = objects.get("Pod", _NONE)
        named = set(pods) if with_pods else set(self._endpoint_pods(keys))
        keys |= named
        for key in named:
            keys.update(_owner_chain(objects, pods[key], key[1]))
        found = [(key, objects.get(key[0], _NONE).get(key)) for key in keys]
        return [*self.nodes, *_in_key_order(found)]

    def _endpoint_pods(self, keys: Iterable[Key]) -> Iterator[Key]:
        """The Pods named by the endpoints of these slices that the cluster holds."""
        slices = self.change.objects.get("EndpointSlice", _NONE)
        pods = self.change.objects.get("Pod", _NONE)
        for key in keys:
            if key[0] != "EndpointSlice" or key not in slices:
                continue
            endpoints = slices[key].get("endpoints")
            for endpoint in endpoints if isinstance(endpoints, list) else ():
                ref = endpoint.get("targetRef") if isinstance(endpoint, dict) else None
                name = ref.get("name") if isinstance(ref, dict) else None
                if isinstance(name, str) and ("Pod", key[1], name) in pods:
                    yield ("Pod", key[1], name)

    def any_orphan(self, parsed: ParsedCluster) -> bool:
        """Whether a slice of the new build belongs to no Service of it (as the parser
        decides: its namespace and service-name label name no Service it kept)."""
        kept = {(s.namespace, s.name) for s in parsed.services}
        return any((key[1], _service_label(obj)) not in kept for key, obj in self._new_slices())

    def _new_slices(self) -> Iterator[tuple[Key, dict[str, Any]]]:
        slices = self.change.objects.get("EndpointSlice", _NONE)
        for key in self.kept_slices:
            yield key, slices[key]
        for key in self.touched_slices:
            obj = self.change.new(key)
            if obj is not None:
                yield key, obj


def _service_label(obj: dict[str, Any]) -> Any:
    meta = obj.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return labels.get(SERVICE_NAME_LABEL) if isinstance(labels, dict) else None


def _in_key_order(found: list[tuple[Key, dict[str, Any] | None]]) -> list[dict[str, Any]]:
    """The objects (None: absent, skipped) in the order a full write reads them."""
    found.sort(key=lambda pair: (KIND_RANK[pair[0][0]], pair[0][1:]))
    return [obj for _, obj in found if obj is not None]


def _owner_chain(objects: Objects, obj: dict[str, Any], namespace: str) -> Iterator[Key]:
    """Keys of the apps/v1 workloads `obj` names as owners, and theirs (every reference, not
    only the controller's: routing.workloads follows the one it trusts among them)."""
    meta = obj.get("metadata")
    refs = meta.get("ownerReferences") if isinstance(meta, dict) else None
    for ref in refs if isinstance(refs, list) else ():
        kind = ref.get("kind") if isinstance(ref, dict) else None
        name = ref.get("name") if isinstance(ref, dict) else None
        if kind not in WORKLOAD_KINDS or not isinstance(name, str):
            continue
        key = (kind, namespace, name)
        owner = objects.get(kind, _NONE).get(key)
        if owner is not None:
            yield key
            if kind == "ReplicaSet":  # a ReplicaSet's owner may be a Deployment; none above
                yield from _owner_chain(objects, owner, namespace)


def _items(nodes: list[dict[str, Any]], others: list[dict[str, Any]]) -> list[tuple[str, int, Any]]:
    """Engine items: the Nodes in key order first, as a full write gives them."""
    return [("items", i, obj) for i, obj in enumerate([*nodes, *others])]


def _carried_section(report: dict[str, Any], last: Snapshot) -> dict[str, Any]:
    """The previous snapshot's cluster section, once the parts computed from the Nodes (zones,
    provider, client weights, Auto's ratios, proxy detail) are found the same again."""
    carried, scoped = last.cluster_report, report["cluster"]
    changed = cluster_wide_change(scoped, carried, _CARRIED)
    if changed is not None:
        raise _FullWrite(f"the cluster section's {changed} changed")
    if report["services"] and scoped["notSimulated"] != carried["notSimulated"]:
        raise _FullWrite("what can be simulated changed")
    return carried


def _check_parse_warnings(view: _ScopeView, parsed: ParsedCluster) -> None:
    """The previous snapshot's parse warnings hold for the new state: the slices in view give
    the same ones before and after, and none but the count of slices that belong to no
    Service (a warning about a slice's addresses could move among the others')."""
    shared = SharedNodes(view.nodes)  # the Nodes' own warnings lead both lists
    try:
        before = build_cluster(_items([], view.old_objects()), shared)
    except InputError as exc:  # stored, so parsed once already: not expected
        raise _FullWrite(f"the stored objects no longer parse: {exc}") from None
    lead = len(shared.warnings)
    if before.warnings[lead:] != parsed.warnings[lead:]:
        raise _FullWrite("the parse warnings change")
    if len(parsed.warnings) - lead != (1 if view.any_orphan(parsed) else 0):
        raise _FullWrite("an EndpointSlice has an address the API server would refuse")


def _check_still_simulated(
    cluster: Cluster, last: Snapshot, objects: Objects, in_scope_before: int, in_scope_now: int
) -> None:
    """The cluster keeps at least one Service the engine analyses (each has an open summary,
    so their count is the summaries' count plus what the scope adds) and at least one slice:
    otherwise the report's notSimulated changes, and with it every Service's."""
    before = ServiceSummary.objects.open(cluster).count()
    if not before or not before - in_scope_before + in_scope_now:
        raise _FullWrite("the cluster gains its first or loses its last Service")
    if bool(last.endpoint_slices) != bool(objects.get("EndpointSlice")):
        raise _FullWrite("the cluster gains its first or loses its last EndpointSlice")


def _carried_tally(last: Snapshot, change: _Change) -> Tally:
    """The previous snapshot's counts, less the changed objects' stored forms, plus their new
    forms; checked against the objects held."""
    if last.ready_endpoints_by_zone is None:
        raise _FullWrite("the previous snapshot predates its ready endpoints by zone")
    tally = Tally()
    tally.counts.update(
        Node=last.nodes, Service=last.services, EndpointSlice=last.endpoint_slices, Pod=last.pods
    )
    tally.endpoints = last.endpoints
    tally.ready_by_zone = dict(last.ready_endpoints_by_zone)
    for key in change.touched:
        kind = key[0]
        if key in change.versions:
            # Only a slice's stored form is read (its endpoints); of the rest, that it was.
            old = change.old(key) if kind == "EndpointSlice" else None
            tally.add(kind, old or _EMPTY, -1)
        new = change.new(key)
        if new is not None:
            tally.add(kind, new, 1)
    for kind in ("Node", "Service", "EndpointSlice", "Pod"):
        if tally.counts[kind] != len(change.objects.get(kind, _NONE)):
            raise _FullWrite("the counts disagree with the previous snapshot's")
    if any(n < 0 for n in tally.ready_by_zone.values()):
        raise _FullWrite("the ready endpoints disagree with the previous snapshot's")
    return tally
