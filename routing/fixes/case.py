"""What a kind of fix reads (Case: the Service, its objects, its report entry, the options) and
what it proposes (Fix: the change, its commands and the engine's figures after it)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from routing.engine import Options
from routing.engine.model import Service
from routing.engine.parse import SharedNodes, SharedPods
from routing.engine.report import ServiceAnalyzer
from routing.whatif import ReplicasReader, WhatIfError

from .pod_owners import PodOwners
from .shapes import SHAPED_ENDPOINTS, OutcomeMemo, shape
from .verify import Outcome, can_improve, improves, verify_changes

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
    memo: OutcomeMemo | None = None  # outcomes per Service shape, shared by one search
    pods: SharedPods | None = None  # the Pods, when they weigh clients (not in `own`)
    # Read by every kind, so worked out at once: the headline figures now (read only, shared by
    # every candidate) and the diagnostics' codes.
    before: dict[str, Any] = field(init=False, repr=False, compare=False)
    _codes: frozenset[str] = field(init=False, repr=False, compare=False)
    # What `_once` worked out, by name: a dict of its own rather than functools.cached_property,
    # whose lock and descriptor cost more than the work on the search's many small Services.
    _cache: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        flows = self.entry["flows"]
        before = {
            "crossZoneFraction": flows["crossZoneFraction"],
            "dropped": flows["dropped"],
            "maxOverload": flows["maxOverload"],
            "costPerGb": self.entry["cost"]["costPerGb"],
        }
        object.__setattr__(self, "before", before)  # (frozen: set as __init__ sets fields)
        codes = frozenset(d["code"] for d in self.entry["diagnostics"])
        object.__setattr__(self, "_codes", codes)
        object.__setattr__(self, "_cache", {})

    def verify(self, changes: dict[str, Any]) -> Outcome | None:
        """verify_changes of `changes` on this Service; once per shape and change with a memo,
        for the search's own Nodes and a Service read from them (routing.fixes.shapes)."""
        memo, svc = self.memo, self.parsed
        if memo is None or svc is None or self.nodes is not memo.nodes:
            return self._verify(changes)
        if len(svc.endpoints) > SHAPED_ENDPOINTS:
            return self._verify(changes)  # rarely alike, and their shape costs more to read
        if changes.get("internalTrafficPolicy") == "Local" or (
            changes.get("trafficDistribution") == "PreferSameNode"
        ):
            return self._verify(changes)  # routed per node: a shape without node names
        return memo.outcome(self.shape_number, changes, lambda: self._verify(changes))

    def _verify(self, changes: dict[str, Any]) -> Outcome | None:
        if changes.keys() == {"replicasPerZone"}:
            try:
                reader = self.reader
            except WhatIfError:
                return None
            return verify_changes(
                self.nodes, self.own, self.key, changes, self.analyzer, reader=reader
            )
        return verify_changes(
            self.nodes, self.own, self.key, changes, self.analyzer, self.parsed, pods=self.pods
        )

    @property
    def reader(self) -> ReplicasReader:
        """Reads this Service's replica counts without writing objects, its parts that do not
        depend on the counts read once."""
        # (A WhatIfError is not kept: raised again at every read.)
        reader: ReplicasReader = self._once(
            "reader",
            lambda: ReplicasReader(self.own, *self.key, self.nodes, self.parsed, pods=self.pods),
        )
        return reader

    @property
    def shape_number(self) -> int:
        """The memo's number for this Service's shape (routing.fixes.shapes)."""
        number: int = self._once("shape number", self._shape_number)
        return number

    def _shape_number(self) -> int:
        assert self.memo is not None and self.parsed is not None
        of = shape(self.parsed, self.own, self.nodes.by_name, self.options.client_zones)
        return self.memo.number(of)

    def _once(self, name: str, work: Callable[[], Any]) -> Any:
        """`work()`, done at the first call for `name` (Case is frozen: kept in `_cache`)."""
        found = self._cache.get(name)
        if found is None:
            found = self._cache[name] = work()
        return found

    @property
    def objects(self) -> list[dict[str, Any]]:
        """All the objects the Service's analysis reads, Nodes first (as a dump lists them).
        O(nodes): the kinds run for every Service use `nodes` and `own` instead."""
        return [*self.nodes.objects, *self.own]

    def codes(self) -> frozenset[str]:
        return self._codes

    def node_zones(self) -> dict[str, str]:
        """Each node's zone label ("" when missing), computed once per set of Nodes."""
        facts = self.nodes.facts
        if "zone by name" not in facts:
            facts["zone by name"] = {n.name: n.zone for n in self.nodes.nodes}
        zones: dict[str, str] = facts["zone by name"]
        return zones

    def client_zone_weights(self) -> dict[str, float]:
        """(Read only: spread and add read it alike.)"""
        weights: dict[str, float] = self._once("client zone weights", self._client_zone_weights)
        return weights

    def _client_zone_weights(self) -> dict[str, float]:
        measured = self.entry["flows"].get("clientZoneWeights")
        weights = measured if measured else self.cluster.get("clientZoneWeights") or {}
        return {z: w for z, w in weights.items() if z and w > 0}

    @property
    def service(self) -> dict[str, Any]:
        """The Service object itself (ServiceObjects.own lists it with its slices)."""
        service: dict[str, Any] = self._once(
            "service", lambda: next(o for o in self.own if o.get("kind") == "Service")
        )
        return service

    def has_selector(self) -> bool:
        return bool((self.service.get("spec") or {}).get("selector"))

    def ready_per_zone(self) -> dict[str, int]:
        """Ready endpoints per zone (an endpoint's own zone, else its node's; read only)."""
        ready: dict[str, int] = self._once("ready per zone", self._ready_per_zone)
        return ready

    def _ready_per_zone(self) -> dict[str, int]:
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
