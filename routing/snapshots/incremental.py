"""Which Services a new snapshot must re-analyse, given what changed since the previous one.

A Service's analysis reads the Nodes (zones, CPU ratios, client weights), its own Service object
and its own EndpointSlices, plus Pods only when clients are weighted by Pods, and the engine
options (prices, overload limit). So when only Services, slices, Pods or routing-irrelevant parts
of Nodes (say, a label) changed, the other Services' stored summaries stay valid, and a 1%-change
snapshot of a large cluster re-analyses 1% of it. Anything wider (a Node's zone, readiness or
CPU, a Node added or removed, the options, the first snapshot) re-analyses everything, and so
does a change of what the report's cluster section shows (cluster_wide_change: the writers
compare it with the previous snapshot's, whatever services_to_analyze made of the change; so
the cluster's first or last Service or EndpointSlice, which decides whether anything can be
simulated, re-analyses everything too).

The apps/v1 workloads (ReplicaSets, Deployments, StatefulSets, DaemonSets) are stored but never
read by the engine, so a change to them alone re-analyses nothing. (A fix that names a Service's
owning workload reads them; a change that matters to it, such as a scale or a new Pod template,
also changes the Service's Pods and so its EndpointSlices, which re-analyses the Service.)
"""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import fields
from typing import Any

import orjson

from routing.engine import Options
from routing.engine.model import REGION_LABEL, SERVICE_NAME_LABEL, ZONE_LABEL

Key = tuple[str, str, str]  # (kind, namespace, name)


def options_fingerprint(options: Options) -> str:
    """A stable digest of the options that shape summaries (stored on each snapshot).

    Measured client zones count only as on or off: which Services' zones changed between two
    fetches is worked out per Service (routing/volumes/clients.py), so a new fetch re-analyses
    those Services, not the whole cluster.
    """
    skip = ("service", "services", "client_zones")
    values: dict[str, object] = {
        f.name: getattr(options, f.name) for f in fields(options) if f.name not in skip
    }
    if options.client_zones is not None:  # absent otherwise: earlier digests stay the same
        values["client_zones"] = True
    return hashlib.sha256(orjson.dumps(values, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def cluster_wide_change(
    section: dict[str, Any], previous: Any, ignored: tuple[str, ...] = ("warnings",)
) -> str | None:
    """The first key of a report's cluster section whose value differs from the previous
    snapshot's section (None when none does), `ignored` aside. Every Service's analysis reads
    what the section shows of the cluster (zones, client weights, Auto's zone ratios, proxy
    detail, whether anything can be simulated), so a change there re-analyses everything;
    its warnings (which slices belong to no Service, say) no Service reads."""
    if not isinstance(previous, dict) or previous.keys() != section.keys():
        return "its keys"
    return next((k for k, v in section.items() if k not in ignored and previous[k] != v), None)


def _slice_service(obj: Any) -> str | None:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    name = labels.get(SERVICE_NAME_LABEL) if isinstance(labels, dict) else None
    return name if isinstance(name, str) else None


def services_to_analyze(
    touched: Iterable[Key],
    new_objects: Callable[[Key], dict | None],
    old_objects: Callable[[list[Key]], Iterable[dict]],
    options: Options,
) -> frozenset[tuple[str, str]] | None:
    """The (namespace, name) of every Service whose summary may differ; None means all.

    `touched` are the keys added, changed or removed; `new_objects(key)` gives an object's new
    trimmed form (None when removed) and `old_objects(keys)` the previous forms of those keys.
    """
    scope: set[tuple[str, str]] = set()
    old_slices: list[Key] = []
    nodes: list[Key] = []
    for key in touched:
        kind, namespace, name = key
        if kind == "Pod" and options.clients == "pods":
            return None
        if kind == "Node":
            nodes.append(key)
        elif kind == "Service":
            scope.add((namespace, name))
        elif kind == "EndpointSlice":
            service = _slice_service(new_objects(key))
            if service:
                scope.add((namespace, service))
            old_slices.append(key)  # its old label may name another Service
    if nodes and not _nodes_unchanged_for_routing(nodes, new_objects, old_objects):
        return None
    for obj in old_objects(old_slices):
        service = _slice_service(obj)
        if service:
            scope.add((obj["metadata"].get("namespace") or "default", service))
    return frozenset(scope)


def _nodes_unchanged_for_routing(
    keys: list[Key],
    new_objects: Callable[[Key], dict | None],
    old_objects: Callable[[list[Key]], Iterable[dict]],
) -> bool:
    """True when the touched Nodes changed only in ways routing never reads (e.g. a label)."""
    new = [new_objects(key) for key in keys]
    if any(obj is None for obj in new):
        return False  # a Node went away
    old = {_node_name(obj): _routing_view(obj) for obj in old_objects(keys)}
    return len(old) == len(keys) and all(old.get(_node_name(o)) == _routing_view(o) for o in new)


def _node_name(obj: Any) -> str:
    return str((obj.get("metadata") or {}).get("name"))


def _routing_view(node: Any) -> tuple[Any, ...]:
    """What the engine reads of a Node: zone, region, role, readiness, CPU, provider."""
    meta = node.get("metadata") or {}
    labels = meta.get("labels") or {}
    status = node.get("status") or {}
    conditions = status.get("conditions") or []
    return (
        labels.get(ZONE_LABEL),
        labels.get(REGION_LABEL),
        "node-role.kubernetes.io/control-plane" in labels,
        "node-role.kubernetes.io/master" in labels,
        orjson.dumps(conditions, option=orjson.OPT_SORT_KEYS),
        orjson.dumps((status.get("allocatable") or {}).get("cpu")),
        orjson.dumps((node.get("spec") or {}).get("providerID")),
    )
