"""The simulated EndpointSlice controller: slices from Pods, hints from `routing.engine`.

Layout follows the controller's habits (update endpoints in place, fill slices that have room,
at most 100 endpoints per slice, one empty placeholder slice for a Service without endpoints);
the hints come from the engine's `controller.simulate` under the Service's declared policy, so
the simulated cluster and the analysis can never disagree about the rules.
"""

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from routing.engine import controller
from routing.engine.model import CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL
from routing.engine.parse import build_cluster
from routing.engine.topology import ZoneRatios

from .objects import EndpointKey, render_endpoint

MAX_PER_SLICE = 100  # kube-controller-manager's default --max-endpoints-per-slice
BATCH = 500  # Services per engine call when many are reconciled at once


@dataclass(slots=True)
class SliceRec:
    name: str
    uid: str
    created: str
    endpoints: dict[str, EndpointKey] = field(default_factory=dict)  # by Pod name, in order
    generation: int = 0
    content: bytes = b""  # digest of what was last written, to skip updates that change nothing


@dataclass(slots=True)
class ServiceRec:
    obj: dict[str, Any]  # the Service as the API returns it (no kind/apiVersion)
    slices: dict[str, SliceRec] = field(default_factory=dict)
    endpoints_uid: str = ""  # of its v1 Endpoints (sim/endpoints.py), once written
    endpoints_content: bytes = b""  # digest of what was last written there

    @property
    def namespace(self) -> str:
        return self.obj["metadata"]["namespace"]

    @property
    def name(self) -> str:
        return self.obj["metadata"]["name"]

    @property
    def selector(self) -> dict[str, str]:
        return self.obj["spec"].get("selector") or {}

    @property
    def managed(self) -> bool:
        """Whether the EndpointSlice controller writes slices for this Service."""
        return bool(self.selector) and self.obj["spec"].get("type") != "ExternalName"


def layout(
    svc: ServiceRec, desired: dict[str, EndpointKey], new_slice: Callable[[], SliceRec]
) -> list[str]:
    """Place `desired` endpoints into the Service's slices; returns the names of dropped slices."""
    placed: set[str] = set()
    for rec in svc.slices.values():
        for pod in [p for p in rec.endpoints if p not in desired]:
            del rec.endpoints[pod]
        for pod in rec.endpoints:
            rec.endpoints[pod] = desired[pod]
            placed.add(pod)
    fresh = [pod for pod in desired if pod not in placed]
    for rec in sorted(svc.slices.values(), key=lambda r: r.name):
        while fresh and len(rec.endpoints) < MAX_PER_SLICE:
            pod = fresh.pop(0)
            rec.endpoints[pod] = desired[pod]
    while fresh:
        rec = new_slice()
        svc.slices[rec.name] = rec
        chunk, fresh = fresh[:MAX_PER_SLICE], fresh[MAX_PER_SLICE:]
        rec.endpoints.update((pod, desired[pod]) for pod in chunk)
    dropped = [name for name, rec in svc.slices.items() if not rec.endpoints]
    if len(dropped) == len(svc.slices):
        dropped = dropped[1:]  # a Service without endpoints keeps one placeholder slice
    for name in dropped:
        del svc.slices[name]
    if not svc.slices:
        rec = new_slice()
        svc.slices[rec.name] = rec
    return dropped


def _slice_labels(svc: ServiceRec) -> dict[str, str]:
    labels = dict(svc.obj["metadata"].get("labels") or {})
    labels[SERVICE_NAME_LABEL] = svc.name
    labels[MANAGED_BY_LABEL] = CONTROLLER_NAME
    return labels


def service_ports(svc: ServiceRec) -> list[dict[str, Any]]:
    """The Service's ports as its endpoints serve them (a named targetPort keeps the port)."""
    out = []
    for p in svc.obj["spec"].get("ports") or []:
        target = p.get("targetPort", p["port"])
        port = {
            "name": p.get("name", ""),
            "port": target if isinstance(target, int) else p["port"],
            "protocol": p.get("protocol", "TCP"),
        }
        if "appProtocol" in p:
            port["appProtocol"] = p["appProtocol"]
        out.append(port)
    return out


def _drafts(svc: ServiceRec) -> dict[str, list[dict[str, Any]]]:
    ns = svc.namespace
    return {
        name: [render_endpoint(key, ns) for key in rec.endpoints.values()]
        for name, rec in svc.slices.items()
    }


