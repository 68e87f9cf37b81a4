"""Which nodes a workload's Pod template keeps its Pods off, and why.

For a DaemonSet this is where it does not run: with internalTrafficPolicy Local, clients on
those nodes have no local endpoint. The scheduler's rules, as far as the objects show them
(k8s.io/kubernetes pkg/scheduler/framework/plugins nodeaffinity and tainttoleration,
k8s.io/component-helpers scheduling/corev1 for the node selector terms): every nodeSelector
label must match, one required node affinity term must match, and every NoSchedule or NoExecute
taint must be tolerated. DaemonSet Pods get the daemon controller's own tolerations (pkg/
controller/daemon/util) on top of the template's.
"""

from typing import Any

from .model import DAEMON_SET, Workload, at_path

_BLOCKING = ("NoSchedule", "NoExecute")
# What the DaemonSet controller adds to every DaemonSet Pod (without hostNetwork's extra one):
# node failures and pressure do not evict a node agent.
_DAEMON_TOLERATIONS = tuple(
    {"key": key, "operator": "Exists", "effect": effect}
    for key, effect in (
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    )
)


def _tolerates(toleration: dict[str, Any], taint: dict[str, Any]) -> bool:
    effect = toleration.get("effect")
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key")
    operator = toleration.get("operator") or "Equal"
    if not key:
        return operator == "Exists"  # an empty key with Exists tolerates every taint
    if key != taint.get("key"):
        return False
    if operator == "Exists":
        return True
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def _expression_matches(expr: Any, labels: dict[str, Any]) -> bool:
    if not isinstance(expr, dict):
        return False
    key, operator, raw = expr.get("key"), expr.get("operator"), expr.get("values")
    values: list[Any] = raw if isinstance(raw, list) else []
    present = key in labels if isinstance(key, str) else False
    value = labels.get(key) if present and isinstance(key, str) else None
    if operator == "In":
        return present and value in values
    if operator == "NotIn":
        return not present or value not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt") and present and len(values) == 1:
        try:
            have, bound = int(str(value)), int(str(values[0]))
        except ValueError:
            return False
        return have > bound if operator == "Gt" else have < bound
    return False  # an operator the API server would have refused


def _term_matches(term: dict[str, Any], name: str, labels: dict[str, Any]) -> bool:
    expressions = term.get("matchExpressions")
    fields = term.get("matchFields")
    expressions = expressions if isinstance(expressions, list) else []
    fields = fields if isinstance(fields, list) else []
    if not expressions and not fields:
        return False  # an empty term matches no node
    by_name = {"metadata.name": name}
    return all(_expression_matches(e, labels) for e in expressions) and all(
        _expression_matches(f, by_name) for f in fields
    )


def _taints(node: dict[str, Any]) -> list[dict[str, Any]]:
    taints = at_path(node, "spec", "taints")
    return [t for t in taints if isinstance(t, dict)] if isinstance(taints, list) else []


def _taint_text(taint: dict[str, Any]) -> str:
    value = taint.get("value")
    return f"{taint.get('key')}{'=' + str(value) if value else ''}:{taint.get('effect')}"


def why_not_on(workload: Workload, node: dict[str, Any]) -> str | None:
    """Why the workload's Pods cannot run on this node (a Node object dict), or None if they
    may."""
    labels = at_path(node, "metadata", "labels")
    labels = labels if isinstance(labels, dict) else {}
    name = at_path(node, "metadata", "name")
    name = name if isinstance(name, str) else ""
    wrong = sorted(k for k, v in workload.node_selector.items() if labels.get(k) != v)
    if wrong:
        wanted = ", ".join(f"{k}={workload.node_selector[k]}" for k in wrong)
        return f"its nodeSelector asks for {wanted}"
    terms = workload.node_affinity_terms
    if terms is not None and not any(_term_matches(t, name, labels) for t in terms):
        return "no term of its required node affinity matches"
    tolerations = list(workload.tolerations)
    if workload.kind == DAEMON_SET:
        tolerations += _DAEMON_TOLERATIONS
    for taint in _taints(node):
        if taint.get("effect") in _BLOCKING and not any(_tolerates(t, taint) for t in tolerations):
            return f"it does not tolerate the taint {_taint_text(taint)}"
    return None


def nodes_kept_off(workload: Workload, nodes: list[dict[str, Any]]) -> dict[str, str]:
    """Node name -> why the workload's Pods cannot run there, for the nodes they cannot."""
    out: dict[str, str] = {}
    for node in nodes:
        name = at_path(node, "metadata", "name")
        reason = why_not_on(workload, node) if isinstance(name, str) and name else None
        if reason:
            out[name] = reason
    return dict(sorted(out.items()))
