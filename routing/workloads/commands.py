"""The commands a fix prints for a workload: scale it, spread it over zones, or say where a
DaemonSet may run.

Every line is built from an argv list and quoted for a POSIX shell (routing.engine.shell): the
names, labels and values come from a cluster or an upload and are hostile until quoted. Each
name is one argument behind a resource prefix (`deployment/NAME`), so no name can pass for a
flag.
"""

from typing import Any

import orjson

from routing.engine.shell import PATCH_FLAG, command_line

from .model import DAEMON_SET, DEPLOYMENT, REPLICA_SET, STATEFUL_SET, ZONE_LABEL, Workload

_RESOURCE = {
    DEPLOYMENT: "deployment",
    REPLICA_SET: "replicaset",
    STATEFUL_SET: "statefulset",
    DAEMON_SET: "daemonset",
}


def _target(workload: Workload) -> str:
    return f"{_RESOURCE[workload.kind]}/{workload.name}"


def scale_argv(workload: Workload, replicas: int) -> list[str] | None:
    """`kubectl scale KIND/NAME -n NS --replicas=N`; None for a DaemonSet (one Pod per node:
    its nodeSelector, affinity and tolerations decide how many, see placement)."""
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise ValueError(f"replicas must be a whole number >= 0, not {replicas!r}")
    if not workload.scalable:
        return None
    return [
        "kubectl",
        "scale",
        _target(workload),
        "-n",
        workload.namespace,
        f"--replicas={replicas}",
    ]


def scale_command(workload: Workload, replicas: int) -> str | None:
    """scale_argv as one shell line (None for a DaemonSet)."""
    argv = scale_argv(workload, replicas)
    return None if argv is None else command_line(argv)


def scaled_by(workload: Workload, more: int) -> int | None:
    """The replica count after adding `more` Pods, or None when the current count is unknown."""
    return None if workload.replicas is None else workload.replicas + more


def spread_constraint(workload: Workload) -> dict[str, Any] | None:
    """A topologySpreadConstraints entry that spreads the workload's Pods over zones, softly
    (ScheduleAnyway: a zone without room still gets Pods placed elsewhere). None when its Pod
    template has no labels to select them by (an empty selector would count every Pod of the
    namespace)."""
    if not workload.template_labels:
        return None
    return {
        "maxSkew": 1,
        "topologyKey": ZONE_LABEL,
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": dict(sorted(workload.template_labels.items()))},
    }


def spread_patch(workload: Workload) -> dict[str, Any] | None:
    """A merge patch adding the zone spread constraint to the Pod template; None for a
    DaemonSet, a workload that spreads by zone already, or one without template labels.

    A JSON merge patch replaces a list whole, so the template's other constraints (by hostname,
    say) are repeated in it; the same patch applied as a strategic merge patch (kubectl's
    default type) merges by topologyKey and gives the same result.
    """
    constraint = spread_constraint(workload)
    if workload.kind == DAEMON_SET or workload.spread_by_zone or constraint is None:
        return None
    constraints = [*workload.spread_constraints, constraint]
    return {"spec": {"template": {"spec": {"topologySpreadConstraints": constraints}}}}


def spread_argv(workload: Workload) -> list[str] | None:
    """`kubectl patch KIND/NAME -n NS --type merge -p PATCH` for spread_patch, or None. The
    patch is the last argument, as routing.engine.shell.merge_patch_of expects."""
    patch = spread_patch(workload)
    if patch is None:
        return None
    argv = ["kubectl", "patch", _target(workload), "-n", workload.namespace, "--type", "merge"]
    return [*argv, PATCH_FLAG, orjson.dumps(patch).decode()]


def spread_command(workload: Workload) -> str | None:
    """spread_argv as one shell line, or None."""
    argv = spread_argv(workload)
    return None if argv is None else command_line(argv)


def restart_argv(workload: Workload) -> list[str]:
    """`kubectl rollout restart KIND/NAME -n NS`: new Pods, placed again by the scheduler."""
    return ["kubectl", "rollout", "restart", _target(workload), "-n", workload.namespace]


def restart_command(workload: Workload) -> str:
    return command_line(restart_argv(workload))


def describe_argv(workload: Workload) -> list[str]:
    """`kubectl describe KIND/NAME -n NS`: where a DaemonSet's Pods run and why not elsewhere."""
    return ["kubectl", "describe", _target(workload), "-n", workload.namespace]


def describe_command(workload: Workload) -> str:
    return command_line(describe_argv(workload))


def placement_summary(workload: Workload) -> str:
    """One sentence on where the Pod template lets its Pods run (for a DaemonSet, why it
    leaves nodes out): its nodeSelector, required node affinity and tolerations."""
    parts = []
    if workload.node_selector:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(workload.node_selector.items()))
        parts.append(f"only on nodes labelled {labels} (nodeSelector)")
    if workload.node_affinity_terms is not None:
        parts.append("only on nodes its required node affinity matches")
    if workload.tolerations:
        tolerated = ", ".join(_toleration_text(t) for t in workload.tolerations)
        parts.append(f"tolerating {tolerated}")
    else:
        parts.append("tolerating no taints of its own")
    return f"{workload} runs {'; '.join(parts)}"


def _toleration_text(toleration: dict[str, Any]) -> str:
    key = toleration.get("key") or "every taint"
    effect = toleration.get("effect")
    value = toleration.get("value")
    text = f"{key}={value}" if value and toleration.get("operator", "Equal") == "Equal" else key
    return f"{text}:{effect}" if effect else str(text)
