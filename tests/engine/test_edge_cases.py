"""The edge cases of docs/kubernetes-semantics.md §5 and the facts of §3.3, one test per row.

Each test builds a small `kubectl get -o json` style List and checks the analysis report:
the hints the EndpointSlice controller would write (`controller`), what kube-proxy does on
every node with the hints as observed (`proxy`), and where the traffic lands (`flows`).

Rows without a test:
- 30 (Auto donation target and tie-breaks): upstream picks by Go map order, i.e. at random. The
  engine documents a deterministic order instead; the per-zone counts it must keep are checked by
  the reconciler and donation examples below, not a particular endpoint.
- 37 (IPVS mode): the report models the endpoint set and uniform spreading only; round-robin
  versus random spreading is not represented, so there is nothing to assert.
"""

from collections import Counter
from typing import Any

import orjson
import pytest

from routing.engine import Options, analyze_cluster, build_cluster, load_bytes
from routing.engine.model import Node
from routing.engine.topology import Allocation, _giving_and_receiving, allocations, zone_ratios

ZONE_LABEL = "topology.kubernetes.io/zone"
MODE_ANNOTATION = "service.kubernetes.io/topology-mode"
DEPRECATED_ANNOTATION = "service.kubernetes.io/topology-aware-hints"
ABSENT = object()  # a condition or field left out of the object entirely

DISABLED = "TopologyAwareHintsDisabled"
ENABLED = "TopologyAwareHintsEnabled"
ENABLED_V4 = {
    "type": "Normal",
    "reason": ENABLED,
    "message": "Topology Aware Hints has been enabled, addressType: IPv4",
}
NODE_INFO = (
    "Insufficient Node information: allocatable CPU or zone not specified on one or more nodes"
)
UNABLE = (
    "Unable to allocate minimum required endpoints to each zone without exceeding "
    "overload threshold"
)


# ---------------------------------------------------------------------------- builders


def node(
    name: str,
    zone: str | None,
    *,
    ready: bool = True,
    cpu: Any = "4",
    role: str | None = None,
) -> dict[str, Any]:
    """A Node; `zone=None` leaves the zone label off, `cpu=None` leaves allocatable.cpu off,
    `role` is "control-plane" or "master" (the node-role label)."""
    labels = {"kubernetes.io/hostname": name}
    if zone is not None:
        labels[ZONE_LABEL] = zone
    if role is not None:
        labels[f"node-role.kubernetes.io/{role}"] = ""
    status: dict[str, Any] = {
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]
    }
    if cpu is not None:
        status["allocatable"] = {"cpu": cpu, "memory": "16Gi", "pods": "110"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "status": status,
    }


def service(
    name: str = "svc",
    *,
    td: str | None = None,
    annotations: dict[str, str] | None = None,
    itp: str | None = None,
    etp: str | None = None,
    type_: str = "ClusterIP",
    selector: bool = True,
    families: list[str] | None = None,
    publish_not_ready: bool | None = None,
) -> dict[str, Any]:
    """Service default/<name> with a selector (unless `selector=False`)."""
    spec: dict[str, Any] = {"type": type_, "clusterIP": "10.96.0.10", "ports": [{"port": 80}]}
    if selector:
        spec["selector"] = {"app": name}
    if td is not None:
        spec["trafficDistribution"] = td
    if itp is not None:
        spec["internalTrafficPolicy"] = itp
    if etp is not None:
        spec["externalTrafficPolicy"] = etp
    if families is not None:
        spec["ipFamilies"] = families
    if publish_not_ready is not None:
        spec["publishNotReadyAddresses"] = publish_not_ready
    metadata: dict[str, Any] = {"name": name, "namespace": "default"}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec}


def endpoint(
    ip: str,
    node_name: str | None,
    zone: str | None,
    *,
    ready: Any = True,
    serving: Any = True,
    terminating: Any = False,
    for_zones: list[str] | None = None,
    for_nodes: list[str] | None = None,
) -> dict[str, Any]:
    """One endpoint; conditions default to a healthy pod, ABSENT leaves a condition out."""
    conditions = {
        k: v
        for k, v in (("ready", ready), ("serving", serving), ("terminating", terminating))
        if v is not ABSENT
    }
    ep: dict[str, Any] = {"addresses": [ip], "conditions": conditions}
    if node_name is not None:
        ep["nodeName"] = node_name
    if zone is not None:
        ep["zone"] = zone
    if for_zones is not None or for_nodes is not None:
        hints: dict[str, Any] = {}
        if for_zones is not None:
            hints["forZones"] = [{"name": z} for z in for_zones]
        if for_nodes is not None:
            hints["forNodes"] = [{"name": n} for n in for_nodes]
        ep["hints"] = hints
    return ep


def slice_(
    name: str,
    *endpoints: dict[str, Any],
    service_name: str = "svc",
    address_type: str = "IPv4",
    managed_by: str | None = "endpointslice-controller.k8s.io",
) -> dict[str, Any]:
    labels = {"kubernetes.io/service-name": service_name}
    if managed_by is not None:
        labels["endpointslice.kubernetes.io/managed-by"] = managed_by
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "addressType": address_type,
        "ports": [{"name": "", "port": 80, "protocol": "TCP"}],
        "endpoints": list(endpoints),
    }


def three_zones(cpu: str = "4") -> list[dict[str, Any]]:
    return [
        node("a1", "zone-a", cpu=cpu),
        node("b1", "zone-b", cpu=cpu),
        node("c1", "zone-c", cpu=cpu),
    ]


