"""Reading the objects as the engine does: the parsed model, the Service's slices, its zones."""

from typing import Any

from routing.engine import build_cluster
from routing.engine.model import (
    CONTROLLER_NAME,
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
    Cluster,
    Endpoint,
    Node,
    Service,
)
from routing.engine.parse import KnownEndpoints, SharedNodes, SharedPods

from .errors import WhatIfError

Slot = tuple[Endpoint, dict[str, Any], int]  # a parsed endpoint, its slice dict and index there


def _parse(
    objects: list[dict[str, Any]],
    nodes: SharedNodes | None = None,
    known: KnownEndpoints | None = None,
    pods: SharedPods | None = None,
) -> Cluster:
    """The objects as the engine reads them; over `nodes` when they hold none of their own,
    reusing the `known` endpoints, with `pods` when they hold none of their own
    (routing.engine.parse.build_cluster)."""
    items = [("items", i, obj) for i, obj in enumerate(objects)]
    return build_cluster(items, nodes, known, pods)


def _model(cluster: Cluster, namespace: str, name: str) -> Service:
    for svc in cluster.services:
        if (svc.namespace, svc.name) == (namespace, name):
            return svc
    raise WhatIfError("service", f"there is no Service {namespace}/{name} to change")


def _key(obj: dict[str, Any]) -> tuple[str, Any]:
    meta = obj.get("metadata") or {}
    return meta.get("namespace") or "default", meta.get("name")


def _service_object(objects: list[dict[str, Any]], namespace: str, name: str) -> dict[str, Any]:
    for obj in objects:
        if obj["kind"] == "Service" and _key(obj) == (namespace, name):
            return obj
    raise WhatIfError("service", f"there is no Service {namespace}/{name}")


def _slices(objects: list[dict[str, Any]], namespace: str, name: str) -> list[dict[str, Any]]:
    """The Service's slices in the order the parser reads them (stable sort by name)."""
    found = [
        obj
        for obj in objects
        if obj["kind"] == "EndpointSlice"
        and _key(obj)[0] == namespace
        and (obj["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == name
    ]
    return sorted(found, key=lambda s: s["metadata"]["name"])


def _slots(slices: list[dict[str, Any]], svc: Service) -> list[Slot]:
    """Each parsed endpoint with the slice dict and index it was read from."""
    places = [
        (s, i)
        for s in slices
        if s.get("addressType") != "FQDN"  # the parser skips FQDN slices
        for i in range(len(s.get("endpoints") or []))
    ]
    out = []
    for ep, (s, i) in zip(svc.endpoints, places, strict=True):
        assert ep.slice_name == s["metadata"]["name"]  # the same order as the parser's
        out.append((ep, s, i))
    return out


def _known(slots: list[Slot]) -> KnownEndpoints:
    """The parsed endpoints by the dicts they were read from, for the next parse to reuse."""
    return {id(s["endpoints"][i]): (s["endpoints"][i], s, ep) for ep, s, i in slots}


def _managed(slice_obj: dict[str, Any], svc: Service) -> bool:
    labels = slice_obj["metadata"].get("labels") or {}
    return svc.has_selector and labels.get(MANAGED_BY_LABEL) in (CONTROLLER_NAME, None)


def _zones(nodes: list[Node]) -> set[str]:
    return {n.zone for n in nodes if n.zone}


def _check_zone(field: str, zone: str, known: set[str]) -> None:
    if zone not in known:
        listed = ", ".join(sorted(known)) or "none"
        raise WhatIfError(field, f"no node is in zone {zone!r} (zones: {listed})")
