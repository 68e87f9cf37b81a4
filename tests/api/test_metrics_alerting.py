"""The two gauges the alerts of deploy/prometheus/rules.yml need beyond the figures: hints a
Service asks for but does not get, and the overload limit each cluster's count uses."""

import re

import orjson
import pytest
from rest_framework.test import APIClient

from routing.figures.metrics import HINTS_OFF_CODES, hints_off_reason
from routing.models import Cluster
from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP

pytestmark = pytest.mark.django_db


def _scrape(settings) -> list[str]:
    settings.TRAFFICLENS_METRICS_PUBLIC = True
    response = APIClient().get("/metrics")
    assert response.status_code == 200
    return [ln for ln in response.content.decode().splitlines() if ln and not ln.startswith("#")]


def _hints(lines: list[str]) -> dict[str, str]:
    """service name -> its hints_disabled line's labels after `service=` and its value."""
    found = {}
    for line in lines:
        if line.startswith("trafficlens_service_hints_disabled{"):
            labels, value = line.rsplit(" ", 1)
            service = labels.split('service="', 1)[1].split('"', 1)[0]
            assert service not in found, f"{service} twice"
            found[service] = labels.split(f'service="{service}",', 1)[1] + " " + value
    return found


def _load(dump: bytes, name: str = "shop") -> Cluster:
    cluster = Cluster.objects.create(name=name, source=Cluster.Source.UPLOAD)
    import_dump(cluster, dump)
    return cluster


def _edited_demo(**services: dict) -> bytes:
    """The demo dump with some Services' metadata.annotations / spec fields replaced."""
    doc = orjson.loads(DEMO_DUMP.read_bytes())
    for obj in doc["items"]:
        change = services.get(obj["metadata"]["name"]) if obj["kind"] == "Service" else None
        if change:
            obj["metadata"]["annotations"] = change.get("annotations", {})
            obj["spec"].pop("trafficDistribution", None)
            obj["spec"].update(change.get("spec", {}))
    return orjson.dumps(doc)


def test_each_service_that_asks_for_hints_says_whether_they_are_in_effect(settings):
    _load(DEMO_DUMP.read_bytes())
    hints = _hints(_scrape(settings))
    # The demo's findings: checkout has one endpoint without a zone hint, so kube-proxy ignores
    # them all; Auto's safeguard is off for payments; the others that ask get them.
    assert hints == {
        "cart": 'policy="PreferClose",reason=""} 0',
        "checkout": 'policy="PreferSameZone",reason="endpoint-without-zone-hint"} 1',
        "frontend": 'policy="PreferSameZone",reason=""} 0',
        "inventory": 'policy="PreferSameZone",reason=""} 0',
        "payments": 'policy="Auto",reason="auto-disabled"} 1',
        "recommendations": 'policy="PreferSameZone",reason=""} 0',
        "search": 'policy="Auto",reason=""} 0',
        "sessions": 'policy="PreferSameNode",reason=""} 0',
    }  # catalog, email, legacy-db, node-exporter ask for none: no series


def test_an_auto_that_enables_nothing_still_asks_and_an_unknown_policy_is_escaped(settings):
    dump = _edited_demo(
        catalog={"annotations": {"service.kubernetes.io/topology-mode": "AUTO"}},
        email={"spec": {"trafficDistribution": 'Prefer"Zone\\'}},
    )
    _load(dump)
    hints = _hints(_scrape(settings))
    assert hints["catalog"] == 'policy="none",reason="topology-mode-not-recognised"} 1'
    # A value from the cluster is a label value like any other: escaped, never trusted.
    assert hints["email"] == 'policy="Prefer\\"Zone\\\\",reason="traffic-distribution-unknown"} 1'


@pytest.mark.parametrize(
    ("policy", "codes", "reason"),
    [
        ("none", [], None),
        ("none", ["endpoint-without-zone-hint"], None),  # hints it did not ask for
        ("none", ["deprecated-annotation-wins"], "deprecated-annotation-wins"),
        ("Auto", ["deprecated-annotation-wins"], ""),  # the deprecated one enables Auto
        ("PreferSameZone", ["zone-without-endpoints", "endpoint-overload"], ""),
        ("PreferSameZone", ["headless-service"], ""),  # hints are moot, not off
        ("Auto", ["zone-without-endpoints", "auto-disabled", "hints-pending"], "auto-disabled"),
    ],
)
def test_the_reason_is_the_first_finding_that_turns_hints_off(policy, codes, reason):
    diagnostics = [{"severity": "warning", "code": code, "message": "..."} for code in codes]
    assert hints_off_reason(policy, diagnostics) == reason


def test_every_reason_is_a_documented_finding(project_dir):
    table = (project_dir / "docs" / "analysis-report.md").read_text()
    for code in HINTS_OFF_CODES:
        assert f"`{code}`" in table, code


def test_the_overload_limit_is_given_per_cluster_and_follows_the_setting(settings):
    _load(DEMO_DUMP.read_bytes())
    Cluster.objects.create(name="empty", source=Cluster.Source.UPLOAD)  # no snapshot: no limit
    settings.TRAFFICLENS_OVERLOAD_LIMIT = 1.25
    limits = [ln for ln in _scrape(settings) if ln.startswith("trafficlens_cluster_overload_limit")]
    assert limits == ['trafficlens_cluster_overload_limit{cluster="shop"} 1.25']


def test_every_metric_is_in_the_deploy_guide_reference(settings, project_dir):
    settings.TRAFFICLENS_METRICS_PUBLIC = True
    text = APIClient().get("/metrics").content.decode()  # every family is declared, even empty
    families = {line.split(" ")[2] for line in text.splitlines() if line.startswith("# TYPE ")}
    assert len(families) >= 20
    guide = (project_dir / "docs" / "deploy.md").read_text()
    reference = guide.split("### Metrics reference", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(trafficlens_[a-z_]+)` \|", reference, re.MULTILINE))
    assert documented == families
