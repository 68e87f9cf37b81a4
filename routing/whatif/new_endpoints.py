"""The endpoints of new, synthetic Pods: their names and addresses, and the slices they go in."""

import ipaddress
import re
from collections.abc import Container, Iterator
from typing import Any

import orjson

from routing.engine.model import CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, Service

from .errors import WhatIfError
from .objects import _managed

MAX_PER_SLICE = 100  # kube-controller-manager's default --max-endpoints-per-slice
# Synthetic addresses come from the benchmarking ranges (RFC 2544, RFC 5180): no real Pod has one.
SYNTHETIC_NETWORKS = {
    "IPv4": ipaddress.ip_network("198.18.0.0/15"),
    "IPv6": ipaddress.ip_network("2001:2::/48"),
}
_READY = {"ready": True, "serving": True, "terminating": False}
# Fields of a cloned endpoint that describe the original Pod, not the new one.
_IDENTITY = ("addresses", "hints", "hostname", "topology", "deprecatedTopology", "targetRef")
# A dotted quad as ipaddress prints it (no leading zero, each part at most 255): its own
# canonical spelling, recognised without parsing (most addresses are such).
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def _clone_base(template: dict[str, Any] | None) -> bytes:
    """The template without what describes the original Pod, serialised once for its clones."""
    return orjson.dumps({k: v for k, v in (template or {}).items() if k not in _IDENTITY})


def _clone(base: bytes, ip: str, pod: str, node: str, zone: str) -> dict[str, Any]:
    """A new endpoint from `_clone_base(template)`: read anew, so it shares nothing with the
    template or other clones."""
    endpoint: dict[str, Any] = orjson.loads(base)
    endpoint.update(
        addresses=[ip],
        conditions=dict(_READY),
        nodeName=node,
        zone=zone,
        targetRef={"kind": "Pod", "name": pod},
    )
    return endpoint


class _Placer:
    """Puts new endpoints into the Service's managed slices of their family that have room, in
    name order as the controller fills them, and opens a new slice when all are full."""

    def __init__(self, objects: list[dict[str, Any]], slices: list[dict[str, Any]], svc: Service):
        self.objects, self.slices, self.svc = objects, slices, svc
        self.open: dict[str, tuple[list[dict[str, Any]], int]] = {}  # family -> slices, cursor

    def add(self, family: str, endpoint: Any) -> None:
        self.slice_for(family)["endpoints"].append(endpoint)

    def slice_for(self, family: str) -> dict[str, Any]:
        """The slice the next endpoint of `family` goes in (the caller adds it at once)."""
        ours, i = self.open.get(family) or (
            [s for s in self.slices if s.get("addressType") == family and _managed(s, self.svc)],
            0,
        )
        while i < len(ours) and len(ours[i]["endpoints"]) >= MAX_PER_SLICE:
            i += 1  # full: slices before the cursor stay full, as nothing is removed now
        if i == len(ours):
            ours.append(self._new_slice(family, ours[0] if ours else None))
        self.open[family] = (ours, i)
        return ours[i]

    def _new_slice(self, family: str, sibling: dict[str, Any] | None) -> dict[str, Any]:
        taken = {s["metadata"]["name"] for s in self.slices}
        name = next(
            n
            for n in (f"{self.svc.name}-whatif-{i}" for i in range(len(taken) + 1))
            if n not in taken
        )
        labels = {SERVICE_NAME_LABEL: self.svc.name, MANAGED_BY_LABEL: CONTROLLER_NAME}
        created = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": name, "namespace": self.svc.namespace, "labels": labels},
            "addressType": family,
            "endpoints": [],
            "ports": self._ports(sibling),
        }
        self.objects.append(created)
        self.slices.append(created)
        return created

    def _ports(self, sibling: dict[str, Any] | None) -> list[dict[str, Any]]:
        """The sibling slice's ports, else one per Service port: kube-proxy matches them by name
        and protocol, so the new endpoints serve the Service's ports. (The controller would write
        the target port's number; only that it is a number matters for routing.)"""
        if sibling is not None and sibling.get("ports"):
            copied: list[dict[str, Any]] = orjson.loads(orjson.dumps(sibling["ports"]))
            return copied
        return [{"name": p.name, "protocol": p.protocol, "port": p.port} for p in self.svc.ports]


