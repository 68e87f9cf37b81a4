"""`/metrics`: Prometheus text with per-cluster and per-Service gauges, watch reconnects and job
runs, behind a viewer token."""

import re
import time

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from routing.jobs import jobstats
from routing.models import ApiToken, Cluster, TrafficVolume
from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP

pytestmark = pytest.mark.django_db

LINE = re.compile(r"^[a-z_]+\{[^}]*\} (NaN|-?[0-9.e+-]+)$")


@pytest.fixture
def loaded(settings):
    cluster = Cluster.objects.create(name="shop", source=Cluster.Source.UPLOAD, status="stale")
    import_dump(cluster, DEMO_DUMP.read_bytes())
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
        "trafficlens_service_hints_disabled",  # it asks for PreferSameZone
    }
    assert any(ln.startswith('trafficlens_snapshot_age_seconds{cluster="shop"}') for ln in samples)


def test_metrics_can_be_public(loaded, settings):
    settings.TRAFFICLENS_METRICS_PUBLIC = True
    assert APIClient().get("/metrics").status_code == 200


def test_label_values_are_escaped(db):
    from routing.figures.metrics import _label

    assert _label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


# --- monthly cost, watch reconnects and jobs ---------------------------------------------------


def _scrape(settings) -> str:
    settings.TRAFFICLENS_METRICS_PUBLIC = True
    response = APIClient().get("/metrics")
    assert response.status_code == 200
    return response.content.decode()


def _samples(text: str) -> dict[str, float]:
    """Sample name with labels -> value; also checks every family is declared once, before use."""
    declared: dict[str, str] = {}
    samples = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name not in declared, f"{name} declared twice"
            declared[name] = kind
        elif line and not line.startswith("#"):
            assert LINE.match(line), line
            key, value = line.rsplit(" ", 1)
            assert key.split("{")[0] in declared, f"{line} has no # TYPE before it"
            assert key not in samples, f"{key} appears twice"
            samples[key] = float(value)
    return samples


def test_monthly_cost_is_given_for_services_with_a_volume(loaded, settings):
    TrafficVolume.objects.create(cluster=loaded, namespace="shop", name="checkout", monthly_gb=1500)
    samples = _samples(_scrape(settings))
    labels = 'cluster="shop",namespace="shop",service="checkout"'
    per_gb = samples[f"trafficlens_service_cost_per_gb_usd{{{labels}}}"]
    assert per_gb > 0
    assert samples[f"trafficlens_service_monthly_cost_usd{{{labels}}}"] == pytest.approx(
        per_gb * 1500
    )
    monthly = [key for key in samples if key.startswith("trafficlens_service_monthly_cost_usd")]
    assert monthly == [f"trafficlens_service_monthly_cost_usd{{{labels}}}"]


def test_measured_volumes_cost_services_and_name_their_source(loaded, settings):
    from django.utils import timezone

    from routing.volumes.models import MeasuredVolume, TrafficSource, VolumeFetch

    now = timezone.now()
    fetch = VolumeFetch.objects.create(
        cluster=loaded, fetched_at=now, preset="istio", source="test", window_seconds=60
    )
    MeasuredVolume.objects.create(fetch=fetch, namespace="shop", name="cart", monthly_gb=400)
    MeasuredVolume.objects.create(fetch=fetch, namespace="shop", name="checkout", monthly_gb=9)
    TrafficVolume.objects.create(cluster=loaded, namespace="shop", name="checkout", monthly_gb=1500)
    TrafficSource.objects.create(
        cluster=loaded, url="http://127.0.0.1:9", last_success_at=now, last_error="down"
    )
    samples = _samples(_scrape(settings))
    cart = 'cluster="shop",namespace="shop",service="cart"'
    checkout = 'cluster="shop",namespace="shop",service="checkout"'
    assert samples[f'trafficlens_service_monthly_gb{{{cart},source="measured"}}'] == 400
    assert samples[f'trafficlens_service_monthly_gb{{{checkout},source="manual"}}'] == 1500
    per_gb = samples[f"trafficlens_service_cost_per_gb_usd{{{cart}}}"]
    assert samples[f"trafficlens_service_monthly_cost_usd{{{cart}}}"] == pytest.approx(per_gb * 400)
    assert samples['trafficlens_volumes_refresh_failing{cluster="shop"}'] == 1
    assert samples[
        'trafficlens_volumes_last_success_timestamp_seconds{cluster="shop"}'
    ] == pytest.approx(now.timestamp(), abs=0.001)


