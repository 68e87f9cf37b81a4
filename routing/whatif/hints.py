"""The Service's EndpointSlice hints rewritten as the EndpointSlice controller would write them."""

from typing import Any

from routing.engine import controller
from routing.engine.model import Hint, Service
from routing.engine.topology import zone_ratios

from .objects import _model, _parse, _slices, _slots


def reconcile_hints(
    objects: list[dict[str, Any]], namespace: str, name: str
) -> tuple[int, Service]:
    """Rewrite the Service's managed endpoints' hints in place as the controller would.

    Uses the engine's controller simulation under the declared policy and the nodes' CPU ratios.
    Endpoints of slices the controller does not manage keep theirs. Returns how many endpoints'
    hints changed, and the Service as the engine read it (before the rewrite).
    """
    cluster = _parse(objects)
    svc = _model(cluster, namespace, name)
    result = controller.simulate(svc, controller.declared_policy(svc), zone_ratios(cluster.nodes))
    slots = _slots(_slices(objects, namespace, name), svc)
    changed = 0
    for (ep, s, i), hint in zip(slots, result.hints, strict=True):
        if ep.managed:
            changed += hint != ep.hint
            _write_hint(s["endpoints"][i], hint)  # also drops an empty `hints: {}`
    return changed, svc


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
