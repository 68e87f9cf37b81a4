"""Property tests over generated clusters: traffic conservation, determinism, kube-proxy's rules.

The kube-proxy rules are those of docs/kubernetes-semantics.md §4: zone filtering, its
all-or-nothing switch, and internalTrafficPolicy Local.

The generator builds kubectl-style Lists: 1-4 zones, 1-12 nodes (some unlabelled, NotReady,
control-plane, with odd or missing CPU), 1-3 Services with a random policy and iTP, 0-12 endpoints
each with random (possibly absent) conditions, and observed hints that are absent, exactly what
the controller writes, or what it writes with some hints missing.
"""

import contextlib
import io
import math
import os
import tempfile
from dataclasses import dataclass
from typing import Any

import orjson
from hypothesis import event, given, settings
from hypothesis import strategies as st

from routing.engine import Options, analyze_cluster, build_cluster, load_bytes
from routing.engine.cli import main as cli_main

ZONE_LABEL = "topology.kubernetes.io/zone"
ZONES = ["zone-a", "zone-b", "zone-c", "zone-d"]
POLICIES = ["none", "PreferClose", "PreferSameZone", "PreferSameNode", "Auto"]
HINT_MODES = ["absent", "controller", "partial"]
WHAT_IF = ["none", "PreferSameZone", "PreferSameNode", "Auto"]
PROPS = settings(max_examples=150, deadline=None)


@dataclass(frozen=True)
class Generated:
    items: list[dict[str, Any]]
    clients: str  # client weighting basis passed to Options / --clients

    @property
    def data(self) -> bytes:
        return orjson.dumps({"apiVersion": "v1", "kind": "List", "items": self.items})

    @property
    def options(self) -> Options:
        return Options(clients=self.clients)

    def report(self) -> dict[str, Any]:
        return analyze_cluster(build_cluster(load_bytes(self.data)), self.options)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.items if o["kind"] == kind]

    def client_nodes(self) -> list[dict[str, Any]]:
        """Ready nodes without a control-plane/master role label."""
        return [n for n in self.of_kind("Node") if _node_ready(n) and not _node_cp(n)]

    def endpoints_of(self, service: str) -> list[dict[str, Any]]:
        return [
            ep
            for s in self.of_kind("EndpointSlice")
            if s["metadata"]["labels"]["kubernetes.io/service-name"] == service
            for ep in s["endpoints"]
        ]

    def service(self, name: str) -> dict[str, Any]:
        return next(s for s in self.of_kind("Service") if s["metadata"]["name"] == name)


def _node_ready(n: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"])


def _node_cp(n: dict[str, Any]) -> bool:
    labels = n["metadata"]["labels"]
    return "node-role.kubernetes.io/control-plane" in labels or (
        "node-role.kubernetes.io/master" in labels
    )


def _node_item(draw: Any, name: str, zones: list[str], healthy: bool) -> dict[str, Any]:
    # healthy: every node a zone-labelled Ready worker with CPU (clusters where Auto can run)
    # (apart from the odd control-plane node, which Auto ignores even without a zone label)
    labels = {"kubernetes.io/hostname": name}
    roles = [*[None] * 8, "control-plane"] if healthy else [*[None] * 4, "control-plane", "master"]
    role = draw(st.sampled_from(roles))
    if healthy:
        zone = draw(
            st.sampled_from(zones) if not role else st.one_of(st.none(), st.sampled_from(zones))
        )
    else:
        zone = draw(st.sampled_from([*zones, *zones, None]))
    if zone is not None:
        labels[ZONE_LABEL] = zone
    if role is not None:
        labels[f"node-role.kubernetes.io/{role}"] = ""
    readiness = ["True"] if healthy else ["True", "True", "True", "False", "Unknown", None]
    ready = draw(st.sampled_from(readiness))
    status: dict[str, Any] = {
        "conditions": [] if ready is None else [{"type": "Ready", "status": ready}]
    }
    cpus: list[Any] = ["4", "2", "8", "500m", "3500m", 16, "1"]
    cpu = draw(st.sampled_from(cpus if healthy else [*cpus, None, "0"]))
    if cpu is not None:
        status["allocatable"] = {"cpu": cpu}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "status": status,
    }


_CONDITION = st.sampled_from([True, True, False, None])
_HEALTHY_READY = st.sampled_from([True] * 8 + [False, None])


