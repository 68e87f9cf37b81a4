"""A refresh reads only what its samples need from the snapshot (routing.volumes.refresh.index_for):
the index over those pods attributes every sample exactly as the index over all pods does."""

import pytest

from routing.volumes.attribution import (
    ServiceIndex,
    attribute,
    backing_pods,
    build_index,
    pods_of_workloads,
    workload_index,
    workloads_looked_up,
)
from routing.volumes.presets import BEYLA, CADVISOR
from routing.volumes.prometheus import Sample

from .objects import deployment_pod, endpoint_slice, pod, service


def _cluster() -> list[dict]:
    api = [deployment_pod("shop", "api", "7d9f8b6c5", s) for s in ("abcde", "fghij")]
    # A Deployment whose name continues another's ("api-gateway" after "api-"), a StatefulSet,
    # a DaemonSet-like pod, a pod without labels and a pod named like a workload.
    gateway = [deployment_pod("shop", "api-gateway", "5c4b3", s) for s in ("k1m2n", "p3q4r")]
    return [
        service("shop", "api"),
        service("shop", "api-internal"),
        service("shop", "api-gateway"),
        service("shop", "db"),
        service("shop", "agent"),
        service("shop", "bare"),
        service("shop", "single"),
        *api,
        *gateway,
        pod("shop", "db-0", **{"statefulset.kubernetes.io/pod-name": "db-0"}),
        pod("shop", "db-1", **{"statefulset.kubernetes.io/pod-name": "db-1"}),
        pod("shop", "agent-x7k2p", **{"controller-revision-hash": "6b5"}),
        pod("shop", "single"),
        endpoint_slice("shop", "api", ["api-7d9f8b6c5-abcde", "api-7d9f8b6c5-fghij"]),
        endpoint_slice("shop", "api-internal", ["api-7d9f8b6c5-abcde"]),
        endpoint_slice(
            "shop", "api-gateway", ["api-gateway-5c4b3-k1m2n", "api-gateway-5c4b3-p3q4r"]
        ),
        endpoint_slice("shop", "db", ["db-0", "db-1"]),
        endpoint_slice("shop", "agent", ["agent-x7k2p"]),
        endpoint_slice("shop", "bare", ["bare-1-2-3"]),  # no Pod object: named by its name
        endpoint_slice("shop", "single", ["single"]),
    ]


def _subset_index(objects: list[dict], preset, samples: list[Sample]) -> tuple[ServiceIndex, set]:
    """What index_for builds, without the database: labels only of the pods it asks for."""
    services = {
        (o["metadata"]["namespace"], o["metadata"]["name"])
        for o in objects
        if o["kind"] == "Service"
    }
    slices = [o for o in objects if o["kind"] == "EndpointSlice"]
    index = ServiceIndex(services=services, pod_services=backing_pods(services, slices))
    pods = pods_of_workloads(index.pod_services, workloads_looked_up(preset, samples, index))
    labels = {
        (o["metadata"]["namespace"], o["metadata"]["name"]): o["metadata"]["labels"]
        for o in objects
        if o["kind"] == "Pod" and (o["metadata"]["namespace"], o["metadata"]["name"]) in pods
    }
    index.workload_services = workload_index(index.pod_services, labels, pods)
    return index, pods


def _same(a, b) -> bool:
    return (a.rates, a.notes, a.unmatched_count, a.unmatched) == (
        b.rates,
        b.notes,
        b.unmatched_count,
        b.unmatched,
    )


POD_NAMES = [
    "api-7d9f8b6c5-abcde",  # in a slice
    "api-55f6c4d-zzzzz",  # an earlier ReplicaSet's pod: through workload "api"
    "api-gateway-1a2b3-zzzzz",  # an earlier "api-gateway" pod (not "api")
    "api-gateway-5c4b3-xxxxx",
    "db-7",  # a StatefulSet ordinal no slice holds
    "agent-zzzzz",
    "bare-1-2-9",
    "single-x",
    "nothing-here-at-all",
    "nodash",
]


@pytest.mark.parametrize("name", POD_NAMES)
def test_by_pod_the_subset_attributes_each_pod_as_the_whole_index(name):
    objects = _cluster()
    samples = [Sample({"namespace": "shop", "pod": name}, 10.0)]
    subset, _ = _subset_index(objects, CADVISOR, samples)
    assert _same(
        attribute(CADVISOR, samples, subset), attribute(CADVISOR, samples, build_index(objects))
    )


def test_by_pod_no_labels_are_read_when_every_pod_is_in_a_slice():
    objects = _cluster()
    samples = [Sample({"namespace": "shop", "pod": "api-7d9f8b6c5-abcde"}, 1.0)]
    _, pods = _subset_index(objects, CADVISOR, samples)
    assert pods == set()


@pytest.mark.parametrize(
    "owner",
    ["api", "api-gateway", "db", "agent", "bare-1", "single", "unknown", "", "api-7d9f8b6c5"],
)
def test_by_owner_the_subset_attributes_each_owner_as_the_whole_index(owner):
    objects = _cluster()
    samples = [Sample({"k8s_dst_namespace": "shop", "k8s_dst_owner_name": owner}, 10.0)]
    subset, _ = _subset_index(objects, BEYLA, samples)
    assert _same(attribute(BEYLA, samples, subset), attribute(BEYLA, samples, build_index(objects)))


def test_all_samples_together_give_the_same_attribution():
    objects = _cluster()
    samples = [
        Sample({"namespace": "shop", "pod": n}, float(i + 1)) for i, n in enumerate(POD_NAMES)
    ]
    subset, pods = _subset_index(objects, CADVISOR, samples)
    assert _same(
        attribute(CADVISOR, samples, subset), attribute(CADVISOR, samples, build_index(objects))
    )
    assert pods <= set(subset.pod_services)
