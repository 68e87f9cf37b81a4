"""The overview page: every Service of the dump, its numbers and advice, or a clear error."""

import json
import re

import pytest
from django.utils.html import escape

from routing.engine import Options, analyze_cluster, build_cluster, load_path
from routing.models import Cluster
from routing.services import analyze_dump
from routing.snapshots import import_dump

pytestmark = pytest.mark.django_db


@pytest.fixture
def dump(tmp_path, settings):
    def use(content: str):
        path = tmp_path / "dump.json"
        path.write_text(content)
        settings.TRAFFICLENS_DUMP = path
        return path

    return use


def test_demo_shows_each_service_with_the_engine_numbers(client, settings):
    report = analyze_cluster(build_cluster(load_path(str(settings.TRAFFICLENS_DUMP))), Options())
    html = client.get("/").content.decode()
    for svc in report["services"]:
        name = f"{svc['namespace']}/{svc['name']}"
        row = html[html.index(f">{name}<") :].split("</tr>", 1)[0]
        shown = re.search(r'data-label="Cross-zone">([\d.]+)%', row).group(1)
        assert float(shown) == pytest.approx(svc["flows"]["crossZoneFraction"] * 100, abs=0.05)
        for diagnostic in svc["diagnostics"]:
            assert escape(diagnostic["message"]) in row
    assert "Zone matrix" in html and "us-east-1c" in html
    assert "kubectl -n shop patch service catalog" in html  # catalog's recommendation


def test_broken_dump_is_a_clear_error_not_a_crash(client, dump):
    dump('{"kind": "List", "items": [{"kind": "Service", "spec": {}}]}')
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "could not be analysed" in html and "has no metadata" in html


def test_missing_dump_names_the_file(client, settings, tmp_path):
    settings.TRAFFICLENS_DUMP = tmp_path / "absent.json"
    assert "absent.json: cannot read" in client.get("/").content.decode()


def test_analysis_is_recomputed_when_the_file_changes(dump):
    path = dump(json.dumps({"kind": "List", "items": []}))
    assert analyze_dump(path).report["services"] == []
    svc = {"kind": "Service", "metadata": {"name": "web", "namespace": "x"}, "spec": {}}
    path.write_text(json.dumps({"kind": "List", "items": [svc, svc]}))
    assert [s["name"] for s in analyze_dump(path).report["services"]] == ["web"]


def test_empty_dump_says_so(client, dump):
    dump(json.dumps({"kind": "List", "items": []}))
    assert "The dump holds no Services." in client.get("/").content.decode()


def test_latest_snapshot_is_shown_when_one_exists(client, settings):
    cluster = Cluster.objects.create(name="prod", source=Cluster.Source.UPLOAD)
    import_dump(cluster, settings.TRAFFICLENS_DUMP.read_bytes())
    html = client.get("/").content.decode()
    assert "cluster prod, snapshot 1" in html and "shop/checkout" in html
    Cluster.objects.filter(pk=cluster.pk).update(status="stale", status_message="API down")
    assert "Cluster prod is stale:</strong>" in client.get("/").content.decode()