def analyze(items: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    data = orjson.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    return analyze_cluster(build_cluster(load_bytes(data)), Options(**options))


def svc_of(report: dict[str, Any], name: str = "svc") -> dict[str, Any]:
    matches = [s for s in report["services"] if s["name"] == name]
    assert len(matches) == 1, [s["name"] for s in report["services"]]
    found: dict[str, Any] = matches[0]
    return found


def run(items: list[dict[str, Any]], name: str = "svc", **options: Any) -> dict[str, Any]:
    return svc_of(analyze(items, **options), name)


def proxy(s: dict[str, Any], node_name: str) -> tuple[str, str | None, list[str]]:
    """(action, mode, sorted endpoint IPs) of kube-proxy on that node."""
    entry = s["proxy"][node_name]
    return entry["action"], entry["mode"], sorted(entry["endpoints"])


def hint(zones: list[str], nodes: list[str] | None = None) -> dict[str, list[str]]:
    return {"forZones": zones, "forNodes": nodes or []}


def zone_hint_counts(s: dict[str, Any]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for h in s["controller"]["hints"].values():
        if h is not None:
            counts.update(h["forZones"])
    return counts


def cross_zone_hints(s: dict[str, Any]) -> list[str]:
    """IPs whose controller zone hint names a zone other than the endpoint's own."""
    own = {ep["ip"]: ep["zone"] for ep in s["endpoints"]}
    return sorted(
        ip for ip, h in s["controller"]["hints"].items() if h and h["forZones"] != [own[ip]]
    )


def with_controller_hints(items: list[dict[str, Any]], name: str = "svc") -> list[dict[str, Any]]:
    """The same objects with each managed slice carrying exactly the hints the controller writes
    (as if it had just reconciled): the observed state after one sync."""
    written = run(items, name)["controller"]["hints"]
    out = []
    for obj in items:
        if obj["kind"] == "EndpointSlice" and (
            obj["metadata"]["labels"].get("kubernetes.io/service-name") == name
        ):
            obj = orjson.loads(orjson.dumps(obj))
            for ep in obj["endpoints"]:
                ep.pop("hints", None)
                h = written.get(ep["addresses"][0])
                if h is not None:
                    ep["hints"] = {k: [{"name": n} for n in v] for k, v in h.items() if v}
        out.append(obj)
    return out


def warning(message: str) -> dict[str, str]:
    return {"type": "Warning", "reason": DISABLED, "message": message}


def auto_svc(**kw: Any) -> dict[str, Any]:
    return service(annotations={MODE_ANNOTATION: "Auto"}, **kw)


def spread(n: int, zones: list[str]) -> list[dict[str, Any]]:
    """n ready endpoints spread round-robin over nodes "<z>1" of the given zones."""
    return [
        endpoint(f"10.0.0.{i + 1}", f"{zones[i % len(zones)][-1]}1", zones[i % len(zones)])
        for i in range(n)
    ]


# ---------------------------------------------------------------------------- §6 table


def test_row_01_auto_annotation_wins_over_prefer_same_node_and_writes_no_node_hints() -> None:
    # The reconciler example (3 equal zones, endpoints a:1 b:3 c:2) makes the CPU-proportional
    # allocation visible: one zone-b endpoint is donated to zone-a, which PreferSameNode never does.
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a"),
        endpoint("10.0.0.2", "b1", "zone-b"),
        endpoint("10.0.0.3", "b1", "zone-b"),
        endpoint("10.0.0.4", "b1", "zone-b"),
        endpoint("10.0.0.5", "c1", "zone-c"),
        endpoint("10.0.0.6", "c1", "zone-c"),
    ]
    s = run([*three_zones(), auto_svc(td="PreferSameNode"), slice_("svc-1", *eps)])
    assert s["policy"]["mechanism"] == "topologyAuto"
    assert s["policy"]["trafficDistribution"] == "PreferSameNode"
    assert s["controller"]["policy"] == "Auto"
    assert s["controller"]["events"] == [ENABLED_V4]
    hints = s["controller"]["hints"]
    assert len(hints) == 6
    assert all(
        h is not None and h["forNodes"] == [] and len(h["forZones"]) == 1 for h in hints.values()
    )
    assert zone_hint_counts(s) == {"zone-a": 2, "zone-b": 2, "zone-c": 2}
    donated = cross_zone_hints(s)
    assert len(donated) == 1 and donated[0] in {"10.0.0.2", "10.0.0.3", "10.0.0.4"}
    assert hints[donated[0]]["forZones"] == ["zone-a"]


@pytest.mark.parametrize(
    ("td", "mechanism", "expected_hint"),
    [
        ("PreferSameZone", "trafficDistribution", hint(["zone-a"])),
        (None, "none", None),
    ],
)
def test_row_02_deprecated_disabled_annotation_overrides_topology_mode_auto(
    td: str | None, mechanism: str, expected_hint: Any
) -> None:
    svc = service(td=td, annotations={DEPRECATED_ANNOTATION: "Disabled", MODE_ANNOTATION: "Auto"})
    eps = spread(3, ["zone-a", "zone-b", "zone-c"])
    s = run([*three_zones(), svc, slice_("svc-1", *eps)])
    assert s["policy"]["mechanism"] == mechanism
    assert s["policy"]["topologyMode"] == "Disabled"
    assert s["policy"]["topologyAnnotation"] == DEPRECATED_ANNOTATION
    assert s["controller"]["events"] == []
    assert s["controller"]["hints"]["10.0.0.1"] == expected_hint
    if td is None:
        assert set(s["controller"]["hints"].values()) == {None}


@pytest.mark.parametrize(
    ("value", "mechanism"),
    [("AUTO", "none"), ("aUto", "none"), ("Auto", "topologyAuto"), ("auto", "topologyAuto")],
)
def test_row_03_only_auto_and_lowercase_auto_enable_topology_aware_routing(
    value: str, mechanism: str
) -> None:
    eps = spread(3, ["zone-a", "zone-b", "zone-c"])
    s = run([*three_zones(), service(annotations={MODE_ANNOTATION: value}), slice_("svc-1", *eps)])
    assert s["policy"]["mechanism"] == mechanism
    assert s["policy"]["topologyMode"] == value
    if mechanism == "none":
        assert s["controller"]["events"] == []
        assert list(s["controller"]["hints"].values()) == [None, None, None]
    else:
        assert s["controller"]["events"] == [ENABLED_V4]
        assert s["controller"]["hints"]["10.0.0.2"] == hint(["zone-b"])


@pytest.mark.parametrize("td", [None, "PreferSameZone"])
def test_row_04_annotation_removed_after_auto_hints_strips_them_unless_traffic_distribution_set(
    td: str | None,
) -> None:
    # Observed: Auto's hints from before the annotation was removed (10.0.0.3 donated to zone-a).
    # The TopologyAwareHintsDisabled "has been disabled" event needs the controller's in-memory
    # cache; the report is a fresh reconcile (analysis-report.md), so no event is expected here.
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
        endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-b"]),
        endpoint("10.0.0.3", "b1", "zone-b", for_zones=["zone-a"]),
        endpoint("10.0.0.4", "c1", "zone-c", for_zones=["zone-c"]),
    ]
    s = run([*three_zones(), service(td=td), slice_("svc-1", *eps)])
    hints = s["controller"]["hints"]
    assert not any(e["type"] == "Normal" for e in s["controller"]["events"])
    if td is None:
        assert s["policy"]["mechanism"] == "none"
        assert hints == dict.fromkeys(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"])
    else:
        assert s["policy"]["mechanism"] == "trafficDistribution"
        assert hints["10.0.0.3"] == hint(["zone-b"])  # its own zone, no longer donated
        assert hints["10.0.0.1"] == hint(["zone-a"])
    # kube-proxy keeps following the observed hints until the controller rewrites the slice.
    assert proxy(s, "a1") == ("forward", "PreferSameZone", ["10.0.0.1", "10.0.0.3"])


@pytest.mark.parametrize("case", ["single-zone", "one-endpoint"])
def test_row_05_prefer_close_writes_hints_in_single_zone_cluster_or_with_one_endpoint(
    case: str,
) -> None:
    if case == "single-zone":
        nodes = [node("a1", "zone-a"), node("a2", "zone-a")]
        eps = [endpoint("10.0.0.1", "a1", "zone-a"), endpoint("10.0.0.2", "a2", "zone-a")]
    else:
        nodes = three_zones()
        eps = [endpoint("10.0.0.1", "a1", "zone-a")]
    items = [*nodes, service(td="PreferClose"), slice_("svc-1", *eps)]
    s = run(items)
    assert s["policy"]["mechanism"] == "trafficDistribution"
    assert s["controller"]["events"] == []  # no safeguards, so nothing to warn about
    assert s["controller"]["hints"] == {ep["addresses"][0]: hint(["zone-a"]) for ep in eps}
    observed = run(with_controller_hints(items))
    everything = sorted(ep["addresses"][0] for ep in eps)
    for n in [x["metadata"]["name"] for x in nodes]:
        # Filtering is on in zone-a (elsewhere nothing is hinted for the zone), but either way
        # every client uses every endpoint: the same as no filtering.
        mode = "PreferSameZone" if n.startswith("a") else None
        assert proxy(observed, n) == ("forward", mode, everything)
    assert observed["flows"]["dropped"] == 0.0
    assert observed["flows"]["matrix"] == observed["whatIf"]["none"]["matrix"]
    if case == "single-zone":
        assert observed["flows"]["matrix"] == {"zone-a": {"zone-a": pytest.approx(1.0)}}


def test_row_06_prefer_close_with_unlabelled_node_disables_filtering_everywhere() -> None:
    nodes = [node("a1", "zone-a"), node("b1", "zone-b"), node("x1", None)]
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a"),
        endpoint("10.0.0.2", "b1", "zone-b"),
        endpoint("10.0.0.3", "x1", None),  # the controller sets no zone for an unlabelled node
    ]
    items = [*nodes, service(td="PreferClose"), slice_("svc-1", *eps)]
    s = run(items)
    assert s["controller"]["hints"] == {
        "10.0.0.1": hint(["zone-a"]),
        "10.0.0.2": hint(["zone-b"]),
        "10.0.0.3": None,
    }
    observed = run(with_controller_hints(items))
    for n in ("a1", "b1", "x1"):
        assert proxy(observed, n) == ("forward", None, ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
    assert observed["flows"]["crossZoneFraction"] > 0
    assert observed["whatIf"]["PreferSameZone"]["matrix"] == observed["whatIf"]["none"]["matrix"]


def test_row_07_prefer_same_node_falls_back_to_zone_then_to_all_ready_endpoints() -> None:
    nodes = [node("a1", "zone-a"), node("a2", "zone-a"), node("b1", "zone-b"), node("c1", "zone-c")]
    eps = [endpoint("10.0.0.1", "a1", "zone-a"), endpoint("10.0.0.2", "b1", "zone-b")]
    items = [*nodes, service(td="PreferSameNode"), slice_("svc-1", *eps)]
    s = run(items)
    assert s["controller"]["hints"] == {
        "10.0.0.1": hint(["zone-a"], ["a1"]),
        "10.0.0.2": hint(["zone-b"], ["b1"]),
    }
    observed = run(with_controller_hints(items))
    assert proxy(observed, "a1") == ("forward", "PreferSameNode", ["10.0.0.1"])
    assert proxy(observed, "a2") == ("forward", "PreferSameZone", ["10.0.0.1"])
    assert proxy(observed, "b1") == ("forward", "PreferSameNode", ["10.0.0.2"])
    assert proxy(observed, "c1") == ("forward", None, ["10.0.0.1", "10.0.0.2"])


def test_row_08_prefer_same_node_endpoint_without_node_name_turns_node_mode_off_everywhere() -> (
    None
):
    nodes = [node("a1", "zone-a"), node("b1", "zone-b")]
    eps = [endpoint("10.0.0.1", None, "zone-a"), endpoint("10.0.0.2", "b1", "zone-b")]
    items = [*nodes, service(td="PreferSameNode"), slice_("svc-1", *eps)]
    s = run(items)
    assert s["controller"]["hints"] == {
        "10.0.0.1": hint(["zone-a"]),
        "10.0.0.2": hint(["zone-b"], ["b1"]),
    }
    observed = run(with_controller_hints(items))
    # b1 hosts 10.0.0.2, but node mode needs a node hint on every ready endpoint.
    assert proxy(observed, "b1") == ("forward", "PreferSameZone", ["10.0.0.2"])
    assert proxy(observed, "a1") == ("forward", "PreferSameZone", ["10.0.0.1"])


def test_row_09_prefer_same_node_without_zone_labels_writes_only_node_hints() -> None:
    nodes = [node("n1", None), node("n2", None), node("n3", None)]
    eps = [endpoint("10.0.0.1", "n1", None), endpoint("10.0.0.2", "n2", None)]
    items = [*nodes, service(td="PreferSameNode"), slice_("svc-1", *eps)]
    s = run(items)
    assert s["controller"]["hints"] == {
        "10.0.0.1": hint([], ["n1"]),
        "10.0.0.2": hint([], ["n2"]),
    }
    observed = run(with_controller_hints(items))
    assert proxy(observed, "n1") == ("forward", "PreferSameNode", ["10.0.0.1"])
    assert proxy(observed, "n2") == ("forward", "PreferSameNode", ["10.0.0.2"])
    assert proxy(observed, "n3") == ("forward", None, ["10.0.0.1", "10.0.0.2"])


def test_row_10_not_ready_same_node_endpoint_does_not_select_node_mode() -> None:
    nodes = [node("a1", "zone-a"), node("a2", "zone-a"), node("b1", "zone-b")]
    eps = [
        # Not ready and still carrying its old hints: hints of unready endpoints do not count.
        endpoint(
            "10.0.0.1",
            "a1",
            "zone-a",
            ready=False,
            serving=False,
            for_zones=["zone-a"],
            for_nodes=["a1"],
        ),
        endpoint("10.0.0.2", "a2", "zone-a", for_zones=["zone-a"], for_nodes=["a2"]),
        endpoint("10.0.0.3", "b1", "zone-b", for_zones=["zone-b"], for_nodes=["b1"]),
    ]
    s = run([*nodes, service(td="PreferSameNode"), slice_("svc-1", *eps)])
    assert "10.0.0.1" not in s["controller"]["hints"]  # only ready endpoints are hinted
    assert proxy(s, "a1") == ("forward", "PreferSameZone", ["10.0.0.2"])
    assert proxy(s, "a2") == ("forward", "PreferSameNode", ["10.0.0.2"])
    assert proxy(s, "b1") == ("forward", "PreferSameNode", ["10.0.0.3"])


def test_row_11_no_ready_endpoints_uses_serving_terminating_cluster_wide_ignoring_hints() -> None:
    nodes = [node("a1", "zone-a"), node("b1", "zone-b"), node("c1", "zone-c")]
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a", ready=False, terminating=True, for_zones=["zone-a"]),
        endpoint("10.0.0.2", "b1", "zone-b", ready=False, terminating=True, for_zones=["zone-b"]),
        # terminating but no longer serving: never used
        endpoint("10.0.0.3", "a1", "zone-a", ready=False, serving=False, terminating=True),
        # neither ready nor terminating: never used
        endpoint("10.0.0.4", "c1", "zone-c", ready=False, serving=False, terminating=False),
    ]
    s = run([*nodes, service(td="PreferSameZone"), slice_("svc-1", *eps)])
    for n in ("a1", "b1", "c1"):
        assert proxy(s, n) == ("forward", None, ["10.0.0.1", "10.0.0.2"])
    load = s["flows"]["endpointLoad"]
    assert load["10.0.0.3"] == 0.0 and load["10.0.0.4"] == 0.0
    assert load["10.0.0.1"] == pytest.approx(0.5) and load["10.0.0.2"] == pytest.approx(0.5)
    assert s["flows"]["dropped"] == 0.0