@st.composite
def clusters(
    draw: Any,
    policies: list[str] = POLICIES,
    hint_modes: list[str] = HINT_MODES,
    itps: list[str | None] = [None, "Cluster", "Local"],  # noqa: B006 - read only
    healthy: bool = False,
) -> Generated:
    """A random cluster; `healthy` keeps nodes and endpoints mostly well-formed so that
    filtering and Auto actually switch on often enough to test what they do."""
    zones = ZONES[: draw(st.integers(1, 4))]
    count = draw(st.integers(1, 12))
    nodes = [_node_item(draw, f"n{i}", zones, healthy) for i in range(count)]
    zone_of = {n["metadata"]["name"]: n["metadata"]["labels"].get(ZONE_LABEL) for n in nodes}
    node_names = list(zone_of)
    items: list[dict[str, Any]] = list(nodes)
    hint_plan: dict[str, tuple[str, list[bool]]] = {}
    for s in range(draw(st.integers(1, 3))):
        name = f"svc{s}"
        policy = draw(st.sampled_from(policies))
        itp = draw(st.sampled_from(itps))
        spec: dict[str, Any] = {
            "type": "ClusterIP",
            "clusterIP": f"10.96.0.{s + 10}",
            "selector": {"app": name},
            "ports": [{"port": 80}],
        }
        annotations = {}
        if policy == "Auto":
            annotations["service.kubernetes.io/topology-mode"] = "Auto"
        elif policy != "none":
            spec["trafficDistribution"] = policy
        if itp is not None:
            spec["internalTrafficPolicy"] = itp
        meta: dict[str, Any] = {"name": name, "namespace": "default"}
        if annotations:
            meta["annotations"] = annotations
        items.append({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec})
        endpoints = []
        for i in range(draw(st.integers(0, 12))):
            ep: dict[str, Any] = {"addresses": [f"10.{s + 1}.0.{i + 1}"]}
            conditions = {}
            for cond in ("ready", "serving", "terminating"):
                value = draw(_HEALTHY_READY if healthy and cond == "ready" else _CONDITION)
                if value is not None:
                    conditions[cond] = value
            ep["conditions"] = conditions
            places = node_names if healthy else [*node_names, *node_names, None, "gone"]
            where = draw(st.sampled_from(places))
            if where is not None:
                ep["nodeName"] = where
                if zone_of.get(where):  # the controller copies the node's zone, if any
                    ep["zone"] = zone_of[where]
            endpoints.append(ep)
        cut = draw(st.integers(0, len(endpoints)))
        for k, part in enumerate((endpoints[:cut], endpoints[cut:])):
            if k == 1 and not part and cut:
                continue
            items.append(
                {
                    "apiVersion": "discovery.k8s.io/v1",
                    "kind": "EndpointSlice",
                    "metadata": {
                        "name": f"{name}-{k}",
                        "namespace": "default",
                        "labels": {
                            "kubernetes.io/service-name": name,
                            "endpointslice.kubernetes.io/managed-by": (
                                "endpointslice-controller.k8s.io"
                            ),
                        },
                    },
                    "addressType": "IPv4",
                    "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
                    "endpoints": part,
                }
            )
        mode = draw(st.sampled_from(hint_modes))
        keep = [draw(st.booleans()) if mode == "partial" else True for _ in range(len(endpoints))]
        hint_plan[name] = (mode, keep)
    clients = draw(st.sampled_from(["cpu", "uniform", "pods"]))
    if clients == "pods":
        for n in node_names:
            for p in range(draw(st.integers(0, 2))):
                phase = draw(st.sampled_from(["Running", "Running", "Pending"]))
                items.append(
                    {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "metadata": {"name": f"{n}-p{p}", "namespace": "default"},
                        "spec": {"nodeName": n},
                        "status": {"phase": phase},
                    }
                )
    gen = Generated(items, clients)
    if clients == "pods" and _zero_pod_weight(gen):
        # Every client weighing 0 leaves no traffic to distribute (reported separately);
        # fall back to CPU weights so the conservation properties have a defined total.
        gen = Generated([o for o in items if o["kind"] != "Pod"], "cpu")
    return _apply_hints(gen, hint_plan)


def _zero_pod_weight(gen: Generated) -> bool:
    clients = {n["metadata"]["name"] for n in gen.client_nodes()}
    return clients != set() and not any(
        p["spec"]["nodeName"] in clients and p["status"]["phase"] == "Running"
        for p in gen.of_kind("Pod")
    )


