"""The simulated workloads as the apps/v1 API shows them: Deployments, ReplicaSets, DaemonSets.

The world keeps Pods per workload and revision (objects.Workload, Revision) and scales by adding
and removing Pods (actions.scale, churn), so sizes are read off the Pods here: a Deployment's
spec.replicas is the number of live Pods of its current revision, as once its controller has
caught up, and every status counts the Pods as they are. Objects are rendered without kind and
apiVersion, as list items are (the store adds them).
"""

from typing import Any

from .objects import (
    DAEMON_SET,
    DEPLOYMENT,
    NodeRec,
    PodRec,
    Revision,
    Workload,
    node_labels,
    node_taints,
    owner_reference,
)

REVISION_HISTORY_LIMIT = 10  # old ReplicaSets a Deployment keeps at zero replicas (its default)
PLURAL = {DEPLOYMENT: "deployments", DAEMON_SET: "daemonsets"}
Rendered = tuple[str, dict[str, Any]]  # (plural, object)


def _live(pods: list[PodRec]) -> list[PodRec]:
    return [p for p in pods if p.deleted is None]


def _ready(pods: list[PodRec], nodes: dict[str, NodeRec]) -> int:
    """Ready as the endpoints see it: the Pod's containers, and its node's health on top."""
    return sum(1 for p in pods if p.ready and (p.node not in nodes or nodes[p.node].ready))


def _of(w: Workload, rev: Revision) -> list[PodRec]:
    return [p for p in w.pods.values() if p.revision is rev]


def _omit_zeros(status: dict[str, int], always: tuple[str, ...]) -> dict[str, int]:
    # The API leaves out zero counts marked omitempty, as it prints real objects.
    return {k: v for k, v in status.items() if v or k in always}


def _template(w: Workload, labels: dict[str, str]) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": w.name,
                "image": w.image,
                "ports": [{"containerPort": port, "protocol": "TCP"} for port in w.ports],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
            }
        ],
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "terminationGracePeriodSeconds": 30,
    }
    if w.node_selector:
        spec["nodeSelector"] = dict(w.node_selector)
    return {"metadata": {"labels": dict(labels)}, "spec": spec}


def _meta(w: Workload, generation: int, annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "name": w.name,
        "namespace": w.namespace,
        "uid": w.uid,
        "generation": generation,
        "creationTimestamp": w.created,
        "labels": dict(w.selector),
        "annotations": annotations,
    }


def deployment_replicas(w: Workload) -> int:
    """What the Deployment asks for: the current revision's live Pods (all live Pods while
    the current revision has none yet, as right after a rollout began)."""
    current = _live(_of(w, w.revision))
    return len(current) if current else len(_live(list(w.pods.values())))


def render_deployment(w: Workload, nodes: dict[str, NodeRec]) -> dict[str, Any]:
    live = _live(list(w.pods.values()))
    updated = _live(_of(w, w.revision))
    ready = _ready(live, nodes)
    replicas = deployment_replicas(w)
    number = str(w.revision.number)
    status = {
        "observedGeneration": w.revision.number,
        "replicas": len(live),
        "updatedReplicas": len(updated),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "unavailableReplicas": max(0, replicas - ready),
    }
    return {
        "metadata": _meta(w, w.revision.number, {"deployment.kubernetes.io/revision": number}),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(w.selector)},
            "template": _template(w, w.selector),
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
            "revisionHistoryLimit": REVISION_HISTORY_LIMIT,
            "progressDeadlineSeconds": 600,
        },
        "status": _omit_zeros(status, ()),
    }


def render_replica_set(w: Workload, rev: Revision, nodes: dict[str, NodeRec]) -> dict[str, Any]:
    live = _live(_of(w, rev))
    ready = _ready(live, nodes)
    status = {
        "replicas": len(live),
        "fullyLabeledReplicas": len(live),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": 1,
    }
    return {
        "metadata": {
            "name": rev.name,
            "namespace": w.namespace,
            "uid": rev.uid,
            "generation": 1,
            "creationTimestamp": rev.created or w.created,
            "labels": dict(rev.labels),
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": str(deployment_replicas(w)),
                "deployment.kubernetes.io/max-replicas": str(deployment_replicas(w) + 1),
                "deployment.kubernetes.io/revision": str(rev.number),
            },
            "ownerReferences": [owner_reference(DEPLOYMENT, w.name, w.uid)],
        },
        "spec": {
            "replicas": len(live),
            "selector": {"matchLabels": dict(rev.labels)},
            "template": _template(w, rev.labels),
        },
        "status": _omit_zeros(status, ("replicas",)),
    }


def _tolerated(taint: dict[str, str]) -> bool:
    # The demo's DaemonSet tolerates nothing beyond what every DaemonSet gets (node failures).
    return taint.get("effect") == "PreferNoSchedule"


def eligible_nodes(w: Workload, nodes: dict[str, NodeRec]) -> list[NodeRec]:
    """The nodes a DaemonSet should run on: its nodeSelector matches, no taint keeps it off."""
    return [
        n
        for _, n in sorted(nodes.items())
        if all(node_labels(n).get(k) == v for k, v in w.node_selector.items())
        and all(_tolerated(t) for t in node_taints(n))
    ]


def render_daemon_set(w: Workload, nodes: dict[str, NodeRec]) -> dict[str, Any]:
    live = _live(list(w.pods.values()))
    ready = _ready(live, nodes)
    desired = len(eligible_nodes(w, nodes))
    generation = str(w.revision.number)
    status = {
        "currentNumberScheduled": len(live),
        "numberMisscheduled": 0,
        "desiredNumberScheduled": desired,
        "numberReady": ready,
        "observedGeneration": w.revision.number,
        "updatedNumberScheduled": len(_live(_of(w, w.revision))),
        "numberAvailable": ready,
        "numberUnavailable": max(0, desired - ready),
    }
    always = ("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled")
    return {
        "metadata": _meta(
            w, w.revision.number, {"deprecated.daemonset.template.generation": generation}
        ),
        "spec": {
            "selector": {"matchLabels": dict(w.selector)},
            "template": _template(w, w.selector),
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
            },
            "revisionHistoryLimit": REVISION_HISTORY_LIMIT,
        },
        "status": _omit_zeros(status, always + ("numberReady",)),
    }


def render_workload(w: Workload, nodes: dict[str, NodeRec]) -> list[Rendered]:
    """Every apps/v1 object of one workload: a DaemonSet, or a Deployment and its ReplicaSets
    (the current one and the old ones it keeps)."""
    if w.kind == DAEMON_SET:
        return [("daemonsets", render_daemon_set(w, nodes))]
    out: list[Rendered] = [("deployments", render_deployment(w, nodes))]
    for rev in [*w.history, w.revision]:
        out.append(("replicasets", render_replica_set(w, rev, nodes)))
    return out
