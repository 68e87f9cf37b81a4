"""The shortcuts that make the fix search fast (docs/benchmarks.md, "Verified fixes") give what
the long way gives: Nodes parsed once (SharedNodes) and what is derived from them, endpoints
reused from an earlier parse, edits read without writing their objects, the report's own parse
as the starting point, and the early exit when nothing can improve."""

import copy
import dataclasses
import json
from dataclasses import replace
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.engine import Options, analyze_cluster, build_cluster, load_bytes
from routing.engine.parse import SharedNodes, from_nodes
from routing.engine.report import ServiceAnalyzer
from routing.engine.service_entry import service_entry
from routing.fixes import add_fixes
from routing.fixes.objects import ServiceObjects
from routing.fixes.verify import can_improve, improves
from routing.whatif import (
    ReplicasReader,
    WhatIfError,
    apply_changes,
    changed_cluster,
    headline,
    reconcile,
)
from tests.engine.test_edge_cases import endpoint, node, service, slice_, three_zones
from tests.engine.test_properties import Generated, clusters
from tests.factories import DEMO_DUMP

FAST = settings(max_examples=60, deadline=None)
LIMIT = Options().overload_limit


def _items(objects: list[dict[str, Any]]) -> list[tuple[str, int, dict[str, Any]]]:
    return [("items", i, o) for i, o in enumerate(objects)]


def _split(objects: list[dict[str, Any]]) -> tuple[SharedNodes, list[dict[str, Any]]]:
    return (
        SharedNodes([o for o in objects if o["kind"] == "Node"]),
        [o for o in objects if o["kind"] != "Node"],
    )


def _service(cluster: Any, key: tuple[str, str]) -> Any:
    return next(s for s in cluster.services if (s.namespace, s.name) == key)


def _fixes(report: dict[str, Any]) -> bytes:
    return orjson.dumps(
        [(e["name"], e["fixes"], e["noFixReason"]) for e in report["services"]],
        option=orjson.OPT_SORT_KEYS,
    )


@pytest.fixture
def demo() -> list[dict[str, Any]]:
    return json.loads(DEMO_DUMP.read_text())["items"]


# --- Nodes parsed once -------------------------------------------------------------------------


def _pod(name: str, node_name: str) -> dict[str, Any]:
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"nodeName": node_name},
        "status": {"phase": "Running"},
    }


def test_a_build_over_shared_nodes_reads_as_a_build_of_everything(demo):
    nodes, own = _split(demo)
    shared = build_cluster(_items(own), nodes)
    whole = build_cluster(_items(demo))
    assert shared.services == whole.services
    assert shared.warnings == whole.warnings
    assert [n.name for n in shared.nodes] == [n.name for n in whole.nodes]


def test_each_build_over_shared_nodes_counts_its_own_pods():
    nodes = SharedNodes(three_zones())
    build_cluster(_items([_pod("p1", "a1"), _pod("p2", "a1"), _pod("p3", "b1")]), nodes)
    assert [n.running_pods for n in nodes.nodes] == [2, 1, 0]
    cluster = build_cluster(_items([_pod("p4", "c1")]), nodes)
    assert [n.running_pods for n in cluster.nodes] == [0, 0, 1]  # the last build's, no leftovers
    assert cluster.has_pods


def test_a_build_over_shared_nodes_takes_no_node_of_its_own():
    with pytest.raises(ValueError):
        build_cluster(_items([node("d1", "zone-d")]), SharedNodes(three_zones()))


def test_facts_of_nodes_are_computed_once_per_set_of_nodes_and_never_shared_between_sets():
    calls = []

    def zones(nodes: list[Any]) -> list[str]:
        calls.append(1)
        return [n.zone for n in nodes]

    first = SharedNodes(three_zones())
    assert from_nodes(build_cluster([], first), "zones", zones) == ["zone-a", "zone-b", "zone-c"]
    assert from_nodes(build_cluster([], first), "zones", zones) == ["zone-a", "zone-b", "zone-c"]
    assert len(calls) == 1
    relabelled = copy.deepcopy(three_zones())
    relabelled[0]["metadata"]["labels"]["topology.kubernetes.io/zone"] = "zone-z"
    other = SharedNodes(relabelled)  # e.g. label-node's labelled copies
    assert from_nodes(build_cluster([], other), "zones", zones) == ["zone-z", "zone-b", "zone-c"]
    assert len(calls) == 2
    unshared = build_cluster(_items(three_zones()))  # the Nodes of this build alone: no memo
    from_nodes(unshared, "zones", zones)
    from_nodes(unshared, "zones", zones)
    assert len(calls) == 4