def _apply_hints(gen: Generated, plan: dict[str, tuple[str, list[bool]]]) -> Generated:
    """Write the controller's own hints into the slices (the state right after a sync), dropping
    the ones the plan marks as missing."""
    if all(mode == "absent" for mode, _ in plan.values()):
        return gen
    report = gen.report()
    written = {s["name"]: s["controller"]["hints"] for s in report["services"]}
    items = orjson.loads(orjson.dumps(gen.items))
    position: dict[str, int] = {}
    for obj in items:
        if obj["kind"] != "EndpointSlice":
            continue
        name = obj["metadata"]["labels"]["kubernetes.io/service-name"]
        mode, keep = plan[name]
        for ep in obj["endpoints"]:
            i = position.get(name, 0)
            position[name] = i + 1
            h = written[name].get(ep["addresses"][0])
            if mode != "absent" and keep[i] and h is not None:
                ep["hints"] = {k: [{"name": v} for v in names] for k, names in h.items() if names}
    return Generated(items, gen.clients)


# ---------------------------------------------------------------------------- helpers


def ready(ep: dict[str, Any]) -> bool:
    """kube-proxy's reading: an absent ready condition means ready."""
    return ep["conditions"].get("ready") is not False


def serving_terminating(ep: dict[str, Any]) -> bool:
    c = ep["conditions"]
    return c.get("serving") is not False and c.get("terminating") is True


def zones_hinted(ep: dict[str, Any]) -> list[str]:
    return [z["name"] for z in (ep.get("hints") or {}).get("forZones") or []]


def nodes_hinted(ep: dict[str, Any]) -> list[str]:
    return [n["name"] for n in (ep.get("hints") or {}).get("forNodes") or []]


def ip(ep: dict[str, Any]) -> str:
    return str(ep["addresses"][0])


def itp_of(gen: Generated, name: str) -> str:
    return str(gen.service(name)["spec"].get("internalTrafficPolicy", "Cluster"))


def matrix_total(matrix: dict[str, dict[str, float]]) -> float:
    return math.fsum(v for row in matrix.values() for v in row.values())


def expected_proxy(
    endpoints: list[dict[str, Any]], itp: str, node_name: str, zone: str
) -> tuple[str, str | None, list[str]]:
    """kubernetes-semantics.md §4 for ClusterIP traffic, restated independently of the engine."""
    if itp == "Local":
        if not any(ready(e) or serving_terminating(e) for e in endpoints):
            return ("reject", None, [])
        local = [e for e in endpoints if e.get("nodeName") == node_name]
        chosen = [e for e in local if ready(e)] or [e for e in local if serving_terminating(e)]
        if not chosen:
            return ("drop", None, [])
        return ("forward", None, sorted(map(ip, chosen)))
    ready_eps = [e for e in endpoints if ready(e)]
    if not ready_eps:
        fallback = [e for e in endpoints if serving_terminating(e)]
        if not fallback:
            return ("reject", None, [])
        return ("forward", None, sorted(map(ip, fallback)))
    if all(nodes_hinted(e) for e in ready_eps):
        mine = [e for e in ready_eps if node_name in nodes_hinted(e)]
        if mine:
            return ("forward", "PreferSameNode", sorted(map(ip, mine)))
    if all(zones_hinted(e) for e in ready_eps):
        mine = [e for e in ready_eps if zone in zones_hinted(e)]
        if mine:
            return ("forward", "PreferSameZone", sorted(map(ip, mine)))
    return ("forward", None, sorted(map(ip, ready_eps)))


def node_zone(n: dict[str, Any]) -> str:
    return str(n["metadata"]["labels"].get(ZONE_LABEL, ""))


# ---------------------------------------------------------------------------- (a) conservation


@PROPS
@given(clusters())
def test_a_flows_and_what_ifs_account_for_all_client_traffic(gen: Generated) -> None:
    report = gen.report()
    has_clients = bool(gen.client_nodes())
    assert report["cluster"]["clientNodes"] == len(gen.client_nodes())
    for s in report["services"]:
        flows = s["flows"]
        runs = [("observed", flows["matrix"], flows["dropped"])] + [
            (p, s["whatIf"][p]["matrix"], s["whatIf"][p]["dropped"]) for p in WHAT_IF
        ]
        for label, matrix, dropped in runs:
            assert all(v >= -1e-12 for row in matrix.values() for v in row.values()), label
            assert -1e-12 <= dropped <= 1 + 1e-9, label
            if has_clients:
                assert abs(matrix_total(matrix) + dropped - 1.0) <= 1e-9, (s["name"], label)
            else:
                assert matrix == {} and dropped == 0, (s["name"], label)
        if not has_clients:
            assert flows["crossZoneFraction"] == 0 and flows["crossRegionFraction"] == 0
            assert flows["maxOverload"] == 0
            assert all(v == 0 for v in flows["endpointLoad"].values())


