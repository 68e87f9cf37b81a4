"""Measured client zones from the callers a series names (routing.volumes.callers), on small
hand-made clusters: Istio's source workload, Beyla's source zone or owner, unknown callers."""

import pytest

from routing.volumes.attribution import attribute, build_index
from routing.volumes.callers import callers_to_place
from routing.volumes.presets import BEYLA, CADVISOR, ISTIO
from routing.volumes.prometheus import Sample

from .objects import deployment_pod, endpoint_slice, service

ZONE = "topology.kubernetes.io/zone"


def _node(name: str, zone: str | None) -> dict:
    labels = {ZONE: zone} if zone else {}
    return {"kind": "Node", "metadata": {"name": name, "labels": labels}}


def _on(pod: dict, node: str, phase: str = "Running") -> dict:
    return {**pod, "spec": {"nodeName": node}, "status": {"phase": phase}}


def _cluster() -> list[dict]:
    """web runs 2 pods in zone a and 1 in b (plus a finished one in c, which calls nothing);
    batch 1 pod on a node without a zone label; api backs Service api."""
    return [
        _node("a1", "a"),
        _node("b1", "b"),
        _node("c1", "c"),
        _node("x1", None),
        service("shop", "api"),
        service("shop", "db"),
        _on(deployment_pod("shop", "web", "5d6f7", "aaaaa"), "a1"),
        _on(deployment_pod("shop", "web", "5d6f7", "bbbbb"), "a1"),
        _on(deployment_pod("shop", "web", "5d6f7", "ccccc"), "b1"),
        _on(deployment_pod("shop", "web", "5d6f7", "ddddd"), "c1", phase="Succeeded"),
        _on(deployment_pod("shop", "batch", "1a2b3", "eeeee"), "x1"),
        _on(deployment_pod("shop", "api", "9f8e7", "fffff"), "b1"),
        endpoint_slice("shop", "api", ["api-9f8e7-fffff"]),
    ]


def _istio(service_name: str, caller: str, rate: float, caller_ns: str = "shop") -> Sample:
    return Sample(
        {
            "destination_service_namespace": "shop",
            "destination_service_name": service_name,
            "source_workload_namespace": caller_ns,
            "source_workload": caller,
        },
        rate,
    )


def _attribute(preset, samples):
    index = build_index(_cluster(), callers_to_place(preset, samples))
    return attribute(preset, samples, index)


def test_istio_places_bytes_where_the_calling_workload_s_pods_run():
    found = _attribute(ISTIO, [_istio("api", "web", 300.0), _istio("api", "batch", 100.0)])
    # web: 3 running pods, 2 in a and 1 in b (the finished pod in c does not count); batch: "".
    assert found.clients.shares() == {
        ("shop", "api"): pytest.approx({"a": 0.5, "b": 0.25, "": 0.25}),
    }
    assert found.notes == ["1 Service(s) have measured client zones"]


def test_callers_that_cannot_be_placed_count_as_unknown():
    samples = [_istio("api", "web", 300.0), _istio("api", "unknown", 100.0)]
    assert _attribute(ISTIO, samples).clients.shares() == {
        ("shop", "api"): {"a": 0.6667, "b": 0.3333},  # of the placed bytes, rounded
    }
    # Most bytes from outside: db keeps the cluster's weighting, and the notes say so.
    samples = [_istio("db", "web", 100.0), _istio("db", "unknown", 300.0), _istio("db", "gone", 1)]
    found = _attribute(ISTIO, samples)
    assert found.clients.shares() == {}
    assert found.notes == [
        "1 Service(s) had under 50% of their bytes from callers that could be placed in a zone; "
        "they keep the cluster's client weighting"
    ]


def test_beyla_s_source_zone_wins_over_the_owner_s_pods():
    def flow(src_zone: str | None, rate: float) -> Sample:
        labels = {
            "k8s_dst_namespace": "shop",
            "k8s_dst_owner_name": "api",
            "k8s_src_namespace": "shop",
            "k8s_src_owner_name": "web",
        }
        if src_zone:
            labels["src_zone"] = src_zone
        return Sample(labels, rate)

    # 100 bytes/s from zone c as Beyla saw it; 300 with no zone, placed by web's pods.
    found = _attribute(BEYLA, [flow("c", 100.0), flow(None, 300.0)])
    assert found.clients.shares() == {
        ("shop", "api"): pytest.approx({"a": 0.5, "b": 0.25, "c": 0.25}),
    }


def test_shares_are_rounded_so_equal_measurements_compare_equal():
    found = _attribute(ISTIO, [_istio("api", "web", 1.0), _istio("api", "batch", 2.0)])
    shares = found.clients.shares()[("shop", "api")]
    assert shares == {"": 0.6667, "a": 0.2222, "b": 0.1111}


def test_cadvisor_names_no_callers():
    samples = [Sample({"namespace": "shop", "pod": "api-9f8e7-fffff"}, 10.0)]
    found = _attribute(CADVISOR, samples)
    assert found.rates == {("shop", "api"): 10.0}
    assert found.clients.shares() == {} and found.clients.unknown == {}


def test_only_the_callers_asked_for_are_placed():
    index = build_index(_cluster(), {("shop", "web")})
    assert index.workload_zones == {("shop", "web"): pytest.approx({"a": 2 / 3, "b": 1 / 3})}
