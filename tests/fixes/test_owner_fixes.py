"""Fixes that name the workload behind a Service (routing.fixes.owners): scale and spread a
Deployment for add-endpoints, move Pods for spread-workload (a restart when the Deployment
spreads already), say why a DaemonSet is kept off the nodes where internalTrafficPolicy Local
drops; and without apps objects in the input, the zones and counts without a command."""

from typing import Any

from tests.engine.test_edge_cases import endpoint, node, service, slice_, three_zones
from tests.workloads.objects import ref, workload

from .test_kinds import _check_after, _svc

SPREAD = {
    "maxSkew": 1,
    "topologyKey": "topology.kubernetes.io/zone",
    "whenUnsatisfiable": "ScheduleAnyway",
    "labelSelector": {"matchLabels": {"app": "svc"}},
}


def _owned_endpoint(ip: str, node_name: str, zone: str, pod: str) -> dict[str, Any]:
    ep = endpoint(ip, node_name, zone)
    ep["targetRef"] = {"kind": "Pod", "name": pod, "namespace": "default"}
    return ep


def _pod(name: str, node_name: str, owner: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app": "svc"},
            "ownerReferences": [owner],
        },
        "spec": {"nodeName": node_name},
        "status": {"phase": "Running"},
    }


def _lopsided(spread: bool = False, apps: bool = True) -> list[dict[str, Any]]:
    """PreferSameZone with 2 endpoints in zone-a, 1 in zone-b and none in zone-c: zone-c's
    clients go everywhere. The Pods belong to Deployment default/web through a ReplicaSet."""
    placed = [
        ("10.0.0.1", "a1", "zone-a"),
        ("10.0.0.2", "a1", "zone-a"),
        ("10.0.0.3", "b1", "zone-b"),
    ]
    items = [
        *three_zones(),
        service(td="PreferSameZone"),
        slice_(
            "svc-1",
            *(_owned_endpoint(ip, n, z, f"web-rs-{i}") for i, (ip, n, z) in enumerate(placed)),
        ),
    ]
    if not apps:
        return items
    pod_spec = {"topologySpreadConstraints": [SPREAD]} if spread else {}
    rs_owner = ref("Deployment", "web", "uid-d")
    items += [
        workload(
            "Deployment",
            "web",
            namespace="default",
            uid="uid-d",
            replicas=3,
            labels={"app": "svc"},
            pod_spec=pod_spec,
        ),
        workload(
            "ReplicaSet",
            "web-rs",
            rs_owner,
            namespace="default",
            uid="uid-rs",
            replicas=3,
            labels={"app": "svc"},
            pod_spec=pod_spec,
        ),
        *(
            _pod(f"web-rs-{i}", n, ref("ReplicaSet", "web-rs", "uid-rs"))
            for i, (_, n, _) in enumerate(placed)
        ),
    ]
    return items


def _fix(entry: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(f for f in entry["fixes"] if f["kind"] == kind)


def test_more_endpoints_scale_and_spread_the_owning_deployment():
    items = _lopsided()
    entry = _svc(items)
    fix = _fix(entry, "add-endpoints")
    more = sum(fix["whatIf"]["replicasPerZone"].values())  # zone-c had none: all are new
    assert fix["commands"][0] == f"kubectl scale deployment/web -n default --replicas={3 + more}"
    assert fix["commands"][1].startswith("kubectl patch deployment/web -n default --type merge -p ")
    assert '"topologyKey":"topology.kubernetes.io/zone"' in fix["commands"][1]
    assert f"Scale Deployment default/web from 3 to {3 + more}" in fix["summary"]
    assert fix["yaml"] is None  # the YAML is a Service's patch; this one patches a Deployment
    _check_after(items, entry)


def test_endpoints_enough_but_misplaced_are_spread_without_new_pods():
    items = _lopsided()
    entry = _svc(items)
    fix = _fix(entry, "spread-workload")
    assert fix["whatIf"] == {"replicasPerZone": {"zone-a": 1, "zone-c": 1}}
    assert fix["after"]["crossZoneFraction"] == 0
    assert len(fix["commands"]) == 1 and "topologySpreadConstraints" in fix["commands"][0]
    assert "zone-a: 2 -> 1, zone-c: 0 -> 1" in fix["summary"]
    # Equal figures, no new Pods: it ranks before adding endpoints.
    kinds = [f["kind"] for f in entry["fixes"]]
    assert kinds.index("spread-workload") < kinds.index("add-endpoints")
    _check_after(items, entry)


def test_a_deployment_that_spreads_already_is_restarted():
    items = _lopsided(spread=True)
    fix = _fix(_svc(items), "spread-workload")
    assert fix["commands"] == ["kubectl rollout restart deployment/web -n default"]
    assert "asks to be spread over zones already" in fix["summary"]


def test_without_apps_objects_the_fix_gives_zones_and_counts_only():
    items = _lopsided(apps=False)
    entry = _svc(items)
    for kind in ("add-endpoints", "spread-workload"):
        fix = _fix(entry, kind)
        assert fix["commands"] == []
        assert "its owner is not in the input" in fix["summary"]
        assert fix["whatIf"]["replicasPerZone"]
    _check_after(items, entry)


def test_local_policy_names_the_nodes_a_daemonset_is_kept_off():
    """A per-node agent with internalTrafficPolicy Local whose nodeSelector keeps it off c2."""
    general = {"pool": "general"}
    nodes = [*three_zones(), node("c2", "zone-c")]
    for n in nodes:
        pool = "batch" if n["metadata"]["name"] == "c2" else "general"
        n["metadata"]["labels"]["pool"] = pool
    owner = ref("DaemonSet", "agent", "uid-ds")
    hosts = [
        ("10.0.0.1", "a1", "zone-a"),
        ("10.0.0.2", "b1", "zone-b"),
        ("10.0.0.3", "c1", "zone-c"),
    ]
    items = [
        *nodes,
        service(itp="Local"),
        slice_("svc-1", *(_owned_endpoint(ip, n, z, f"agent-{n}") for ip, n, z in hosts)),
        workload(
            "DaemonSet",
            "agent",
            namespace="default",
            uid="uid-ds",
            replicas=None,
            labels={"app": "svc"},
            pod_spec={"nodeSelector": general},
        ),
        *(_pod(f"agent-{n}", n, owner) for _, n, _ in hosts),
    ]
    entry = _svc(items)
    fix = _fix(entry, "internal-traffic-policy")
    assert (
        "DaemonSet default/agent is kept off c2: its nodeSelector asks for pool=general"
        in (fix["summary"])
    )
    assert fix["commands"][-1] == "kubectl describe daemonset/agent -n default"
    assert fix["yaml"] == "spec:\n  internalTrafficPolicy: Cluster\n"
    _check_after(items, entry)