def test_row_12_ready_remote_endpoints_beat_a_local_zone_serving_terminating_one() -> None:
    nodes = [node("a1", "zone-a"), node("b1", "zone-b")]
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a", ready=False, serving=True, terminating=True),
        endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-b"]),
    ]
    s = run([*nodes, service(td="PreferSameZone"), slice_("svc-1", *eps)])
    assert proxy(s, "a1") == ("forward", None, ["10.0.0.2"])
    assert proxy(s, "b1") == ("forward", "PreferSameZone", ["10.0.0.2"])
    assert s["flows"]["endpointLoad"]["10.0.0.1"] == 0.0


def test_row_13_internal_traffic_policy_local_without_local_endpoint_drops() -> None:
    nodes = [node("a1", "zone-a"), node("b1", "zone-b")]
    eps = [endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-a"])]  # hints never consulted
    s = run([*nodes, service(itp="Local", td="PreferSameZone"), slice_("svc-1", *eps)])
    assert proxy(s, "a1") == ("drop", None, [])
    assert proxy(s, "b1") == ("forward", None, ["10.0.0.2"])
    assert s["flows"]["dropped"] == pytest.approx(0.5)
    assert s["flows"]["matrix"] == {"zone-b": {"zone-b": pytest.approx(0.5)}}


def test_row_14_internal_traffic_policy_local_falls_back_to_local_serving_terminating() -> None:
    nodes = [node("a1", "zone-a"), node("b1", "zone-b"), node("c1", "zone-c")]
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a", ready=False, serving=True, terminating=True),
        endpoint("10.0.0.2", "b1", "zone-b"),
    ]
    s = run([*nodes, service(itp="Local"), slice_("svc-1", *eps)])
    # a1 uses its terminating endpoint although a ready one exists on b1.
    assert proxy(s, "a1") == ("forward", None, ["10.0.0.1"])
    assert proxy(s, "b1") == ("forward", None, ["10.0.0.2"])
    assert proxy(s, "c1") == ("drop", None, [])
    assert s["flows"]["dropped"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("type_", ["NodePort", "LoadBalancer"])
def test_row_15_external_traffic_policy_local_leaves_cluster_ip_traffic_topology_aware(
    type_: str,
) -> None:
    # The report's proxy section is ClusterIP traffic: cluster endpoints with topology, untouched
    # by eTP=Local. (External traffic and the pod/host short-circuit are not in the report.)
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
        endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-b"]),
    ]
    s = run(
        [
            *three_zones(),
            service(type_=type_, etp="Local", td="PreferSameZone"),
            slice_("svc-1", *eps),
        ]
    )
    assert s["policy"]["externalTrafficPolicy"] == "Local"
    assert s["policy"]["internalTrafficPolicy"] == "Cluster"
    assert proxy(s, "a1") == ("forward", "PreferSameZone", ["10.0.0.1"])
    assert proxy(s, "b1") == ("forward", "PreferSameZone", ["10.0.0.2"])
    assert proxy(s, "c1") == ("forward", None, ["10.0.0.1", "10.0.0.2"])
    assert s["flows"]["dropped"] == 0.0