# --- endpoints read before ----------------------------------------------------------------------


def _known_items() -> list[dict[str, Any]]:
    return [
        service(),
        slice_("svc-1", endpoint("10.0.0.1", "a1", "zone-a"), endpoint("10.0.0.2", "b1", None)),
        slice_("svc-2", endpoint("10.0.0.3", "c1", "zone-c", ready=False)),
    ]


def _known(
    cluster: Any, objects: list[dict[str, Any]], key: tuple[str, str] = ("default", "svc")
) -> dict[int, Any]:
    """The Service's parsed endpoints by the dicts they were read from (IPv4/IPv6 slices)."""
    slices = sorted(
        (
            o
            for o in objects
            if o["kind"] == "EndpointSlice"
            and (o["metadata"].get("namespace") or "default") == key[0]
            and o["metadata"]["labels"]["kubernetes.io/service-name"] == key[1]
            and o.get("addressType") != "FQDN"
        ),
        key=lambda s: s["metadata"]["name"],
    )
    places = [(s, i) for s in slices for i in range(len(s.get("endpoints") or []))]
    svc = _service(cluster, key)
    return {
        id(s["endpoints"][i]): (s["endpoints"][i], s, ep)
        for ep, (s, i) in zip(svc.endpoints, places, strict=True)
    }


def test_known_endpoints_are_reused_and_the_rest_read_afresh():
    nodes = SharedNodes(three_zones())
    objects = _known_items()
    first = build_cluster(_items(objects), nodes)
    known = _known(first, objects)
    objects[1]["endpoints"].append(endpoint("10.0.0.4", "a1", "zone-a"))  # a new endpoint
    objects[2]["endpoints"][0] = endpoint("10.0.0.3", "c1", "zone-c")  # replaced: now ready
    again = build_cluster(_items(objects), nodes, known)
    fresh = build_cluster(_items(objects), nodes)
    assert again.services == fresh.services
    old, new = _service(first, ("default", "svc")), _service(again, ("default", "svc"))
    assert new.endpoints[0] is old.endpoints[0] and new.endpoints[1] is old.endpoints[1]
    assert new.endpoints[3] is not old.endpoints[2]


def test_a_known_endpoint_moved_to_another_slice_is_read_again():
    nodes = SharedNodes(three_zones())
    objects = _known_items()
    known = _known(build_cluster(_items(objects), nodes), objects)
    objects[2]["endpoints"].append(objects[1]["endpoints"].pop())  # same dict, other slice
    again = build_cluster(_items(objects), nodes, known)
    assert again.services == build_cluster(_items(objects), nodes).services
    assert _service(again, ("default", "svc")).endpoints[2].slice_name == "svc-2"


def test_reconcile_reads_the_rewritten_objects_as_a_fresh_parse_and_changes_no_known_endpoint(
    demo,
):
    nodes, own = _split(demo)
    for svc in build_cluster(_items(own), nodes).services:
        key = (svc.namespace, svc.name)
        objects = copy.deepcopy(own)
        first = build_cluster(_items(objects), nodes)
        # Copies field by field (the compiled engine's classes cannot be deep-copied; every
        # field is immutable or a str).
        before = [replace(ep) for ep in _service(first, key).endpoints]
        done = reconcile(objects, *key, nodes, _known(first, objects, key))
        fresh = build_cluster(_items(objects), nodes)
        assert done.cluster.services == fresh.services
        assert _service(first, key).endpoints == before, svc.name


# --- edits read without writing their objects -----------------------------------------------


def _changes(zones: list[str]) -> list[dict[str, Any]]:
    return [
        {"replicasPerZone": {z: 3 for z in zones}},
        {"replicasPerZone": {zones[0]: 1}},
        {"internalTrafficPolicy": "Cluster"},
        {"internalTrafficPolicy": "Local", "replicasPerZone": {zones[-1]: 2}},
        {"trafficDistribution": "PreferSameZone", "topologyMode": None},
        {"topologyMode": "Auto", "trafficDistribution": None},
    ]


