"""The later shortcuts of the fix search (docs/benchmarks.md, "Verified fixes") give what the
long way gives: Pods' owners read only for the Pods asked about, the names and addresses in use
read once per Service, synthetic IPv4 addresses spelt without ipaddress."""

import json
from itertools import islice
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.engine import build_cluster
from routing.engine.parse import SharedNodes
from routing.fixes.objects import ServiceObjects
from routing.fixes.pod_owners import PodOwners
from routing.whatif import SYNTHETIC_NETWORKS, WhatIfError, changed_cluster, in_use
from routing.whatif.new_endpoints import _canonical, _hosts, _ipv4_hosts
from routing.workloads import WorkloadIndex, sole_owner
from tests.factories import DEMO_DUMP
from tests.workloads.objects import pod, ref, workload

# --- owners read for the Pods asked about -------------------------------------------------------

_NAMES = ["web-a", "web-b", "web-c", "api-a", "odd"]
_OWNERS = [
    (),
    (ref("ReplicaSet", "web-7d9f"),),
    (ref("ReplicaSet", "web-7d9f", uid="other"),),  # a namesake's
    (ref("StatefulSet", "api"),),
    (ref("DaemonSet", "agent"),),
    (ref("Job", "batch"),),
]
_WORKLOADS = [
    workload("ReplicaSet", "web-7d9f", ref("Deployment", "web")),
    workload("Deployment", "web"),
    workload("StatefulSet", "api"),
    workload("DaemonSet", "agent"),
]


@st.composite
def _inputs(draw: Any) -> list[dict[str, Any]]:
    """Pods (repeated names, other namespaces, broken metadata) with or without workloads."""
    objects: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 12))):
        name = draw(st.sampled_from(_NAMES))
        namespace = draw(st.sampled_from(["shop", "other"]))
        made = pod(name, *draw(st.sampled_from(_OWNERS)), namespace=namespace)
        if draw(st.integers(0, 9)) == 0:
            made["metadata"] = None
        objects.append(made)
    if draw(st.booleans()):
        objects.extend(draw(st.permutations(_WORKLOADS)))
        objects = draw(st.permutations(objects))
    return objects


@settings(max_examples=200, deadline=None)
@given(_inputs(), st.lists(st.lists(st.sampled_from(_NAMES), max_size=4), max_size=4))
def test_pod_owners_answer_as_an_index_of_every_pod(objects, asked):
    whole = WorkloadIndex(objects)
    lazy = ServiceObjects(objects).owners
    assert isinstance(lazy, PodOwners)
    for names in asked:
        for namespace in ("shop", "other"):
            wanted = sorted(set(names))
            assert lazy.sole_owner(namespace, wanted) == sole_owner(whole, namespace, wanted)


# --- names and addresses in use, read once per Service ----------------------------------------


def _demo() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(DEMO_DUMP.read_text())["items"]
    return items


def test_names_and_addresses_given_once_read_as_read_per_edit():
    objects = _demo()
    # Clashes to step over: what the generator would pick first, among the Service's own.
    cart = next(o for o in objects if o["metadata"]["name"] == "cart-7xk2p")
    cart["endpoints"][0]["addresses"] = ["198.18.0.1"]
    cart["endpoints"][0]["targetRef"]["name"] = "cart-whatif-0"
    cart["endpoints"][1]["addresses"] = ["2001:2:0::1"]  # not canonical: still seen
    clash = pod("cart-whatif-1", namespace="shop")  # a Pod's name and address count too
    clash["status"] = {"phase": "Running", "podIP": "198.18.0.2"}
    objects.append(clash)
    index = ServiceObjects(objects, with_pods=True)
    nodes = SharedNodes(index.nodes)
    whole = build_cluster([("items", i, o) for i, o in enumerate(objects)])
    zones = sorted({n.zone for n in whole.nodes if n.zone})
    for svc in whole.services:
        key = (svc.namespace, svc.name)
        own = index.own(key)
        for wanted in ({z: 6 for z in zones}, {zones[0]: 1, zones[-1]: 4}):
            changes = {"replicasPerZone": wanted}
            pods = index.pods  # the Pods aside, read once (their names and addresses count)
            try:
                long_way = changed_cluster(own, *key, changes, nodes, svc, pods=pods)
            except WhatIfError:
                with pytest.raises(WhatIfError):  # the same refusal either way
                    changed_cluster(own, *key, changes, nodes, svc, in_use(own), pods)
                continue
            short = changed_cluster(own, *key, changes, nodes, svc, in_use(own), pods)
            assert short[1] == long_way[1]
            assert short[0].services == long_way[0].services, (key, wanted)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="0123456789.", max_size=16),  # taken as they are (in_use's shortcut)
            st.ip_addresses().map(str),
            st.sampled_from(["198.18.0.1", "198.018.0.1", "2001:2:0::1", "١٢.٣.٤.٥", "²"]),
            st.integers(0, 1 << 32),
            st.text(max_size=6),
        ),
        max_size=8,
    )
)
def test_addresses_in_use_are_spelt_canonically(addresses):
    objects = [{"kind": "EndpointSlice", "endpoints": [{"addresses": addresses}]}]
    taken = in_use(objects)
    assert taken == {None, *(_canonical(a) for a in addresses)}


# --- synthetic IPv4 addresses -------------------------------------------------------------------


def test_ipv4_hosts_are_spelt_as_ipaddress_spells_them():
    network = SYNTHETIC_NETWORKS["IPv4"]
    direct = list(_ipv4_hosts())
    assert direct == [str(ip) for ip in network.hosts()]  # all 131,070 of them
    assert list(islice(_hosts("IPv6"), 3)) == ["2001:2::1", "2001:2::2", "2001:2::3"]
