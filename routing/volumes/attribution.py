"""From query samples to bytes/s per Service, with what had to be assumed said in words.

The snapshot gives which Services exist and which pods back them (EndpointSlices' targetRefs).
A pod behind several Services has its bytes split evenly among them (no source says which
Service a byte was for); a pod behind none is ignored (it serves no Service). A pod that is no
longer in any slice (it was replaced during the window, as a rollout does) is attributed through
its workload: the name left when the pod's generated suffixes are removed, if that workload backs
Services now. Every such case is counted in the notes.
"""

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from routing.engine.model import SERVICE_NAME_LABEL, ZONE_LABEL
from routing.volumes.callers import ClientZones, callers_to_place, zones_of_workloads
from routing.volumes.presets import Preset
from routing.volumes.prometheus import Sample

Key = tuple[str, str]
UNMATCHED_SAMPLE = 20  # how many unmatched series' labels a fetch keeps to show


@dataclass
class ServiceIndex:
    """What attribution needs from a snapshot."""

    services: set[Key] = field(default_factory=set)
    pod_services: dict[Key, list[Key]] = field(default_factory=dict)  # (ns, pod) -> Services
    workload_services: dict[Key, list[Key]] = field(default_factory=dict)  # (ns, workload)
    # (ns, workload) of the callers to place -> zone -> share of its pods (routing.volumes.callers)
    workload_zones: dict[Key, dict[str, float]] = field(default_factory=dict)


def workload_of(pod: str, labels: dict[str, str]) -> str:
    """The name of the workload that made a pod, from its name and labels."""
    template_hash = labels.get("pod-template-hash")
    if template_hash and f"-{template_hash}-" in pod:  # Deployment: name-<hash>-<suffix>
        return pod[: pod.rindex(f"-{template_hash}-")]
    if "statefulset.kubernetes.io/pod-name" in labels:  # StatefulSet: name-<ordinal>
        return re.sub(r"-\d+$", "", pod)
    return pod.rsplit("-", 1)[0] if "-" in pod else pod  # DaemonSet, ReplicaSet, Job: name-<x>


def build_index(
    objects: Iterable[dict], callers: set[Key] | frozenset[Key] = frozenset()
) -> ServiceIndex:
    """The index from a snapshot's objects (Services, EndpointSlices, Pods, Nodes; others
    ignored), placing the `callers` workloads' pods in zones."""
    services: set[Key] = set()
    pods: dict[Key, dict[str, str]] = {}
    pod_nodes: dict[Key, str] = {}
    node_zones: dict[str, str] = {}
    slices = []
    for obj in objects:
        kind = obj.get("kind")
        meta = obj.get("metadata") or {}
        key = (meta.get("namespace") or "default", meta.get("name") or "")
        if kind == "Service":
            services.add(key)
        elif kind == "Pod":
            pods[key] = meta.get("labels") or {}
            node = running_on(obj)
            if node:
                pod_nodes[key] = node
        elif kind == "EndpointSlice":
            slices.append(obj)
        elif kind == "Node":
            node_zones[key[1]] = node_zone(obj)
    pod_services = backing_pods(services, slices)
    placed = (
        ((ns, workload_of(name, pods[(ns, name)])), node_zones.get(node, ""))
        for (ns, name), node in pod_nodes.items()
    )
    return ServiceIndex(
        services,
        pod_services,
        workload_index(pod_services, pods),
        zones_of_workloads(p for p in placed if p[0] in callers),
    )


def running_on(pod: dict) -> str | None:
    """The node of a pod that runs or is about to (not one that has finished)."""
    if ((pod.get("status") or {}).get("phase")) in ("Succeeded", "Failed"):
        return None
    return (pod.get("spec") or {}).get("nodeName") or None


def node_zone(node: dict) -> str:
    return ((node.get("metadata") or {}).get("labels") or {}).get(ZONE_LABEL) or ""


def caller_candidates(pod: str) -> tuple[str, ...]:
    """The workload names a pod's name can stand for (workload_of only removes suffixes)."""
    one = pod.rsplit("-", 1)[0]
    return (pod, one, one.rsplit("-", 1)[0])