def test_row_16_external_traffic_policy_local_on_cluster_ip_service_is_ignored() -> None:
    eps = [endpoint("10.0.0.2", "b1", "zone-b")]
    s = run([*three_zones(), service(etp="Local"), slice_("svc-1", *eps)])
    assert s["policy"]["externalTrafficPolicy"] is None
    for n in ("a1", "b1", "c1"):
        assert proxy(s, n) == ("forward", None, ["10.0.0.2"])
    assert s["flows"]["dropped"] == 0.0


def test_row_17_node_port_with_cluster_policy_is_filtered_by_the_receiving_nodes_zone() -> None:
    # kube-proxy on the node that receives the packet judges topology from its own zone: the
    # per-node proxy entry is that decision.
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
        endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-b"]),
        endpoint("10.0.0.3", "c1", "zone-c", for_zones=["zone-c"]),
    ]
    s = run(
        [
            *three_zones(),
            service(type_="NodePort", etp="Cluster", td="PreferSameZone"),
            slice_("svc-1", *eps),
        ]
    )
    assert s["policy"]["externalTrafficPolicy"] == "Cluster"
    assert proxy(s, "a1") == ("forward", "PreferSameZone", ["10.0.0.1"])
    assert proxy(s, "b1") == ("forward", "PreferSameZone", ["10.0.0.2"])
    assert proxy(s, "c1") == ("forward", "PreferSameZone", ["10.0.0.3"])
    assert s["proxy"]["b1"]["zone"] == "zone-b"


