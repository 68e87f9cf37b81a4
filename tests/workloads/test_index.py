"""Owners of Pods: Pod -> ReplicaSet -> Deployment, StatefulSet, DaemonSet, or unknown."""

import pytest

from routing.workloads import (
    WorkloadIndex,
    endpoint_pods,
    owners_of_endpoints,
    sole_owner,
    unowned_pods,
)

from .objects import pod, ref, workload

DEPLOYED = [
    workload("Deployment", "web", uid="d1", status={"replicas": 3, "readyReplicas": 2}),
    workload("ReplicaSet", "web-7d9f", ref("Deployment", "web", "d1"), uid="r1"),
    pod("web-7d9f-a", ref("ReplicaSet", "web-7d9f", "r1")),
    pod("web-7d9f-b", ref("ReplicaSet", "web-7d9f", "r1")),
]


def test_a_deployments_pod_is_owned_by_the_deployment():
    owner = WorkloadIndex(DEPLOYED).owner_of_pod("shop", "web-7d9f-a")
    assert owner is not None
    assert (owner.kind, owner.namespace, owner.name) == ("Deployment", "shop", "web")
    assert (owner.replicas, owner.ready, owner.spread_by_zone) == (3, 2, False)
    assert owner.scalable and str(owner) == "Deployment shop/web"


def test_a_dump_without_apps_objects_knows_no_owner():
    pods_only = [o for o in DEPLOYED if o["kind"] == "Pod"]
    index = WorkloadIndex(pods_only)
    assert index.owner_of_pod("shop", "web-7d9f-a") is None
    assert index.workloads() == []
    assert owners_of_endpoints(index, "shop", ["web-7d9f-a"]) == {}
    assert unowned_pods(index, "shop", ["web-7d9f-a"]) == ["web-7d9f-a"]


def test_a_replica_set_whose_deployment_is_missing_is_unknown():
    without_deployment = [o for o in DEPLOYED if o["kind"] != "Deployment"]
    assert WorkloadIndex(without_deployment).owner_of_pod("shop", "web-7d9f-a") is None


def test_a_replica_set_without_an_owner_is_the_workload():
    index = WorkloadIndex(
        [workload("ReplicaSet", "bare", replicas=2), pod("bare-x", ref("ReplicaSet", "bare"))]
    )
    owner = index.owner_of_pod("shop", "bare-x")
    assert owner is not None and (owner.kind, owner.name, owner.replicas) == (
        "ReplicaSet",
        "bare",
        2,
    )


def test_a_replica_set_owned_by_another_controller_is_unknown():
    rollout = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "web"}
    index = WorkloadIndex(
        [
            workload("ReplicaSet", "web-1", {**rollout, "controller": True}),
            pod("p", ref("ReplicaSet", "web-1")),
        ]
    )
    assert index.owner_of_pod("shop", "p") is None  # scaling the ReplicaSet would be undone


def test_stateful_set_and_daemon_set_own_their_pods_directly():
    index = WorkloadIndex(
        [
            workload("StatefulSet", "db", replicas=1, status={"replicas": 1}),
            pod("db-0", ref("StatefulSet", "db")),
            workload("DaemonSet", "agent", status={"desiredNumberScheduled": 3, "numberReady": 3}),
            pod("agent-x2x2x", ref("DaemonSet", "agent")),
        ]
    )
    db = index.owner_of_pod("shop", "db-0")
    assert db is not None and (db.kind, db.replicas, db.ready) == ("StatefulSet", 1, 0)
    agent = index.owner_of_pod("shop", "agent-x2x2x")
    assert agent is not None and agent.kind == "DaemonSet"
    assert agent.replicas is None and agent.ready == 3 and not agent.scalable


