"""The simulated cluster without HTTP: slices derived from Pods, hints from the engine, churn."""

import pytest

from routing.engine import controller
from routing.engine.parse import build_cluster
from routing.engine.topology import zone_ratios
from routing.kube.sim import SimCluster
from routing.kube.sim.selectors import SelectorError, field_matcher, label_matcher
from routing.kube.sim.state import Expired, Store

KINDS = (("nodes", "Node"), ("services", "Service"), ("endpointslices", "EndpointSlice"))


def engine_cluster(sim):
    items = [
        ("items", i, {"kind": kind, **obj})
        for plural, kind in KINDS
        for i, obj in enumerate(sim.objects(plural))
    ]
    return build_cluster(items)


def assert_hints_match_engine(sim):
    """Every slice carries exactly the hints the engine's controller would write."""
    cluster = engine_cluster(sim)
    ratios = zone_ratios(cluster.nodes)
    for svc in cluster.services:
        result = controller.simulate(svc, controller.declared_policy(svc), ratios)
        assert result.hints == [ep.hint for ep in svc.endpoints], svc.key


def slices_of(sim, namespace, name):
    return [
        s
        for s in sim.objects("endpointslices")
        if s["metadata"]["namespace"] == namespace
        and s["metadata"]["labels"]["kubernetes.io/service-name"] == name
    ]


def endpoints_of(sim, namespace, name):
    return [ep for s in slices_of(sim, namespace, name) for ep in s["endpoints"] or []]


@pytest.fixture()
def demo():
    return SimCluster("demo", seed=1, churn=0)


def test_demo_slices_follow_the_engine(demo):
    assert_hints_match_engine(demo)
    search = endpoints_of(demo, "shop", "search")
    assert len(search) == 9 and all(ep["hints"]["forZones"] for ep in search)  # Auto is on
    assert not any("hints" in ep for ep in endpoints_of(demo, "shop", "payments"))  # 4: off
    checkout = endpoints_of(demo, "shop", "checkout")
    assert [ep.get("zone") for ep in checkout if "hints" not in ep] == [None]
    sessions = endpoints_of(demo, "shop", "sessions")
    assert all(ep["hints"]["forNodes"] == [{"name": ep["nodeName"]}] for ep in sessions)
    (legacy,) = endpoints_of(demo, "shop", "legacy-db")
    assert legacy["conditions"] == {"ready": False, "serving": False, "terminating": True}


def test_unlabelled_worker_turns_auto_off_everywhere():
    sim = SimCluster("demo-nozone", seed=1, churn=0)
    assert_hints_match_engine(sim)
    assert zone_ratios(engine_cluster(sim).nodes).ratios is None
    assert not any("hints" in ep for ep in endpoints_of(sim, "shop", "search"))


def test_policy_switch_rewrites_hints(demo):
    demo.set_traffic_distribution("shop", "catalog", "PreferSameNode")
    catalog = endpoints_of(demo, "shop", "catalog")
    assert all(ep["hints"]["forNodes"] == [{"name": ep["nodeName"]}] for ep in catalog)
    demo.set_traffic_distribution("shop", "cart", None)
    assert not any("hints" in ep for ep in endpoints_of(demo, "shop", "cart"))
    assert_hints_match_engine(demo)
    with pytest.raises(ValueError):
        demo.set_traffic_distribution("shop", "cart", "PreferFarAway")


def test_node_failure_unreadies_pods_and_moves_auto(demo):
    node = next(n for n in demo.world.ready_workers() if n.zone == "us-east-1a")
    demo.set_node_ready(node.name, False)
    on_node = [ep for ep in endpoints_of(demo, "shop", "search") if ep["nodeName"] == node.name]
    assert on_node and all(ep["conditions"]["ready"] is False for ep in on_node)
    status = next(n for n in demo.objects("nodes") if n["metadata"]["name"] == node.name)
    assert status["status"]["conditions"][-1] == status["status"]["conditions"][-1] | {
        "type": "Ready",
        "status": "Unknown",
    }
    assert_hints_match_engine(demo)
    demo.set_node_ready(node.name, True)
    assert all(ep["conditions"]["ready"] for ep in endpoints_of(demo, "shop", "search"))
    assert_hints_match_engine(demo)


