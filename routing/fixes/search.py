"""Candidate fixes for one Service, each verified by the engine before it is listed.

Every kind looks at the Service's report entry (its diagnostics say what is wrong) and its
objects, proposes the smallest change that could help, and keeps it only when the engine, run
again on the changed objects, shows less cross-zone traffic, less dropped traffic or an overload
brought within the limit (routing.fixes.verify). Kinds (docs/analysis-report.md, "fixes"):
await-controller, add-endpoints, label-node, fix-readiness, internal-traffic-policy,
remove-stale-hints (stale_hints.py), migrate-annotation (annotations.py), set-policy.
"""

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from routing.engine.model import ZONE_LABEL

from . import commands
from .annotations import migrate_annotation
from .case import Case, Fix
from .endpoints import add_endpoints, spread_workload
from .owners import kept_off
from .stale_hints import remove_stale_hints
from .verify import (
    Outcome,
    edited_copies,
    from_report,
    verify_edit,
)

# The zone in a node's spec.providerID, where the cloud writes it (AWS: aws:///us-east-1a/i-..,
# GCE: gce://project/us-central1-a/name); Azure's does not carry it.
_PROVIDER_ZONE = re.compile(r"^(?:aws:///|gce://[^/]+/)([a-z0-9-]+)/")


def candidates(case: Case) -> Iterator[Fix]:
    for kind in (
        _await_controller,
        _label_node,
        _fix_readiness,
        spread_workload,
        add_endpoints,
        _internal_traffic_policy,
        remove_stale_hints,
        migrate_annotation,
        _set_policy,
    ):
        yield from kind(case)


# --- the controller has not written the hints yet -------------------------------------------


def _await_controller(case: Case) -> Iterator[Fix]:
    if "hints-pending" not in case.codes():
        return
    policy = case.entry["controller"]["policy"]
    outcome = from_report(case.entry, policy, f"hints written as the controller would ({policy})")
    if not case.helps(outcome):
        return
    ns, name = case.key
    yield Fix(
        "await-controller",
        "The EndpointSlice controller has not yet written the hints this Service's policy asks "
        "for; once it syncs (normally within seconds of a change), kube-proxy uses them. If it "
        "persists: check that kube-controller-manager runs and logs no error for this Service, "
        "that the slices are managed by endpointslice-controller.k8s.io, and that every "
        "endpoint's node has a zone label.",
        outcome,
        [commands.get_slices(ns, name)],
        "none: nothing to change if the controller catches up",
    )


# --- a node without a zone label -------------------------------------------------------------


def _label_node(case: Case) -> Iterator[Fix]:
    if not case.can_improve():
        return  # every fix of this kind must pass case.helps
    unlabelled = _unlabelled_nodes(case)
    if not unlabelled:
        return
    known = set(case.node_zones().values()) - {""}
    zones: dict[str, str] = {}
    for node in unlabelled:
        zone = _provider_zone(node)
        if zone in known:  # a zone the other nodes are labelled with, not a region or a typo
            zones[node["metadata"]["name"]] = zone
    if not zones:
        return  # no zone to propose: the report's no-fix reason says what to do

    def edit(objects: list[dict[str, Any]]) -> None:
        for obj in objects:
            name = (obj.get("metadata") or {}).get("name")
            if obj.get("kind") == "Node" and name in zones:
                obj["metadata"].setdefault("labels", {})[ZONE_LABEL] = zones[name]
            elif obj.get("kind") == "EndpointSlice":
                for ep in obj.get("endpoints") or []:
                    # The controller copies the node's zone into each endpoint it writes.
                    if isinstance(ep, dict) and ep.get("nodeName") in zones and not ep.get("zone"):
                        ep["zone"] = zones[ep["nodeName"]]

    listed = ", ".join(f"{n} ({z})" for n, z in sorted(zones.items()))
    said = (
        f"Node(s) {listed} have no {ZONE_LABEL} label, so kube-proxy cannot use zone hints for "
        "this Service. The cloud provider's node controller normally sets it (the zone shown "
        "comes from the node's spec.providerID); check why it did not, or set it."
    )
    labels = [commands.label_node(node, zone) for node, zone in sorted(zones.items())]
    relabel = (
        "none for routing; a label set by hand is overwritten if the cloud controller sets another"
    )
    said_edit = f"zone label set on {listed}"
    outcome = verify_edit(
        case.nodes, case.own, case.key, edit, said_edit, case.analyzer, True, case.pods
    )
    if case.helps(outcome):
        assert outcome is not None
        yield Fix("label-node", said, outcome, labels, relabel)
        return
    # Labelled, the hints may put a zone's clients on too few endpoints: add some there too.
    labelled_nodes, labelled_own = edited_copies(case.nodes, case.own, edit, edits_nodes=True)
    with_labels = replace(case, nodes=labelled_nodes, own=labelled_own, parsed=None)
    for fix in add_endpoints(with_labels, forced=True):
        outcome = fix.outcome
        outcome.changes.insert(0, f"zone label set on {listed}")
        yield Fix(
            "label-node",
            f"{said} Once labelled, the zone hints need more endpoints: {fix.summary}",
            outcome,
            labels,
            fix.tradeoff,
            fix.request,
            fix.pods_added,
        )