def in_use(objects: list[dict[str, Any]]) -> frozenset[Any]:
    """The Pod names and addresses (canonical) in the objects: what a new Pod must not take.
    The same for every edit of one Service's objects (an edit adds to them only what `_Fresh`
    makes), so a search that edits them many times reads it once."""
    taken: set[Any] = set()
    add = taken.add  # (once per endpoint of every Service searched: kept lean)
    for obj in objects:
        kind = obj["kind"]
        if kind == "Pod":
            add((obj.get("metadata") or {}).get("name"))
            add(_canonical((obj.get("status") or {}).get("podIP")))
        elif kind == "EndpointSlice":
            for ep in obj.get("endpoints") or []:
                if isinstance(ep, dict):
                    for address in ep.get("addresses") or []:
                        # Digits and dots are their own canonical spelling, or no address at
                        # all (ipaddress takes no other spelling of IPv4): _canonical(address).
                        if type(address) is str and address.replace(".", "").isdigit():
                            add(address)
                        else:
                            add(_canonical(address))
                    add((ep.get("targetRef") or {}).get("name"))
    return frozenset(taken)


class _Fresh:
    """Synthetic Pod names and addresses that collide with nothing in the objects.

    A name depends only on the zone and the count, so both address families of a dual-stack
    Service name (and place) the same new Pods. `taken`: `in_use(objects)`, when known.
    """

    def __init__(
        self, objects: list[dict[str, Any]], service: str, taken: frozenset[Any] | None = None
    ):
        self.service = service
        self.taken = in_use(objects) if taken is None else taken  # Pod names and IPs in use
        self.pods: dict[str, tuple[str, str]] = {}  # new Pod -> (node, first address)
        self._names: dict[str, list[str]] = {}
        self._counter = 0
        self._addresses = FreeAddresses(self.taken)
        self._used = {family: 0 for family in SYNTHETIC_NETWORKS}  # addresses given so far

    def pod(self, zone: str, k: int) -> str:
        names = self._names.setdefault(zone, [])
        while len(names) <= k:
            name = f"{self.service}-whatif-{self._counter}"
            self._counter += 1
            if name not in self.taken:
                names.append(name)
        return names[k]

    def address(self, family: str, pod: str, node: str) -> str:
        n = self._used[family]
        address = self._addresses.first(family, n + 1)[n]
        self._used[family] = n + 1
        self.pods.setdefault(pod, (node, address))
        return address


class FreeAddresses:
    """The synthetic addresses of each family that nothing in `taken` holds, in order: the
    n-th new endpoint of a family gets the n-th. Listed as far as asked, once for the many
    edits of one Service's objects that a search reads (read_replicas.py)."""

    def __init__(self, taken: Container[Any]):
        self.taken = taken
        self._hosts = {"IPv4": _ipv4_hosts(), "IPv6": _hosts("IPv6")}
        self._free: dict[str, list[str]] = {family: [] for family in SYNTHETIC_NETWORKS}

    def first(self, family: str, count: int) -> list[str]:
        """At least the first `count` free addresses of `family`."""
        free = self._free[family]
        if len(free) >= count:
            return free
        for address in self._hosts[family]:
            if address not in self.taken:
                free.append(address)
                if len(free) == count:
                    return free
        raise WhatIfError("replicasPerZone", "no synthetic address left")  # pragma: no cover


def _hosts(family: str) -> Iterator[str]:
    """The synthetic network's host addresses in order, as ipaddress spells them. A generator
    function, not a generator expression: mypyc may build one of those as a list, here of
    2**80 IPv6 addresses (docs/benchmarks.md)."""
    for ip in SYNTHETIC_NETWORKS[family].hosts():
        yield str(ip)


def _ipv4_hosts() -> Iterator[str]:
    """_hosts("IPv4"), spelt directly: building an IPv4Address per address to print it cost
    more than the rest of adding an endpoint (tests/whatif check both give the same)."""
    network = SYNTHETIC_NETWORKS["IPv4"]
    first, last = int(network.network_address) + 1, int(network.broadcast_address) - 1
    for n in range(first, last + 1):
        yield f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def _canonical(address: Any) -> Any:
    """One spelling per address ("2001:2:0::1" is "2001:2::1"), so collisions are seen."""
    if isinstance(address, str) and _CANONICAL_IPV4.fullmatch(address):
        return address
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address
