"""The admin shows clusters, snapshots, versions and summaries; stored rows are read-only."""

import pytest
from django.urls import reverse

from routing.models import ObjectVersion, ServiceSummary, Snapshot
from routing.snapshots import write_snapshot

from .builders import small_cluster

pytestmark = pytest.mark.django_db


def test_admin_pages_render_and_stored_rows_are_read_only(admin_client, cluster):
    write_snapshot(cluster, small_cluster(), source="manual")
    version = ObjectVersion.objects.get(kind="Service", name="web")
    pages = [
        reverse("admin:routing_cluster_changelist"),
        reverse("admin:routing_cluster_change", args=[cluster.pk]),
        reverse("admin:routing_snapshot_changelist"),
        reverse("admin:routing_snapshot_change", args=[Snapshot.objects.get().pk]),
        reverse("admin:routing_objectversion_changelist"),
        reverse("admin:routing_servicesummary_changelist"),
        reverse("admin:routing_servicesummary_change", args=[ServiceSummary.objects.first().pk]),
    ]
    for url in pages:
        assert admin_client.get(url).status_code == 200, url
    detail = admin_client.get(reverse("admin:routing_objectversion_change", args=[version.pk]))
    assert b"PreferSameZone" in detail.content  # the decoded object
    assert admin_client.get(reverse("admin:routing_snapshot_add")).status_code == 403
    delete = reverse("admin:routing_objectversion_delete", args=[version.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert ObjectVersion.objects.filter(pk=version.pk).exists()
