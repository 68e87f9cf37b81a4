"""The commands a fix prints for a workload: quoted, and only where they apply."""

import json
import shlex

import pytest

from routing.engine.shell import merge_patch_of
from routing.workloads import (
    WorkloadIndex,
    describe_command,
    placement_summary,
    scale_command,
    scaled_by,
    spread_command,
    spread_patch,
    workload_of,
)

from .objects import ZONE, pod, ref, workload

HOSTILE_NS = "shop;id;#"
HOSTILE_NAME = "web$(touch /tmp/pwned)'"


def _of(obj):
    found = workload_of(obj)
    assert found is not None
    return found


def test_scale_a_deployment_a_replica_set_and_a_stateful_set():
    assert (
        scale_command(_of(workload("Deployment", "web")), 5)
        == "kubectl scale deployment/web -n shop --replicas=5"
    )
    assert scale_command(_of(workload("ReplicaSet", "rs")), 0).startswith(
        "kubectl scale replicaset/rs "
    )
    assert "statefulset/db" in scale_command(_of(workload("StatefulSet", "db")), 2)
    assert scaled_by(_of(workload("Deployment", "web", replicas=3)), 2) == 5


def test_a_daemon_set_is_not_scaled_or_spread_but_described():
    agent = _of(
        workload(
            "DaemonSet",
            "agent",
            pod_spec={
                "nodeSelector": {"pool": "general"},
                "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
            },
        )
    )
    assert scale_command(agent, 3) is None and spread_patch(agent) is None
    assert spread_command(agent) is None and scaled_by(agent, 1) is None
    assert placement_summary(agent) == (
        "DaemonSet shop/agent runs only on nodes labelled pool=general (nodeSelector); "
        "tolerating gpu:NoSchedule"
    )
    assert describe_command(agent) == "kubectl describe daemonset/agent -n shop"


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_a_replica_count_must_be_a_whole_number(bad):
    with pytest.raises(ValueError):
        scale_command(_of(workload("Deployment", "web")), bad)


def test_hostile_names_stay_single_arguments():
    obj = workload("Deployment", HOSTILE_NAME, namespace=HOSTILE_NS, labels={"app": "it's $(id)"})
    web = _of(obj)
    scale = scale_command(web, 4)
    assert shlex.split(scale) == [
        "kubectl", "scale", f"deployment/{HOSTILE_NAME}", "-n", HOSTILE_NS, "--replicas=4",
    ]  # fmt: skip
    spread = spread_command(web)
    argv = shlex.split(spread)
    assert argv[:7] == [
        "kubectl", "patch", f"deployment/{HOSTILE_NAME}", "-n", HOSTILE_NS, "--type", "merge",
    ]  # fmt: skip
    assert argv[7] == "-p" and json.loads(argv[8]) == spread_patch(web)
    assert len(argv) == 9
    assert shlex.split(describe_command(web))[2] == f"deployment/{HOSTILE_NAME}"


def test_the_spread_patch_adds_a_zone_constraint_and_keeps_the_others():
    by_host = {
        "maxSkew": 2,
        "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "DoNotSchedule",
    }
    web = _of(
        workload(
            "Deployment",
            "web",
            labels={"app": "web", "tier": "front"},
            pod_spec={"topologySpreadConstraints": [by_host]},
        )
    )
    assert not web.spread_by_zone
    patch = spread_patch(web)
    assert patch == {
        "spec": {
            "template": {
                "spec": {
                    "topologySpreadConstraints": [
                        by_host,
                        {
                            "maxSkew": 1,
                            "topologyKey": ZONE,
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": {"app": "web", "tier": "front"}},
                        },
                    ]
                }
            }
        }
    }
    # The line ends in the quoted patch, where the fixes' YAML is read from.
    assert json.loads(merge_patch_of(spread_command(web))) == patch


def test_no_spread_patch_when_spread_already_or_nothing_to_select_by():
    spread = {"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule"}
    already = _of(workload("Deployment", "a", pod_spec={"topologySpreadConstraints": [spread]}))
    assert already.spread_by_zone and spread_patch(already) is None
    unlabelled = workload("Deployment", "b")
    unlabelled["spec"]["template"]["metadata"] = {}
    assert spread_patch(_of(unlabelled)) is None


def test_commands_for_the_owner_of_an_endpoint():
    objects = [
        workload("Deployment", "web", uid="d1", replicas=2),
        workload("ReplicaSet", "web-1", ref("Deployment", "web", "d1"), uid="r1"),
        pod("web-1-a", ref("ReplicaSet", "web-1", "r1")),
    ]
    owner = WorkloadIndex(objects).owner_of_pod("shop", "web-1-a")
    assert scale_command(owner, scaled_by(owner, 1)) == (
        "kubectl scale deployment/web -n shop --replicas=3"
    )
