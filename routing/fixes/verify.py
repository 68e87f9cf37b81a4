"""A candidate fix is kept only if the engine, run again on the edited objects, says it helps.

Edits go through the what-if machinery (routing.whatif): API-shaped changes (policy, replicas per
zone) through `apply_changes`, object edits of our own (a node's zone label, endpoint readiness)
on copies followed by the same hint rewrite, so every `after` is what the EndpointSlice
controller and kube-proxy would make of the changed cluster.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from routing.engine import build_cluster
from routing.engine.report import ServiceAnalyzer
from routing.whatif import WhatIfError, apply_changes, copies, headline, reconcile_hints

_EPS = 1e-9
Edit = Callable[[list[dict[str, Any]]], None]  # edits copies in place


@dataclass(frozen=True, slots=True)
class Outcome:
    after: dict[str, Any]  # headline figures (routing.whatif.headline)
    entry: dict[str, Any]  # the whole recomputed report entry
    changes: list[str]  # what was changed, for people


def _entry(
    analyzer: ServiceAnalyzer, objects: list[dict[str, Any]], key: tuple[str, str]
) -> dict[str, Any] | None:
    cluster = build_cluster([("items", i, obj) for i, obj in enumerate(objects)])
    return analyzer.entry(cluster, *key)


def with_changes(
    objects: list[dict[str, Any]],
    key: tuple[str, str],
    changes: Mapping[str, Any],
    analyzer: ServiceAnalyzer,
) -> Outcome | None:
    """The Service after a what-if request's changes; None when they cannot apply."""
    try:
        edited = apply_changes(objects, key[0], key[1], changes)
    except WhatIfError:
        return None
    entry = _entry(analyzer, edited.objects, key)
    return None if entry is None else Outcome(headline(entry), entry, edited.changes)


def with_edit(
    objects: list[dict[str, Any]],
    key: tuple[str, str],
    edit: Edit,
    said: str,
    analyzer: ServiceAnalyzer,
    nodes: bool = False,
) -> Outcome | None:
    """The Service after `edit` on copies of its objects (Nodes copied only if `nodes`: the
    edit changes them) and the controller's hint rewrite."""
    copied = copies(objects, nodes=nodes)
    edit(copied)
    try:
        reconcile_hints(copied, key[0], key[1])
    except WhatIfError:
        return None
    entry = _entry(analyzer, copied, key)
    return None if entry is None else Outcome(headline(entry), entry, [said])


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
    return Outcome(after, entry, [said])


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