@pytest.mark.parametrize("era", ["current-node-hints", "pre-1.33-empty-zone-hint"])
def test_row_18_client_node_without_zone_label_never_gets_zone_mode_but_can_get_node_mode(
    era: str,
) -> None:
    nodes = [node("a1", "zone-a"), node("x1", None), node("x2", None)]
    if era == "current-node-hints":
        eps = [endpoint("10.0.0.1", "a1", "zone-a"), endpoint("10.0.0.2", "x1", None)]
        items = [*nodes, service(td="PreferSameNode"), slice_("svc-1", *eps)]
        s = run(items)
        assert s["controller"]["hints"] == {
            "10.0.0.1": hint(["zone-a"], ["a1"]),
            "10.0.0.2": hint([], ["x1"]),
        }
        observed = run(with_controller_hints(items))
        assert proxy(observed, "x1") == ("forward", "PreferSameNode", ["10.0.0.2"])
        assert proxy(observed, "x2") == ("forward", None, ["10.0.0.1", "10.0.0.2"])
        assert observed["proxy"]["x2"]["zone"] is None
    else:
        # Controllers before 1.33 wrote forZones [{name: ""}] for zoneless endpoints.
        eps = [
            endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
            endpoint("10.0.0.2", "x1", None, for_zones=[""]),
        ]
        observed = run([*nodes, service(td="PreferClose"), slice_("svc-1", *eps)])
        assert proxy(observed, "x2") == ("forward", "PreferSameZone", ["10.0.0.2"])
        assert proxy(observed, "a1") == ("forward", "PreferSameZone", ["10.0.0.1"])
        # and the current controller would no longer write the empty-name hint
        assert observed["controller"]["hints"]["10.0.0.2"] is None


def test_row_19_absent_ready_is_ready_for_kube_proxy_but_not_for_the_controller() -> None:
    # PreferSameZone: no hint for the nil-ready endpoint, so kube-proxy's filter switches off.
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a"),
        endpoint("10.0.0.2", "b1", "zone-b", ready=ABSENT, serving=ABSENT, terminating=ABSENT),
    ]
    items = [*three_zones(), service(td="PreferSameZone"), slice_("svc-1", *eps)]
    s = run(items)
    assert s["controller"]["hints"] == {"10.0.0.1": hint(["zone-a"])}
    observed = run(with_controller_hints(items))
    assert proxy(observed, "a1") == ("forward", None, ["10.0.0.1", "10.0.0.2"])

    # Auto: the nil-ready endpoint is not counted in N.
    three_ready = [
        *spread(3, ["zone-a", "zone-b", "zone-c"]),
        endpoint("10.0.0.9", "a1", "zone-a", ready=ABSENT),
    ]
    s = run([*three_zones(), auto_svc(), slice_("svc-1", *three_ready)])
    assert s["controller"]["events"] == [ENABLED_V4]  # N=3, not the disabled N=4
    assert "10.0.0.9" not in s["controller"]["hints"]
    two_ready = [
        *spread(2, ["zone-a", "zone-b"]),
        endpoint("10.0.0.9", "c1", "zone-c", ready=ABSENT),
    ]
    s = run([*three_zones(), auto_svc(), slice_("svc-1", *two_ready)])
    assert s["controller"]["events"] == [
        warning("Insufficient number of endpoints (2 endpoints, 3 zones), addressType: IPv4")
    ]


def test_row_20_publish_not_ready_addresses_endpoints_are_counted_hinted_and_routed() -> None:
    # With publishNotReadyAddresses the controller writes ready=true for unready and
    # terminating pods; everything downstream follows the ready condition.
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a", ready=True, serving=False, terminating=False),
        endpoint("10.0.0.2", "b1", "zone-b", ready=True, serving=False, terminating=True),
        endpoint("10.0.0.3", "c1", "zone-c", ready=True, serving=True, terminating=True),
    ]
    items = [
        *three_zones(),
        service(td="PreferSameZone", publish_not_ready=True),
        slice_("svc-1", *eps),
    ]
    s = run(items)
    assert s["controller"]["hints"] == {
        "10.0.0.1": hint(["zone-a"]),
        "10.0.0.2": hint(["zone-b"]),
        "10.0.0.3": hint(["zone-c"]),
    }
    observed = run(with_controller_hints(items))
    assert proxy(observed, "a1") == ("forward", "PreferSameZone", ["10.0.0.1"])
    assert proxy(observed, "b1") == ("forward", "PreferSameZone", ["10.0.0.2"])
    s = run([*three_zones(), auto_svc(publish_not_ready=True), slice_("svc-1", *eps)])
    assert s["controller"]["events"] == [ENABLED_V4]  # all three counted: N=3


def test_row_21_auto_with_more_zones_than_ready_endpoints_is_disabled() -> None:
    eps = spread(2, ["zone-a", "zone-b"])
    s = run([*three_zones(), auto_svc(), slice_("svc-1", *eps)])
    assert s["policy"]["mechanism"] == "topologyAuto"
    assert s["controller"]["events"] == [
        warning("Insufficient number of endpoints (2 endpoints, 3 zones), addressType: IPv4")
    ]
    assert s["controller"]["hints"] == {"10.0.0.1": None, "10.0.0.2": None}
    assert s["whatIf"]["Auto"]["events"] == s["controller"]["events"]


@pytest.mark.parametrize("n", [4, 5, 8, 11])
def test_row_22_auto_three_equal_zones_minimums_exceed_endpoints(n: int) -> None:
    eps = spread(n, ["zone-a", "zone-b", "zone-c"])
    s = run([*three_zones(), auto_svc(), slice_("svc-1", *eps)])
    assert s["controller"]["events"] == [
        warning(f"{UNABLE} ({n} endpoints, 3 zones), addressType: IPv4")
    ]
    assert set(s["controller"]["hints"].values()) == {None}


def test_row_23_auto_ratios_point_four_point_six_with_three_endpoints_disabled_by_rounding() -> (
    None
):
    nodes = [node("a1", "zone-a", cpu="4"), node("b1", "zone-b", cpu="6")]
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a"),
        endpoint("10.0.0.2", "b1", "zone-b"),
        endpoint("10.0.0.3", "b1", "zone-b"),
    ]
    report = analyze([*nodes, auto_svc(), slice_("svc-1", *eps)])
    assert report["cluster"]["autoZoneRatios"] == {"zone-a": 0.4, "zone-b": 0.6}
    s = svc_of(report)
    assert s["controller"]["events"] == [
        warning(f"{UNABLE} (3 endpoints, 2 zones), addressType: IPv4")
    ]
    assert set(s["controller"]["hints"].values()) == {None}


