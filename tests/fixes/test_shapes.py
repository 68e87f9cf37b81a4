"""The memo of verified outcomes per Service shape (routing.fixes.shapes) gives exactly the
fixes of a search without it, byte for byte: on the demo, on generated clusters, and on random
clusters where every Service has twins, alike or changed in one thing a shape must tell apart
(when the memo took a twin for its original where they differ, the fixes would differ)."""

import copy
import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import routing.fixes as fixes_module
from benchmarks.gen_cluster import generate
from routing.engine import Options, analyze_cluster, build_cluster, load_bytes
from routing.engine.parse import SharedNodes
from routing.fixes import add_fixes
from routing.fixes.objects import ServiceObjects
from routing.fixes.shapes import OutcomeMemo, shape
from tests.engine.test_edge_cases import endpoint, node, service, slice_, three_zones
from tests.engine.test_properties import Generated, clusters
from tests.factories import DEMO_DUMP

TWINS = settings(max_examples=80, deadline=None)
ZONE = "topology.kubernetes.io/zone"
# How a twin differs from its original: not at all, or in one thing its shape holds.
CHANGES = [
    "alike",
    "endpoints-reversed",
    "slice-named-whatif",
    "slice-named-last",
    "service-renamed",
    "first-not-ready",
    "first-ready-absent",
    "address-repeated",
    "zone-field-dropped",
    "auto-lowercase",
    "local",
    "moved-node",
    "hint-dropped",
    "first-terminating",
    "first-not-serving",
    "same-node-policy",
    "headless",
    "slice-unmanaged",
    "slice-without-ports",
    "families-dropped",
]