# ---------------------------------------------------------------------------- (b) determinism

_SORTED = orjson.OPT_SORT_KEYS
_CLI_JSON = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def _cli(argv: list[str]) -> bytes:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    with contextlib.redirect_stdout(out):
        assert cli_main(argv) == 0
    out.flush()
    return raw.getvalue()


@PROPS
@given(clusters())
def test_b_same_input_gives_byte_identical_reports_and_cli_output(gen: Generated) -> None:
    first = gen.report()
    second = gen.report()
    assert orjson.dumps(first, option=_SORTED) == orjson.dumps(second, option=_SORTED)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dump.json")
        with open(path, "wb") as fh:
            fh.write(gen.data)
        json_args = ["--format", "json", "--clients", gen.clients, path]
        out1, out2 = _cli(json_args), _cli(json_args)
        assert out1 == out2  # fixes included
        bare = _cli([*json_args, "--no-fixes"])
        assert bare == orjson.dumps(first, option=_CLI_JSON) + b"\n"
        table_args = ["--clients", gen.clients, path]
        table1, table2 = _cli(table_args), _cli(table_args)
        assert table1 == table2 and table1


# ---------------------------------------------------------------------------- (c) zone locality


@PROPS
@given(st.one_of(clusters(itps=[None, "Cluster"]), clusters(itps=[None, "Cluster"], healthy=True)))
def test_c_prefer_same_zone_what_if_keeps_clients_in_zones_with_ready_endpoints(
    gen: Generated,
) -> None:
    report = gen.report()
    for s in report["services"]:
        ready_eps = [e for e in gen.endpoints_of(s["name"]) if ready(e)]
        # The simulated controller hints an endpoint only if ready is exactly true and it has a
        # zone; kube-proxy filters only if every (kube-proxy-)ready endpoint carries a zone hint.
        filtered = bool(ready_eps) and all(
            e["conditions"].get("ready") is True and e.get("zone") for e in ready_eps
        )
        event(f"PreferSameZone what-if filters: {filtered}")
        unfiltered = s["whatIf"]["none"]["matrix"]
        for policy in ("PreferSameZone", "PreferSameNode"):
            matrix = s["whatIf"][policy]["matrix"]
            if not filtered:
                if policy == "PreferSameZone":
                    assert matrix == unfiltered
                continue
            served = {e["zone"] for e in ready_eps}
            for zone, row in matrix.items():
                if zone in served:
                    assert set(row) <= {zone}, (s["name"], policy, zone, row)
                else:  # no ready endpoint here: this zone's clients use every ready endpoint
                    assert set(row) == set(unfiltered[zone])
                    for dst, value in row.items():
                        assert abs(value - unfiltered[zone][dst]) <= 1e-12


@PROPS
@given(
    clusters(
        policies=["PreferClose", "PreferSameZone", "PreferSameNode"],
        hint_modes=["controller", "controller", "partial"],
        itps=[None, "Cluster"],
        healthy=True,
    )
)
def test_c_observed_own_zone_hints_never_send_clients_out_of_a_served_zone(gen: Generated) -> None:
    report = gen.report()
    nodes = gen.of_kind("Node")
    for s in report["services"]:
        eps = gen.endpoints_of(s["name"])
        ready_eps = [e for e in eps if ready(e)]
        own_zone = bool(ready_eps) and all(
            e.get("zone") and zones_hinted(e) == [e["zone"]] for e in ready_eps
        )
        event(f"every ready endpoint hinted for its own zone: {own_zone}")
        if not own_zone:
            continue
        zone_of_ip = {ip(e): e.get("zone") for e in eps}
        served = {e["zone"] for e in ready_eps}
        for n in nodes:
            zone = node_zone(n)
            if zone not in served:
                continue
            entry = s["proxy"][n["metadata"]["name"]]
            assert entry["action"] == "forward"
            assert entry["mode"] in ("PreferSameZone", "PreferSameNode")
            assert entry["endpoints"] and all(zone_of_ip[x] == zone for x in entry["endpoints"])
        for zone, row in s["flows"]["matrix"].items():
            if zone in served:
                assert set(row) <= {zone}, (s["name"], zone, row)