@pytest.mark.parametrize(
    ("extra", "disabled"),
    [
        (node("x1", None), True),
        (node("a2", "zone-a", cpu="0"), True),
        (node("a2", "zone-a", cpu=None), True),
        (node("x1", None, ready=False), False),
        (node("x1", None, role="control-plane"), False),
        (node("x1", None, cpu="0", role="master"), False),
        (node("a2", "zone-a", cpu=None, ready=False), False),
    ],
    ids=[
        "ready-worker-unlabelled",
        "ready-worker-zero-cpu",
        "ready-worker-no-cpu",
        "notready-unlabelled-exempt",
        "control-plane-unlabelled-exempt",
        "master-zero-cpu-exempt",
        "notready-no-cpu-exempt",
    ],
)
def test_row_24_one_bad_ready_worker_node_disables_auto_for_every_service(
    extra: dict[str, Any], disabled: bool
) -> None:
    items: list[dict[str, Any]] = [*three_zones(), extra]
    for k, name in enumerate(("one", "two")):
        eps = [
            endpoint(f"10.{k + 1}.0.{i + 1}", f"{z[-1]}1", z)
            for i, z in enumerate(["zone-a", "zone-b", "zone-c"])
        ]
        items += [auto_svc(name=name), slice_(f"{name}-1", *eps, service_name=name)]
    report = analyze(items)
    for name in ("one", "two"):
        s = svc_of(report, name)
        if disabled:
            assert s["controller"]["events"] == [warning(f"{NODE_INFO}, addressType: IPv4")]
            assert set(s["controller"]["hints"].values()) == {None}
        else:
            assert s["controller"]["events"] == [ENABLED_V4]
    assert (report["cluster"]["autoZoneRatios"] is None) == disabled


def test_row_25_auto_with_ready_workers_in_only_one_zone_reports_insufficient_node_info() -> None:
    nodes = [
        node("a1", "zone-a"),
        node("a2", "zone-a"),
        node("b1", "zone-b", ready=False),
        node("c1", "zone-c", ready=False),
    ]
    eps = spread(3, ["zone-a", "zone-b", "zone-c"])
    s = run([*nodes, auto_svc(), slice_("svc-1", *eps)])
    assert s["controller"]["events"] == [warning(f"{NODE_INFO}, addressType: IPv4")]
    assert not any(
        "Nodes only ready in one zone" in e["message"] for e in s["controller"]["events"]
    )


@pytest.mark.parametrize(
    ("zoned", "expected"),
    [
        (5, "One or more endpoints do not have a zone specified, addressType: IPv4"),
        # the zone check runs only after the allocation checks have passed
        (1, "Insufficient number of endpoints (2 endpoints, 3 zones), addressType: IPv4"),
    ],
)
def test_row_26_auto_ready_endpoint_without_zone_removes_all_hints(
    zoned: int, expected: str
) -> None:
    eps = [*spread(zoned, ["zone-a", "zone-b", "zone-c"]), endpoint("10.0.1.1", None, None)]
    s = run([*three_zones(), auto_svc(publish_not_ready=True), slice_("svc-1", *eps)])
    assert s["controller"]["events"] == [warning(expected)]
    assert set(s["controller"]["hints"].values()) == {None}
    assert len(s["controller"]["hints"]) == zoned + 1


def test_row_27_auto_control_plane_cpu_excluded_and_its_zone_keeps_self_hints() -> None:
    nodes = [
        node("a1", "zone-a"),
        node("b1", "zone-b"),
        node("cp1", "zone-c", cpu="64", role="control-plane"),
    ]
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a"),
        endpoint("10.0.0.2", "a1", "zone-a"),
        endpoint("10.0.0.3", "b1", "zone-b"),
        endpoint("10.0.0.4", "b1", "zone-b"),
        endpoint("10.0.0.5", "cp1", "zone-c"),
        endpoint("10.0.0.6", "cp1", "zone-c"),
    ]
    items = [*nodes, auto_svc(), slice_("svc-1", *eps)]
    report = analyze(items)
    assert report["cluster"]["autoZoneRatios"] == {"zone-a": 0.5, "zone-b": 0.5}
    s = svc_of(report)
    assert s["controller"]["events"] == [ENABLED_V4]
    assert s["controller"]["hints"]["10.0.0.5"] == hint(["zone-c"])
    assert s["controller"]["hints"]["10.0.0.6"] == hint(["zone-c"])
    assert cross_zone_hints(s) == []  # zone-c is neither donor nor receiver
    observed = run(with_controller_hints(items))
    assert proxy(observed, "a1") == ("forward", "PreferSameZone", ["10.0.0.1", "10.0.0.2"])
    assert proxy(observed, "cp1") == ("forward", "PreferSameZone", ["10.0.0.5", "10.0.0.6"])
    # no client runs in zone-c, so its endpoints get nothing
    assert observed["flows"]["endpointLoad"]["10.0.0.5"] == 0.0


def test_row_28_auto_cpu_change_does_not_move_observed_hints() -> None:
    # Observed hints were allocated when the three zones had equal CPU (a:2 b:2 c:2). CPU changed
    # since; kube-proxy keeps following what the slices say. The controller section shows the
    # fresh allocation it would write on the next pod/endpoint change (a:4 b:1 c:1).
    nodes = [
        node("a1", "zone-a", cpu="8"),
        node("b1", "zone-b", cpu="2"),
        node("c1", "zone-c", cpu="2"),
    ]
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
        endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-a"]),
        endpoint("10.0.0.3", "b1", "zone-b", for_zones=["zone-b"]),
        endpoint("10.0.0.4", "b1", "zone-b", for_zones=["zone-b"]),
        endpoint("10.0.0.5", "c1", "zone-c", for_zones=["zone-c"]),
        endpoint("10.0.0.6", "c1", "zone-c", for_zones=["zone-c"]),
    ]
    s = run([*nodes, auto_svc(), slice_("svc-1", *eps)])
    assert proxy(s, "a1") == ("forward", "PreferSameZone", ["10.0.0.1", "10.0.0.2"])
    assert proxy(s, "b1") == ("forward", "PreferSameZone", ["10.0.0.3", "10.0.0.4"])
    assert s["controller"]["events"] == [ENABLED_V4]
    assert zone_hint_counts(s) == {"zone-a": 4, "zone-b": 1, "zone-c": 1}


