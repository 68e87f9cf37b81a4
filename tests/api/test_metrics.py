"""`/metrics`: Prometheus text with per-cluster and per-Service gauges, behind a viewer token."""

import re

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from routing.models import ApiToken, Cluster
from routing.snapshots import import_dump

pytestmark = pytest.mark.django_db

LINE = re.compile(r"^[a-z_]+\{[^}]*\} (NaN|-?[0-9.e+-]+)$")


@pytest.fixture
def loaded(settings):
    cluster = Cluster.objects.create(name="shop", source=Cluster.Source.UPLOAD, status="stale")
    import_dump(cluster, settings.TRAFFICLENS_DUMP.read_bytes())
    return cluster


def _token(role: str) -> str:
    user = User.objects.create_user(f"u-{role}")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return ApiToken.objects.issue(user, "prometheus")[1]


def test_metrics_need_a_viewer_token(loaded):
    client = APIClient()
    assert client.get("/metrics").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_token('viewer')}")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    samples = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert samples and all(LINE.match(ln) for ln in samples), [
        ln for ln in samples if not LINE.match(ln)
    ][:3]
    assert 'trafficlens_cluster_stale{cluster="shop"} 1' in samples
    checkout = [ln for ln in samples if 'service="checkout"' in ln]
    assert {ln.split("{")[0] for ln in checkout} == {
        "trafficlens_service_cross_zone_fraction",
        "trafficlens_service_cost_per_gb_usd",
        "trafficlens_service_max_overload",
        "trafficlens_service_dropped_fraction",
    }
    assert any(ln.startswith('trafficlens_snapshot_age_seconds{cluster="shop"}') for ln in samples)


def test_metrics_can_be_public(loaded, settings):
    settings.TRAFFICLENS_METRICS_PUBLIC = True
    assert APIClient().get("/metrics").status_code == 200


def test_label_values_are_escaped(db):
    from routing.metrics import _label

    assert _label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