def test_slices_hold_at_most_100_endpoints_and_keep_a_placeholder(demo):
    demo.scale("shop", "catalog", 84)  # 252 endpoints
    sizes = sorted(len(s["endpoints"]) for s in slices_of(demo, "shop", "catalog"))
    assert sizes == [52, 100, 100]
    assert_hints_match_engine(demo)
    demo.scale("shop", "catalog", 0)
    (placeholder,) = slices_of(demo, "shop", "catalog")
    assert placeholder["endpoints"] is None and placeholder["ports"] is None


def test_graceful_scale_down_and_rollout(demo):
    demo.scale("shop", "email", {"us-east-1a": 0}, graceful=True)
    terminating = [
        ep for ep in endpoints_of(demo, "shop", "email") if ep["conditions"]["terminating"]
    ]
    assert len(terminating) == 1 and terminating[0]["conditions"]["ready"] is False
    before = {ep["targetRef"]["name"] for ep in endpoints_of(demo, "shop", "cart")}
    fresh = demo.rollout("shop", "cart")
    after = {ep["targetRef"]["name"] for ep in endpoints_of(demo, "shop", "cart")}
    assert after == {p.name for p in fresh} and not after & before


def test_churn_is_reproducible_and_keeps_slices_consistent():
    def run():
        sim = SimCluster("demo", seed=7, churn=2.0)
        steps = sim.churn.advance(120)
        pods = sorted(p["metadata"]["name"] for p in sim.objects("pods"))
        slices = sorted(
            (s["metadata"]["name"], tuple(ep["addresses"][0] for ep in s["endpoints"] or ()))
            for s in sim.objects("endpointslices")
        )
        return sim, steps, pods, slices

    first, steps, pods, slices = run()
    assert steps > 100
    assert set(first.churn.actions) == {"scale_up", "scale_down", "rollout", "node", "policy"}
    assert run()[1:] == (steps, pods, slices)
    assert_hints_match_engine(first)


def test_large_scenario_is_controller_consistent():
    sim = SimCluster("large", seed=3, services=60, endpoints=1500, nodes=40)
    counts = sim.counts()
    assert counts["services"] == 60 and counts["nodes"] == 40 and counts["pods"] == 1500
    slices = sim.objects("endpointslices")
    assert all(len(s["endpoints"] or ()) <= 100 for s in slices)
    assert sum(len(s["endpoints"] or ()) for s in slices) == 1500
    assert_hints_match_engine(sim)


def test_event_window_and_compaction():
    store = Store(window=3)
    store.load("nodes", [{"metadata": {"name": "n0"}}])
    start = store.rv
    for i in range(1, 6):
        store.put("nodes", {"metadata": {"name": f"n{i}"}})
    with pytest.raises(Expired):
        store.events_after("nodes", start)
    assert [e.rv for e in store.events_after("nodes", store.rv - 3)] == [
        store.rv - 2,
        store.rv - 1,
        store.rv,
    ]
    assert store.delete("nodes", "", "n1") and not store.delete("nodes", "", "n1")
    assert store.events_after("nodes", store.rv - 1)[0].type == "DELETED"
    store.compact()
    with pytest.raises(Expired):
        store.events_after("nodes", store.rv - 1)
    assert store.events_after("nodes", store.rv) == []


def test_selectors():
    labels = {"app": "web", "tier": "front"}
    assert label_matcher("app=web,tier!=back")(labels)
    assert label_matcher("app in (web, api), !missing, tier")(labels)
    assert not label_matcher("app notin (web)")(labels)
    assert label_matcher("") is None
    fields = field_matcher("spec.nodeName=n1", ("spec.nodeName",))
    assert fields({"spec.nodeName": "n1"}) and not fields({"spec.nodeName": "n2"})
    with pytest.raises(SelectorError):
        field_matcher("spec.unknown=1", ("spec.nodeName",))
