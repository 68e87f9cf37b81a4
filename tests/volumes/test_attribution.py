"""From query samples to bytes/s per Service (routing.volumes.attribution)."""

import pytest

from routing.volumes.attribution import attribute, build_index, workload_of
from routing.volumes.presets import BEYLA, CADVISOR, ISTIO, custom
from routing.volumes.prometheus import Sample

from .objects import deployment_pod, endpoint_slice, pod, service


def _cluster() -> list[dict]:
    return [
        service("shop", "api"),
        service("shop", "api-internal"),  # the same pods behind a second Service
        service("shop", "db"),
        deployment_pod("shop", "api", "7d9f8b6c5", "abcde"),
        deployment_pod("shop", "api", "7d9f8b6c5", "fghij"),
        pod("shop", "db-0", **{"statefulset.kubernetes.io/pod-name": "db-0"}),
        endpoint_slice("shop", "api", ["api-7d9f8b6c5-abcde", "api-7d9f8b6c5-fghij"]),
        endpoint_slice("shop", "api-internal", ["api-7d9f8b6c5-abcde", "api-7d9f8b6c5-fghij"]),
        endpoint_slice("shop", "db", ["db-0"]),
    ]


def _pod_sample(namespace: str, name: str, rate: float) -> Sample:
    return Sample({"namespace": namespace, "pod": name}, rate)


@pytest.mark.parametrize(
    ("name", "labels", "workload"),
    [
        ("api-7d9f8b6c5-abcde", {"pod-template-hash": "7d9f8b6c5"}, "api"),
        ("web-frontend-5f6d7-x2x2x", {"pod-template-hash": "5f6d7"}, "web-frontend"),
        ("db-12", {"statefulset.kubernetes.io/pod-name": "db-12"}, "db"),
        ("node-exporter-8xk2p", {"controller-revision-hash": "6b5"}, "node-exporter"),
        ("standalone", {}, "standalone"),
    ],
)
def test_workload_of_a_pod(name, labels, workload):
    assert workload_of(name, labels) == workload


def test_cadvisor_pods_go_to_their_services_and_shared_pods_are_split_evenly():
    index = build_index(_cluster())
    samples = [
        _pod_sample("shop", "api-7d9f8b6c5-abcde", 100.0),
        _pod_sample("shop", "api-7d9f8b6c5-fghij", 300.0),
        _pod_sample("shop", "db-0", 50.0),
    ]
    found = attribute(CADVISOR, samples, index)
    assert found.rates == {
        ("shop", "api"): 200.0,
        ("shop", "api-internal"): 200.0,
        ("shop", "db"): 50.0,
    }
    assert found.unmatched_count == 0
    assert found.notes == ["2 pod(s) back several Services; their bytes were split evenly"]


def test_a_replaced_pod_is_attributed_through_its_workload_and_said_so():
    index = build_index(_cluster())
    # The pod of an earlier ReplicaSet (another template hash) no slice holds any more.
    found = attribute(CADVISOR, [_pod_sample("shop", "api-55f6c4d-zzzzz", 80.0)], index)
    assert found.rates == {("shop", "api"): 40.0, ("shop", "api-internal"): 40.0}
    assert any("no longer in any EndpointSlice" in note for note in found.notes)


def test_pods_behind_no_service_are_left_out_and_counted():
    index = build_index(_cluster())
    samples = [_pod_sample("shop", "batch-job-x1y2z", 10.0), _pod_sample("kube-system", "x", 1.0)]
    found = attribute(CADVISOR, samples, index)
    assert found.rates == {}
    assert found.notes == ["2 pod(s) back no Service; their bytes were left out"]


def test_service_series_match_by_namespace_and_name_and_others_are_reported():
    index = build_index(_cluster())
    labels = ("destination_service_namespace", "destination_service_name")
    samples = [
        Sample(dict(zip(labels, ("shop", "api"), strict=True)), 5.0),
        Sample(dict(zip(labels, ("shop", "api"), strict=True)) | {"source_workload": "x"}, 7.0),
        Sample(dict(zip(labels, ("shop", "gone"), strict=True)), 3.0),  # deleted since
    ]
    found = attribute(ISTIO, samples, index)
    assert found.rates == {("shop", "api"): 12.0}
    assert found.unmatched_count == 1 and found.unmatched_rate == 3.0
    assert found.unmatched == [dict(zip(labels, ("shop", "gone"), strict=True))]


def test_custom_series_use_namespace_and_service_labels():
    index = build_index(_cluster())
    found = attribute(custom("q"), [Sample({"namespace": "shop", "service": "db"}, 2.5)], index)
    assert found.rates == {("shop", "db"): 2.5}


def test_beyla_owners_map_to_the_services_their_pods_back():
    index = build_index(_cluster())
    labels = {"k8s_dst_namespace": "shop"}
    samples = [
        Sample(labels | {"k8s_dst_owner_name": "db", "src_zone": "a", "dst_zone": "b"}, 4.0),
        Sample(labels | {"k8s_dst_owner_name": "db", "src_zone": "a", "dst_zone": "a"}, 6.0),
        Sample(labels | {"k8s_dst_owner_name": "api"}, 10.0),
        Sample(labels | {"k8s_dst_owner_name": "cronjob"}, 1.0),
    ]
    found = attribute(BEYLA, samples, index)
    assert found.rates == {
        ("shop", "db"): 10.0,
        ("shop", "api"): 5.0,
        ("shop", "api-internal"): 5.0,
    }
    assert found.unmatched_count == 1
    assert found.notes == [
        "1 workload(s) back several Services; their bytes were split evenly",
        # db's series name their source zone; api's name no caller (tests/volumes/test_callers.py)
        "1 Service(s) have measured client zones",
        "2 Service(s) had under 50% of their bytes from callers that could be placed in a zone; "
        "they keep the cluster's client weighting",
    ]


def test_a_slice_of_a_service_not_in_the_snapshot_is_ignored():
    objects = [service("shop", "db"), endpoint_slice("shop", "ghost", ["ghost-0"])]
    index = build_index(objects)
    assert index.pod_services == {}


def test_zones_give_a_cross_zone_share_counted_as_the_engine_counts():
    index = build_index(_cluster())
    db = {"k8s_dst_namespace": "shop", "k8s_dst_owner_name": "db"}
    samples = [
        Sample(db | {"src_zone": "a", "dst_zone": "b"}, 30.0),  # crosses
        Sample(db | {"src_zone": "a", "dst_zone": "a"}, 50.0),  # stays
        Sample(db | {"src_zone": "a"}, 20.0),  # destination zone unknown: forwarded, not crossing
        Sample(db, 100.0),  # no zones at all: not part of the share
    ]
    found = attribute(BEYLA, samples, index)
    assert found.rates[("shop", "db")] == 200.0
    assert found.cross_zone_fraction(("shop", "db")) == pytest.approx(30 / 100)
    assert found.cross_zone_fraction(("shop", "api")) is None
