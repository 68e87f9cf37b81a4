"""A candidate fix is kept only if the engine, run again on the edited objects, says it helps.

Edits go through the what-if machinery (routing.whatif): API-shaped changes (policy, replicas per
zone) through `apply_changes`, object edits of our own (a node's zone label, endpoint readiness)
on copies followed by the same hint rewrite, so every `after` is what the EndpointSlice
controller and kube-proxy would make of the changed cluster.

Each run reads the Service's own objects over Nodes parsed once (SharedNodes), so it costs what
the Service costs, not what the cluster does.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from routing.engine.model import Service
from routing.engine.parse import SharedNodes, SharedPods
from routing.engine.report import ServiceAnalyzer
from routing.whatif import ReplicasReader, WhatIfError, changed_cluster, copies, reconcile

_EPS = 1e-9
Edit = Callable[[list[dict[str, Any]]], None]  # edits copies in place


# Not frozen: made for every verification (see routing.engine.controller.ControllerResult).
@dataclass(slots=True)
class Outcome:
    after: dict[str, Any]  # headline figures (routing.whatif.headline)
    changes: list[str]  # what was changed, for people


def verify_changes(
    nodes: SharedNodes,
    own: list[dict[str, Any]],
    key: tuple[str, str],
    changes: Mapping[str, Any],
    analyzer: ServiceAnalyzer,
    before: Service | None = None,
    taken: frozenset[Any] | None = None,
    reader: ReplicasReader | None = None,
    pods: SharedPods | None = None,
) -> Outcome | None:
    """The Service after a what-if request's changes; None when they cannot apply. `before`:
    the Service as the engine reads `own` over `nodes`, when known (not read again then).
    `taken`: the Pod names and addresses in `own`, when known. `reader`: the Service's
    ReplicasReader, which reads a request of replicasPerZone alone. `pods`: the Pods, read
    once, when they weigh clients (`own` holds none)."""
    try:
        if reader is not None and changes.keys() == {"replicasPerZone"}:
            figures, said = reader.headline(changes, analyzer)
            return Outcome(figures, said)
        ns, name = key
        cluster, said = changed_cluster(own, ns, name, changes, nodes, before, taken, pods)
    except WhatIfError:
        return None
    after = analyzer.headline(cluster, *key)
    return None if after is None else Outcome(after, said)


def verify_edit(
    nodes: SharedNodes,
    own: list[dict[str, Any]],
    key: tuple[str, str],
    edit: Edit,
    said: str,
    analyzer: ServiceAnalyzer,
    edits_nodes: bool = False,
    pods: SharedPods | None = None,
) -> Outcome | None:
    """The Service after `edit` on copies of its objects (and of the Nodes if `edits_nodes`)
    and the controller's hint rewrite. `pods`: as for verify_changes (no edit changes them)."""
    edited_nodes, edited_own = edited_copies(nodes, own, edit, edits_nodes)
    try:
        done = reconcile(edited_own, key[0], key[1], edited_nodes, pods=pods)
    except WhatIfError:
        return None
    after = analyzer.headline(done.cluster, *key)
    return None if after is None else Outcome(after, [said])


def edited_copies(
    nodes: SharedNodes, own: list[dict[str, Any]], edit: Edit, edits_nodes: bool
) -> tuple[SharedNodes, list[dict[str, Any]]]:
    """`edit` applied to copies: the Nodes (parsed anew) only when it changes them."""
    node_copies = copies(nodes.objects) if edits_nodes else []
    own_copies = copies(own)
    edit([*node_copies, *own_copies])
    return (SharedNodes(node_copies) if edits_nodes else nodes), own_copies


def from_report(entry: dict[str, Any], policy: str, said: str) -> Outcome:
    """A policy's outcome as the report already simulated it: the whatIf entry is the Service
    with the hints the controller writes under that policy, exactly what re-running it on
    objects with that policy would give (tests/fixes check it), so it is not run again."""
    run = entry["whatIf"][policy]
    after = {
        "crossZoneFraction": run["crossZoneFraction"],
        "crossRegionFraction": run["crossRegionFraction"],
        "dropped": run["dropped"],
        "maxOverload": run["maxOverload"],
        "costPerGb": run["costPerGb"],
        "monthlyCost": run["monthlyCost"],
    }
    return Outcome(after, [said])


def can_improve(before: Mapping[str, Any], limit: float) -> bool:
    """Whether any outcome at all could pass `improves`: none when there is no cross-zone or
    dropped traffic to win back (the figures are never below 0, up to rounding far below
    _EPS) and the overload is within the limit. Searching such a Service is wasted work."""
    return (
        before["crossZoneFraction"] > _EPS / 2
        or before["dropped"] > _EPS / 2
        or before["maxOverload"] > limit + _EPS
    )


def improves(before: Mapping[str, Any], after: Mapping[str, Any], limit: float) -> bool:
    """Less cross-zone, less dropped or a past-the-limit overload brought within it; never
    more dropped and never past the overload limit."""
    if after["dropped"] > before["dropped"] + _EPS or after["maxOverload"] > limit + _EPS:
        return False
    return (
        after["crossZoneFraction"] < before["crossZoneFraction"] - _EPS
        or after["dropped"] < before["dropped"] - _EPS
        or before["maxOverload"] > limit + _EPS
    )
