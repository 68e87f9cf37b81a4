"""The owning workloads of the Pods a fix names, read only for those Pods.

Owners are needed only for the Services whose fix is listed (its command scales or spreads the
workload), a few Pods each, while a dump may hold a hundred thousand Pods: following every
Pod's ownerReferences up front cost more than the rest of reading the dump for the search. So
the apps/v1 objects are indexed at once and a Pod is added to the index the first time it is
asked about. Each Pod's entry depends on that Pod alone, so the answers are those of an index
of every Pod (tests/fixes/test_pod_owners.py checks it).
"""

from collections.abc import Iterable, Sequence
from typing import Any

from routing.workloads import Workload, WorkloadIndex, sole_owner

Key = tuple[str, str]  # (namespace, name)


class PodOwners:
    def __init__(self, workloads: Iterable[dict[str, Any]], pods: list[dict[str, Any]]):
        """`pods`: the input's Pods, in input order."""
        self._index = WorkloadIndex(workloads)
        self._pods = pods
        self._by_key: dict[Key, dict[str, Any]] | None = None  # built when first asked
        self._read: set[Key] = set()  # Pods asked about already (added, or not in the input)
        # Without a workload in the input no Pod has a known owner: nothing to look up.
        self.any_workload = bool(self._index.workloads())

    def sole_owner(self, namespace: str, pod_names: Sequence[str]) -> Workload | None:
        """routing.workloads.sole_owner over the index of every Pod of the input."""
        if not self.any_workload:
            return None
        if self._by_key is None:
            self._by_key = _by_key(self._pods)
        for name in pod_names:
            key = (namespace, name)
            if key not in self._read:
                self._read.add(key)
                pod = self._by_key.get(key)
                if pod is not None:
                    self._index.add(pod)
        return sole_owner(self._index, namespace, pod_names)


def _by_key(pods: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    """Each Pod the index would read by namespace and name; the last of a name, as the index
    keeps the last (WorkloadIndex.add skips a Pod without a string name or namespace)."""
    found: dict[Key, dict[str, Any]] = {}
    for pod in pods:
        meta = pod.get("metadata")
        if not isinstance(meta, dict):
            continue
        name, namespace = meta.get("name"), meta.get("namespace") or "default"
        if isinstance(name, str) and isinstance(namespace, str):
            found[(namespace, name)] = pod
    return found
