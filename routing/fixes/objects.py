"""The objects one Service's analysis reads, picked out of a whole dump once.

A fix is verified by editing copies of these and analysing the Service again, so each Service
needs only the Nodes, its own Service object and EndpointSlices (and the Pods when clients are
weighted by Pods), not the cluster. The Nodes and the Pods are the same for every Service: they
are read once (routing.engine.parse.SharedNodes, SharedPods) and kept apart from each Service's
own objects.
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from routing.engine.model import SERVICE_NAME_LABEL
from routing.engine.parse import SharedPods
from routing.workloads import KINDS as WORKLOAD_KINDS

from .pod_owners import PodOwners

Key = tuple[str, str]


class ServiceObjects:
    """Index of a dump's objects by the Service they belong to."""

    def __init__(self, objects: Iterable[dict[str, Any]], with_pods: bool = False):
        self.nodes: list[dict[str, Any]] = []
        self.services: dict[Key, dict[str, Any]] = {}
        self.slices: dict[Key, list[dict[str, Any]]] = defaultdict(list)
        workloads: list[dict[str, Any]] = []  # apps/v1 objects: who owns the Pods
        pods: list[dict[str, Any]] = []  # every Pod, for their owners (read when asked)
        for obj in objects:
            if not isinstance(obj, dict):
                continue
            kind = obj.get("kind")
            if kind == "Pod":  # most of a large dump: nothing else is read of them here
                pods.append(obj)
                continue
            raw = obj.get("metadata")
            meta: dict[str, Any] = raw if isinstance(raw, dict) else {}
            namespace: str = meta.get("namespace") or "default"
            if kind == "Node":
                self.nodes.append(obj)
            elif kind == "Service":
                self.services[(namespace, str(meta.get("name")))] = obj
            elif kind == "EndpointSlice":
                service = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
                if service:
                    self.slices[(namespace, service)].append(obj)
            elif kind in WORKLOAD_KINDS:
                workloads.append(obj)
        # Pods weigh clients when asked to: read once, for every Service (SharedPods).
        self.pods = SharedPods(pods) if with_pods else None
        self.owners = PodOwners(workloads, pods)

    def own(self, key: Key) -> list[dict[str, Any]]:
        """What the Service's analysis reads besides the Nodes and the Pods: the Service and
        its slices (the dicts themselves: callers copy)."""
        service = self.services.get(key)
        if service is None:
            return []
        return [service, *self.slices.get(key, [])]
