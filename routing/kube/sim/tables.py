"""Server-side printing: `Accept: application/json;as=Table;g=meta.k8s.io` answers a Table.

kubectl's plain and `-o wide` output asks for these and prints the server's columns as they come,
so the columns and cell formats follow the API server's printers (pkg/printers/internalversion):
every cell is computed as for `-o wide` and the client hides the priority-1 columns. A row's
`object` is the item's PartialObjectMetadata (`includeObject=Metadata`, the default), the full
object (`Object`) or nothing (`None`).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import kinds
from .errors import HttpError
from .printers import (
    Cells,
    daemon_set_cells,
    deployment_cells,
    endpoint_slice_cells,
    endpoints_cells,
    event_cells,
    namespace_cells,
    node_cells,
    pod_cells,
    replica_set_cells,
    service_cells,
    stateful_set_cells,
)

Obj = dict[str, Any]
TABLE_VERSIONS = ("v1", "v1beta1")
INCLUDE = ("Metadata", "Object", "None")


@dataclass(frozen=True, slots=True)
class Printing:
    """What the client asked to get back: a Table (of this meta.k8s.io version) or objects."""

    table: str | None = None  # "v1" or "v1beta1" for a Table, None for the objects themselves
    include: str = "Metadata"


def negotiate(accept: str | None, query: dict[str, str]) -> Printing:
    """The first media type in Accept that the server can produce, as the API server picks it.

    Types it does not produce (protobuf, PartialObjectMetadata) are passed over, and when none is
    left the answer is JSON anyway, which every client of the simulation reads.
    """
    for media in (accept or "").split(","):
        kind, *params = (p.strip() for p in media.split(";"))
        options = dict(p.split("=", 1) for p in params if "=" in p)
        if kind not in ("application/json", "application/*", "*/*"):
            continue
        if "as" not in options:
            return Printing()
        if (
            options["as"] == "Table"
            and options.get("g") == "meta.k8s.io"
            and options.get("v") in TABLE_VERSIONS
        ):
            include = query.get("includeObject") or "Metadata"
            if include not in INCLUDE:
                raise HttpError(400, "BadRequest", f"unrecognized includeObject value: {include!r}")
            return Printing(options["v"], include)
    return Printing()


# -- columns ------------------------------------------------------------------------------------

NAME = ("Name", "string", 0, "Name must be unique within a namespace.")
AGE = ("Age", "string", 0, "When the object was created, as a time since then.")
CONTAINERS = ("Containers", "string", 1, "Names of each container in the template.")
IMAGES = ("Images", "string", 1, "Images referenced by each container in the template.")
SELECTOR = ("Selector", "string", 1, "Label query over the Pods it manages.")
Column = tuple[str, str, int, str]  # name, type, priority (1: -o wide only), description

PRINTERS: dict[kinds.Kind, tuple[tuple[Column, ...], Callable[[Obj, float], Cells]]] = {
    kinds.NODES: (
        (
            NAME,
            ("Status", "string", 0, "The status of the node"),
            ("Roles", "string", 0, "The roles of the node"),
            AGE,
            ("Version", "string", 0, "Kubelet version reported by the node."),
            ("Internal-IP", "string", 1, "The node's first InternalIP address."),
            ("External-IP", "string", 1, "The node's first ExternalIP address."),
            ("OS-Image", "string", 1, "OS image reported by the node."),
            ("Kernel-Version", "string", 1, "Kernel version reported by the node."),
            ("Container-Runtime", "string", 1, "Container runtime version reported by the node."),
        ),
        node_cells,
    ),
    kinds.SERVICES: (
        (
            NAME,
            ("Type", "string", 0, "How the Service is exposed."),
            ("Cluster-IP", "string", 0, "The Service's cluster IP address."),
            ("External-IP", "string", 0, "Addresses the Service is reachable at from outside."),
            ("Port(s)", "string", 0, "The ports the Service exposes."),
            AGE,
            ("Selector", "string", 1, "Label query over the Pods that back the Service."),
        ),
        service_cells,
    ),
    kinds.ENDPOINT_SLICES: (
        (
            NAME,
            ("AddressType", "string", 0, "The type of address the slice carries."),
            ("Ports", "string", 0, "Network ports exposed by each endpoint."),
            ("Endpoints", "string", 0, "Addresses of the endpoints in the slice."),
            AGE,
        ),
        endpoint_slice_cells,
    ),
    kinds.ENDPOINTS: (
        (NAME, ("Endpoints", "string", 0, "Ready addresses with their ports."), AGE),
        endpoints_cells,
    ),
    kinds.PODS: (
        (
            NAME,
            ("Ready", "string", 0, "The aggregate readiness state of this pod for traffic."),
            ("Status", "string", 0, "The aggregate status of the containers in this pod."),
            ("Restarts", "string", 0, "How often the containers of this pod restarted."),
            AGE,
            ("IP", "string", 1, "The pod's first IP address."),
            ("Node", "string", 1, "The node the pod is scheduled on."),
            ("Nominated Node", "string", 1, "The node the scheduler nominated for preemption."),
            ("Readiness Gates", "string", 1, "Readiness gates that report True, of all."),
        ),
        pod_cells,
    ),
    kinds.NAMESPACES: (
        (NAME, ("Status", "string", 0, "The status of the namespace"), AGE),
        namespace_cells,
    ),
    kinds.EVENTS: (
        (
            ("Last Seen", "string", 0, "When the event was last seen."),
            ("Type", "string", 0, "Normal or Warning."),
            ("Reason", "string", 0, "Why the event happened, in one word."),
            ("Object", "string", 0, "The object the event is about."),
            ("Subobject", "string", 1, "The part of the object the event is about."),
            ("Source", "string", 1, "The component that reported the event."),
            ("Message", "string", 0, "What happened, for people."),
            ("First Seen", "string", 1, "When the event was first seen."),
            ("Count", "string", 1, "How often the event was seen."),
            (*NAME[:2], 1, NAME[3]),
        ),
        event_cells,
    ),
    kinds.DEPLOYMENTS: (
        (
            NAME,
            ("Ready", "string", 0, "Ready Pods of the desired number."),
            ("Up-to-date", "integer", 0, "Pods that run the current template."),
            ("Available", "integer", 0, "Pods available to serve."),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ),
        deployment_cells,
    ),
    kinds.REPLICA_SETS: (
        (
            NAME,
            ("Desired", "integer", 0, "The number of Pods wanted."),
            ("Current", "integer", 0, "The number of Pods that exist."),
            ("Ready", "integer", 0, "The number of ready Pods."),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ),
        replica_set_cells,
    ),
    kinds.DAEMON_SETS: (
        (
            NAME,
            ("Desired", "integer", 0, "Nodes that should run the daemon Pod."),
            ("Current", "integer", 0, "Nodes that run at least one daemon Pod."),
            ("Ready", "integer", 0, "Nodes whose daemon Pod is ready."),
            ("Up-to-date", "integer", 0, "Nodes that run the current template."),
            ("Available", "integer", 0, "Nodes whose daemon Pod is available."),
            ("Node Selector", "string", 0, "The Pod template's node selector."),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ),
        daemon_set_cells,
    ),
    kinds.STATEFUL_SETS: (
        (
            NAME,
            ("Ready", "string", 0, "Ready Pods of the desired number."),
            AGE,
            CONTAINERS,
            IMAGES,
        ),
        stateful_set_cells,
    ),
}
PRINTERS[kinds.EVENTS_V1] = PRINTERS[kinds.EVENTS]  # one printer for both versions, as upstream


def column_definitions(kind: kinds.Kind) -> list[Obj]:
    return [
        {
            "name": name,
            "type": type_,
            "format": "name" if name == "Name" else "",
            "description": description,
            "priority": priority,
        }
        for name, type_, priority, description in PRINTERS[kind][0]
    ]


def _row_object(printing: Printing, shown: Obj) -> Obj | None:
    if printing.include == "None":
        return None
    if printing.include == "Object":
        return shown
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": f"meta.k8s.io/{printing.table}",
        "metadata": shown["metadata"],
    }


def table(
    kind: kinds.Kind,
    printing: Printing,
    items: list[tuple[Obj, Obj]],
    meta: Obj,
    *,
    columns: bool = True,
) -> Obj:
    """A Table of `items`, each (stored object, object as served) with kind and apiVersion set;
    without `columns` (the later events of a watch) the client reuses the first one's."""
    cells = PRINTERS[kind][1]
    now = time.time()
    return {
        "kind": "Table",
        "apiVersion": f"meta.k8s.io/{printing.table}",
        "metadata": meta,
        "columnDefinitions": column_definitions(kind) if columns else None,
        "rows": [
            {"cells": cells(stored, now), "object": _row_object(printing, shown)}
            for stored, shown in items
        ],
    }