@PROPS
@given(clusters(itps=[None, "Cluster"]))
def test_c_one_ready_endpoint_without_zone_hint_turns_zone_filtering_off_everywhere(
    gen: Generated,
) -> None:
    report = gen.report()
    for s in report["services"]:
        ready_eps = [e for e in gen.endpoints_of(s["name"]) if ready(e)]
        if not ready_eps or all(zones_hinted(e) for e in ready_eps):
            continue
        event("a ready endpoint lacks a zone hint")
        all_node_hinted = all(nodes_hinted(e) for e in ready_eps)
        everything = sorted(map(ip, ready_eps))
        for n in gen.of_kind("Node"):
            name = n["metadata"]["name"]
            entry = s["proxy"][name]
            assert entry["mode"] != "PreferSameZone"
            if all_node_hinted and any(name in nodes_hinted(e) for e in ready_eps):
                assert entry["mode"] == "PreferSameNode"
                continue
            assert (entry["action"], entry["mode"], sorted(entry["endpoints"])) == (
                "forward",
                None,
                everything,
            )


@PROPS
@given(st.one_of(clusters(), clusters(healthy=True)))
def test_proxy_matches_an_independent_restatement_of_section_4_on_every_node(
    gen: Generated,
) -> None:
    report = gen.report()
    for s in report["services"]:
        eps = gen.endpoints_of(s["name"])
        itp = itp_of(gen, s["name"])
        for n in gen.of_kind("Node"):
            name, zone = n["metadata"]["name"], node_zone(n)
            entry = s["proxy"][name]
            got = (entry["action"], entry["mode"], sorted(entry["endpoints"]))
            assert got == expected_proxy(eps, itp, name, zone), (s["name"], name)
            assert entry["zone"] == (zone or None)


# ---------------------------------------------------------------------------- (d) iTP Local


@PROPS
@given(clusters(itps=["Local"]))
def test_d_internal_traffic_policy_local_never_leaves_the_node(gen: Generated) -> None:
    report = gen.report()
    clients = {n["metadata"]["name"] for n in gen.client_nodes()}
    for s in report["services"]:
        eps = gen.endpoints_of(s["name"])
        node_of = {ip(e): e.get("nodeName") for e in eps}
        usable_anywhere = any(ready(e) or serving_terminating(e) for e in eps)
        served_clients = 0
        for n in gen.of_kind("Node"):
            name = n["metadata"]["name"]
            entry = s["proxy"][name]
            assert entry["mode"] is None
            local_usable = [
                e for e in eps if e.get("nodeName") == name and (ready(e) or serving_terminating(e))
            ]
            if local_usable:
                assert entry["action"] == "forward"
                assert entry["endpoints"] and all(node_of[x] == name for x in entry["endpoints"])
                served_clients += name in clients
            else:
                assert entry["action"] == ("drop" if usable_anywhere else "reject")
                assert entry["endpoints"] == []
        dropped = s["flows"]["dropped"]
        if clients and served_clients == 0:
            assert abs(dropped - 1.0) <= 1e-9
        if clients and served_clients == len(clients):
            assert dropped <= 1e-12
        # hints are never consulted: every policy gives the same flows
        for policy in WHAT_IF:
            assert s["whatIf"][policy]["matrix"] == s["flows"]["matrix"]
            assert s["whatIf"][policy]["dropped"] == dropped


# ---------------------------------------------------------------------------- (e) load


@PROPS
@given(clusters())
def test_e_endpoint_load_sums_to_forwarded_traffic_and_overload_is_bounded(
    gen: Generated,
) -> None:
    # maxOverload = busiest load / ((1 - dropped) / usable), usable = ready endpoints (or
    # serving+terminating ones when none is ready). With iTP=Cluster traffic only ever reaches
    # usable endpoints, so the busiest gets at least the mean: maxOverload >= 1. With iTP=Local
    # no such bound holds: a node may send everything to its local terminating endpoints while
    # the ready ones elsewhere get nothing (e.g. load 0.5 + 0.5 on two local terminating
    # endpoints, one ready endpoint on a NotReady node: maxOverload 0.5). The upper bound
    # busiest <= forwarded, i.e. maxOverload <= usable, holds for both.
    report = gen.report()
    has_clients = bool(gen.client_nodes())
    for s in report["services"]:
        flows = s["flows"]
        eps = gen.endpoints_of(s["name"])
        load = flows["endpointLoad"]
        assert set(load) == {ip(e) for e in eps}
        assert all(v >= 0 for v in load.values())
        forwarded = 1.0 - flows["dropped"] if has_clients else 0.0
        assert abs(math.fsum(load.values()) - forwarded) <= 1e-9
        for e in eps:
            if not (ready(e) or serving_terminating(e)):
                assert load[ip(e)] == 0.0
        usable = sum(map(ready, eps)) or sum(map(serving_terminating, eps))
        if forwarded <= 1e-9:
            assert flows["maxOverload"] == 0
            continue
        assert flows["maxOverload"] <= usable + 1e-9
        if itp_of(gen, s["name"]) == "Cluster":
            assert flows["maxOverload"] >= 1 - 1e-9