def _check_changed_cluster(objects: list[dict[str, Any]], options: Options) -> None:
    """changed_cluster (over SharedNodes, from the report's parse) reads as a fresh parse of what
    apply_changes writes, with the same changes for people and the same headline."""
    nodes, own = _split(objects)
    index = ServiceObjects(objects, with_pods=options.clients == "pods")
    whole = build_cluster(_items(objects))
    zones = sorted({n.zone for n in whole.nodes if n.zone}) or ["zone-a"]
    analyzer = ServiceAnalyzer(replace(options, proxy_detail="zones"))
    snapshot = orjson.dumps(objects)
    pods = index.pods  # aside: read once for every Service (SharedPods)
    for svc in whole.services:
        key = (svc.namespace, svc.name)
        for changes in _changes(zones):
            own, aside = index.own(key), pods
            if pods is not None and "replicasPerZone" in changes and len(changes) > 1:
                own, aside = [*own, *pods.objects], None  # Pods to edit: only in the objects
            try:
                edited = apply_changes(objects, *key, changes)
            except WhatIfError:
                with pytest.raises(WhatIfError):
                    changed_cluster(own, *key, changes, nodes, svc, pods=aside)
                continue
            cluster, said = changed_cluster(own, *key, changes, nodes, svc, pods=aside)
            fresh = build_cluster(_items(edited.objects))
            assert _service(cluster, key) == _service(fresh, key), (key, changes)
            assert said == edited.changes
            one = replace(options, services=frozenset({key}))
            entry = service_entry(edited.objects, one)
            assert entry is not None
            assert analyzer.headline(cluster, *key) == headline(entry), (key, changes)
    assert orjson.dumps(objects) == snapshot  # nothing written into the input


def test_changed_cluster_reads_as_apply_changes_writes_on_the_demo(demo):
    _check_changed_cluster(demo, Options())


@FAST
@given(clusters(healthy=True))
def test_changed_cluster_reads_as_apply_changes_writes(gen: Generated) -> None:
    _check_changed_cluster([o for _, _, o in load_bytes(gen.data)], gen.options)


# --- the report's own parse as the start, and the whole search ------------------------------


@FAST
@given(clusters(healthy=True))
def test_starting_from_the_report_s_parse_gives_the_same_fixes_and_changes_it_not(
    gen: Generated,
) -> None:
    loaded = load_bytes(gen.data)
    cluster = build_cluster(loaded)
    # A copy by value: the compiled engine's frozen classes cannot be deep-copied.
    services = [dataclasses.asdict(s) for s in cluster.services]
    started = analyze_cluster(cluster, gen.options)
    add_fixes(started, [o for _, _, o in loaded], gen.options, cluster)
    alone = gen.report()
    add_fixes(alone, [o for _, _, o in load_bytes(gen.data)], gen.options)
    assert _fixes(started) == _fixes(alone)
    assert [dataclasses.asdict(s) for s in cluster.services] == services


def test_two_services_with_one_patch_share_its_yaml_but_name_themselves_in_commands():
    items = [*three_zones()]
    for ns in ("one", "two"):
        svc = service(itp="Local")
        svc["metadata"]["namespace"] = ns
        items.append(svc)
        slice_obj = slice_("svc-1", endpoint("10.0.0.1", "a1", "zone-a"))
        slice_obj["metadata"]["namespace"] = ns
        items.append(slice_obj)
    data = orjson.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    loaded = load_bytes(data)
    report = analyze_cluster(build_cluster(loaded), Options())
    add_fixes(report, [o for _, _, o in loaded], Options())
    fixes = {
        e["namespace"]: next(f for f in e["fixes"] if f["kind"] == "internal-traffic-policy")
        for e in report["services"]
    }
    assert fixes["one"]["yaml"] == fixes["two"]["yaml"]
    assert fixes["one"]["after"] == fixes["two"]["after"]
    assert fixes["one"]["commands"][0].startswith("kubectl -n one patch service svc ")
    assert fixes["two"]["commands"][0].startswith("kubectl -n two patch service svc ")


# --- nothing to win back ----------------------------------------------------------------------

_SHARE = st.floats(0, 1, allow_nan=False)


@given(
    st.fixed_dictionaries(
        {"crossZoneFraction": _SHARE, "dropped": _SHARE, "maxOverload": st.floats(0, 5)}
    ),
    st.fixed_dictionaries(
        {"crossZoneFraction": _SHARE, "dropped": _SHARE, "maxOverload": st.floats(0, 5)}
    ),
)
def test_where_nothing_can_improve_no_outcome_passes(before, after):
    if not can_improve(before, LIMIT):
        assert not improves(before, after, LIMIT)


