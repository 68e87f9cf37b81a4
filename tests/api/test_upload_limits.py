"""Uploads past an object limit are refused with 413 naming the limit and the count, before the
dump is trimmed, analysed or stored; at the limit they are accepted. The limits are settings."""

import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from routing.snapshots import prepare as snapshot_prepare
from routing.snapshots import write as snapshot_write

from .conftest import assert_error, stored_counts

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/snapshots/"
# The demo dump: 10 Nodes, 12 Services, 12 EndpointSlices with 54 endpoints, no Pods.
DEMO = {
    "TRAFFICLENS_UPLOAD_MAX_NODES": 10,
    "TRAFFICLENS_UPLOAD_MAX_SERVICES": 12,
    "TRAFFICLENS_UPLOAD_MAX_ENDPOINT_SLICES": 12,
    "TRAFFICLENS_UPLOAD_MAX_ENDPOINTS": 54,
    "TRAFFICLENS_UPLOAD_MAX_OBJECTS": 34,
}


@pytest.fixture
def never_analyzed(monkeypatch):
    """Fails the test if the upload gets as far as trimming the objects."""

    def refuse(*args, **kwargs):
        raise AssertionError("the dump was trimmed before its counts were checked")

    monkeypatch.setattr(snapshot_write, "_prepare", refuse)


@pytest.mark.parametrize("setting", sorted(DEMO))
def test_one_past_a_limit_is_413_naming_it_and_stores_nothing(
    cluster, editor, demo_bytes, settings, never_analyzed, setting
):
    setattr(settings, setting, DEMO[setting] - 1)
    before = stored_counts()
    response = editor.post(URL, demo_bytes, content_type="application/json")
    error = assert_error(response, 413, "too_large")
    assert error["details"] == {
        "limit": DEMO[setting] - 1,
        "count": DEMO[setting],
        "setting": setting,
    }
    assert setting in error["message"] and f"holds {DEMO[setting]}" in error["message"]
    assert stored_counts() == before


def test_exactly_at_every_limit_is_accepted(cluster, editor, demo_bytes, settings):
    for setting, limit in DEMO.items():
        setattr(settings, setting, limit)
    response = editor.post(URL, demo_bytes, content_type="application/json")
    assert response.status_code == 201, response.content


def test_pods_are_counted(cluster, editor, demo_objects, settings, never_analyzed):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "shop"}}
    pods = [{**pod, "metadata": {**pod["metadata"], "name": f"p{i}"}} for i in range(3)]
    settings.TRAFFICLENS_UPLOAD_MAX_PODS = 2
    body = json.dumps({"kind": "List", "items": demo_objects + pods}).encode()
    error = assert_error(editor.post(URL, body, content_type="application/json"), 413)
    assert error["details"]["setting"] == "TRAFFICLENS_UPLOAD_MAX_PODS"
    assert error["message"].startswith("the dump holds 3 Pods, more than the 2 accepted")


@pytest.mark.parametrize(
    ("kind", "setting"),
    [
        ("ReplicaSet", "TRAFFICLENS_UPLOAD_MAX_REPLICA_SETS"),
        ("Deployment", "TRAFFICLENS_UPLOAD_MAX_DEPLOYMENTS"),
        ("StatefulSet", "TRAFFICLENS_UPLOAD_MAX_STATEFUL_SETS"),
        ("DaemonSet", "TRAFFICLENS_UPLOAD_MAX_DAEMON_SETS"),
    ],
)
def test_workloads_are_counted(cluster, editor, demo_objects, settings, kind, setting):
    made = [
        {"apiVersion": "apps/v1", "kind": kind, "metadata": {"namespace": "shop", "name": f"w{i}"}}
        for i in range(3)
    ]
    body = json.dumps({"kind": "List", "items": demo_objects + made}).encode()
    setattr(settings, setting, 2)
    before = stored_counts()
    error = assert_error(editor.post(URL, body, content_type="application/json"), 413)
    assert error["details"] == {"limit": 2, "count": 3, "setting": setting}
    assert error["message"].startswith(f"the dump holds 3 {kind}s, more than the 2 accepted")
    assert stored_counts() == before
    setattr(settings, setting, 3)
    assert editor.post(URL, body, content_type="application/json").status_code == 201