def _hint(zones: tuple[str, ...], nodes: tuple[str, ...]) -> dict[str, Any]:
    hint: dict[str, Any] = {}
    if zones:
        hint["forZones"] = [{"name": z} for z in zones]
    if nodes:
        hint["forNodes"] = [{"name": n} for n in nodes]
    return hint


# One reconcile's outcome for the controller's event recorder: (Service, policy, events).
Reconciled = list[tuple[ServiceRec, str, list[dict[str, str]]]]


def _apply_hints(
    batch: list[ServiceRec], drafts: list[dict], ratios: ZoneRatios, reconciled: Reconciled
) -> None:
    """Run the engine over the batch and write each endpoint's hints into its draft dict; note
    the events each reconcile emits in `reconciled`."""
    items: list[tuple[str, int, dict[str, Any]]] = []
    for svc, slices in zip(batch, drafts, strict=True):
        items.append(("items", len(items), {"kind": "Service", "apiVersion": "v1", **svc.obj}))
        labels = {SERVICE_NAME_LABEL: svc.name, MANAGED_BY_LABEL: CONTROLLER_NAME}
        for name, endpoints in slices.items():
            draft = {
                "kind": "EndpointSlice",
                "metadata": {"name": name, "namespace": svc.namespace, "labels": labels},
                "addressType": "IPv4",
                "endpoints": endpoints,
            }
            items.append(("items", len(items), draft))
    by_key = {(svc.namespace, svc.name): slices for svc, slices in zip(batch, drafts, strict=True)}
    services = {(svc.namespace, svc.name): svc for svc in batch}
    for model in build_cluster(items).services:
        policy = controller.declared_policy(model)
        result = controller.simulate(model, policy, ratios)
        reconciled.append((services[(model.namespace, model.name)], policy, result.events))
        slices = by_key[(model.namespace, model.name)]
        position = dict.fromkeys(slices, 0)
        for ep, (zones, nodes) in zip(model.endpoints, result.hints, strict=True):
            i = position[ep.slice_name]
            position[ep.slice_name] = i + 1
            if zones or nodes:
                slices[ep.slice_name][i]["hints"] = _hint(zones, nodes)


def render(
    services: Iterable[ServiceRec],
    ratios: ZoneRatios,
    changed_at: str,
    reconciled: Reconciled | None = None,
) -> Iterator[tuple[ServiceRec, SliceRec, dict[str, Any]]]:
    """The slices whose content changed, rendered with hints (generation already bumped); each
    reconcile's events go to `reconciled`, filled as the generator runs.

    A generator, batch by batch, so a large cluster's slices never all sit in memory as dicts.
    """
    if reconciled is None:
        reconciled = []
    todo = [svc for svc in services if svc.managed]
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        drafts = [_drafts(svc) for svc in batch]
        _apply_hints(batch, drafts, ratios, reconciled)
        for svc, slices in zip(batch, drafts, strict=True):
            labels, ports = _slice_labels(svc), service_ports(svc)
            for name, endpoints in slices.items():
                rec = svc.slices[name]
                content = hashlib.blake2b(orjson.dumps([labels, endpoints, ports])).digest()
                if content == rec.content:
                    continue
                rec.content = content
                rec.generation += 1
                yield svc, rec, _slice(svc, rec, labels, endpoints, ports, changed_at)


def _slice(
    svc: ServiceRec,
    rec: SliceRec,
    labels: dict[str, str],
    endpoints: list[dict[str, Any]],
    ports: list[dict[str, Any]],
    changed_at: str,
) -> dict[str, Any]:
    owner = {
        "apiVersion": "v1",
        "kind": "Service",
        "name": svc.name,
        "uid": svc.obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    return {
        "metadata": {
            "name": rec.name,
            "generateName": f"{svc.name}-",
            "namespace": svc.namespace,
            "uid": rec.uid,
            "generation": rec.generation,
            "creationTimestamp": rec.created,
            "labels": labels,
            "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": changed_at},
            "ownerReferences": [owner],
        },
        "addressType": "IPv4",
        # A placeholder slice's empty lists print as null, as the API serialises them.
        "endpoints": endpoints or None,
        "ports": ports if endpoints else None,
    }
