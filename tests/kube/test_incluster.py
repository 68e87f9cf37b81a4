"""In a Pod: the watcher connects with the mounted service account and registers its cluster,
storing only a name and a source (routing/kube/incluster.py, routing/jobs/local_cluster.py)."""

import pytest
from django.core import serializers

from routing.jobs.local_cluster import register_local_cluster
from routing.kube import incluster
from routing.kube.connect import ConnectError, api_client
from routing.kube.listing import list_cluster
from routing.models import Cluster

from .fake_pod import running_pod

TOKEN = "fake-service-account-token-0123456789"


@pytest.fixture
def pod(tmp_path, monkeypatch):
    yield from running_pod(tmp_path, monkeypatch, TOKEN)


def test_outside_a_pod_there_is_no_in_cluster_configuration(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setattr(incluster, "TOKEN_PATH", tmp_path / "token")
    assert not incluster.in_pod()
    with pytest.raises(ConnectError, match="in-cluster service account"):
        api_client("incluster")


def test_a_pod_without_a_mounted_token_is_not_in_cluster(tmp_path, monkeypatch):
    """web, ws, worker and beat run with automountServiceAccountToken: false."""
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setattr(incluster, "TOKEN_PATH", tmp_path / "absent")
    assert not incluster.in_pod()


def test_the_service_account_reaches_the_api_over_https(pod):
    assert incluster.in_pod()
    api = api_client("incluster")
    assert api.configuration.host == f"https://127.0.0.1:{pod.port}"
    objects, versions = list_cluster(api)
    assert {"Node", "Service", "EndpointSlice", "Pod"} <= set(versions)
    assert any(o["kind"] == "Service" for o in objects)


@pytest.mark.django_db
def test_a_pod_registers_its_cluster_by_name_without_credentials(pod, settings):
    settings.TRAFFICLENS_INCLUSTER_NAME = "home"
    cluster = register_local_cluster()
    assert cluster is not None
    assert (cluster.name, cluster.source) == ("home", Cluster.Source.INCLUSTER)
    assert register_local_cluster() == cluster  # a second replica finds it
    assert Cluster.objects.count() == 1
    stored = serializers.serialize("json", Cluster.objects.all())
    assert TOKEN not in stored and "serviceaccount" not in stored


@pytest.mark.django_db
def test_registration_can_be_switched_off_and_leaves_other_clusters_alone(pod, settings):
    settings.TRAFFICLENS_INCLUSTER_REGISTER = False
    assert register_local_cluster() is None
    settings.TRAFFICLENS_INCLUSTER_REGISTER = True
    Cluster.objects.create(name="local", source=Cluster.Source.UPLOAD)
    assert register_local_cluster().source == Cluster.Source.UPLOAD


@pytest.mark.django_db
def test_outside_a_pod_nothing_is_registered(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    assert register_local_cluster() is None
    assert not Cluster.objects.exists()
