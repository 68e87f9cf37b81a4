"""One Service's full report from a stored snapshot equals that Service in a whole-cluster run."""

import pytest

from routing.engine import Options, analyze_cluster, build_cluster
from routing.models import Cluster
from routing.reports import service_detail
from routing.snapshots import cluster_options, objects_at, write_snapshot

from .builders import find

pytestmark = pytest.mark.django_db


def test_service_detail_matches_the_whole_cluster_analysis(demo_objects):
    cluster = Cluster.objects.create(name="r", source=Cluster.Source.UPLOAD)
    snapshot = write_snapshot(cluster, demo_objects, source="upload")
    items = [("items", i, o) for i, o in enumerate(objects_at(snapshot))]
    options: Options = cluster_options(cluster, proxy_detail="auto")
    whole = {
        (s["namespace"], s["name"]): s
        for s in analyze_cluster(build_cluster(items), options)["services"]
    }
    for (ns, name), expected in whole.items():
        detail = service_detail(snapshot, ns, name)
        detail.pop("cluster")
        assert detail == expected, (ns, name)
    assert service_detail(snapshot, "shop", "nope") is None


def test_service_detail_reads_the_snapshot_asked_for(demo_objects):
    cluster = Cluster.objects.create(name="h", source=Cluster.Source.UPLOAD)
    first = write_snapshot(cluster, demo_objects, source="upload")
    find(demo_objects, "Service", "catalog")["spec"]["trafficDistribution"] = "PreferSameZone"
    second = write_snapshot(cluster, demo_objects, source="upload")
    assert service_detail(first, "shop", "catalog")["policy"]["trafficDistribution"] is None
    assert (
        service_detail(second, "shop", "catalog")["policy"]["trafficDistribution"]
        == "PreferSameZone"
    )
