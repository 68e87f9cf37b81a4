"""The entry points: apply a what-if request's changes to copies, analyse, pick the headline.

`apply_changes` runs the edits (service_edits, cpu, replicas), then rewrites the hints as the
controller would (hints); `routing.engine.service_entry` analyses the edited objects as the Service
detail does.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from routing.engine.model import Cluster, Service
from routing.engine.parse import SharedNodes, SharedPods

from .cpu import _edit_cpu
from .hints import Reconciled, note_reconciled, reconcile
from .objects import _known, _service_object, _slices, _slots
from .read_replicas import ReplicasReader
from .replicas import _edit_replicas
from .service_edits import _edit_policy


@dataclass(frozen=True, slots=True)
class Edited:
    """The edited objects and one line per change applied, for people."""

    objects: list[dict[str, Any]]
    changes: list[str]
    cluster: Cluster  # `objects` as the engine reads them (stale once they are edited further)


def apply_changes(
    objects: list[dict[str, Any]],
    namespace: str,
    name: str,
    changes: Mapping[str, Any],
    nodes: SharedNodes | None = None,
    before: Service | None = None,
) -> Edited:
    """Apply the changes of a what-if request to copies of `objects`.

    `changes` uses the API's names: trafficDistribution, topologyMode (value or None: remove),
    internalTrafficPolicy, replicasPerZone (zone -> count) and cpuPerZone (zone -> CPU quantity).
    Raises WhatIfError when a change cannot apply (an unknown zone, a Service without a selector).
    `nodes`: the Nodes, parsed once, when `objects` holds none (a fix search edits one Service
    many times over the same Nodes: routing.engine.parse.SharedNodes); cpuPerZone edits Nodes,
    so it needs them in `objects`. `before`: the Service as the engine reads `objects` over
    `nodes`, when already parsed (its endpoints are then not read again).
    """
    if nodes is not None and "cpuPerZone" in changes:
        raise ValueError("cpuPerZone edits the Nodes: pass them in the objects")
    copied = copies(objects, nodes="cpuPerZone" in changes)
    notes, done = _edit(copied, namespace, name, changes, nodes, before, write_hints=True)
    return Edited(copied, notes, done.cluster)


def changed_cluster(
    objects: list[dict[str, Any]],
    namespace: str,
    name: str,
    changes: Mapping[str, Any],
    nodes: SharedNodes,
    before: Service | None = None,
    taken: frozenset[Any] | None = None,
    pods: SharedPods | None = None,
) -> tuple[Cluster, list[str]]:
    """What `apply_changes(objects, ..., nodes, before)` gives, as the engine reads its objects,
    and its changes for people, without the objects: nothing is written that only the objects
    would show (the hints), so copies need to go only as deep as the edits do. For a search
    that analyses many changes and keeps none of the objects. No cpuPerZone (it edits Nodes).
    `taken`: the Pod names and addresses in `objects` (routing.whatif.in_use), when known.
    `pods`: the Pods, read once, when `objects` holds none (routing.engine.parse.SharedPods).
    replicasPerZone alone is read without writing objects (read_replicas.ReplicasReader: its
    cluster has the Service and the Nodes' warnings only); with Pods aside, only so.
    """
    if "cpuPerZone" in changes:
        raise ValueError("cpuPerZone edits the Nodes: use apply_changes")
    if changes.keys() == {"replicasPerZone"} and (pods is not None or not _has_pods(objects)):
        reader = ReplicasReader(objects, namespace, name, nodes, before, taken, pods)
        return reader.changed(changes)
    if pods is not None and "replicasPerZone" in changes:
        raise ValueError("replicasPerZone edits Pods: with Pods aside, only on its own")
    copied = _shallow_copies(objects)
    notes, done = _edit(copied, namespace, name, changes, nodes, before, False, taken, pods)
    return done.cluster, notes


def _has_pods(objects: list[dict[str, Any]]) -> bool:
    return any(o.get("kind") == "Pod" for o in objects)


def _edit(
    copied: list[dict[str, Any]],
    namespace: str,
    name: str,
    changes: Mapping[str, Any],
    nodes: SharedNodes | None,
    before: Service | None,
    write_hints: bool,
    taken: frozenset[Any] | None = None,
    pods: SharedPods | None = None,
) -> tuple[list[str], Reconciled]:
    known = None
    if before is not None and nodes is not None and "replicasPerZone" not in changes:
        # The copies' endpoints read as `before`'s (the replicas edit works this out itself).
        known = _known(_slots(_slices(copied, namespace, name), before))
    notes: list[str] = []
    service = _service_object(copied, namespace, name)
    _edit_policy(service, changes, notes)
    if "cpuPerZone" in changes:
        _edit_cpu(copied, changes["cpuPerZone"], notes)
    if "replicasPerZone" in changes:
        wanted = changes["replicasPerZone"]
        known = _edit_replicas(copied, namespace, name, wanted, notes, nodes, before, taken)
    done = reconcile(copied, namespace, name, nodes, known, write_hints, pods)
    note_reconciled(done, changes, notes)
    return notes, done


def copies(objects: list[dict[str, Any]], nodes: bool = True) -> list[dict[str, Any]]:
    """Deep copies of `objects` to edit; Nodes are shared unless `nodes` (only the CPU edit
    changes them)."""
    if nodes:
        copied: list[dict[str, Any]] = orjson.loads(orjson.dumps(objects))  # deep, and fast
        return copied
    others = [o for o in objects if o.get("kind") != "Node"]
    fresh = iter(orjson.loads(orjson.dumps(others)))
    return [o if o.get("kind") == "Node" else next(fresh) for o in objects]


def _shallow_copies(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies as deep as the edits reach when no hint is written: a Service's spec and
    metadata (the policy edits set and remove keys there), a slice's endpoint list (the
    replicas edit replaces and appends entries; the endpoints themselves are only read, and
    new ones are copies). Everything else, Pods included, is shared with `objects`."""
    out = []
    for obj in objects:
        kind = obj.get("kind")
        if kind == "Service" or kind == "EndpointSlice":
            obj = dict(obj)
            for key in ("spec", "metadata") if kind == "Service" else ("endpoints",):
                value = obj.get(key)
                if isinstance(value, dict):
                    obj[key] = dict(value)
                elif isinstance(value, list):
                    obj[key] = list(value)
        out.append(obj)
    return out


def headline(entry: dict[str, Any]) -> dict[str, Any]:
    """The figures a what-if compares: observed flows and their cost."""
    flows, cost = entry["flows"], entry["cost"]
    return {
        "crossZoneFraction": flows["crossZoneFraction"],
        "crossRegionFraction": flows["crossRegionFraction"],
        "dropped": flows["dropped"],
        "maxOverload": flows["maxOverload"],
        "costPerGb": cost["costPerGb"],
        "monthlyCost": cost["monthlyCost"],
    }
