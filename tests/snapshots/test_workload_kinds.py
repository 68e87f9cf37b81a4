"""The apps/v1 workloads (ReplicaSet, Deployment, StatefulSet, DaemonSet) are stored trimmed,
read back, counted in diffs, and change no Service's analysis; dumps without them still work."""

import orjson
import pytest

from routing.engine import InputError
from routing.models import ObjectVersion, ServiceSummary
from routing.snapshots import KINDS, import_dump, objects_at, summaries_at, write_snapshot
from routing.snapshots.diff import diff_snapshots
from routing.snapshots.trim import trim_object
from routing.workloads import WorkloadIndex

pytestmark = pytest.mark.django_db

PLACEMENT = {
    "topologySpreadConstraints": [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
        }
    ],
    "nodeSelector": {"pool": "general"},
    "tolerations": [{"key": "gpu", "operator": "Exists"}],
    "affinity": {"podAntiAffinity": {}},
}


def deployment(name="cart", replicas=2, ready=2):
    """A Deployment as kubectl prints it, with the fields trimming drops."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "uid": f"uid-{name}",
            "labels": {"app": name},
            "annotations": {"deployment.kubernetes.io/revision": "3"},
            "generation": 7,
            "resourceVersion": "123",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "managedFields": [{"manager": "kubectl"}],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": {"restartedAt": "now"}},
                "spec": {
                    "containers": [{"name": name, "image": f"{name}:1", "env": [{"name": "A"}]}],
                    **PLACEMENT,
                },
            },
        },
        "status": {
            "replicas": replicas,
            "readyReplicas": ready,
            "observedGeneration": 7,
            "conditions": [{"type": "Available", "lastUpdateTime": "t"}],
        },
    }


def replica_set(owner="cart", name="cart-7d9f"):
    obj = deployment(name)
    obj["kind"] = "ReplicaSet"
    obj["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": owner,
            "uid": f"uid-{owner}",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    return obj


def daemon_set():
    obj = deployment("agent")
    obj["kind"] = "DaemonSet"
    del obj["spec"]["replicas"]
    obj["status"] = {"desiredNumberScheduled": 9, "currentNumberScheduled": 6, "numberReady": 6,
                     "numberMisscheduled": 0, "observedGeneration": 1}  # fmt: skip
    return obj


def stateful_set():
    obj = deployment("db", replicas=1, ready=1)
    obj["kind"] = "StatefulSet"
    obj["spec"]["serviceName"] = "db"
    return obj


def apps_objects():
    return [deployment(), replica_set(), daemon_set(), stateful_set()]


def test_trimming_keeps_what_a_fix_needs():
    assert trim_object(replica_set()) == {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "cart-7d9f",
            "namespace": "shop",
            "uid": "uid-cart-7d9f",
            "labels": {"app": "cart-7d9f"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": "cart",
                    "uid": "uid-cart",
                    "controller": True,
                }
            ],
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "cart-7d9f"}},
            "template": {"metadata": {"labels": {"app": "cart-7d9f"}}, "spec": PLACEMENT},
        },
        "status": {"replicas": 2, "readyReplicas": 2},
    }
    assert trim_object(daemon_set())["status"] == {
        "desiredNumberScheduled": 9,
        "currentNumberScheduled": 6,
        "numberReady": 6,
    }
    # Values of the wrong type are kept as they are; a missing namespace reads "default".
    odd = {"kind": "Deployment", "metadata": {"name": "x"}, "spec": {"template": 5}, "status": []}
    assert trim_object(odd) == {
        "kind": "Deployment",
        "metadata": {"name": "x", "namespace": "default"},
        "spec": {"template": 5},
        "status": [],
    }


def test_a_dump_with_apps_objects_stores_them_and_analyses_the_same(cluster, demo_objects):
    plain = write_snapshot(cluster, demo_objects, source="upload")
    before = {s.name: s.cross_zone_fraction for s in summaries_at(plain)}
    body = orjson.dumps({"kind": "List", "items": demo_objects + apps_objects()})
    snap = import_dump(cluster, body)
    kinds = ObjectVersion.objects.filter(last_seq=None).values_list("kind", flat=True)
    assert {"ReplicaSet", "Deployment", "StatefulSet", "DaemonSet"} <= set(kinds)
    objects = objects_at(snap)
    assert [o["kind"] for o in objects] == sorted(
        (o["kind"] for o in objects), key=KINDS.index
    )  # the workloads after the Pods, in the dump command's order
    assert {s.name: s.cross_zone_fraction for s in summaries_at(snap)} == before
    # Workloads alone re-analyse no Service: every summary keeps its interval.
    assert not ServiceSummary.objects.filter(first_seq=snap.seq).exists()
    index = WorkloadIndex(objects)
    assert [str(w) for w in index.workloads()] == [
        "DaemonSet shop/agent",
        "Deployment shop/cart",
        "ReplicaSet shop/cart-7d9f",
        "StatefulSet shop/db",
    ]
    changes = diff_snapshots(plain, snap)["objects"]
    assert changes["Deployment"] == {"added": 1, "removed": 0, "changed": 0}
    assert changes["DaemonSet"]["added"] == 1 and changes["Service"]["changed"] == 0


def test_a_status_change_opens_a_new_version_and_a_container_change_does_not(cluster, demo_objects):
    write_snapshot(cluster, demo_objects + [deployment()], source="watch")
    rolled = deployment()
    rolled["spec"]["template"]["spec"]["containers"][0]["image"] = "cart:2"
    rolled["metadata"]["generation"] = 8
    second = write_snapshot(cluster, demo_objects + [rolled], source="watch")
    assert second.changed_objects == 0
    third = write_snapshot(cluster, demo_objects + [deployment(ready=1)], source="watch")
    assert third.changed_objects == 2  # one version closed, one opened


@pytest.mark.parametrize("kind", ["ReplicaSet", "Deployment", "StatefulSet", "DaemonSet"])
def test_upload_names_are_checked_as_the_api_server_would(cluster, demo_objects, kind):
    bad = deployment("Cart_1")
    bad["kind"] = kind
    body = orjson.dumps({"kind": "List", "items": demo_objects + [bad]})
    with pytest.raises(InputError, match="RFC 1123 subdomain"):
        import_dump(cluster, body)
    labelled = deployment()
    labelled["kind"] = kind
    labelled["spec"]["template"]["spec"]["nodeSelector"] = {"pool": "a b"}
    body = orjson.dumps({"kind": "List", "items": demo_objects + [labelled]})
    with pytest.raises(InputError, match="nodeSelector"):
        import_dump(cluster, body)
    assert not ObjectVersion.objects.exists()


def test_typed_lists_of_workloads_load(cluster, demo_objects):
    body = orjson.dumps(
        {
            "kind": "List",
            "items": [
                *demo_objects,
                {"kind": "DeploymentList", "apiVersion": "apps/v1", "items": [
                    {k: v for k, v in deployment().items() if k not in ("kind", "apiVersion")}
                ]},
            ],
        }
    )  # fmt: skip
    snap = import_dump(cluster, body)
    assert [o["metadata"]["name"] for o in objects_at(snap) if o["kind"] == "Deployment"] == [
        "cart"
    ]


def test_a_dump_of_workloads_alone_is_refused(cluster):
    body = orjson.dumps({"kind": "List", "items": apps_objects()})
    with pytest.raises(InputError, match="no Node, Service or EndpointSlice") as refused:
        import_dump(cluster, body)
    assert "kinds found: DaemonSet, Deployment, ReplicaSet, StatefulSet" in str(refused.value)
    assert "replicasets,deployments,statefulsets,daemonsets -A -o json" in str(refused.value)