def test_row_29_auto_path_dependent_hints_are_followed_and_fresh_counts_match_upstream() -> None:
    # An earlier sync donated 10.0.0.4 (not the first zone-b endpoint) to zone-a; still valid.
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
        endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-b"]),
        endpoint("10.0.0.3", "b1", "zone-b", for_zones=["zone-b"]),
        endpoint("10.0.0.4", "b1", "zone-b", for_zones=["zone-a"]),
        endpoint("10.0.0.5", "c1", "zone-c", for_zones=["zone-c"]),
        endpoint("10.0.0.6", "c1", "zone-c", for_zones=["zone-c"]),
    ]
    s = run([*three_zones(), auto_svc(), slice_("svc-1", *eps)])
    assert proxy(s, "a1") == ("forward", "PreferSameZone", ["10.0.0.1", "10.0.0.4"])
    assert proxy(s, "b1") == ("forward", "PreferSameZone", ["10.0.0.2", "10.0.0.3"])
    assert s["flows"]["crossZoneFraction"] == pytest.approx(1 / 6)
    # the fresh reconcile (every slice rewritten) may pick another donor, same per-zone counts
    assert zone_hint_counts(s) == {"zone-a": 2, "zone-b": 2, "zone-c": 2}
    donated = cross_zone_hints(s)
    assert len(donated) == 1 and donated[0] in {"10.0.0.2", "10.0.0.3", "10.0.0.4"}


def test_row_31_auto_donated_endpoint_is_not_used_by_its_own_zone_even_on_the_same_node() -> None:
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a"),
        endpoint("10.0.0.2", "a1", "zone-a"),
        endpoint("10.0.0.3", "a1", "zone-a"),
        endpoint("10.0.0.4", "b1", "zone-b"),
        endpoint("10.0.0.5", "c1", "zone-c"),
        endpoint("10.0.0.6", "c1", "zone-c"),
    ]
    items = [*three_zones(), auto_svc(), slice_("svc-1", *eps)]
    s = run(items)
    assert zone_hint_counts(s) == {"zone-a": 2, "zone-b": 2, "zone-c": 2}
    donated = cross_zone_hints(s)
    assert len(donated) == 1 and donated[0] in {"10.0.0.1", "10.0.0.2", "10.0.0.3"}
    assert s["controller"]["hints"][donated[0]] == hint(["zone-b"])
    observed = run(with_controller_hints(items))
    kept = sorted({"10.0.0.1", "10.0.0.2", "10.0.0.3"} - set(donated))
    assert proxy(observed, "a1") == ("forward", "PreferSameZone", kept)
    assert proxy(observed, "b1") == ("forward", "PreferSameZone", sorted(["10.0.0.4", *donated]))
    assert observed["flows"]["matrix"]["zone-b"]["zone-a"] == pytest.approx(1 / 6)
    assert "zone-b" not in observed["flows"]["matrix"]["zone-a"]


def test_row_32_dual_stack_hints_are_decided_per_address_family() -> None:
    v4 = spread(3, ["zone-a", "zone-b", "zone-c"])
    v6 = [endpoint("fd00::1", "a1", "zone-a"), endpoint("fd00::2", "b1", "zone-b")]
    items = [
        *three_zones(),
        auto_svc(families=["IPv4", "IPv6"]),
        slice_("svc-v4", *v4),
        slice_("svc-v6", *v6, address_type="IPv6"),
    ]
    s = run(items)
    events = s["controller"]["events"]
    assert len(events) == 2
    assert ENABLED_V4 in events
    assert (
        warning("Insufficient number of endpoints (2 endpoints, 3 zones), addressType: IPv6")
        in events
    )
    hints = s["controller"]["hints"]
    assert hints["10.0.0.1"] == hint(["zone-a"])
    assert hints["10.0.0.3"] == hint(["zone-c"])
    assert hints["fd00::1"] is None and hints["fd00::2"] is None


def test_row_33_hand_written_slices_keep_their_hints_and_policies_do_nothing() -> None:
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
        endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-b"]),
        endpoint("10.0.0.3", "c1", "zone-c", for_zones=["zone-c"]),
    ]
    svc = service(selector=False, td="PreferSameNode", annotations={MODE_ANNOTATION: "Auto"})
    s = run([*three_zones(), svc, slice_("svc-manual", *eps, managed_by="staff")])
    assert s["controller"]["hints"] == {}
    assert s["controller"]["events"] == []
    for n, ip in (("a1", "10.0.0.1"), ("b1", "10.0.0.2"), ("c1", "10.0.0.3")):
        assert proxy(s, n) == ("forward", "PreferSameZone", [ip])
    for policy in ("none", "PreferSameZone", "PreferSameNode", "Auto"):
        assert s["whatIf"][policy]["matrix"] == s["flows"]["matrix"]
        assert s["whatIf"][policy]["events"] == []


def test_row_34_hints_without_field_or_annotation_are_still_followed_by_kube_proxy() -> None:
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
        endpoint("10.0.0.2", "b1", "zone-b", for_zones=["zone-b"]),
    ]
    s = run([*three_zones(), service(), slice_("svc-1", *eps)])
    assert s["policy"]["mechanism"] == "none"
    assert s["controller"]["hints"] == {"10.0.0.1": None, "10.0.0.2": None}  # it will strip them
    assert proxy(s, "a1") == ("forward", "PreferSameZone", ["10.0.0.1"])
    assert proxy(s, "b1") == ("forward", "PreferSameZone", ["10.0.0.2"])
    assert proxy(s, "c1") == ("forward", None, ["10.0.0.1", "10.0.0.2"])


@pytest.mark.parametrize("terminating_first", [True, False])
def test_row_35_duplicate_ip_keeps_the_non_terminating_copy(terminating_first: bool) -> None:
    nodes = [node("a1", "zone-a"), node("b1", "zone-b")]
    old = endpoint("10.0.0.1", "a1", "zone-a", ready=False, serving=True, terminating=True)
    new = endpoint("10.0.0.1", "b1", "zone-b")
    other = endpoint("10.0.0.2", "b1", "zone-b")
    first, second = (old, new) if terminating_first else (new, old)
    s = run([*nodes, service(), slice_("svc-1", first), slice_("svc-2", second, other)])
    for n in ("a1", "b1"):
        assert proxy(s, n) == ("forward", None, ["10.0.0.1", "10.0.0.2"])
    assert s["flows"]["endpointLoad"] == {
        "10.0.0.1": pytest.approx(0.5),
        "10.0.0.2": pytest.approx(0.5),
    }
    # the kept copy is the zone-b one
    assert s["flows"]["matrix"] == {
        "zone-a": {"zone-b": pytest.approx(0.5)},
        "zone-b": {"zone-b": pytest.approx(0.5)},
    }


