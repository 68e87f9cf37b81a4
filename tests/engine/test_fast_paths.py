"""The engine's tuned hot paths (docs/benchmarks.md, "`analyze` on a large cluster") give what
their straightforward statements give (tests/engine/straightforward.py): kube-proxy's endpoints
and plan, the flows to the last bit of every float and in the same order, the controller's
hints; and the smaller shortcuts of parsing give what the general way does."""

import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.engine import controller, native, parse
from routing.engine.flows import Clients, compute_flows
from routing.engine.model import (
    NO_HINT,
    Endpoint,
    Service,
    ServicePort,
    SlicePorts,
)
from routing.engine.proxy import ProxyPlan, plan, proxy_endpoints, ready_endpoints
from routing.engine.topology import ZoneRatios
from tests.engine import straightforward as ref

PROPS = settings(max_examples=400, deadline=None)
# "" is a node without a zone label; "unknown" a zone named like the flow map's unknown key.
ZONES = ["a", "b", "c", "", "unknown"]
NODES = ["n1", "n2", "n3", "n4", "n5", ""]
SLICES = ["s1", "s2", "s3"]
PORTS = (
    ServicePort("", "TCP", 80),
    ServicePort("http", "TCP", 8080),
    ServicePort("dns", "UDP", 53),
)
_TRISTATE = st.sampled_from([True, True, True, False, None])