def _unlabelled_nodes(case: Case) -> list[dict[str, Any]]:
    codes = case.codes()
    if not codes & {"endpoint-without-zone-hint", "node-without-zone-label"}:
        return []
    hosts = {ep["nodeName"] for ep in case.entry["endpoints"] if ep["nodeName"]}
    client_side = "node-without-zone-label" in codes
    facts = case.nodes.facts
    if "unlabelled" not in facts:  # once per set of Nodes, not per Service
        facts["unlabelled"] = [
            n for n in case.nodes.objects if not (n["metadata"].get("labels") or {}).get(ZONE_LABEL)
        ]
    unlabelled: list[dict[str, Any]] = facts["unlabelled"]
    return [n for n in unlabelled if n["metadata"]["name"] in hosts or client_side]


def _provider_zone(node: dict[str, Any]) -> str | None:
    provider_id = (node.get("spec") or {}).get("providerID") or ""
    found = _PROVIDER_ZONE.match(provider_id)
    return found.group(1) if found else None


# --- no ready endpoint ------------------------------------------------------------------------


def _fix_readiness(case: Case) -> Iterator[Fix]:
    if not case.codes() & {"no-ready-endpoints", "no-endpoints"}:
        return
    waiting = [ep for ep in case.entry["endpoints"] if ep["ready"] is not True]
    if not waiting:
        return
    addresses = {ep["ip"] for ep in waiting}

    def edit(objects: list[dict[str, Any]]) -> None:
        for obj in objects:
            if obj.get("kind") != "EndpointSlice":
                continue
            for ep in obj.get("endpoints") or []:
                if isinstance(ep, dict) and set(ep.get("addresses") or ()) & addresses:
                    ep["conditions"] = {"ready": True, "serving": True, "terminating": False}

    said = f"{len(waiting)} endpoint(s) ready: {', '.join(sorted(addresses))}"
    outcome = verify_edit(case.nodes, case.own, case.key, edit, said, case.analyzer, pods=case.pods)
    # Traffic sent to endpoints that are shutting down fails as they go, which neither the
    # cross-zone nor the dropped share shows: ready endpoints are the fix even at equal shares.
    if outcome is None or not _within(case, outcome):
        return
    before = case.entry["flows"]
    meanwhile = (
        f"meanwhile {before['dropped']:.0%} of its traffic is dropped"
        if before["dropped"] > 0
        else "meanwhile kube-proxy sends everything to endpoints that are shutting down, "
        "ignoring hints"
    )
    pods = _pods_of(case, addresses)
    ns, name = case.key
    yield Fix(
        "fix-readiness",
        f"No endpoint of this Service is ready (not ready: {', '.join(sorted(addresses))}); "
        f"{meanwhile}. Find why the Pods fail their readiness probe or are terminating.",
        outcome,
        [commands.describe_pod(ns, pod) for pod in pods[:5]] or [commands.get_slices(ns, name)],
        "none: ready Pods are what the Service needs",
    )


