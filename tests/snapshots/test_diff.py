"""diff_snapshots: Services, policies, hints, zones and cost between two snapshots."""

import pytest

from routing.models import Cluster
from routing.snapshots import diff as diff_module
from routing.snapshots import write_snapshot
from routing.snapshots.diff import diff_snapshots

from .builders import changed, endpoint, endpoint_slice, find, service, small_cluster

pytestmark = pytest.mark.django_db


def before_objects() -> list[dict]:
    objs = small_cluster(hinted=True)
    objs += [
        service("old"),
        endpoint_slice("old", [endpoint("10.4.0.1", "n-a", "us-east-1a")]),
        service("local"),
        endpoint_slice("local", [endpoint("10.5.0.1", "n-c", "us-east-1c")]),
    ]
    return objs


def after_objects() -> list[dict]:
    objs = [o for o in changed(before_objects()) if o["metadata"]["name"] not in ("old", "old-x")]
    objs += [service("new"), endpoint_slice("new", [endpoint("10.6.0.1", "n-b", "us-east-1b")])]
    web = find(objs, "Service", "web")
    del web["spec"]["trafficDistribution"]
    for ep in find(objs, "EndpointSlice", "web-x")["endpoints"]:
        del ep["hints"]
    find(objs, "Service", "api")["metadata"]["annotations"] = {
        "service.kubernetes.io/topology-mode": "Auto"
    }
    moved = find(objs, "EndpointSlice", "api-x")["endpoints"][1]
    moved["zone"], moved["nodeName"] = "us-east-1b", "n-b"
    local = find(objs, "Service", "local")
    local["spec"]["internalTrafficPolicy"] = "Local"
    local["metadata"]["annotations"] = {"service.kubernetes.io/topology-aware-hints": "auto"}
    return objs


@pytest.fixture
def pair(cluster):
    a = write_snapshot(cluster, before_objects(), source="watch")
    b = write_snapshot(cluster, after_objects(), source="watch")
    return a, b


def test_diff_reports_each_kind_of_change(pair):
    a, b = pair
    d = diff_snapshots(a, b)
    assert d["from"]["seq"] == 1 and d["to"]["seq"] == 2
    assert d["services"] == {
        "added": [{"namespace": "shop", "name": "new"}],
        "removed": [{"namespace": "shop", "name": "old"}],
    }
    assert d["objects"]["Service"] == {"added": 1, "removed": 1, "changed": 3}
    assert d["objects"]["EndpointSlice"] == {"added": 1, "removed": 1, "changed": 2}
    assert d["objects"]["Node"] == {"added": 0, "removed": 0, "changed": 0}
    changes = {(c["name"], c["field"]): (c["from"], c["to"]) for c in d["policyChanges"]}
    assert changes == {
        ("web", "trafficDistribution"): ("PreferSameZone", None),
        ("api", "topologyMode"): (None, "Auto"),
        ("local", "internalTrafficPolicy"): ("Cluster", "Local"),
        ("local", "topologyAwareHints"): (None, "auto"),
    }
    (web_hints,) = d["hintChanges"]
    assert web_hints["name"] == "web"
    assert (web_hints["appeared"], web_hints["disappeared"], web_hints["changed"]) == (0, 3, 0)
    assert web_hints["examples"][0] == {
        "ip": "10.1.0.0",
        "from": {"forZones": ["us-east-1a"], "forNodes": []},
        "to": None,
    }
    assert d["zoneMoves"] == [
        {
            "namespace": "shop",
            "name": "api",
            "ip": "10.2.0.1",
            "from": "us-east-1a",
            "to": "us-east-1b",
        }
    ]
    costs = {c["name"]: c for c in d["cost"]["services"]}
    assert costs["web"]["from"] == 0.0 and costs["web"]["to"] > 0
    assert costs["web"]["crossZoneFrom"] == 0.0 and costs["web"]["crossZoneTo"] > 0
    assert costs["old"]["to"] is None and costs["new"]["from"] is None
    assert d["cost"]["delta"] == pytest.approx(sum(c["delta"] for c in costs.values()))
    assert d["cost"]["meanDelta"] == pytest.approx(b.cost_per_gb_mean - a.cost_per_gb_mean)
    # Largest change first.
    deltas = [abs(c["delta"]) for c in d["cost"]["services"]]
    assert deltas == sorted(deltas, reverse=True)