@st.composite
def hints(draw: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    zones = draw(st.lists(st.sampled_from(ZONES[:3]), max_size=3))  # repeats: counted once
    nodes = draw(st.lists(st.sampled_from(NODES[:5]), max_size=2))
    return draw(st.sampled_from([NO_HINT, (tuple(zones), tuple(nodes)), (tuple(zones), ())]))


@st.composite
def endpoints(draw: Any) -> Endpoint:
    family = draw(st.sampled_from(["IPv4", "IPv4", "IPv4", "IPv6"]))
    k = draw(st.integers(0, 6))  # few addresses: some repeat (an endpoint moving between slices)
    zone = draw(st.sampled_from(ZONES))
    return Endpoint(
        f"10.0.0.{k}" if family == "IPv4" else f"fd00::{k}",
        draw(st.sampled_from(NODES)),
        zone,
        draw(_TRISTATE),
        draw(_TRISTATE),
        draw(st.sampled_from([False, False, False, True, None])),
        draw(hints()),
        draw(st.booleans()),
        draw(st.sampled_from(SLICES)),
        family,
        draw(st.booleans()),
        zone or draw(st.sampled_from(["a", "b", "unknown"])),
    )


@st.composite
def services(draw: Any) -> Service:
    ports = draw(st.sampled_from([(), PORTS[:1], PORTS[1:], PORTS]))
    keys = [p.key for p in PORTS]
    slice_ports = {
        name: SlicePorts(frozenset(draw(st.lists(st.sampled_from(keys), max_size=3))), ())
        for name in SLICES
    }
    return dataclasses.replace(
        _plain,
        headless=draw(st.booleans()),
        has_selector=draw(st.sampled_from([True, True, False])),
        internal_traffic_policy=draw(st.sampled_from(["Cluster", "Cluster", "Local"])),
        ip_families=draw(st.sampled_from([(), ("IPv4",), ("IPv6",), ("IPv4", "IPv6")])),
        endpoints=draw(st.lists(endpoints(), max_size=14)),
        slice_count=len(SLICES),
        ports=ports,
        slice_ports=draw(st.sampled_from([slice_ports, {}])),
    )


_plain = Service(
    namespace="default",
    name="svc",
    type="ClusterIP",
    headless=False,
    has_selector=True,
    internal_traffic_policy="Cluster",
    external_traffic_policy=None,
    externally_accessible=False,
    traffic_distribution=None,
    topology_annotation=None,
    topology_annotation_key=None,
    topology_mode_value=None,
    ip_families=("IPv4",),
)


@st.composite
def clients(draw: Any) -> tuple[Clients, dict[str, str]]:
    by_node: dict[str, tuple[str, float]] = {}
    zone_weight: dict[str, float] = {}
    zone_count: dict[str, int] = {}
    weights = st.sampled_from([0.0, 0.1, 0.2, 1 / 3, 0.25, 0.05, 1e-13])
    for node in draw(st.permutations(["n1", "n2", "n3", "n4", "n6", "n7"])):
        if draw(st.booleans()):
            zone, w = draw(st.sampled_from(ZONES)), draw(weights)
            by_node[node] = (zone, w)
            zone_weight[zone] = zone_weight.get(zone, 0.0) + w
            zone_count[zone] = zone_count.get(zone, 0) + 1
    regions = {z: draw(st.sampled_from(["r1", "r2", ""])) for z in ZONES}
    return Clients("cpu", by_node, zone_weight, zone_count), regions


def _outcomes(p: Any) -> Any:
    def one(o: Any) -> tuple[Any, ...]:
        return (o.action, o.mode, tuple(o.endpoints))

    return (
        one(p.default),
        [(k, one(o)) for k, o in p.by_zone.items()],
        [(k, one(o)) for k, o in p.by_node.items()],
    )


def _figures(f: Any) -> str:
    # repr: every float to its last bit, every dict in its order
    return repr((f.matrix, f.dropped, f.cross_zone, f.cross_region, f.load, f.max_overload))


@PROPS
@given(services(), clients(), st.data())
def test_plan_and_flows_are_the_straightforward_ones_bit_for_bit(svc, weighted, data):
    client_weights, regions = weighted
    runs = [[ep.hint for ep in svc.endpoints]]
    runs += [ref.simulate_hints(svc, p) for p in ("none", "PreferSameZone", "PreferSameNode")]
    n = len(svc.endpoints)
    runs.append(data.draw(st.lists(hints(), min_size=n, max_size=n)))
    # every endpoint hinted for zones and nodes, some for two: zone and node outcomes overlap
    both = st.tuples(
        st.lists(st.sampled_from(ZONES[:3]), min_size=1, max_size=2).map(tuple),
        st.lists(st.sampled_from(NODES[:5]), min_size=1, max_size=2).map(tuple),
    )
    runs.append(data.draw(st.lists(both, min_size=n, max_size=n)))
    for port in [None, *svc.ports]:
        indices = proxy_endpoints(svc, port)
        assert indices == ref.proxy_endpoints(svc, port)
        ready = ready_endpoints(svc, indices)
        assert ready == [i for i in indices if svc.endpoints[i].proxy_ready]
        for run in runs:
            expected = ref.plan(svc, run, indices)
            want = _figures(ref.compute_flows(svc, expected, indices, client_weights, regions))
            for known in (None, ready):
                got = plan(svc, run, indices, known)
                assert _outcomes(got) == _outcomes(expected)
                flows = compute_flows(svc, got, indices, client_weights, regions, known)
                assert _figures(flows) == want


@PROPS
@given(services())
def test_the_controller_s_hints_are_the_straightforward_ones(svc):
    ratios = ZoneRatios(None, (), ())
    for policy in ("none", "PreferSameZone", "PreferSameNode", "not a policy"):
        assert controller.simulate(svc, policy, ratios).hints == ref.simulate_hints(svc, policy)


def test_each_node_s_outcome_is_its_own_object():
    # compute_flows adds each node's clients up on their own: it relies on this.
    svc = dataclasses.replace(_plain, endpoints=[])
    for i in range(4):
        ep = Endpoint(
            f"10.0.0.{i}", f"n{i % 2}", "a", True, True, False, NO_HINT, False, "s", "IPv4", True
        )
        svc.endpoints.append(ep)
    node_hints = [(("a",), (ep.node_name,)) for ep in svc.endpoints]
    made: ProxyPlan = plan(svc, node_hints, [0, 1, 2, 3])
    outcomes = [*made.by_node.values(), *made.by_zone.values(), made.default]
    assert len({id(o) for o in outcomes}) == len(outcomes) == 4


# --- parsing ------------------------------------------------------------------------------------

_NAMES = st.one_of(st.sampled_from(["zone-a", "zone-b", ""]), st.integers(), st.none())


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.fixed_dictionaries({"forZones": st.lists(st.fixed_dictionaries({"name": _NAMES}))}),
        st.fixed_dictionaries(
            {
                "forZones": st.lists(st.fixed_dictionaries({"name": _NAMES}), max_size=2),
                "forNodes": st.lists(st.fixed_dictionaries({"name": _NAMES}), max_size=2),
            }
        ),
        st.fixed_dictionaries({"forZones": st.lists(st.sampled_from([None, "x", {}]))}),
    )
)
def test_a_hint_of_one_zone_reads_as_the_general_way_reads_it(raw):
    try:
        general = (
            parse._hint_names(raw, "forZones", 0, "it"),
            parse._hint_names(raw, "forNodes", 0, "it"),
        )
    except parse.InputError as exc:
        try:
            parse._hint(raw, 0, "it")
        except parse.InputError as same:
            assert str(same) == str(exc)
        else:
            raise AssertionError("the shortcut took what the general way refuses") from None
        return
    got = parse._hint(raw, 0, "it")
    assert got == general
    if native.form == native.PYTHON:
        # Interned as the general way interns. Compiled, a hint is a C struct that becomes a new
        # tuple each time it reaches Python, so no identity can be seen from here.
        assert got is parse._HINTS[general]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="0123456789.", max_size=16),
            st.text(alphabet="0123456789abcdef:.", max_size=20),
            st.ip_addresses().map(str),
            st.text(max_size=8),
        ),
        max_size=6,
    ),
    st.sampled_from(["IPv4", "IPv6"]),
)
def test_bad_addresses_are_the_ones_is_address_refuses(ips, family):
    eps = [Endpoint(ip, "", "", True, None, None, NO_HINT, False, "s", family, True) for ip in ips]
    assert parse._bad_ips(eps, 1, family) == [
        ip for ip in ips[1:] if not parse._is_address(ip, family)
    ]