@pytest.mark.parametrize("itp", ["Cluster", "Local"])
@pytest.mark.parametrize("slices", ["no-slice", "empty-slice"])
def test_row_36_service_without_endpoints_is_rejected_not_dropped(itp: str, slices: str) -> None:
    items: list[dict[str, Any]] = [*three_zones(), service(itp=itp, td="PreferSameZone")]
    if slices == "empty-slice":
        items.append(slice_("svc-1"))
    s = run(items)
    for n in ("a1", "b1", "c1"):
        assert proxy(s, n) == ("reject", None, [])
    assert s["flows"]["dropped"] == pytest.approx(1.0)
    assert s["flows"]["matrix"] == {}
    assert s["flows"]["endpointLoad"] == {}


# ---------------------------------------------------------------------------- §3.3 numbers


@pytest.mark.parametrize("n", range(1, 14))
def test_auto_three_equal_zones_enabled_exactly_for_3_6_7_9_10_12_13(n: int) -> None:
    eps = spread(n, ["zone-a", "zone-b", "zone-c"])
    s = run([*three_zones(), auto_svc(), slice_("svc-1", *eps)])
    events = s["controller"]["events"]
    if n in (3, 6, 7, 9, 10, 12, 13):
        assert events == [ENABLED_V4]
        assert all(h is not None for h in s["controller"]["hints"].values())
    elif n in (1, 2):
        assert events == [
            warning(f"Insufficient number of endpoints ({n} endpoints, 3 zones), addressType: IPv4")
        ]
    else:
        assert n in (4, 5, 8, 11)
        assert events == [warning(f"{UNABLE} ({n} endpoints, 3 zones), addressType: IPv4")]


@pytest.mark.parametrize("n", range(2, 9))
def test_auto_two_equal_zones_disabled_exactly_for_3_and_5(n: int) -> None:
    nodes = [node("a1", "zone-a"), node("b1", "zone-b")]
    eps = spread(n, ["zone-a", "zone-b"])
    s = run([*nodes, auto_svc(), slice_("svc-1", *eps)])
    if n in (3, 5):
        assert s["controller"]["events"] == [
            warning(f"{UNABLE} ({n} endpoints, 2 zones), addressType: IPv4")
        ]
    else:
        assert s["controller"]["events"] == [ENABLED_V4]


def test_auto_float_rounding_makes_ratios_point_four_point_six_fail_at_three() -> None:
    allocs, problem = allocations(3, {"zone-a": 0.4, "zone-b": 0.6})
    assert allocs is None
    assert problem == f"{UNABLE} (3 endpoints, 2 zones)"
    # the double product really is above 1, which is why the minimum rounds up to 2
    assert 0.4 * 3.0 * (1 / (1 + 0.2)) > 1.0


def test_auto_kep_worked_example_cpu_20_16_14_with_ten_endpoints() -> None:
    cpu = {"zone-a": 20000, "zone-b": 16000, "zone-c": 14000}
    ratios = zone_ratios(
        [Node(f"{z}-n", z, "", True, False, millis, None) for z, millis in cpu.items()]
    ).ratios
    assert ratios == {"zone-a": 0.4, "zone-b": 0.32, "zone-c": 0.28}
    allocs, problem = allocations(10, ratios)
    assert problem is None
    assert allocs == {
        "zone-a": Allocation(minimum=4, desired=4.0, maximum=4),
        "zone-b": Allocation(minimum=3, desired=3.2, maximum=3),
        "zone-c": Allocation(minimum=3, desired=3.0, maximum=3),
    }
    # Through the whole pipeline: a:5 b:3 c:2 -> zone-a gives one to zone-c.
    nodes = [
        node("a1", "zone-a", cpu="20"),
        node("b1", "zone-b", cpu="16"),
        node("c1", "zone-c", cpu="14"),
    ]
    zones = ["zone-a"] * 5 + ["zone-b"] * 3 + ["zone-c"] * 2
    eps = [endpoint(f"10.0.0.{i + 1}", f"{z[-1]}1", z) for i, z in enumerate(zones)]
    s = run([*nodes, auto_svc(), slice_("svc-1", *eps)])
    assert s["controller"]["events"] == [ENABLED_V4]
    assert zone_hint_counts(s) == {"zone-a": 4, "zone-b": 3, "zone-c": 3}
    donated = cross_zone_hints(s)
    assert len(donated) == 1 and s["controller"]["hints"][donated[0]] == hint(["zone-c"])


def test_auto_upstream_reconciler_example_one_cross_zone_hint() -> None:
    zones = ["zone-a"] + ["zone-b"] * 3 + ["zone-c"] * 2
    eps = [endpoint(f"10.0.0.{i + 1}", f"{z[-1]}1", z) for i, z in enumerate(zones)]
    s = run([*three_zones(), auto_svc(), slice_("svc-1", *eps)])
    assert s["controller"]["events"] == [ENABLED_V4]
    assert zone_hint_counts(s) == {"zone-a": 2, "zone-b": 2, "zone-c": 2}
    donated = cross_zone_hints(s)
    assert len(donated) == 1
    assert donated[0] in {"10.0.0.2", "10.0.0.3", "10.0.0.4"}
    assert s["controller"]["hints"][donated[0]] == hint(["zone-a"])


def _alloc(desired: dict[str, float]) -> dict[str, Allocation]:
    # Only `desired` matters to the giving/receiving computation.
    return {z: Allocation(minimum=0, desired=d, maximum=0) for z, d in desired.items()}


@pytest.mark.parametrize(
    ("allocated", "desired", "giving", "receiving"),
    [
        (
            {"zone-a": 16},
            {"zone-a": 5.1, "zone-b": 5.1, "zone-c": 5.8},
            {"zone-a": 10},
            {"zone-b": 5, "zone-c": 5},
        ),
        (
            {"zone-a": 16},
            {"zone-a": 5.0, "zone-b": 5.6, "zone-c": 5.4},
            {"zone-a": 11},
            {"zone-b": 6, "zone-c": 5},
        ),
        (
            {"zone-b": 8, "zone-c": 8},
            {"zone-a": 5.0, "zone-b": 5.6, "zone-c": 5.4},
            {"zone-b": 2, "zone-c": 3},
            {"zone-a": 5},
        ),
    ],
)
def test_auto_upstream_donation_examples(
    allocated: dict[str, int],
    desired: dict[str, float],
    giving: dict[str, int],
    receiving: dict[str, int],
) -> None:
    assert _giving_and_receiving(_alloc(desired), allocated) == (giving, receiving)