def test_reconnects_are_a_counter_per_cluster(loaded, settings):
    other = Cluster.objects.create(name="idle", source=Cluster.Source.UPLOAD)
    jobstats.record_reconnects(loaded.pk, 2)
    jobstats.record_reconnects(loaded.pk, 1)
    text = _scrape(settings)
    assert "# TYPE trafficlens_watch_reconnects_total counter" in text
    assert "410 Gone" in text and "not counted" in text  # HELP says what counts
    samples = _samples(text)
    assert samples['trafficlens_watch_reconnects_total{cluster="shop"}'] == 3
    assert samples[f'trafficlens_watch_reconnects_total{{cluster="{other.name}"}}'] == 0


def test_job_metrics_come_from_the_recorded_runs(loaded, settings):
    before = time.time()
    jobstats.record_run("snapshot", loaded.pk, 0.25, True)
    jobstats.record_run("snapshot", loaded.pk, 0.75, False, "HTTP 503")
    jobstats.record_run("prune", None, 0.125, True)
    text = _scrape(settings)
    for name, kind in (
        ("trafficlens_job_last_duration_seconds", "gauge"),
        ("trafficlens_job_last_success_timestamp_seconds", "gauge"),
        ("trafficlens_job_runs_total", "counter"),
    ):
        assert f"# TYPE {name} {kind}\n" in text
    samples = _samples(text)
    snap, prune = 'job="snapshot",cluster="shop"', 'job="prune",cluster=""'
    assert samples[f"trafficlens_job_last_duration_seconds{{{snap}}}"] == 0.75  # the last run
    assert samples[f"trafficlens_job_last_duration_seconds{{{prune}}}"] == 0.125
    assert samples[f'trafficlens_job_runs_total{{{snap},outcome="success"}}'] == 1
    assert samples[f'trafficlens_job_runs_total{{{snap},outcome="failure"}}'] == 1
    assert samples[f'trafficlens_job_runs_total{{{prune},outcome="failure"}}'] == 0
    success = samples[f"trafficlens_job_last_success_timestamp_seconds{{{snap}}}"]
    assert before - 1 <= success <= time.time() + 1


def test_a_deleted_cluster_takes_its_series_with_it(loaded, settings):
    jobstats.record_reconnects(loaded.pk, 4)
    jobstats.record_run("snapshot", loaded.pk, 0.5, True)
    loaded.delete()
    samples = _samples(_scrape(settings))
    assert not [key for key in samples if 'cluster="shop"' in key]


def test_cluster_totals(loaded, settings):
    from routing.models import ServiceSummary

    TrafficVolume.objects.create(cluster=loaded, namespace="shop", name="checkout", monthly_gb=1500)
    TrafficVolume.objects.create(cluster=loaded, namespace="shop", name="cart", monthly_gb=200)
    samples = _samples(_scrape(settings))
    rows = list(
        ServiceSummary.objects.open(loaded).values_list("name", "cost_per_gb", "max_overload")
    )
    cost = {name: per_gb for name, per_gb, _ in rows}
    expected = cost["checkout"] * 1500 + cost["cart"] * 200
    assert samples['trafficlens_cluster_monthly_cost_usd{cluster="shop"}'] == pytest.approx(
        expected
    )
    mean = sum(cost.values()) / len(cost)
    assert samples['trafficlens_cluster_cost_per_gb_mean_usd{cluster="shop"}'] == pytest.approx(
        mean
    )
    over = sum(o > settings.TRAFFICLENS_OVERLOAD_LIMIT for _, _, o in rows)
    assert over > 0  # the demo has a Service that zone-local routing overloads
    assert samples['trafficlens_cluster_overloaded_services{cluster="shop"}'] == over
    settings.TRAFFICLENS_OVERLOAD_LIMIT = 1000.0
    assert (
        _samples(_scrape(settings))['trafficlens_cluster_overloaded_services{cluster="shop"}'] == 0
    )
