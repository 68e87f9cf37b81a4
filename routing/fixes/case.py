"""What a kind of fix reads (Case: the Service, its objects, its report entry, the options) and
what it proposes (Fix: the change, its commands and the engine's figures after it)."""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from routing.engine import Options
from routing.engine.model import Service
from routing.engine.parse import SharedNodes
from routing.engine.report import ServiceAnalyzer
from routing.whatif import in_use

from .pod_owners import PodOwners
from .verify import Outcome, can_improve, improves

Key = tuple[str, str]


@dataclass
class Fix:
    kind: str
    summary: str
    outcome: Outcome
    commands: list[str] = field(default_factory=list)
    tradeoff: str = ""
    request: dict[str, Any] | None = None  # the what-if API body that reproduces it, if any
    pods_added: int = 0  # ranks an equal outcome that needs no new Pods first


@dataclass(frozen=True)
class Case:
    """What every kind reads: the Service, its objects and report entry, the options."""

    key: Key
    nodes: SharedNodes  # the same for every Service of one search, unless a fix labels one
    own: list[dict[str, Any]]  # the Service, its EndpointSlices (and Pods: ServiceObjects.own)
    entry: dict[str, Any]
    cluster: dict[str, Any]  # the report's cluster section
    options: Options
    analyzer: ServiceAnalyzer  # shared by every Service of one search (routing.engine.report)
    parsed: Service | None = None  # the Service as the engine reads `own` over `nodes`, if known
    owners: PodOwners | None = None  # the Pods' owning workloads (routing.fixes.owners)

    @property
    def before(self) -> dict[str, Any]:
        flows = self.entry["flows"]
        return {
            "crossZoneFraction": flows["crossZoneFraction"],
            "dropped": flows["dropped"],
            "maxOverload": flows["maxOverload"],
            "costPerGb": self.entry["cost"]["costPerGb"],
        }

    @property
    def objects(self) -> list[dict[str, Any]]:
        """All the objects the Service's analysis reads, Nodes first (as a dump lists them).
        O(nodes): the kinds run for every Service use `nodes` and `own` instead."""
        return [*self.nodes.objects, *self.own]

    @cached_property
    def in_use(self) -> frozenset[Any]:
        """The Pod names and addresses in `own`, that new Pods must not take: the same for
        every endpoints edit of this Service, so read once (by the first that needs it)."""
        return in_use(self.own)

    def codes(self) -> set[str]:
        return {d["code"] for d in self.entry["diagnostics"]}

    def node_zones(self) -> dict[str, str]:
        """Each node's zone label ("" when missing), computed once per set of Nodes."""
        facts = self.nodes.facts
        if "zone by name" not in facts:
            facts["zone by name"] = {n.name: n.zone for n in self.nodes.nodes}
        zones: dict[str, str] = facts["zone by name"]
        return zones

    def client_zone_weights(self) -> dict[str, float]:
        measured = self.entry["flows"].get("clientZoneWeights")
        weights = measured if measured else self.cluster.get("clientZoneWeights") or {}
        return {z: w for z, w in weights.items() if z and w > 0}

    @property
    def service(self) -> dict[str, Any]:
        """The Service object itself (ServiceObjects.own lists it with its slices)."""
        return next(o for o in self.own if o.get("kind") == "Service")

    def has_selector(self) -> bool:
        return bool((self.service.get("spec") or {}).get("selector"))

    def ready_per_zone(self) -> dict[str, int]:
        """Ready endpoints per zone (an endpoint's own zone, else its node's)."""
        zones = self.node_zones()
        ready: dict[str, int] = {}
        for ep in self.entry["endpoints"]:
            zone = ep["zone"] or zones.get(ep["nodeName"] or "", "")
            if zone and ep["ready"] is not False:
                ready[zone] = ready.get(zone, 0) + 1
        return ready

    def can_improve(self) -> bool:
        """False when no outcome can pass `helps`: kinds that need it skip their search."""
        return can_improve(self.before, self.options.overload_limit)

    def helps(self, outcome: Outcome | None) -> bool:
        return outcome is not None and improves(
            self.before, outcome.after, self.options.overload_limit
        )