def test_an_overloaded_or_leaking_service_can_improve():
    calm = {"crossZoneFraction": 0.0, "dropped": 0.0, "maxOverload": LIMIT}
    assert not can_improve(calm, LIMIT)
    assert can_improve({**calm, "crossZoneFraction": 0.01}, LIMIT)
    assert can_improve({**calm, "dropped": 0.01}, LIMIT)
    assert can_improve({**calm, "maxOverload": LIMIT + 0.01}, LIMIT)


# --- replica counts read without writing objects (routing.whatif.read_replicas) ------------


def _check_reader(
    objects: list[dict[str, Any]], layouts: list[dict[str, int]], pods: bool = False
) -> None:
    """One ReplicasReader per Service, asked for every layout in turn (its per-Service parts
    are reused), reads what apply_changes writes, as a fresh parse reads it; with `pods`, the
    Pods aside (SharedPods), removed and added as apply_changes does in the objects."""
    nodes = SharedNodes([o for o in objects if o["kind"] == "Node"])
    index = ServiceObjects(objects, with_pods=pods)
    whole = build_cluster(_items(objects))
    snapshot = orjson.dumps(objects)
    for svc in whole.services:
        key = (svc.namespace, svc.name)
        reader = ReplicasReader(index.own(key), *key, nodes, svc, pods=index.pods)
        unread = ReplicasReader(index.own(key), *key, nodes, pods=index.pods)  # parses them
        for wanted in [*layouts, *reversed(layouts)]:
            changes = {"replicasPerZone": wanted}
            try:
                edited = apply_changes(objects, *key, changes)
            except WhatIfError:
                with pytest.raises(WhatIfError):
                    reader.changed(changes)
                continue
            assert _service(unread.changed(changes)[0], key) == _service(
                reader.changed(changes)[0], key
            )
            cluster, said = reader.changed(changes)
            fresh = build_cluster(_items(edited.objects))
            assert _service(cluster, key) == _service(fresh, key), (key, wanted)
            assert said == edited.changes
            # The search's way: the figures of the controller's hints, not given to endpoints.
            analyzer = ServiceAnalyzer(Options(clients="pods" if pods else "cpu"))
            figures = analyzer.headline(cluster, *key)
            assert reader.headline(changes, analyzer) == (figures, said)
            assert [n.running_pods for n in cluster.nodes] == [n.running_pods for n in fresh.nodes]
            assert cluster.has_pods == (pods and fresh.has_pods)
            alone = build_cluster(_items(ServiceObjects(edited.objects).own(key)))
            assert cluster.has_slices == alone.has_slices  # as a build of the Service's own
    assert orjson.dumps(objects) == snapshot


def _full(name: str, zone: str, node_name: str, count: int, first: int = 1) -> dict[str, Any]:
    eps = [
        endpoint(f"10.1.{(first + i) // 250}.{(first + i) % 250}", node_name, zone)
        for i in range(count)
    ]
    return slice_(name, *eps)


_LAYOUTS = [
    {"zone-a": 101, "zone-b": 2},
    {"zone-b": 3, "zone-c": 1},
    {"zone-a": 0, "zone-c": 250},
    {"zone-a": 99},
    {"zone-d": 1},  # no such zone
]


@pytest.mark.parametrize("slice_name", ["svc-abc", "svc-whatif-0", "svc-zzz"])
def test_new_endpoints_open_slices_named_and_ordered_as_the_controller_s(slice_name):
    """A full slice (100 endpoints): the new ones open slices, which sort before or after."""
    objects = [*three_zones(), service(), _full(slice_name, "zone-a", "a1", 100)]
    _check_reader(objects, _LAYOUTS)


def test_slices_with_room_are_filled_in_name_order_and_unmanaged_ones_left_alone():
    objects = [
        *three_zones(),
        service(),
        _full("svc-1", "zone-a", "a1", 99),
        _full("svc-2", "zone-b", "b1", 3, first=200),
        slice_("svc-3", endpoint("10.2.0.1", "a1", "zone-a"), managed_by="someone"),
        slice_("svc-4", endpoint("10.2.0.2", "c1", "zone-c", ready=False)),
    ]
    _check_reader(objects, _LAYOUTS)


