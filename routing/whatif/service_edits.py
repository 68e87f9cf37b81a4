"""Edits to the Service itself: trafficDistribution, internalTrafficPolicy, topology mode."""

from collections.abc import Mapping
from typing import Any

from routing.engine.model import DEPRECATED_HINTS_ANNOTATION, TOPOLOGY_MODE_ANNOTATION


def _edit_policy(service: dict[str, Any], changes: Mapping[str, Any], notes: list[str]) -> None:
    spec = service.setdefault("spec", {})
    if "trafficDistribution" in changes:
        value = changes["trafficDistribution"]
        old = spec.pop("trafficDistribution", None)
        if value is not None:
            spec["trafficDistribution"] = value
        notes.append(f"trafficDistribution: {old or 'unset'} -> {value or 'unset'}")
    if "internalTrafficPolicy" in changes:
        old = spec.get("internalTrafficPolicy") or "Cluster"
        spec["internalTrafficPolicy"] = changes["internalTrafficPolicy"]
        notes.append(f"internalTrafficPolicy: {old} -> {changes['internalTrafficPolicy']}")
    if "topologyMode" in changes:
        _edit_topology_mode(service, changes["topologyMode"], notes)


def _edit_topology_mode(service: dict[str, Any], value: str | None, notes: list[str]) -> None:
    meta = service.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    old = annotations.pop(TOPOLOGY_MODE_ANNOTATION, None)
    if value is not None:
        annotations[TOPOLOGY_MODE_ANNOTATION] = value
    notes.append(f"annotation {TOPOLOGY_MODE_ANNOTATION}: {old or 'unset'} -> {value or 'unset'}")
    # The deprecated key decides whenever present, so it goes too: removing topology-mode would
    # leave it deciding, and setting Auto beside, say, "Disabled" would change nothing.
    if DEPRECATED_HINTS_ANNOTATION in annotations:
        removed = annotations.pop(DEPRECATED_HINTS_ANNOTATION)
        notes.append(f"annotation {DEPRECATED_HINTS_ANNOTATION} ({removed!r}) removed")
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)  # as the API shows an object without annotations