def test_unknown_pods_owners_of_other_kinds_and_namesakes():
    index = WorkloadIndex(
        [
            *DEPLOYED,
            pod(
                "job-x",
                {"apiVersion": "batch/v1", "kind": "Job", "name": "job", "controller": True},
            ),
            pod("bare"),
            pod("stale", ref("ReplicaSet", "web-7d9f", "an-older-uid")),
            pod(
                "lookalike",
                {"apiVersion": "example.com/v1", "kind": "ReplicaSet", "name": "web-7d9f"},
            ),
        ]
    )
    for name in ("job-x", "bare", "stale", "lookalike", "not-in-the-input"):
        assert index.owner_of_pod("shop", name) is None, name
    assert index.owner_of_pod("other", "web-7d9f-a") is None  # namespaces are separate


def test_the_controller_reference_wins_over_other_owners():
    index = WorkloadIndex(
        [
            *DEPLOYED,
            pod(
                "p",
                ref("DaemonSet", "agent", controller=False),
                ref("ReplicaSet", "web-7d9f", "r1"),
            ),
        ]
    )
    owner = index.owner_of_pod("shop", "p")
    assert owner is not None and owner.name == "web"


def test_pods_split_across_two_deployments():
    objects = [
        *DEPLOYED,
        workload("Deployment", "web-canary", uid="d2", replicas=1, labels={"app": "web"}),
        workload("ReplicaSet", "web-canary-5f", ref("Deployment", "web-canary", "d2"), uid="r2"),
        pod("web-canary-5f-z", ref("ReplicaSet", "web-canary-5f", "r2")),
    ]
    index = WorkloadIndex(objects)
    pods = ["web-canary-5f-z", "web-7d9f-b", "web-7d9f-a", "web-7d9f-a"]
    owners = owners_of_endpoints(index, "shop", pods)
    assert {(w.name, tuple(p)) for w, p in owners.items()} == {
        ("web", ("web-7d9f-a", "web-7d9f-b")),
        ("web-canary", ("web-canary-5f-z",)),
    }
    assert sole_owner(index, "shop", pods) is None  # which one to scale is a choice
    assert sole_owner(index, "shop", ["web-7d9f-a", "web-7d9f-b"]).name == "web"
    assert sole_owner(index, "shop", ["web-7d9f-a", "unknown"]) is None
    assert sole_owner(index, "shop", []) is None


@pytest.mark.parametrize(
    "junk",
    [
        None,
        "text",
        {"kind": "Pod"},
        {"kind": "Pod", "metadata": []},
        {"kind": "Pod", "metadata": {"name": "p", "ownerReferences": "x"}},
        {"kind": "Pod", "metadata": {"name": "p", "ownerReferences": [1, {"kind": ["x"]}]}},
        {"kind": "Deployment", "metadata": {"name": 5}},
        {"kind": "Deployment", "metadata": {"name": "d"}, "spec": "x", "status": 3},
        {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": True}},
        {"kind": ["Deployment"], "metadata": {"name": "d"}},
        {"kind": "DaemonSet", "metadata": {"name": "d"}, "spec": {"template": {"spec": {
            "topologySpreadConstraints": "x", "tolerations": [1], "nodeSelector": {"a": 1},
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": 7}},
        }}}},
    ],
)  # fmt: skip
def test_odd_objects_never_raise(junk):
    index = WorkloadIndex([junk, *DEPLOYED])
    assert index.owner_of_pod("shop", "web-7d9f-a") is not None
    index.owner_of_pod("default", "p")
    for w in index.workloads():
        assert w.replicas is None or isinstance(w.replicas, int)


def test_endpoint_pods_reads_target_refs():
    slices = [
        {"endpoints": [{"targetRef": {"name": "b"}}, {"targetRef": {"kind": "Pod", "name": "a"}}]},
        {"endpoints": [{"targetRef": {"kind": "Node", "name": "n"}}, {"addresses": ["1.2.3.4"]}]},
        {"endpoints": None},
        "junk",
    ]
    assert endpoint_pods(slices) == ["a", "b"]