def backing_pods(services: set[Key], slices: Iterable[dict]) -> dict[Key, list[Key]]:
    """(namespace, pod) -> the Services (sorted) whose EndpointSlices hold the pod as a
    targetRef; slices of Services not in `services` are ignored."""
    backing: dict[Key, list[Key]] = {}
    for obj in slices:
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or "default"
        name = (meta.get("labels") or {}).get(SERVICE_NAME_LABEL)
        service = (namespace, name)
        if not name or service not in services:
            continue
        for endpoint in obj.get("endpoints") or ():
            pod = ((endpoint or {}).get("targetRef") or {}).get("name")
            if pod:
                held = backing.get((namespace, pod))
                if held is None:
                    backing[(namespace, pod)] = [service]
                elif service not in held:
                    held.append(service)
    for held in backing.values():
        if len(held) > 1:
            held.sort()
    return backing


def workload_index(
    pod_services: dict[Key, list[Key]],
    labels: dict[Key, dict[str, str]],
    pods: Iterable[Key] | None = None,
) -> dict[Key, list[Key]]:
    """(namespace, workload) -> the Services (sorted) its backing pods are in, from the pods'
    labels (a pod without labels there is named by its name alone); only over `pods` if given.
    """
    workloads: dict[Key, set[Key]] = defaultdict(set)
    for key in pod_services if pods is None else pods:
        services = pod_services.get(key)
        if services:
            namespace, pod = key
            workloads[(namespace, workload_of(pod, labels.get(key, {})))].update(services)
    return {key: sorted(services) for key, services in workloads.items()}


def workloads_looked_up(preset: Preset, samples: list[Sample], index: ServiceIndex) -> set[Key]:
    """The (namespace, workload) keys `attribute` will look up for these samples: each
    series' owner (by owner), and for a pod in no slice its name without one and without two
    suffixes (by pod, as _former_pod_services tries them); none by Service."""
    ns_label, name_label = preset.labels
    wanted: set[Key] = set()
    if preset.by == "owner":
        for sample in samples:
            wanted.add((sample.labels.get(ns_label, ""), sample.labels.get(name_label, "")))
    elif preset.by == "pod":
        for sample in samples:
            namespace, name = sample.labels.get(ns_label, ""), sample.labels.get(name_label, "")
            if (namespace, name) in index.pod_services:
                continue
            for _ in range(2):
                if "-" not in name:
                    break
                name = name.rsplit("-", 1)[0]
                wanted.add((namespace, name))
    return wanted


def pods_of_workloads(pod_services: dict[Key, list[Key]], workloads: set[Key]) -> set[Key]:
    """The backing pods whose workload can be one of `workloads`, whatever their labels:
    workload_of only removes dash-separated suffixes, so a pod's workload is its own name or a
    prefix of it followed by "-". (The index over these pods answers every one of `workloads`
    as the index over all pods does.)"""
    names: dict[str, list[str]] = defaultdict(list)
    for namespace, pod in pod_services:
        names[namespace].append(pod)
    for pods in names.values():
        pods.sort()
    found: set[Key] = set()
    for namespace, workload in workloads:
        listed = names.get(namespace)
        if not listed:
            continue
        if (namespace, workload) in pod_services:
            found.add((namespace, workload))
        prefix = workload + "-"
        i = bisect_left(listed, prefix)
        while i < len(listed) and listed[i].startswith(prefix):
            found.add((namespace, listed[i]))
            i += 1
    return found


@dataclass
class Attribution:
    rates: dict[Key, float] = field(default_factory=dict)  # bytes/s per Service
    # Of those, the bytes/s whose source and destination zones the series named, and the part
    # that crossed zones: the measured cross-zone share (Beyla's src_zone/dst_zone).
    zoned: dict[Key, float] = field(default_factory=dict)
    crossing: dict[Key, float] = field(default_factory=dict)
    unmatched: list[dict[str, str]] = field(default_factory=list)  # a sample
    unmatched_count: int = 0
    unmatched_rate: float = 0.0
    notes: list[str] = field(default_factory=list)
    clients: ClientZones = field(default_factory=ClientZones)

    def cross_zone_fraction(self, key: Key) -> float | None:
        """The measured share of the Service's zoned bytes that crossed zones, or None when no
        series named both zones."""
        zoned = self.zoned.get(key, 0.0)
        return self.crossing.get(key, 0.0) / zoned if zoned > 0 else None


