"""Which nodes a Pod template keeps its Pods off: nodeSelector, required affinity, taints."""

from routing.workloads import nodes_kept_off, workload_of

from .objects import node, workload

CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def _agent(**pod_spec):
    found = workload_of(workload("DaemonSet", "agent", pod_spec=pod_spec))
    assert found is not None
    return found


NODES = [
    node("a", {"pool": "general", "size": "4"}),
    node("b", {"pool": "batch", "size": "8"}),
    node("cp", {"pool": "general"}, taints=[CONTROL_PLANE]),
    node("sick", {"pool": "general"}, taints=[
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
        {"key": "soft", "effect": "PreferNoSchedule"},
    ]),
]  # fmt: skip


def test_node_selector_and_taints_keep_a_daemon_set_off_nodes():
    agent = _agent(nodeSelector={"pool": "general"})
    assert nodes_kept_off(agent, NODES) == {
        "b": "its nodeSelector asks for pool=general",
        "cp": "it does not tolerate the taint node-role.kubernetes.io/control-plane:NoSchedule",
    }  # a DaemonSet tolerates an unreachable node, and PreferNoSchedule keeps nothing off


def test_tolerations_let_it_on():
    everything = _agent(tolerations=[{"operator": "Exists"}])
    assert nodes_kept_off(everything, NODES) == {}
    by_key = _agent(tolerations=[{"key": CONTROL_PLANE["key"], "operator": "Exists"}])
    assert nodes_kept_off(by_key, NODES) == {}
    wrong_value = _agent(
        tolerations=[{"key": CONTROL_PLANE["key"], "value": "x", "effect": "NoSchedule"}]
    )
    assert list(nodes_kept_off(wrong_value, NODES)) == ["cp"]


def test_required_node_affinity():
    def required(*terms):
        return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": list(terms)}}}  # fmt: skip

    big = _agent(
        affinity=required(
            {"matchExpressions": [{"key": "size", "operator": "Gt", "values": ["5"]}]}
        )
    )
    assert set(nodes_kept_off(big, NODES)) == {"a", "cp", "sick"}
    named = _agent(affinity=required(
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]}]},
        {"matchExpressions": [{"key": "pool", "operator": "NotIn", "values": ["general"]}]},
    ))  # fmt: skip
    assert set(nodes_kept_off(named, NODES)) == {"cp", "sick"}
    odd = _agent(affinity=required({"matchExpressions": [{"key": "size", "operator": "Near"}]}, {}))
    assert set(nodes_kept_off(odd, NODES)) == {"a", "b", "cp", "sick"}


def test_a_deployment_gets_no_daemon_tolerations():
    web = workload_of(workload("Deployment", "web"))
    assert web is not None
    assert set(nodes_kept_off(web, NODES)) == {"cp", "sick"}


def test_odd_nodes_never_raise():
    agent = _agent(nodeSelector={"pool": "general"})
    odd = [{"metadata": {"name": "x", "labels": "no"}, "spec": {"taints": [1, {"effect": 5}]}}, {}]
    assert nodes_kept_off(agent, odd) == {"x": "its nodeSelector asks for pool=general"}