def test_with_endpoints_copies_every_other_field():
    # Every field a value of its own type (the compiled engine checks them), unequal to the
    # other fields' of that type wherever the type allows, none a default.
    values: dict[str, Any] = {
        "namespace": "namespace",
        "name": "name",
        "type": "type",
        "headless": True,
        "has_selector": False,
        "internal_traffic_policy": "internal_traffic_policy",
        "external_traffic_policy": "external_traffic_policy",
        "externally_accessible": True,
        "traffic_distribution": "traffic_distribution",
        "topology_annotation": "topology_annotation",
        "topology_annotation_key": "topology_annotation_key",
        "topology_mode_value": "topology_mode_value",
        "ip_families": ("IPv4",),
        "endpoints": [
            Endpoint("10.0.0.1", "n1", "a", True, True, False, NO_HINT, True, "s1", "IPv4", True)
        ],
        "slice_count": 3,
        "ports": (PORTS[1],),
        "slice_ports": {"s1": SlicePorts(frozenset({PORTS[1].key}), ())},
    }
    assert set(values) == {f.name for f in dataclasses.fields(Service)}
    svc = Service(**values)
    new = ([], 7, {}, ("IPv6",))
    copied = svc.with_endpoints(*new)
    changed = {"endpoints": new[0], "slice_count": 7, "slice_ports": new[2], "ip_families": new[3]}
    assert copied == dataclasses.replace(svc, **changed)
    for f in dataclasses.fields(Service):
        assert getattr(copied, f.name) == changed.get(f.name, values[f.name]), f.name
