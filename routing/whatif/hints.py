"""The Service's EndpointSlice hints rewritten as the EndpointSlice controller would write them."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from routing.engine import controller
from routing.engine.model import NO_HINT, Cluster, Endpoint, Hint, Service
from routing.engine.parse import KnownEndpoints, SharedNodes, SharedPods, from_nodes
from routing.engine.topology import zone_ratios

from .objects import _model, _parse, _slices, _slots


# Not frozen: made for every verification of a fix search (see
# routing.engine.controller.ControllerResult).
@dataclass(slots=True)
class Reconciled:
    changed: int  # endpoints whose hints changed
    service: Service  # the Service as the engine reads the rewritten objects
    cluster: Cluster  # the rewritten objects as the engine reads them


def reconcile_hints(
    objects: list[dict[str, Any]], namespace: str, name: str, nodes: SharedNodes | None = None
) -> tuple[int, Service]:
    """Rewrite the Service's managed endpoints' hints in place as the controller would.

    Uses the engine's controller simulation under the declared policy and the nodes' CPU ratios.
    Endpoints of slices the controller does not manage keep theirs. Returns how many endpoints'
    hints changed, and the Service as the engine reads the rewritten objects. `nodes`: the
    Nodes, parsed once, when `objects` holds none (routing.engine.parse.SharedNodes).
    """
    done = reconcile(objects, namespace, name, nodes)
    return done.changed, done.service


def reconcile(
    objects: list[dict[str, Any]],
    namespace: str,
    name: str,
    nodes: SharedNodes | None = None,
    known: KnownEndpoints | None = None,
    write_hints: bool = True,
    pods: SharedPods | None = None,
) -> Reconciled:
    """reconcile_hints, also giving the rewritten objects as the engine reads them: the model
    parsed before the rewrite with the same hints set, which is what parsing them again would
    give, for one parse less. `known`: endpoints read before (routing.engine.parse). Without
    `write_hints` the objects keep their hints: for callers that read only the result. `pods`:
    the Pods, read once, when `objects` holds none (routing.engine.parse.SharedPods)."""
    cluster = _parse(objects, nodes, known, pods)
    svc = _model(cluster, namespace, name)
    hints = controller_hints(cluster, svc)
    if write_hints:
        slots = _slots(_slices(objects, namespace, name), svc)
        for (ep, s, i), hint in zip(slots, hints, strict=True):
            if ep.managed:
                _write_hint(s["endpoints"][i], hint)  # also drops an empty `hints: {}`
    return Reconciled(_read_hints(svc, hints), svc, cluster)


def reconcile_read(svc: Service, cluster: Cluster) -> Reconciled:
    """reconcile for a Service read without its objects (read_replicas.py): `svc`, whose
    endpoints list is its own, is changed to read as it would with the hints written."""
    return Reconciled(_read_hints(svc, controller_hints(cluster, svc)), svc, cluster)


def note_reconciled(done: Reconciled, changes: Mapping[str, Any], notes: list[str]) -> None:
    """The changes for people that the controller's rewrite adds."""
    rewritten, svc = done.changed, done.service
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


def controller_hints(cluster: Cluster, svc: Service) -> list[Hint]:
    """The hints the controller writes for `svc` under its declared policy."""
    ratios = from_nodes(cluster, "zone ratios", zone_ratios)
    return controller.simulate(svc, controller.declared_policy(svc), ratios).hints


def _read_hints(svc: Service, hints: list[Hint]) -> int:
    """Give svc's managed endpoints `hints` as the parser reads them once written; returns how
    many changed."""
    changed = 0
    for j, (ep, hint) in enumerate(zip(svc.endpoints, hints, strict=True)):
        if ep.managed:
            changed += hint != ep.hint
            svc.endpoints[j] = _as_read(ep, hint)
    return changed


def _as_read(ep: Endpoint, hint: Hint) -> Endpoint:
    """The endpoint as the parser reads it once _write_hint wrote `hint` (no `hints` field for
    no hint); a new one, as Endpoints may be shared with another parse (`known`)."""
    has_field = hint != NO_HINT
    if ep.hint == hint and ep.has_hints_field == has_field:
        return ep
    return ep.with_hint(hint if has_field else NO_HINT, has_field)


def _write_hint(endpoint: dict[str, Any], hint: Hint) -> None:
    zones, nodes = hint
    if not zones and not nodes:
        endpoint.pop("hints", None)
        return
    written: dict[str, Any] = {}
    if zones:
        written["forZones"] = [{"name": z} for z in zones]
    if nodes:
        written["forNodes"] = [{"name": n} for n in nodes]
    endpoint["hints"] = written