def _within(case: Case, outcome: Outcome) -> bool:
    after = outcome.after
    limit = case.options.overload_limit
    return (
        after["dropped"] <= case.before["dropped"] + 1e-9 and after["maxOverload"] <= limit + 1e-9
    )


def _pods_of(case: Case, addresses: set[str]) -> list[str]:
    pods = []
    for obj in case.own:
        if obj.get("kind") != "EndpointSlice":
            continue
        for ep in obj.get("endpoints") or []:
            ref = ep.get("targetRef") if isinstance(ep, dict) else None
            if not isinstance(ref, dict) or not set(ep.get("addresses") or ()) & addresses:
                continue
            if ref.get("name"):
                pods.append(ref["name"])
    return sorted(set(pods))


# --- internalTrafficPolicy: Local that drops ------------------------------------------------------


def _internal_traffic_policy(case: Case) -> Iterator[Fix]:
    if "local-policy-drops" not in case.codes() or not case.can_improve():
        return
    changes = {"internalTrafficPolicy": "Cluster"}
    outcome = case.verify(changes)
    if not case.helps(outcome):
        return
    assert outcome is not None
    ns, name = case.key
    message = next(
        d["message"] for d in case.entry["diagnostics"] if d["code"] == "local-policy-drops"
    )
    daemon = kept_off(case, _nodes_without_endpoints)
    yield Fix(
        "internal-traffic-policy",
        f"{message}. Either run an endpoint on every client node (a DaemonSet whose tolerations "
        "and nodeSelector admit those nodes), or set internalTrafficPolicy Cluster: dropped "
        f"{case.before['dropped']:.0%} -> {outcome.after['dropped']:.0%}."
        + (f" {daemon.said}" if daemon else ""),
        outcome,
        [
            commands.patch_service(ns, name, {"spec": {"internalTrafficPolicy": "Cluster"}}),
            *(daemon.commands if daemon else ()),
        ],
        f"with Cluster, {outcome.after['crossZoneFraction']:.0%} of the traffic crosses zones "
        "and node-local answers (a per-node agent's own data) are no longer guaranteed",
        changes,
    )


def _nodes_without_endpoints(case: Case) -> list[str]:
    """Ready worker nodes that run no endpoint of the Service: where Local drops."""
    hosts = {ep["nodeName"] for ep in case.entry["endpoints"] if ep["nodeName"]}
    facts = case.nodes.facts
    if "ready workers" not in facts:  # once per set of Nodes, not per Service
        workers = [n.name for n in case.nodes.nodes if n.ready and not n.control_plane]
        facts["ready workers"] = workers
    ready_workers: list[str] = facts["ready workers"]
    return [name for name in ready_workers if name not in hosts]


# --- a policy switch (today's recommendation) -------------------------------------------------


def _set_policy(case: Case) -> Iterator[Fix]:
    rec = case.entry.get("recommendation")
    if not rec:
        return
    policy = rec["policy"]
    if policy == "Auto":
        changes: dict[str, Any] = {"topologyMode": "Auto", "trafficDistribution": None}
    else:
        changes = {
            "trafficDistribution": None if policy == "none" else policy,
            "topologyMode": None,
        }
    outcome = from_report(case.entry, policy, f"policy -> {policy}")
    if not improves_or_equal_cost(case, outcome):
        return
    yield Fix(
        "set-policy",
        f"Switch to {policy}: {rec['reason']}.",
        outcome,
        [rec["change"]],
        "policies that keep traffic local put more of a zone's clients on its own endpoints",
        changes,
    )


def improves_or_equal_cost(case: Case, outcome: Outcome) -> bool:
    """The recommendation already passed the engine's own ranking (cheapest within the limit);
    it is listed when the re-run agrees it is within the limit and drops no more."""
    return _within(case, outcome) and outcome.after["costPerGb"] <= case.before["costPerGb"] + 1e-12
