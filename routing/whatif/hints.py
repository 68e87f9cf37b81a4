"""The Service's EndpointSlice hints rewritten as the EndpointSlice controller would write them."""

from dataclasses import dataclass
from typing import Any

from routing.engine import controller
from routing.engine.model import NO_HINT, Cluster, Endpoint, Hint, Service
from routing.engine.parse import KnownEndpoints, SharedNodes, from_nodes
from routing.engine.topology import zone_ratios

from .objects import _model, _parse, _slices, _slots


@dataclass(frozen=True, slots=True)
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
) -> Reconciled:
    """reconcile_hints, also giving the rewritten objects as the engine reads them: the model
    parsed before the rewrite with the same hints set, which is what parsing them again would
    give, for one parse less. `known`: endpoints read before (routing.engine.parse). Without
    `write_hints` the objects keep their hints: for callers that read only the result."""
    cluster = _parse(objects, nodes, known)
    svc = _model(cluster, namespace, name)
    ratios = from_nodes(cluster, "zone ratios", zone_ratios)
    result = controller.simulate(svc, controller.declared_policy(svc), ratios)
    slots = _slots(_slices(objects, namespace, name), svc)
    changed = 0
    for j, ((ep, s, i), hint) in enumerate(zip(slots, result.hints, strict=True)):
        if ep.managed:
            changed += hint != ep.hint
            if write_hints:
                _write_hint(s["endpoints"][i], hint)  # also drops an empty `hints: {}`
            svc.endpoints[j] = _as_read(ep, hint)
    return Reconciled(changed, svc, cluster)


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
