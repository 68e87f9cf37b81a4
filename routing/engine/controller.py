"""What the EndpointSlice controller writes: which mechanism runs, and the hints under each policy.

Rules: docs/kubernetes-semantics.md §3. The simulation is a fresh reconcile in which every
managed slice is rewritten; endpoints in slices the controller does not manage keep the hints
they were given.
"""

from dataclasses import dataclass

from .model import NO_HINT, Hint, Service
from .topology import Event, ZoneRatios, auto_hints

POLICIES = ("none", "PreferSameZone", "PreferSameNode", "Auto")
TRAFFIC_DISTRIBUTIONS = ("PreferClose", "PreferSameZone", "PreferSameNode")


# Not frozen, like the engine's other per-simulation results: a frozen dataclass's __init__
# costs three times as much, and these are made for every policy of every Service.
@dataclass(slots=True, init=False)
class ControllerResult:
    """Hints parallel to `Service.endpoints`, plus the events the controller would emit."""

    hints: list[Hint]
    events: list[Event]

    def __init__(self, hints: list[Hint], events: list[Event]) -> None:
        # (init=False and this __init__: see model.Endpoint)
        self.hints, self.events = hints, events


def hints_enabled(service: Service) -> bool:
    """The Auto annotation is on only for exactly "Auto" or "auto" (upstream hintsEnabled)."""
    return service.topology_annotation in ("Auto", "auto")


def mechanism(service: Service) -> str:
    """Which controller path runs: "topologyAuto", "trafficDistribution" or "none"."""
    if hints_enabled(service):
        return "topologyAuto"
    if service.traffic_distribution in TRAFFIC_DISTRIBUTIONS:
        return "trafficDistribution"
    return "none"


def declared_policy(service: Service) -> str:
    """The whatIf key that matches what the Service declares (PreferClose is PreferSameZone)."""
    mech = mechanism(service)
    if mech == "topologyAuto":
        return "Auto"
    if mech == "trafficDistribution":
        td = service.traffic_distribution
        return "PreferSameNode" if td == "PreferSameNode" else "PreferSameZone"
    return "none"


def simulate(service: Service, policy: str, ratios: ZoneRatios) -> ControllerResult:
    """Hints the controller would write if the Service declared `policy` (one of POLICIES)."""
    endpoints = service.endpoints
    events: list[Event] = []
    if not service.has_selector:
        # The controller manages no slice of this Service: every endpoint keeps what it carries.
        return ControllerResult([ep.hint for ep in endpoints], events)
    if policy == "Auto":
        hints = [ep.hint for ep in endpoints]  # unmanaged endpoints keep what they carry
        for family in _families(service):
            indices = [
                i for i, ep in enumerate(endpoints) if ep.managed and ep.address_type == family
            ]
            family_hints, family_events = auto_hints(endpoints, indices, ratios, family)
            for i, hint in family_hints.items():
                hints[i] = hint
            events.extend(family_events)
        return ControllerResult(hints, events)
    if policy not in ("PreferSameZone", "PreferSameNode"):
        # Stripped: managed endpoints are rebuilt from their Pods without hints.
        return ControllerResult([NO_HINT if ep.managed else ep.hint for ep in endpoints], events)
    same_node = policy == "PreferSameNode"
    own_zone: dict[str, Hint] = {}  # one hint per zone, shared by its endpoints
    hints = []
    for ep in endpoints:
        if not ep.managed:
            hints.append(ep.hint)  # unmanaged endpoints keep what they carry
        elif ep.ready is not True:  # (not controller_ready: rebuilt from the Pod without hints)
            hints.append(NO_HINT)
        elif same_node and ep.node_name:
            hints.append(((ep.zone,) if ep.zone else (), (ep.node_name,)))
        elif ep.zone:
            found = own_zone.get(ep.zone)
            if found is None:
                found = own_zone[ep.zone] = ((ep.zone,), ())
            hints.append(found)
        else:
            hints.append(NO_HINT)
    return ControllerResult(hints, events)


def _families(service: Service) -> list[str]:
    # The controller reconciles each family the Service asks for; a managed slice of another
    # family (only in hand-edited input) is handled too so nothing is silently skipped.
    families = [f for f in service.ip_families if f in ("IPv4", "IPv6")]
    for ep in service.endpoints:
        if ep.managed and ep.address_type not in families:
            families.append(ep.address_type)
    return families