def attribute(preset: Preset, samples: list[Sample], index: ServiceIndex) -> Attribution:
    if preset.by == "pod":
        return _by_pod(preset, samples, index)
    out = (
        _by_owner(preset, samples, index)
        if preset.by == "owner"
        else _by_service(preset, samples, index)
    )
    out.notes.extend(out.clients.notes())
    return out


def callers_wanted(preset: Preset, samples: list[Sample]) -> set[Key]:
    """The caller workloads to place in zones for these samples (none by pod)."""
    return set() if preset.by == "pod" else callers_to_place(preset, samples)


def _add(out: Attribution, services: list[Key], rate: float, zones: tuple = ()) -> None:
    share = rate / len(services)
    for key in services:
        out.rates[key] = out.rates.get(key, 0.0) + share
    # As the engine counts: a flow with one zone unknown is forwarded but does not cross. A
    # series with neither zone is from a source that does not see zones: left out of both.
    if len(zones) == 2 and any(zones):
        for key in services:
            out.zoned[key] = out.zoned.get(key, 0.0) + share
            if all(zones) and zones[0] != zones[1]:
                out.crossing[key] = out.crossing.get(key, 0.0) + share


def _miss(out: Attribution, sample: Sample) -> None:
    out.unmatched_count += 1
    out.unmatched_rate += sample.value
    if len(out.unmatched) < UNMATCHED_SAMPLE:
        out.unmatched.append(sample.labels)


def _by_service(preset: Preset, samples: list[Sample], index: ServiceIndex) -> Attribution:
    out = Attribution()
    ns_label, name_label = preset.labels
    for sample in samples:
        key = (sample.labels.get(ns_label, ""), sample.labels.get(name_label, ""))
        if key in index.services:
            zones = (sample.labels.get("src_zone", ""), sample.labels.get("dst_zone", ""))
            _add(out, [key], sample.value, zones)
            out.clients.add(preset, sample, [key], index.workload_zones)
        else:
            _miss(out, sample)
    return out


def _by_owner(preset: Preset, samples: list[Sample], index: ServiceIndex) -> Attribution:
    out = Attribution()
    ns_label, owner_label = preset.labels
    shared = set()
    for sample in samples:
        key = (sample.labels.get(ns_label, ""), sample.labels.get(owner_label, ""))
        services = index.workload_services.get(key)
        if services:
            zones = (sample.labels.get("src_zone", ""), sample.labels.get("dst_zone", ""))
            _add(out, services, sample.value, zones)
            out.clients.add(preset, sample, services, index.workload_zones)
            if len(services) > 1:
                shared.add(key)
        else:
            _miss(out, sample)
    if shared:
        out.notes.append(
            f"{len(shared)} workload(s) back several Services; their bytes were split evenly"
        )
    return out


def _by_pod(preset: Preset, samples: list[Sample], index: ServiceIndex) -> Attribution:
    out = Attribution()
    ns_label, pod_label = preset.labels
    shared = by_workload = unserved = 0
    unserved_rate = 0.0
    for sample in samples:
        namespace, pod = sample.labels.get(ns_label, ""), sample.labels.get(pod_label, "")
        services = index.pod_services.get((namespace, pod))
        if services is None:
            services = _former_pod_services(namespace, pod, index)
            if services:
                by_workload += 1
        if not services:
            unserved += 1
            unserved_rate += sample.value
            continue
        if len(services) > 1:
            shared += 1
        _add(out, services, sample.value)
    if shared:
        out.notes.append(f"{shared} pod(s) back several Services; their bytes were split evenly")
    if by_workload:
        out.notes.append(
            f"{by_workload} pod(s) no longer in any EndpointSlice were attributed through their "
            "workload's name"
        )
    if unserved:
        out.notes.append(f"{unserved} pod(s) back no Service; their bytes were left out")
    return out


def _former_pod_services(namespace: str, pod: str, index: ServiceIndex) -> list[Key] | None:
    """Services of a pod not in the slices now, through its workload: the pod's name without
    one generated suffix (StatefulSet, DaemonSet) or two (Deployment: -<hash>-<suffix>)."""
    name = pod
    for _ in range(2):
        if "-" not in name:
            return None
        name = name.rsplit("-", 1)[0]
        services = index.workload_services.get((namespace, name))
        if services:
            return services
    return None
