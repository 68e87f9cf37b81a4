"""Uploading a kubectl dump: 201 with the snapshot; malformed is 400 and oversized 413, and
neither stores anything."""

import json
import subprocess
import sys

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from routing.models import Cluster
from tests.factories import DEMO_DUMP

from .conftest import assert_error, stored_counts

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/snapshots/"

MALFORMED = {
    "malformed.json": b'{"kind": "List", "items": [',
    "empty.json": b"  \n",
    "numbers.json": b"[1, 2, 3]",
    "no-metadata.json": json.dumps(
        {"kind": "List", "items": [{"kind": "Service", "spec": {}}]}
    ).encode(),
    "binary.bin": b"\x00\x01\x02garbage",
    "alias.yaml": b"a: &x [1]\nb: *x\n",
}


def _analyze_message(tmp_path, name: str, content: bytes) -> str:
    """What `manage.py analyze FILE` says about the file, without its "analyze: error: " prefix."""
    path = tmp_path / name
    path.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "manage.py", "analyze", str(path)],
        cwd=DEMO_DUMP.parents[1],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    return result.stderr.decode().strip().removeprefix("analyze: error: ").replace(str(path), name)


def test_good_upload_as_raw_json_body(cluster, editor, demo_bytes):
    response = editor.post(URL, demo_bytes, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["seq"] == 1 and body["source"] == "upload"
    assert body["counts"] == {
        "nodes": 10,
        "services": 12,
        "endpointSlices": 12,
        "pods": 0,
        "endpoints": 54,
    }
    assert response.headers["Location"].endswith("/api/v1/clusters/demo/snapshots/1/")
    services = editor.get("/api/v1/clusters/demo/services/").json()
    assert services["count"] == 12 and services["snapshot"]["seq"] == 1


def test_good_upload_as_multipart_file(cluster, editor, demo_bytes):
    upload = SimpleUploadedFile("cluster.json", demo_bytes, content_type="application/json")
    response = editor.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["counts"]["services"] == 12


@pytest.mark.parametrize("content_type", ["application/yaml", "text/yaml", "application/x-yaml"])
def test_good_upload_as_yaml(cluster, editor, demo_objects, content_type):
    body = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": demo_objects}).encode()
    response = editor.post(URL, body, content_type=content_type)
    assert response.status_code == 201, response.content


def test_octet_stream_and_a_second_upload_adds_seq_2(cluster, editor, demo_bytes):
    assert editor.post(URL, demo_bytes, content_type="application/json").status_code == 201
    response = editor.post(URL, demo_bytes, content_type="application/octet-stream")
    assert response.status_code == 201
    assert response.json()["seq"] == 2 and response.json()["changedObjects"] == 0


def test_upload_to_a_live_cluster_is_stored_as_an_upload(db, editor, demo_bytes):
    Cluster.objects.create(name="live", source=Cluster.Source.KUBECONFIG)
    response = editor.post(
        "/api/v1/clusters/live/snapshots/", demo_bytes, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["source"] == "upload"


def test_upload_to_an_unknown_cluster_is_404(db, editor, demo_bytes):
    response = editor.post(
        "/api/v1/clusters/nope/snapshots/", demo_bytes, content_type="application/json"
    )
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_raw_body_is_400_and_stores_nothing(cluster, editor, name):
    before = stored_counts()
    response = editor.post(URL, MALFORMED[name], content_type="application/octet-stream")
    error = assert_error(response, 400, "invalid_dump")
    assert error["details"]["problem"] in error["message"]
    assert stored_counts() == before


@pytest.mark.parametrize(
    "name", ["malformed.json", "empty.json", "numbers.json", "no-metadata.json"]
)
def test_malformed_file_gets_the_message_analyze_gives(cluster, editor, tmp_path, name):
    before = stored_counts()
    upload = SimpleUploadedFile(name, MALFORMED[name], content_type="application/json")
    response = editor.post(URL, {"file": upload}, format="multipart")
    error = assert_error(response, 400, "invalid_dump")
    assert error["message"] == _analyze_message(tmp_path, name, MALFORMED[name])
    assert error["details"]["source"] == name
    assert stored_counts() == before


def test_zero_length_body_is_an_empty_dump(cluster, editor):
    response = editor.post(URL, b"", content_type="application/json")
    assert "empty" in assert_error(response, 400, "invalid_dump")["message"]


@pytest.mark.parametrize(
    "items",
    [
        [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a"}}],
        [],
    ],
)
def test_a_dump_of_other_kinds_is_refused_and_the_cluster_keeps_its_objects(
    cluster, editor, demo_bytes, items
):
    assert editor.post(URL, demo_bytes, content_type="application/json").status_code == 201
    before = stored_counts()
    body = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}).encode()
    response = editor.post(URL, body, content_type="application/json")
    error = assert_error(response, 400, "invalid_dump")
    assert "no Node, Service or EndpointSlice" in error["message"]
    assert ("ConfigMap" if items else "kinds found: none") in error["message"]
    assert stored_counts() == before


def test_a_broken_object_after_good_ones_stores_nothing(cluster, editor, demo_objects):
    before = stored_counts()
    broken = {"kind": "List", "items": [*demo_objects, {"kind": "EndpointSlice", "metadata": 7}]}
    response = editor.post(URL, json.dumps(broken).encode(), content_type="application/json")
    error = assert_error(response, 400, "invalid_dump")
    assert "EndpointSlice" in error["message"]
    assert stored_counts() == before


def test_oversized_raw_body_is_413_and_stores_nothing(cluster, editor, settings):
    settings.TRAFFICLENS_UPLOAD_MAX_BYTES = 1000
    before = stored_counts()
    response = editor.post(URL, b"x" * 5000, content_type="application/octet-stream")
    error = assert_error(response, 413, "too_large")
    assert error["details"] == {"limit": 1000}
    assert stored_counts() == before


def test_body_of_exactly_the_limit_is_read(cluster, editor, settings):
    body = b"[1, 2, 3]"
    settings.TRAFFICLENS_UPLOAD_MAX_BYTES = len(body)
    assert_error(editor.post(URL, body, content_type="application/json"), 400, "invalid_dump")
    settings.TRAFFICLENS_UPLOAD_MAX_BYTES = len(body) - 1
    assert_error(editor.post(URL, body, content_type="application/json"), 413, "too_large")


def test_oversized_multipart_file_is_413_and_stores_nothing(cluster, editor, settings):
    settings.TRAFFICLENS_UPLOAD_MAX_BYTES = 100_000
    before = stored_counts()
    # Under the limit plus the multipart allowance as a whole, so the file's own size decides.
    upload = SimpleUploadedFile("big.json", b"x" * 100_001, content_type="application/json")
    response = editor.post(URL, {"file": upload}, format="multipart")
    assert_error(response, 413, "too_large")
    huge = SimpleUploadedFile("huge.json", b"x" * 300_000, content_type="application/json")
    assert_error(editor.post(URL, {"file": huge}, format="multipart"), 413, "too_large")
    assert stored_counts() == before


def test_raw_body_is_read_no_further_than_the_limit(cluster, editor, settings, monkeypatch):
    """A body whose length is not declared is cut off after limit + 1 bytes."""
    from routing.api import uploads

    settings.TRAFFICLENS_UPLOAD_MAX_BYTES = 1000
    read = []

    class Stream:
        def read(self, size):
            read.append(size)
            return b"x" * size

    parser = uploads.RawDumpParser()
    request = type("R", (), {"META": {}})()
    with pytest.raises(uploads.PayloadTooLarge):
        parser.parse(Stream(), "application/json", {"request": request})
    assert sum(read) == 1001


def test_dumps_bigger_than_djangos_own_body_limit_are_accepted(cluster, editor, demo_bytes):
    """Django's 2.5 MB DATA_UPLOAD_MAX_MEMORY_SIZE does not cut uploads short."""
    padded = demo_bytes + b" " * 3_000_000
    assert editor.post(URL, padded, content_type="application/json").status_code == 201
    upload = SimpleUploadedFile("big.json", padded, content_type="application/json")
    assert editor.post(URL, {"file": upload}, format="multipart").status_code == 201


def test_multipart_without_a_file_field_is_400(cluster, editor):
    response = editor.post(URL, {"other": "x"}, format="multipart")
    error = assert_error(response, 400, "invalid")
    assert "file" in error["details"]


def test_unsupported_content_type_is_415(cluster, editor, demo_bytes):
    response = editor.post(URL, demo_bytes, content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")
