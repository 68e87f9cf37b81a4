"""The fixes issue 12 asks for on the bundled demo dump (examples/demo-shop.json), through the
command line as a user runs it."""

import contextlib
import io

import orjson
import pytest

from routing.engine.cli import main as cli_main
from tests.factories import DEMO_DUMP

LIMIT = 1.5


@pytest.fixture(scope="module")
def services() -> dict[str, dict]:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    with contextlib.redirect_stdout(out):
        assert cli_main(["--format", "json", str(DEMO_DUMP)]) == 0
    out.flush()
    report = orjson.loads(raw.getvalue())
    return {f"{s['namespace']}/{s['name']}": s for s in report["services"]}


def _fix(services, name: str, kind: str) -> dict:
    fixes = services[name]["fixes"]
    found = [f for f in fixes if f["kind"] == kind]
    assert found, (name, [f["kind"] for f in fixes])
    return found[0]


def test_checkout_waits_for_the_controller_and_says_what_to_check(services):
    fix = services["shop/checkout"]["fixes"][0]
    assert fix["kind"] == "await-controller"
    assert fix["after"]["crossZoneFraction"] == pytest.approx(0, abs=1e-9)
    assert fix["after"]["maxOverload"] <= LIMIT
    assert "kube-controller-manager" in fix["summary"] and "zone label" in fix["summary"]


def test_payments_gets_one_more_endpoint_in_each_of_two_zones_for_auto(services):
    # The policy switch reaches the same cost without new Pods, so it ranks first.
    assert [f["kind"] for f in services["shop/payments"]["fixes"]] == [
        "set-policy",
        "add-endpoints",
    ]
    fix = _fix(services, "shop/payments", "add-endpoints")
    assert fix["whatIf"] == {"replicasPerZone": {"us-east-1b": 2, "us-east-1c": 2}}
    assert "1 in us-east-1b, 1 in us-east-1c" in fix["summary"]
    assert fix["after"]["crossZoneFraction"] == 0
    assert any("hints rewritten" in change for change in fix["changes"])


def test_recommendations_gets_endpoints_in_us_east_1c(services):
    fix = _fix(services, "shop/recommendations", "add-endpoints")
    assert set(fix["whatIf"]["replicasPerZone"]) == {"us-east-1c"}
    assert fix["after"]["crossZoneFraction"] == 0 and fix["after"]["maxOverload"] <= LIMIT


def test_inventory_gets_its_overload_within_the_limit_and_stays_in_zone(services):
    assert services["shop/inventory"]["flows"]["maxOverload"] > LIMIT
    fix = services["shop/inventory"]["fixes"][0]
    assert fix["after"]["maxOverload"] <= LIMIT and fix["after"]["crossZoneFraction"] == 0


def test_legacy_db_is_told_to_fix_readiness(services):
    fix = _fix(services, "shop/legacy-db", "fix-readiness")
    assert "10.1.11.1" in fix["summary"] and "shutting down" in fix["summary"]


def test_node_exporter_names_the_client_nodes_without_an_endpoint(services):
    fix = _fix(services, "monitoring/node-exporter", "internal-traffic-policy")
    for node in ("ip-10-0-0-3", "ip-10-0-1-3", "ip-10-0-2-3"):
        assert node in fix["summary"]
    assert fix["after"]["dropped"] == 0


def test_every_troubled_service_has_a_fix_or_says_why_not(services):
    for name, entry in services.items():
        if any(d["severity"] in ("warning", "error") for d in entry["diagnostics"]):
            assert entry["fixes"] or entry["noFixReason"], name


def test_the_live_demo_s_checkout_is_told_to_label_its_node(settings):
    """In the simulated demo (make run) checkout's extra endpoint runs on a node without a zone
    label; its providerID names the zone, so the fix labels it (and, as the hints then need,
    adds endpoints where a zone would be overloaded)."""
    from routing.engine import Options, analyze_cluster, build_cluster
    from routing.fixes import add_fixes
    from routing.kube.sim import SimCluster

    sim = SimCluster(scenario="demo", seed=3, churn=0)
    kinds = {"nodes": "Node", "services": "Service", "endpointslices": "EndpointSlice"}
    objects = [{**o, "kind": kind} for plural, kind in kinds.items() for o in sim.objects(plural)]
    report = analyze_cluster(
        build_cluster([("items", i, o) for i, o in enumerate(objects)]), Options()
    )
    before = orjson.dumps(objects)
    add_fixes(report, objects, Options())
    assert orjson.dumps(objects) == before  # labelled copies, never the node itself
    checkout = next(s for s in report["services"] if s["name"] == "checkout")
    fix = checkout["fixes"][0]
    assert fix["kind"] == "label-node"
    assert fix["commands"] == [
        "kubectl label node ip-10-0-99-10.ec2.internal topology.kubernetes.io/zone=us-east-1a"
    ]
    assert fix["after"]["crossZoneFraction"] == 0 and fix["after"]["maxOverload"] <= LIMIT
    assert "providerID" in fix["summary"]


def test_the_live_demo_s_fixes_name_the_owning_workloads():
    """With the Pods and apps/v1 objects the simulated demo serves (as the README's dump command
    reads them), more endpoints mean scaling the Deployment behind the Service, and the per-node
    agent's dropped traffic is explained by its DaemonSet's nodeSelector."""
    from routing.engine import Options, analyze_cluster, build_cluster
    from routing.fixes import add_fixes
    from routing.kube.sim import SimCluster

    sim = SimCluster(scenario="demo", seed=3, churn=0)
    kinds = {
        "nodes": "Node",
        "services": "Service",
        "endpointslices": "EndpointSlice",
        "pods": "Pod",
        "replicasets": "ReplicaSet",
        "deployments": "Deployment",
        "daemonsets": "DaemonSet",
    }
    objects = [{**o, "kind": kind} for plural, kind in kinds.items() for o in sim.objects(plural)]
    report = analyze_cluster(
        build_cluster([("items", i, o) for i, o in enumerate(objects)]), Options()
    )
    add_fixes(report, objects, Options())
    by_name = {s["name"]: s for s in report["services"]}
    more = [
        f
        for f in by_name["recommendations"]["fixes"]
        if f["kind"] in ("add-endpoints", "spread-workload")
    ]
    assert more, [f["kind"] for f in by_name["recommendations"]["fixes"]]
    for fix in more:
        assert "Deployment shop/recommendations" in fix["summary"]
        assert any("deployment/recommendations -n shop" in c for c in fix["commands"])
    local = next(
        f for f in by_name["node-exporter"]["fixes"] if f["kind"] == "internal-traffic-policy"
    )
    assert "DaemonSet monitoring/node-exporter is kept off" in local["summary"]
    assert "nodeSelector" in local["summary"]
    assert local["commands"][-1] == "kubectl describe daemonset/node-exporter -n monitoring"