def test_a_multipart_upload_past_a_limit_names_the_file(
    cluster, editor, demo_bytes, settings, never_analyzed
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.TRAFFICLENS_UPLOAD_MAX_SERVICES = 5
    upload = SimpleUploadedFile("big.json", demo_bytes, content_type="application/json")
    error = assert_error(editor.post(URL, {"file": upload}, format="multipart"), 413)
    assert error["message"].startswith("big.json: the dump holds 12 Services")


@pytest.fixture
def never_parsed(monkeypatch):
    """Fails the test if the upload gets as far as parsing."""
    from routing.snapshots import intake

    def refuse(*args, **kwargs):
        raise AssertionError("the dump was parsed before its structure was bounded")

    monkeypatch.setattr(intake, "load_bytes", refuse)


def test_json_denser_than_one_value_per_13_bytes_is_413_before_parsing(
    cluster, editor, settings, never_parsed
):
    settings.TRAFFICLENS_UPLOAD_MAX_BYTES = 26_000  # a budget of 2,000 values
    body = b'{"kind":"List","items":[' + b",".join([b"{}"] * 2000) + b"]}"
    error = assert_error(editor.post(URL, body, content_type="application/json"), 413)
    assert error["details"] == {
        "limit": 2000,
        "count": 4002,  # 2,000 maps and 1,999 commas; the List, its items and the comma between
        "setting": "TRAFFICLENS_UPLOAD_MAX_BYTES",
    }
    assert "one per 13 bytes of TRAFFICLENS_UPLOAD_MAX_BYTES" in error["message"]


def test_a_file_larger_than_the_upload_limit_is_held_to_kubectls_density(
    cluster, demo_bytes, settings, tmp_path
):
    """`snapshot --from-file` reads any size; the budget then grows with the file."""
    settings.TRAFFICLENS_UPLOAD_MAX_BYTES = 1000
    plain, dense = tmp_path / "plain.json", tmp_path / "dense.json"
    plain.write_bytes(demo_bytes)  # about 32 bytes a value
    call_command("snapshot", "demo", "--from-file", str(plain))
    dense.write_bytes(b'{"kind":"List","items":[' + b",".join([b"{}"] * 20_000) + b"]}")
    with pytest.raises(CommandError, match="JSON values, more than the 4,617 accepted"):
        call_command("snapshot", "demo", "--from-file", str(dense))


def test_yaml_past_its_own_byte_limit_is_413(cluster, editor, demo_objects, settings):
    import yaml

    body = yaml.safe_dump({"kind": "List", "items": demo_objects}).encode()
    settings.TRAFFICLENS_UPLOAD_MAX_YAML_BYTES = len(body)
    assert editor.post(URL, body, content_type="application/yaml").status_code == 201
    settings.TRAFFICLENS_UPLOAD_MAX_YAML_BYTES = len(body) - 1
    error = assert_error(editor.post(URL, body, content_type="application/yaml"), 413)
    assert error["details"]["setting"] == "TRAFFICLENS_UPLOAD_MAX_YAML_BYTES"
    assert "-o json" in error["message"]


def test_yaml_denser_than_one_value_per_6_bytes_is_413_before_parsing(
    cluster, editor, settings, never_parsed
):
    settings.TRAFFICLENS_UPLOAD_MAX_YAML_BYTES = 60_000  # a budget of 10,000 values
    body = b"kind: List\nitems: [" + b",".join([b"{}"] * 10_000) + b"]\n"
    assert len(body) < 60_000
    error = assert_error(editor.post(URL, body, content_type="application/yaml"), 413)
    assert error["message"].startswith("the dump holds 20,004 YAML values, more than the 10,000")


def test_the_snapshot_command_applies_the_limits(cluster, demo_bytes, settings, tmp_path):
    settings.TRAFFICLENS_UPLOAD_MAX_NODES = 3
    path = tmp_path / "dump.json"
    path.write_bytes(demo_bytes)
    with pytest.raises(CommandError, match="holds 10 Nodes, more than the 3 accepted"):
        call_command("snapshot", "demo", "--from-file", str(path))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "10485760 5000 10000 20000 150000 100000 20000 10000 1000 300000 200000"),
        ("7", "7 7 7 7 7 7 7 7 7 7 7"),
    ],
)
def test_the_limits_are_read_from_the_environment(project_dir, value, expected):
    names = [
        "YAML_BYTES",
        "NODES",
        "SERVICES",
        "ENDPOINT_SLICES",
        "PODS",
        "REPLICA_SETS",
        "DEPLOYMENTS",
        "STATEFUL_SETS",
        "DAEMON_SETS",
        "ENDPOINTS",
        "OBJECTS",
    ]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dashboard.settings"}
    for name in names:
        env.pop(f"TRAFFICLENS_UPLOAD_MAX_{name}", None)
        if value is not None:
            env[f"TRAFFICLENS_UPLOAD_MAX_{name}"] = value
    code = "import dashboard.settings as s; print(*(getattr(s, n) for n in %r))" % [
        f"TRAFFICLENS_UPLOAD_MAX_{name}" for name in names
    ]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=project_dir, env=env, capture_output=True, text=True
    )
    assert result.stdout.split() == expected.split(), result.stderr


def test_a_bad_limit_fails_at_start_up(project_dir):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "TRAFFICLENS_UPLOAD_MAX_SERVICES": "lots",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import dashboard.settings"],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "TRAFFICLENS_UPLOAD_MAX_SERVICES must be a whole number" in result.stderr


def test_objects_being_stored_are_held_at_their_own_size():
    """orjson's result keeps a 4 KB buffer however short the JSON; held for every object until
    it is stored, that was 700 MB at 175,000 objects. Each one's JSON is now copied to size."""
    import tracemalloc

    import orjson

    from benchmarks.gen_cluster import generate

    objects = generate(services=200, endpoints=1000, nodes=50)["items"]
    items = [("items", i, o) for i, o in enumerate(objects)]
    tracemalloc.start()
    try:
        prepared = snapshot_prepare._prepare(items)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    stored_json = sum(len(p.raw) for p in prepared.values())
    assert len(prepared) == len(objects) > 1000
    # The trimmed dicts, the hashes and the JSON: some 1.9 KB an object here; 5.5 KB before.
    assert held < 3000 * len(prepared), (held, stored_json)
    assert all(orjson.loads(p.raw) == p.obj for p in prepared.values())
