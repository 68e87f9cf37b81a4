"""The entry points: apply a what-if request's changes to copies, analyse, pick the headline.

`apply_changes` runs the edits (service_edits, cpu, replicas), then rewrites the hints as the
controller would (hints); `routing.engine.service_entry` analyses the edited objects as the Service
detail does.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from routing.engine import controller

from .cpu import _edit_cpu
from .hints import reconcile_hints
from .objects import _service_object
from .replicas import _edit_replicas
from .service_edits import _edit_policy


@dataclass(frozen=True, slots=True)
class Edited:
    """The edited objects and one line per change applied, for people."""

    objects: list[dict[str, Any]]
    changes: list[str]


def apply_changes(
    objects: list[dict[str, Any]], namespace: str, name: str, changes: Mapping[str, Any]
) -> Edited:
    """Apply the changes of a what-if request to copies of `objects`.

    `changes` uses the API's names: trafficDistribution, topologyMode (value or None: remove),
    internalTrafficPolicy, replicasPerZone (zone -> count) and cpuPerZone (zone -> CPU quantity).
    Raises WhatIfError when a change cannot apply (an unknown zone, a Service without a selector).
    """
    copied = copies(objects, nodes="cpuPerZone" in changes)
    notes: list[str] = []
    service = _service_object(copied, namespace, name)
    _edit_policy(service, changes, notes)
    if "cpuPerZone" in changes:
        _edit_cpu(copied, changes["cpuPerZone"], notes)
    if "replicasPerZone" in changes:
        _edit_replicas(copied, namespace, name, changes["replicasPerZone"], notes)
    rewritten, svc = reconcile_hints(copied, namespace, name)
    if rewritten:
        notes.append(
            f"EndpointSlice hints rewritten on {rewritten} endpoint(s), as the controller "
            f"would under policy {controller.declared_policy(svc)}"
        )
    policy_edited = "trafficDistribution" in changes or "topologyMode" in changes
    if policy_edited and controller.mechanism(svc) == "topologyAuto" and svc.traffic_distribution:
        notes.append(
            "note: the topology annotation (Auto) takes precedence over trafficDistribution "
            f"{svc.traffic_distribution}"
        )
    return Edited(copied, notes)


def copies(objects: list[dict[str, Any]], nodes: bool = True) -> list[dict[str, Any]]:
    """Deep copies of `objects` to edit; Nodes are shared unless `nodes` (only the CPU edit
    changes them), so a parse cache can recognise them (routing.engine.parse)."""
    if nodes:
        copied: list[dict[str, Any]] = orjson.loads(orjson.dumps(objects))  # deep, and fast
        return copied
    others = [o for o in objects if o.get("kind") != "Node"]
    fresh = iter(orjson.loads(orjson.dumps(others)))
    return [o if o.get("kind") == "Node" else next(fresh) for o in objects]


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