def test_both_families_of_a_dual_stack_service_and_an_fqdn_slice():
    v6 = slice_(
        "svc-v6",
        endpoint("fd00::1", "a1", "zone-a"),
        endpoint("fd00::2", "b1", "zone-b"),
        address_type="IPv6",
    )
    fqdn = slice_("svc-names", address_type="FQDN")
    fqdn["endpoints"] = [{"addresses": ["db.example.com"], "conditions": {"ready": True}}]
    objects = [
        *three_zones(),
        service(families=["IPv4", "IPv6"]),
        slice_(
            "svc-v4", endpoint("10.0.0.1", "a1", "zone-a"), endpoint("10.0.0.2", "c1", "zone-c")
        ),
        v6,
        fqdn,
    ]
    _check_reader(objects, _LAYOUTS)


def test_a_headless_service_s_family_follows_the_endpoints_left():
    """No ipFamilies and no clusterIP: the endpoints decide, before and after the edit."""
    svc = service()
    svc["spec"]["clusterIP"] = "None"
    v6 = slice_("svc-v6", endpoint("fd00::1", "b1", "zone-b"), address_type="IPv6")
    objects = [*three_zones(), svc, slice_("svc-v4", endpoint("10.0.0.1", "a1", "zone-a")), v6]
    _check_reader(objects, [{"zone-a": 0}, {"zone-a": 0, "zone-b": 2}, {"zone-c": 1}])


@pytest.mark.parametrize("ports", [None, [{"name": "other", "port": 80, "protocol": "TCP"}]])
def test_new_slices_copy_the_ports_of_the_first_managed_one_or_take_the_service_s(ports):
    full = _full("svc-a", "zone-a", "a1", 100)
    if ports is None:
        full.pop("ports")
    else:
        full["ports"] = ports
    _check_reader([*three_zones(), service(), full], [{"zone-b": 1}, {"zone-a": 102}])


def test_services_without_a_selector_or_endpoints_refuse_or_start_from_nothing():
    bare = service("bare")
    lone = service("lone", selector=False)
    objects = [
        *three_zones(),
        bare,
        lone,
        slice_("lone-1", endpoint("10.0.0.1", "a1", "zone-a"), service_name="lone"),
    ]
    _check_reader(objects, [{"zone-a": 2}, {"zone-b": 0}])


def _with_pod(ep: dict[str, Any], name: str) -> dict[str, Any]:
    ep["targetRef"] = {"kind": "Pod", "name": name}
    return ep


def _pod(name: str, node_name: Any, phase: str = "Running", namespace: str = "default") -> Any:
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"nodeName": node_name},
        "status": {"phase": phase, "podIP": "10.9.0.1"},
    }


def test_pods_aside_are_removed_and_added_as_in_the_objects():
    """The Pods of the endpoints that go leave (those of that name in the Service's namespace,
    running or not, repeated or not), one Running Pod per new endpoint comes (shared by both
    families); what runs where weighs the clients."""
    v6 = slice_(
        "svc-v6",
        _with_pod(endpoint("fd00::1", "a1", "zone-a"), "p1"),
        _with_pod(endpoint("fd00::2", "b1", "zone-b"), "p2"),
        address_type="IPv6",
    )
    objects = [
        *three_zones(),
        service(families=["IPv4", "IPv6"]),
        slice_(
            "svc-v4",
            _with_pod(endpoint("10.0.0.1", "a1", "zone-a"), "p1"),
            _with_pod(endpoint("10.0.0.2", "b1", "zone-b"), "p2"),
            _with_pod(endpoint("10.0.0.3", "b1", "zone-b"), "p3"),
            endpoint("10.0.0.4", "c1", "zone-c"),
        ),
        v6,
        _pod("p1", "a1"),
        _pod("p2", "b1"),
        _pod("p2", "b1"),  # the same name twice: both go
        _pod("p3", "b1", phase="Pending"),
        _pod("p1", "a1", namespace="other"),  # another namespace's: stays
        _pod("client", "c1"),
    ]
    layouts = [{"zone-a": 0}, {"zone-b": 1, "zone-c": 3}, {"zone-a": 2, "zone-b": 0}]
    _check_reader(objects, layouts, pods=True)
    everything_goes = [o for o in objects if o["kind"] != "Pod" or o["metadata"]["name"] == "p1"]
    _check_reader(everything_goes[:-1], [{"zone-a": 0}], pods=True)  # no Pod left at all
    no_pods = [o for o in objects if o["kind"] != "Pod"]
    _check_reader(no_pods, layouts, pods=True)  # none to keep in step: none are added