def test_diff_backwards_mirrors_forwards(pair):
    a, b = pair
    forward, backward = diff_snapshots(a, b), diff_snapshots(b, a)
    assert backward["services"] == {
        "added": forward["services"]["removed"],
        "removed": forward["services"]["added"],
    }
    assert {(c["name"], c["field"], c["to"], c["from"]) for c in backward["policyChanges"]} == {
        (c["name"], c["field"], c["from"], c["to"]) for c in forward["policyChanges"]
    }
    assert backward["hintChanges"][0]["appeared"] == 3
    assert backward["zoneMoves"][0]["to"] == "us-east-1a"
    assert backward["cost"]["delta"] == pytest.approx(-forward["cost"]["delta"])


def test_diff_of_a_snapshot_with_itself_or_an_unchanged_one_is_empty(cluster):
    a = write_snapshot(cluster, before_objects(), source="watch")
    b = write_snapshot(cluster, before_objects(), source="watch")
    for d in (diff_snapshots(a, a), diff_snapshots(a, b)):
        assert d["services"] == {"added": [], "removed": []}
        assert d["policyChanges"] == d["hintChanges"] == d["zoneMoves"] == []
        assert d["cost"]["services"] == [] and d["cost"]["delta"] == 0
        assert all(not any(c.values()) for c in d["objects"].values())


def test_changed_hints_are_counted(cluster):
    a = write_snapshot(cluster, small_cluster(), source="watch")
    objs = small_cluster()
    find(objs, "EndpointSlice", "web-x")["endpoints"][0]["hints"] = {
        "forZones": [{"name": "us-east-1b"}]
    }
    b = write_snapshot(cluster, objs, source="watch")
    (web,) = diff_snapshots(a, b)["hintChanges"]
    assert (web["appeared"], web["disappeared"], web["changed"]) == (0, 0, 1)


def test_diff_reads_only_what_changed(cluster, monkeypatch, django_assert_max_num_queries):
    a = write_snapshot(cluster, before_objects(), source="watch")
    # An intermediate change that is undone again: neither end sees it, so it is not decoded.
    middle = changed(before_objects())
    find(middle, "Service", "api")["spec"]["internalTrafficPolicy"] = "Local"
    write_snapshot(cluster, middle, source="watch")
    write_snapshot(cluster, before_objects(), source="watch")
    b = write_snapshot(cluster, after_objects(), source="watch")
    decoded = []
    original = diff_module.decode
    monkeypatch.setattr(diff_module, "decode", lambda data: decoded.append(1) or original(data))
    with django_assert_max_num_queries(2):
        d = diff_snapshots(a, b)
    # old, old-x and new, new-x once each; web, web-x, api, api-x, local twice each.
    assert len(decoded) == 4 + 2 * 5
    assert {(c["name"], c["field"]) for c in d["policyChanges"]} == {
        ("web", "trafficDistribution"),
        ("api", "topologyMode"),
        ("local", "internalTrafficPolicy"),
        ("local", "topologyAwareHints"),
    }


def test_snapshots_of_different_clusters_are_refused(cluster):
    other = Cluster.objects.create(name="other", source=Cluster.Source.UPLOAD)
    a = write_snapshot(cluster, small_cluster(), source="watch")
    b = write_snapshot(other, small_cluster(), source="watch")
    with pytest.raises(ValueError, match="different clusters"):
        diff_snapshots(a, b)
