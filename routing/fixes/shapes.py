"""Verified outcomes memoised per Service shape: many Services of a cluster are alike for
routing (the same endpoints per zone, ready and hinted alike, the same policy), and the search
tries the same changes on them. A candidate's verification (verify.verify_changes: the what-if
edit, the controller's hints, the headline figures; Case.verify) reads of its Service only what
`shape` holds, so Services of one shape get the same outcome for the same change, figures and
changes for people alike; what is said per Service (summaries, commands) is not memoised.

What the verification reads, and where the shape has it:
- the Service's fields the edits, the controller and kube-proxy read: selector, headless,
  internalTrafficPolicy, trafficDistribution, both topology annotations as written (which one
  decides and its value; a topologyMode edit prints them), IP families (and whether the spec
  gives them: if not, the endpoints decide after an edit), whether it has ports and whether a
  slice written with its ports serves the first one;
- its slices in the parser's order (by name): family, managed by the controller or not,
  whether they serve the first port, whether they list ports (a new slice copies the first
  managed one's, else the Service's), how many endpoints they hold (a slice is full at 100),
  and how their names sort against the `<name>-whatif-<n>` names of new slices;
- every endpoint in order (the controller's Auto hints and which endpoints an edit removes go
  by order): which earlier endpoint has the same address (kube-proxy keeps one), zone field,
  zone by its node's label (the two make its flow zone), conditions, hint; its node only where
  routing can be per node (internalTrafficPolicy Local, a hint or policy for nodes), as nowhere
  else is a node's name read;
- the measured client zones for it, if the options have them.
Names (the Service's, slices', Pods', addresses) are otherwise only compared for equality,
which the above fixes, or printed where nothing memoised prints them. Everything else is the
same for the whole search: the Nodes, the options, client weights, regions, prices.
"""

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from routing.engine.model import (
    CONTROLLER_NAME,
    DEPRECATED_HINTS_ANNOTATION,
    MANAGED_BY_LABEL,
    TOPOLOGY_MODE_ANNOTATION,
    Node,
    Service,
)
from routing.engine.parse import SharedNodes, spec_families

from .verify import Outcome

Shape = tuple[Any, ...]
# Services with more endpoints are memoised no more: on the 10,000-Service benchmark they
# almost never share a shape, while reading one costs more the more endpoints it has.
SHAPED_ENDPOINTS = 8


def shape(
    svc: Service,
    own: list[dict[str, Any]],
    nodes_by_name: Mapping[str, Node],
    measured: Mapping[tuple[str, str], Mapping[str, float]] | None = None,
) -> Shape:
    """`svc` as the engine reads `own` (its Service and slices, no Pods) over the Nodes."""
    service = next(o for o in own if o.get("kind") == "Service")
    annotations = (service.get("metadata") or {}).get("annotations") or {}
    first = svc.ports[0].key if svc.ports else None
    prefix = f"{svc.name}-whatif-"
    slices = sorted(
        (o for o in own if o.get("kind") == "EndpointSlice"), key=lambda s: s["metadata"]["name"]
    )
    per_node = (
        svc.internal_traffic_policy == "Local"
        or svc.traffic_distribution == "PreferSameNode"
        or any(ep.hint[1] for ep in svc.endpoints)
    )
    first_with: dict[str, int] = {}
    endpoints = []
    for j, ep in enumerate(svc.endpoints):
        node = nodes_by_name.get(ep.node_name)
        endpoints.append(
            (
                first_with.setdefault(ep.ip, j),
                ep.zone,
                # Its zone by its node's label ("" when none): with the zone field, also what
                # its flow zone is (the field, else this, else "unknown").
                ep.zone or (node.zone if node is not None else ""),
                ep.ready,
                ep.serving,
                ep.terminating,
                ep.hint,
                ep.node_name if per_node else None,
            )
        )
    shares = measured.get((svc.namespace, svc.name)) if measured else None
    return (
        svc.has_selector,
        svc.headless,
        svc.internal_traffic_policy,
        svc.traffic_distribution,
        svc.ip_families,
        bool(spec_families(service.get("spec") or {})),
        first is not None,
        # Whether a slice written with the Service's ports (new_endpoints._Placer._ports)
        # serves the first: the parser counts a port of that name and protocol with a number.
        any(p.port and p.key == first for p in svc.ports),
        # Both topology annotations as written: which one decides and how it reads (an edit
        # prints them too).
        tuple(
            (key in annotations, repr(annotations.get(key)))
            for key in (TOPOLOGY_MODE_ANNOTATION, DEPRECATED_HINTS_ANNOTATION)
        ),
        tuple(_slice(s, svc, first, prefix) for s in slices),
        per_node,
        tuple(endpoints),
        tuple(shares.items()) if shares else None,
    )


def _slice(s: dict[str, Any], svc: Service, first: Any, prefix: str) -> tuple[Any, ...]:
    meta = s["metadata"]
    name = meta["name"]
    # Against every `prefix + n`: a name that does not start with the prefix sorts as it sorts
    # against the prefix itself.
    order = ("=", name[len(prefix) :]) if name.startswith(prefix) else name < prefix
    ports = svc.slice_ports.get(name)
    family = s.get("addressType")
    return (
        order,
        family,
        svc.has_selector and (meta.get("labels") or {}).get(MANAGED_BY_LABEL) in _OURS,
        first is None or (ports is not None and first in ports.usable),
        bool(s.get("ports")),
        0 if family == "FQDN" else len(s.get("endpoints") or ()),
    )


_OURS = (CONTROLLER_NAME, None)


class OutcomeMemo:
    """Outcomes by (shape, change), for one search (one set of options) over `nodes`."""

    def __init__(self, nodes: SharedNodes) -> None:
        self.nodes = nodes
        self._shapes: dict[Shape, int] = {}
        self._found: dict[tuple[int, bytes], Outcome | None] = {}
        self.hits = 0  # outcomes given without verifying (benchmarks, tests)

    def number(self, of: Shape) -> int:
        """A number per distinct shape: a shape is hashed once, its number at every lookup."""
        return self._shapes.setdefault(of, len(self._shapes))

    def outcome(
        self, shape_number: int, changes: dict[str, Any], verify: Callable[[], Outcome | None]
    ) -> Outcome | None:
        # A what-if request as a key: JSON, keys sorted (it tells 1 from true and "1").
        key = (shape_number, orjson.dumps(changes, option=orjson.OPT_SORT_KEYS))
        try:
            found = self._found[key]
            self.hits += 1
        except KeyError:
            found = self._found[key] = verify()
        # A copy: callers may extend the changes (label-node does).
        return None if found is None else Outcome(dict(found.after), list(found.changes))
