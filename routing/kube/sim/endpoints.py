"""v1 Endpoints mirrored from a Service's slices, as the Endpoints controller writes them.

Deprecated since 1.33 but still read by older clients (kubectl up to 1.30 prints a Service's
`Endpoints:` line from them). Ready endpoints are `addresses`, the others `notReadyAddresses`;
terminating Pods are left out (publishNotReadyAddresses is off); addresses are sorted by IP;
past 1000 addresses the object is truncated, ready ones first, and says so in an annotation.
"""

import hashlib
import ipaddress
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

from .objects import EndpointKey
from .slices import ServiceRec, service_ports

MAX_ADDRESSES = 1000
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
HEADLESS = "service.kubernetes.io/headless"


def _address(key: EndpointKey, namespace: str) -> dict[str, Any]:
    ip, node, _zone, _ready, _serving, _terminating, pod, uid = key
    target = {"kind": "Pod", "namespace": namespace, "name": pod, "uid": uid}
    return {"ip": ip, "nodeName": node, "targetRef": target}


def _by_ip(key: EndpointKey) -> tuple[int, str]:
    return int(ipaddress.ip_address(key[0])), key[7]


def render_endpoints(svc: ServiceRec, changed_at: str) -> dict[str, Any]:
    """The Endpoints object of a Service the controller manages (it has a selector)."""
    keys = [key for rec in svc.slices.values() for key in rec.endpoints.values()]
    ready = sorted((k for k in keys if k[3]), key=_by_ip)
    waiting = sorted((k for k in keys if not k[3] and not k[5]), key=_by_ip)
    meta = svc.obj["metadata"]
    labels = dict(meta.get("labels") or {})
    if svc.obj["spec"].get("clusterIP") == "None":
        labels[HEADLESS] = ""
    annotations = {TRIGGER_TIME: changed_at}
    if len(ready) + len(waiting) > MAX_ADDRESSES:
        annotations[OVER_CAPACITY] = "truncated"
        ready = ready[:MAX_ADDRESSES]
        waiting = waiting[: MAX_ADDRESSES - len(ready)]
    obj: dict[str, Any] = {
        "metadata": {
            "name": svc.name,
            "namespace": svc.namespace,
            "uid": svc.endpoints_uid,
            "creationTimestamp": meta["creationTimestamp"],
            "labels": labels,
            "annotations": annotations,
        }
    }
    if ready or waiting:
        subset: dict[str, Any] = {}
        if ready:
            subset["addresses"] = [_address(k, svc.namespace) for k in ready]
        if waiting:
            subset["notReadyAddresses"] = [_address(k, svc.namespace) for k in waiting]
        # Unlike a slice's port, an Endpoints port leaves out an empty name.
        subset["ports"] = [{k: v for k, v in p.items() if v != ""} for p in service_ports(svc)]
        obj["subsets"] = [subset]
    return obj


def changed_endpoints(
    services: Iterable[ServiceRec], changed_at: str, new_uid: Callable[[], str]
) -> Iterator[dict[str, Any]]:
    """The Endpoints of these Services whose content changed since they were last written."""
    for svc in services:
        if not svc.managed:
            continue
        if not svc.endpoints_uid:
            svc.endpoints_uid = new_uid()
        obj = render_endpoints(svc, changed_at)
        meta = obj["metadata"]
        content = [obj.get("subsets"), meta["labels"], OVER_CAPACITY in meta["annotations"]]
        digest = hashlib.blake2b(orjson.dumps(content)).digest()
        if digest != svc.endpoints_content:
            svc.endpoints_content = digest
            yield obj