def _search(items: list[dict[str, Any]], options: Options, memoise: bool) -> bytes:
    loaded = load_bytes(orjson.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    cluster = build_cluster(loaded)
    report = analyze_cluster(cluster, options)
    add_fixes(report, [o for _, _, o in loaded], options, cluster, memoise=memoise)
    found = {
        f"{e['namespace']}/{e['name']}": [e["fixes"], e["noFixReason"]] for e in report["services"]
    }
    return orjson.dumps(found, option=orjson.OPT_SORT_KEYS)


def _same_with_and_without(items: list[dict[str, Any]], options: Options) -> None:
    assert _search(items, options, memoise=True) == _search(items, options, memoise=False)


@pytest.fixture
def memos(monkeypatch: pytest.MonkeyPatch) -> list[OutcomeMemo]:
    """Every memo the searches make, to see that it was used."""
    made: list[OutcomeMemo] = []

    def remembered(nodes: Any) -> OutcomeMemo:
        made.append(OutcomeMemo(nodes))
        return made[-1]

    monkeypatch.setattr(fixes_module, "OutcomeMemo", remembered)
    return made


@pytest.mark.parametrize("clients", ["cpu", "uniform", "pods"])
def test_the_demo_gets_the_same_fixes_with_and_without_the_memo(clients):
    items = json.loads(DEMO_DUMP.read_text())["items"]
    _same_with_and_without(items, Options(clients=clients))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_clusters_get_the_same_fixes_and_services_share_outcomes(seed, memos):
    doc = generate(services=400, endpoints=2400, nodes=40, seed=seed, pods=False)
    _same_with_and_without(doc["items"], Options())
    assert memos and memos[0].hits > 20  # alike Services were verified once


def _twin(
    items: list[dict[str, Any]], key: tuple[str, str], n: int, change: str
) -> list[dict[str, Any]]:
    """The Service `key` and its slices again in namespace twin-<n>, its addresses moved to
    another range (kept equal where they were), changed as `change` says."""
    name = key[1]
    service = copy.deepcopy(next(o for o in items if _is(o, "Service", key)))
    slices = copy.deepcopy(sorted((o for o in items if _is(o, "EndpointSlice", key)), key=_name_of))
    namespace, new_name = f"twin-{n}", name
    if change == "service-renamed":
        new_name = f"a{name}"  # its slices keep their names, which now sort otherwise
    service["metadata"].update(namespace=namespace, name=new_name)
    moved: dict[str, str] = {}
    for s in slices:
        s["metadata"]["namespace"] = namespace
        s["metadata"]["labels"]["kubernetes.io/service-name"] = new_name
        for ep in s.get("endpoints") or []:
            ep["addresses"] = [
                moved.setdefault(a, f"10.{200 + n}.{len(moved) // 250}.{len(moved) % 250 + 1}")
                for a in ep["addresses"]
            ]
    endpoints = [ep for s in slices for ep in s.get("endpoints") or []]
    spec, meta = service["spec"], service["metadata"]
    if change == "endpoints-reversed" and slices and slices[0].get("endpoints"):
        slices[0]["endpoints"].reverse()
    elif change == "slice-named-whatif" and slices:
        slices[0]["metadata"]["name"] = f"{new_name}-whatif-0"
    elif change == "slice-named-last" and slices:
        slices[0]["metadata"]["name"] = f"{new_name}-zzz"
    elif change == "first-not-ready" and endpoints:
        endpoints[0]["conditions"]["ready"] = False
    elif change == "first-ready-absent" and endpoints:
        endpoints[0]["conditions"].pop("ready", None)
    elif change == "address-repeated" and len(endpoints) > 1:
        endpoints[1]["addresses"] = list(endpoints[0]["addresses"])
    elif change == "zone-field-dropped" and endpoints:
        endpoints[0].pop("zone", None)
    elif change == "auto-lowercase" and meta.get("annotations"):
        meta["annotations"] = {k: "auto" for k in meta["annotations"]}
    elif change == "local":
        spec["internalTrafficPolicy"] = "Local"
    elif change == "moved-node" and endpoints:
        endpoints[0]["nodeName"] = _neighbour(items, endpoints[0].get("nodeName"))
    elif change == "hint-dropped" and endpoints:
        endpoints[0].pop("hints", None)
    elif change == "first-terminating" and endpoints:
        endpoints[0]["conditions"]["terminating"] = True
    elif change == "first-not-serving" and endpoints:
        endpoints[0]["conditions"]["serving"] = False
    elif change == "same-node-policy":
        spec["trafficDistribution"] = "PreferSameNode"
    elif change == "headless":
        spec["clusterIP"] = "None"
        spec.pop("clusterIPs", None)
    elif change == "slice-unmanaged" and slices:
        slices[0]["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] = "someone"
    elif change == "slice-without-ports" and slices:
        slices[0].pop("ports", None)
    elif change == "families-dropped":
        spec.pop("ipFamilies", None)
        spec["clusterIP"] = "None"
    return [service, *slices]


def _neighbour(items: list[dict[str, Any]], name: Any) -> Any:
    """Another node of the same zone as node `name`, if there is one."""
    zones = {
        _name_of(o): (o["metadata"].get("labels") or {}).get(ZONE)
        for o in items
        if o["kind"] == "Node"
    }
    alike = sorted(n for n, z in zones.items() if z == zones.get(name) and n != name)
    return alike[0] if alike else name


def _is(obj: dict[str, Any], kind: str, key: tuple[str, str]) -> bool:
    if obj["kind"] != kind or (obj["metadata"].get("namespace") or "default") != key[0]:
        return False
    if kind == "Service":
        return bool(obj["metadata"]["name"] == key[1])
    return bool(obj["metadata"]["labels"]["kubernetes.io/service-name"] == key[1])


def _name_of(obj: dict[str, Any]) -> str:
    return str(obj["metadata"]["name"])


@TWINS
@given(clusters(healthy=True), st.lists(st.sampled_from(CHANGES), min_size=1, max_size=4))
def test_twins_get_their_own_fixes_whatever_they_differ_in(gen: Generated, changes) -> None:
    _same_with_and_without(_with_twins(gen.items, changes), gen.options)


def _with_twins(items: list[dict[str, Any]], changes: list[str]) -> list[dict[str, Any]]:
    keys = [_key(o) for o in items if o["kind"] == "Service"]
    twins = [
        o for n, change in enumerate(changes) for k in keys for o in _twin(items, k, n, change)
    ]
    return [*items, *twins]


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    return obj["metadata"].get("namespace") or "default", obj["metadata"]["name"]


# --- what a shape tells apart -----------------------------------------------------------------
# The end-to-end tests above show a difference only where it changes a fix on those clusters;
# here each thing a verification reads is shown to change the shape by itself.


def _base() -> list[dict[str, Any]]:
    return [
        *three_zones(),
        node("a2", "zone-a"),
        node("u1", None),
        service(),
        slice_(
            "svc-abc",
            endpoint("10.0.0.1", "a1", "zone-a"),
            endpoint("10.0.0.2", "b1", "zone-b"),
            endpoint("10.0.0.3", "c1", "zone-c"),
        ),
    ]


def _shape_of(items: list[dict[str, Any]], measured: Any = None) -> Any:
    objects = [o for _, _, o in load_bytes(orjson.dumps({"kind": "List", "items": items}))]
    cluster = build_cluster([("items", i, o) for i, o in enumerate(objects)])
    index = ServiceObjects(objects)
    nodes = SharedNodes(index.nodes)
    (svc,) = cluster.services
    return shape(svc, index.own((svc.namespace, svc.name)), nodes.by_name, measured)


def _changed(edit: Any) -> list[dict[str, Any]]:
    items = copy.deepcopy(_base())
    svc = next(o for o in items if o["kind"] == "Service")
    slice_obj = next(o for o in items if o["kind"] == "EndpointSlice")
    edit(svc, slice_obj, slice_obj["endpoints"], items)
    return items


def _set(obj: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        obj = obj.setdefault(key, {})
    obj[last] = value


_TOLD_APART = {
    "endpoint order": lambda s, sl, eps, items: eps.reverse(),
    "an address repeated": lambda s, sl, eps, items: _set(eps[1], "addresses", ["10.0.0.1"]),
    "not ready": lambda s, sl, eps, items: _set(eps[0], "conditions.ready", False),
    "ready absent": lambda s, sl, eps, items: eps[0]["conditions"].pop("ready"),
    "not serving": lambda s, sl, eps, items: _set(eps[0], "conditions.serving", False),
    "terminating": lambda s, sl, eps, items: _set(eps[0], "conditions.terminating", True),
    "zone field absent": lambda s, sl, eps, items: eps[0].pop("zone"),
    "node without zone": lambda s, sl, eps, items: (
        eps[0].pop("zone"),
        _set(eps[0], "nodeName", "u1"),
    ),
    "a hint": lambda s, sl, eps, items: _set(eps[0], "hints", {"forZones": [{"name": "zone-b"}]}),
    "a hint for a node": lambda s, sl, eps, items: _set(
        eps[0], "hints", {"forZones": [{"name": "zone-a"}], "forNodes": [{"name": "a1"}]}
    ),
    "node, routed per node": lambda s, sl, eps, items: (
        _set(s, "spec.internalTrafficPolicy", "Local"),
        _set(eps[0], "nodeName", "a2"),
    ),
    "internalTrafficPolicy": lambda s, sl, eps, items: _set(
        s, "spec.internalTrafficPolicy", "Local"
    ),
    "trafficDistribution": lambda s, sl, eps, items: _set(
        s, "spec.trafficDistribution", "PreferClose"
    ),
    "topology annotation": lambda s, sl, eps, items: _set(
        s, "metadata.annotations", {"service.kubernetes.io/topology-mode": "Auto"}
    ),
    "its spelling": lambda s, sl, eps, items: _set(
        s, "metadata.annotations", {"service.kubernetes.io/topology-mode": "auto"}
    ),
    "deprecated annotation": lambda s, sl, eps, items: _set(
        s, "metadata.annotations", {"service.kubernetes.io/topology-aware-hints": "auto"}
    ),
    "no selector": lambda s, sl, eps, items: s["spec"].pop("selector"),
    "headless": lambda s, sl, eps, items: _set(s, "spec.clusterIP", "None"),
    "families from the endpoints": lambda s, sl, eps, items: s["spec"].pop("clusterIP"),
    "dual stack": lambda s, sl, eps, items: _set(s, "spec.ipFamilies", ["IPv4", "IPv6"]),
    "first port without number": lambda s, sl, eps, items: _set(s, "spec.ports", [{"port": 0}]),
    "slice named as a new one": lambda s, sl, eps, items: _set(sl, "metadata.name", "svc-whatif-0"),
    "slice sorting after new ones": lambda s, sl, eps, items: _set(sl, "metadata.name", "svc-zzz"),
    "service renamed": lambda s, sl, eps, items: (
        _set(s, "metadata.name", "sv"),
        sl["metadata"]["labels"].update({"kubernetes.io/service-name": "sv"}),
    ),
    "slice not managed": lambda s, sl, eps, items: sl["metadata"]["labels"].update(
        {"endpointslice.kubernetes.io/managed-by": "someone"}
    ),
    "slice without ports": lambda s, sl, eps, items: sl.pop("ports"),
    "slice serving another port": lambda s, sl, eps, items: _set(
        sl, "ports", [{"name": "other", "port": 80, "protocol": "TCP"}]
    ),
    "endpoints split": lambda s, sl, eps, items: items.append(
        slice_("svc-abd", eps.pop(), managed_by=None)
    ),
}
_ALIKE = {
    "other names and addresses": lambda s, sl, eps, items: (
        _set(s, "metadata.namespace", "other"),
        _set(s, "metadata.name", "web"),
        _set(sl, "metadata.namespace", "other"),
        _set(sl, "metadata.name", "web-abc"),
        sl["metadata"]["labels"].update({"kubernetes.io/service-name": "web"}),
        [_set(ep, "addresses", [f"10.9.9.{i}"]) for i, ep in enumerate(eps)],
    ),
    "a node of the same zone, routed per zone": lambda s, sl, eps, items: _set(
        eps[0], "nodeName", "a2"
    ),
    "slice named otherwise, sorting alike": lambda s, sl, eps, items: _set(
        sl, "metadata.name", "svc-abd"
    ),
}


def _node_zone_named(zone: Any) -> Any:
    def edit(s, sl, eps, items):
        items.append(node("k1", zone))
        eps[0].pop("zone")
        eps[0]["nodeName"] = "k1"

    return edit


def _split_after(n: int) -> Any:
    def edit(s, sl, eps, items):
        items.append(slice_("svc-abd", *eps[n:]))
        del eps[n:]

    return edit


def _both(*edits: Any) -> Any:
    def edit(s, sl, eps, items):
        for one in edits:
            one(s, sl, eps, items)

    return edit


_SAME_NODE = lambda s, sl, eps, items: _set(  # noqa: E731
    s, "spec.trafficDistribution", "PreferSameNode"
)
_NODE_HINT = lambda s, sl, eps, items: _set(  # noqa: E731
    eps[1], "hints", {"forZones": [{"name": "zone-b"}], "forNodes": [{"name": "b1"}]}
)
_MOVED = lambda s, sl, eps, items: _set(eps[0], "nodeName", "a2")  # noqa: E731
_FAMILIES = lambda s, sl, eps, items: _set(s, "spec.ipFamilies", ["IPv4"])  # noqa: E731


def _dual_stack(family: str) -> Any:
    def edit(s, sl, eps, items):
        s["spec"]["ipFamilies"] = ["IPv4", "IPv6"]
        sl["addressType"] = family
        if family == "IPv6":
            for i, ep in enumerate(eps):
                ep["addresses"] = [f"fd00::{i + 1}"]

    return edit


# Pairs whose shapes differ in one thing only (a base alone would differ in more).
_PAIRS = {
    "endpoints per slice": (_split_after(2), _split_after(1)),
    "node, with a policy for nodes": (_SAME_NODE, _both(_SAME_NODE, _MOVED)),
    "node, with a hint for nodes": (_NODE_HINT, _both(_NODE_HINT, _MOVED)),
    "a slice's ports, none or another": (
        _TOLD_APART["slice without ports"],
        _TOLD_APART["slice serving another port"],
    ),
    "no ports, or a first port without number": (
        lambda s, sl, eps, items: s["spec"].pop("ports"),
        _TOLD_APART["first port without number"],
    ),
    "an annotation's raw value": (
        lambda s, sl, eps, items: _set(
            s, "metadata.annotations", {"service.kubernetes.io/topology-aware-hints": True}
        ),
        lambda s, sl, eps, items: _set(
            s, "metadata.annotations", {"service.kubernetes.io/topology-aware-hints": "True"}
        ),
    ),
    "a node zone named unknown, or none": (_node_zone_named("unknown"), _node_zone_named(None)),
    "a selector, its slices not managed": (
        _TOLD_APART["slice not managed"],
        _both(_TOLD_APART["slice not managed"], _TOLD_APART["no selector"]),
    ),
    "headless, families given": (_FAMILIES, _both(_FAMILIES, _TOLD_APART["headless"])),
    "internalTrafficPolicy, routed per node anyway": (
        _SAME_NODE,
        _both(_SAME_NODE, _TOLD_APART["internalTrafficPolicy"]),
    ),
    "an annotation absent, or null": (
        lambda s, sl, eps, items: None,
        lambda s, sl, eps, items: _set(
            s, "metadata.annotations", {"service.kubernetes.io/topology-aware-hints": None}
        ),
    ),
    "a slice's family": (_dual_stack("IPv4"), _dual_stack("IPv6")),
}


@pytest.mark.parametrize("what", sorted(_TOLD_APART))
def test_a_shape_tells_apart(what):
    assert _shape_of(_changed(_TOLD_APART[what])) != _shape_of(_base())


@pytest.mark.parametrize("what", sorted(_PAIRS))
def test_a_shape_tells_apart_what_only_it_says(what):
    one, other = _PAIRS[what]
    assert _shape_of(_changed(one)) != _shape_of(_changed(other))


@pytest.mark.parametrize("what", sorted(_ALIKE))
def test_a_shape_holds_no_name(what):
    assert _shape_of(_changed(_ALIKE[what])) == _shape_of(_base())


def test_a_shape_tells_measured_client_zones_apart():
    measured = {("default", "svc"): {"zone-a": 0.5, "zone-b": 0.5}}
    assert _shape_of(_base(), measured) != _shape_of(_base())