# ---------------------------------------------------------------------------- controller (§3)

_MILLIS = {
    "4": 4000,
    "2": 2000,
    "8": 8000,
    "500m": 500,
    "3500m": 3500,
    16: 16000,
    "1": 1000,
    None: 0,
    "0": 0,
}


def expected_auto_warning(gen: Generated, eps: list[dict[str, Any]]) -> str | None:
    """§3.3 A+B+D restated: the Warning message Auto gives, or None when it is enabled."""
    cpu: dict[str, int] = {}
    insufficient = False
    for n in gen.of_kind("Node"):
        if _node_cp(n) or not _node_ready(n):
            continue
        millis = _MILLIS[n["status"].get("allocatable", {}).get("cpu")]
        if not node_zone(n) or not millis:
            insufficient = True
            break
        cpu[node_zone(n)] = cpu.get(node_zone(n), 0) + millis
    total = sum(cpu.values())
    if insufficient or total == 0 or len(cpu) < 2:
        return (
            "Insufficient Node information: allocatable CPU or zone not specified on one or "
            "more nodes, addressType: IPv4"
        )
    ready_eps = [e for e in eps if e["conditions"].get("ready") is True]
    n_eps, n_zones = len(ready_eps), len(cpu)
    if n_zones > n_eps:
        return (
            f"Insufficient number of endpoints ({n_eps} endpoints, {n_zones} zones), "
            "addressType: IPv4"
        )
    minimums = sum(
        math.ceil(float(c) / float(total) * float(n_eps) * (1 / (1 + 0.2))) for c in cpu.values()
    )
    if minimums > n_eps:
        return (
            "Unable to allocate minimum required endpoints to each zone without exceeding "
            f"overload threshold ({n_eps} endpoints, {n_zones} zones), addressType: IPv4"
        )
    if any(not e.get("zone") for e in ready_eps):
        return "One or more endpoints do not have a zone specified, addressType: IPv4"
    return None


@PROPS
@given(st.one_of(clusters(), clusters(policies=["Auto", "PreferSameNode"], healthy=True)))
def test_controller_hints_follow_section_3(gen: Generated) -> None:
    report = gen.report()
    for s in report["services"]:
        spec = gen.service(s["name"])
        eps = gen.endpoints_of(s["name"])
        ctl = s["controller"]
        ready_eps = [e for e in eps if e["conditions"].get("ready") is True]
        assert set(ctl["hints"]) == {ip(e) for e in ready_eps}
        td = spec["spec"].get("trafficDistribution")
        auto = spec["metadata"].get("annotations", {}).get("service.kubernetes.io/topology-mode")
        if auto == "Auto":
            warning = expected_auto_warning(gen, eps)
            event(f"Auto {'disabled' if warning else 'enabled'}")
            if warning is not None:
                assert ctl["events"] == [
                    {"type": "Warning", "reason": "TopologyAwareHintsDisabled", "message": warning}
                ]
                assert all(h is None for h in ctl["hints"].values())
            else:
                assert ctl["events"] == [
                    {
                        "type": "Normal",
                        "reason": "TopologyAwareHintsEnabled",
                        "message": "Topology Aware Hints has been enabled, addressType: IPv4",
                    }
                ]
                for h in ctl["hints"].values():
                    assert h is not None and len(h["forZones"]) == 1 and h["forNodes"] == []
            continue
        assert ctl["events"] == []
        for e in ready_eps:
            zone, node_name = e.get("zone"), e.get("nodeName")
            zones = [zone] if zone and td else []
            nodes = [node_name] if node_name and td == "PreferSameNode" else []
            expected = {"forZones": zones, "forNodes": nodes} if zones or nodes else None
            assert ctl["hints"][ip(e)] == expected, (s["name"], td, e)
