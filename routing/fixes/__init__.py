"""Fixes: concrete changes that make a Service's routing better, each verified by the engine.

`add_fixes` gives every Service entry of an analysis report a `fixes` list, best first, and a
`noFixReason` where something is wrong but no verified fix exists (docs/analysis-report.md). A
fix is listed only when re-running the simulation on the changed objects (routing.whatif) shows
less cross-zone traffic, less dropped traffic or an overload brought within the limit, without
dropping more or passing the overload limit. Only Services with a warning or an error, or a
recommended policy, are searched: the others have nothing to fix.
"""

import shlex
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from typing import Any

import orjson
import yaml

from routing.engine import Cluster, Options
from routing.engine.parse import SharedNodes
from routing.engine.report import ServiceAnalyzer
from routing.engine.shell import merge_patch_of

from .case import Case, Fix
from .objects import ServiceObjects
from .search import candidates
from .shapes import OutcomeMemo

_SEARCHED = ("warning", "error")


def add_fixes(
    report: dict[str, Any],
    objects: Iterable[dict[str, Any]],
    options: Options,
    cluster: Cluster | None = None,
    *,
    memoise: bool = True,
) -> None:
    """Add `fixes` and `noFixReason` to each Service entry of `report` (in place).

    `cluster`: the report's own parse of `objects`, when the caller has it: the search then
    starts from its Services instead of reading each one's objects again. It must not be
    changed meanwhile, and the search changes nothing in it. `memoise=False`: every candidate
    verified anew, not once per Service shape (routing.fixes.shapes; tests compare the two).
    """
    entries = [e for e in report["services"] if _worth_searching(e)]
    gap = report["cluster"].get("notSimulated")
    for entry in report["services"]:
        entry["fixes"], entry["noFixReason"] = [], None
    if gap:
        for entry in entries:
            entry["noFixReason"] = gap  # nothing was simulated, so no fix can be verified
        return
    if not entries:
        return
    index = ServiceObjects(objects, with_pods=options.clients == "pods")
    nodes = SharedNodes(index.nodes)  # every candidate reads the same Nodes
    analyzer = ServiceAnalyzer(replace(options, services=None, service=None, proxy_detail="zones"))
    # Pods weigh clients by every Pod of the objects a candidate changes: not in a shape.
    memo = OutcomeMemo(nodes) if memoise and options.clients != "pods" else None
    parsed = {(s.namespace, s.name): s for s in cluster.services} if cluster else {}
    for entry in entries:
        key = (entry["namespace"], entry["name"])
        own = index.own(key)
        case = Case(
            key,
            nodes,
            own,
            entry,
            report["cluster"],
            options,
            analyzer,
            parsed.get(key),
            index.owners,
            memo,
            index.pods,
        )
        entry["fixes"], entry["noFixReason"] = fixes_for(case)


def _worth_searching(entry: dict[str, Any]) -> bool:
    return bool(entry.get("recommendation")) or any(
        d["severity"] in _SEARCHED for d in entry["diagnostics"]
    )


def fixes_for(case: Case) -> tuple[list[dict[str, Any]], str | None]:
    found = sorted(candidates(case), key=_rank)
    fixes = [_json(case, fix) for fix in found]
    troubled = any(d["severity"] in _SEARCHED for d in case.entry["diagnostics"])
    reason = _no_fix_reason(case) if troubled and not fixes else None
    return fixes, reason


def _rank(fix: Fix) -> tuple[float, ...]:
    after = fix.outcome.after
    # Less dropped first (a dropped byte is a failed request), then cost and cross-zone; of
    # equal outcomes the one that needs no new Pods, then the lower overload.
    return (
        round(after["dropped"], 9),
        round(after["costPerGb"], 12),
        round(after["crossZoneFraction"], 9),
        fix.pods_added,
        round(after["maxOverload"], 9),
    )


def _json(case: Case, fix: Fix) -> dict[str, Any]:
    after = fix.outcome.after
    saved = case.before["costPerGb"] - after["costPerGb"]
    gb = case.options.monthly_gb
    return {
        "kind": fix.kind,
        "summary": fix.summary,
        "changes": fix.outcome.changes,
        "after": {
            "crossZoneFraction": after["crossZoneFraction"],
            "dropped": after["dropped"],
            "maxOverload": after["maxOverload"],
            "costPerGb": after["costPerGb"],
        },
        "costPerGbSaved": saved,
        "monthlySaved": None if gb is None else saved * gb,
        "tradeoff": fix.tradeoff,
        "commands": fix.commands,
        "yaml": _yaml(case, fix),
        "whatIf": fix.request,  # the what-if API body that reproduces it, when there is one
    }


def _yaml(case: Case, fix: Fix) -> str | None:
    """The merge patch of the fix's `kubectl patch service` command for this Service, as YAML
    for people who apply manifests through Git (a workload's or a slice's patch is not it)."""
    if not fix.commands:
        return None
    opening = _patch_opening(*case.key)
    for command in fix.commands:
        if not command.startswith(opening):
            continue
        try:
            patch = merge_patch_of(command)
            return _patch_yaml(patch)
        except (ValueError, orjson.JSONDecodeError):
            continue
    return None


@lru_cache(maxsize=1)  # (a Service's fixes are rendered one after another)
def _patch_opening(namespace: str, name: str) -> str:
    """The opening kubectl_patch_service writes for this Service, quoted the same way: cheaper
    than splitting every command with shlex, and exact. (What command_line gives for
    ["kubectl", "-n", namespace, "patch", "service", name], whose fixed words need no quotes.)"""
    return f"kubectl -n {shlex.quote(namespace)} patch service {shlex.quote(name)} "


@lru_cache(maxsize=4096)
def _patch_yaml(patch: str) -> str:
    # Patches repeat (a few policies, internalTrafficPolicy): dumping YAML is slow, so each
    # distinct one is dumped once. A patch names no Service: that is in the command.
    return yaml.safe_dump(orjson.loads(patch), sort_keys=False)


def _no_fix_reason(case: Case) -> str:
    codes = case.codes()
    if codes & {"endpoint-without-zone-hint", "node-without-zone-label"}:
        return (
            "a node without a topology.kubernetes.io/zone label is involved and its "
            "spec.providerID names no zone, so no label can be proposed: label it with the "
            "zone it runs in (the cloud provider's node controller normally does)"
        )
    if "no-endpoints" in codes:
        return "the Service has no endpoint at all: nothing to route until Pods match its selector"
    return (
        "no change the engine tried (the controller's sync, zone labels, readiness, more "
        "endpoints per zone, internalTrafficPolicy, another policy) improves this Service "
        "within the overload limit"
    )
