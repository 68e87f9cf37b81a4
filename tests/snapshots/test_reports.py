"""One Service's full report from a stored snapshot equals that Service in a whole-cluster run."""

import pytest

from routing.engine import Options, analyze_cluster, build_cluster
from routing.figures.reports import service_detail, stored_report
from routing.fixes import add_fixes
from routing.models import Cluster, ServiceSummary
from routing.options import cluster_options
from routing.snapshots import objects_at, write_snapshot

from .builders import find

pytestmark = pytest.mark.django_db


def _whole(snapshot, proxy_detail: str) -> tuple[dict, dict]:
    items = [("items", i, o) for i, o in enumerate(objects_at(snapshot))]
    options: Options = cluster_options(snapshot.cluster, proxy_detail=proxy_detail)
    report = analyze_cluster(build_cluster(items), options)
    add_fixes(report, (o for _, _, o in items), options)  # as the snapshot stores them
    return report["cluster"], {(s["namespace"], s["name"]): s for s in report["services"]}


@pytest.mark.parametrize("proxy", ["zones", "nodes"])
def test_service_detail_matches_the_whole_cluster_analysis(demo_objects, proxy):
    cluster = Cluster.objects.create(name="r", source=Cluster.Source.UPLOAD)
    snapshot = write_snapshot(cluster, demo_objects, source="upload")
    section, whole = _whole(snapshot, proxy)
    assert len(whole) > 3
    for (ns, name), expected in whole.items():
        detail = service_detail(snapshot, ns, name, proxy=proxy)
        assert detail.pop("cluster") == section
        assert detail == expected, (ns, name)
    assert service_detail(snapshot, "shop", "nope", proxy=proxy) is None


def test_zones_detail_is_read_from_the_stored_report(demo_objects, django_assert_max_num_queries):
    cluster = Cluster.objects.create(name="s", source=Cluster.Source.UPLOAD)
    snapshot = write_snapshot(cluster, demo_objects, source="upload")
    assert stored_report(snapshot, "shop", "payments")["name"] == "payments"
    with django_assert_max_num_queries(1):  # one row; no objects read, nothing analysed
        stored_report(snapshot, "shop", "payments")
    assert stored_report(snapshot, "shop", "nope") == {}


def test_rows_without_a_stored_report_are_analysed(demo_objects):
    cluster = Cluster.objects.create(name="o", source=Cluster.Source.UPLOAD)
    snapshot = write_snapshot(cluster, demo_objects, source="upload")
    expected = service_detail(snapshot, "shop", "payments")
    ServiceSummary.objects.filter(cluster=cluster).update(report=None)  # as before migration 0006
    assert stored_report(snapshot, "shop", "payments") is None
    assert service_detail(snapshot, "shop", "payments") == expected


def test_an_unchanged_service_keeps_its_report_across_an_incremental_snapshot(demo_objects):
    cluster = Cluster.objects.create(name="i", source=Cluster.Source.UPLOAD)
    write_snapshot(cluster, demo_objects, source="upload")
    find(demo_objects, "Service", "catalog")["spec"]["trafficDistribution"] = "PreferSameZone"
    second = write_snapshot(cluster, demo_objects, source="upload")
    section, whole = _whole(second, "zones")
    for (ns, name), expected in whole.items():
        detail = service_detail(second, ns, name)
        assert detail.pop("cluster") == section
        assert detail == expected, (ns, name)


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
