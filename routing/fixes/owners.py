"""The workload behind a Service's endpoints, and what a fix tells people to do with it.

More endpoints in a zone means more Pods of the workload that owns them, placed in that zone:
`kubectl scale` for the count and a zone spread constraint (routing.workloads) so that the
scheduler puts them where the clients are. The owner is read from the Pods' ownerReferences and
the apps/v1 objects; when the input lacks them (a dump without apps objects, Pods of several
workloads), the fix still says which zones need how many endpoints, without a command.
"""

from collections.abc import Callable
from dataclasses import dataclass

from routing.workloads import (
    DAEMON_SET,
    Workload,
    describe_command,
    endpoint_pods,
    nodes_kept_off,
    placement_summary,
    restart_command,
    scale_command,
    spread_command,
)

from .case import Case


def owner_of(case: Case) -> Workload | None:
    """The one workload that owns every Pod behind the Service, if the input says so."""
    if case.owners is None or not case.owners.any_workload:
        return None  # (reading the Pods' names first would be wasted)
    slices = [o for o in case.own if o.get("kind") == "EndpointSlice"]
    pods = endpoint_pods(slices)
    return case.owners.sole_owner(case.key[0], pods) if pods else None


@dataclass(frozen=True, slots=True)
class Advice:
    said: str  # a sentence for the fix's summary
    commands: list[str]


def more_pods(case: Case, more: int) -> Advice:
    """How to run `more` Pods in the zones that need them."""
    owner = owner_of(case)
    if owner is None or owner.kind == DAEMON_SET:
        return _not_scalable(owner, "Scale or spread")
    if owner.replicas is None:
        return Advice(f"Scale {owner} by {more} (its replica count is not in the input).", [])
    target = owner.replicas + more
    spread = spread_command(owner)
    commands = [c for c in (scale_command(owner, target), spread) if c]
    placed = (
        " and spread it over zones so that the scheduler places them where they are missing"
        if spread
        else " (it spreads over zones already)"
        if owner.spread_by_zone
        else ""
    )
    return Advice(f"Scale {owner} from {owner.replicas} to {target}{placed}.", commands)


def placement_advice(case: Case) -> Advice:
    """How to move the Pods behind the Service to other zones without adding any."""
    owner = owner_of(case)
    if owner is None or owner.kind == DAEMON_SET:
        return _not_scalable(owner, "Spread")
    spread = spread_command(owner)
    if spread:
        return Advice(
            f"Add a zone spread constraint to {owner}; the rollout it starts places the Pods "
            "again, preferring the zones with fewest (a soft constraint: where a zone has no "
            "room, Pods go elsewhere).",
            [spread],
        )
    return Advice(
        f"{owner} asks to be spread over zones already, but its Pods are not (a soft "
        "constraint, or no room in some zones when they were placed); restart it so that the "
        "scheduler places them again, and check the zones' free capacity.",
        [restart_command(owner)],
    )


def _not_scalable(owner: Workload | None, verb: str) -> Advice:
    """Unknown owner: what to do without a command; a DaemonSet: where it may run."""
    if owner is None:
        return Advice(
            f"{verb} the workload behind the Service over zones (its owner is not in the input: "
            "add replicasets, deployments, statefulsets and daemonsets to the dump to get the "
            "command).",
            [],
        )
    return Advice(
        f"{owner} runs one Pod per node it admits: admit nodes in those zones "
        f"({placement_summary(owner)}).",
        [describe_command(owner)],
    )


def kept_off(case: Case, nodes_of: Callable[[Case], list[str]]) -> Advice | None:
    """For a DaemonSet behind the Service: why its Pods are not on the nodes `nodes_of(case)`
    names (worked out only for a DaemonSet: a thousand nodes to go through)."""
    owner = owner_of(case)
    if owner is None or owner.kind != DAEMON_SET:
        return None
    nodes = nodes_of(case)
    if not nodes:
        return None
    wanted = set(nodes)
    reasons = nodes_kept_off(owner, [n for n in case.nodes.objects if _name(n) in wanted])
    if not reasons:
        return None
    listed = "; ".join(f"{node}: {why}" for node, why in reasons.items())
    return Advice(f"{owner} is kept off {listed}.", [describe_command(owner)])


def _name(node: dict) -> str:
    return str((node.get("metadata") or {}).get("name") or "")
