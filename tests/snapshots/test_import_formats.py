"""Imports and uploads in the formats people have (tests/engine/test_input_formats.py), with the
upload limits holding for each: counted on the text as the loader reads it, over all files of a
dump directory together."""

import json

import pytest
from django.core.management import CommandError, call_command

from routing.engine.dump_directory import read_directory
from routing.models import Snapshot
from routing.snapshots import import_dump
from routing.snapshots.intake import TooLarge, read_dump
from tests.engine.kubectl_output import as_json, encoded, write_cluster_info_dump

pytestmark = pytest.mark.django_db

DENSE = b'{"kind":"List","items":[' + b",".join([b"{}"] * 2000) + b"]}"  # 4,002 JSON values


def cluster_info_dump(tmp_path, demo_objects):
    """A cluster-info dump directory, completed with the EndpointSlices it lacks."""
    write_cluster_info_dump(tmp_path, demo_objects)
    slices = [o for o in demo_objects if o["kind"] == "EndpointSlice"]
    (tmp_path / "endpointslices.json").write_text(as_json({"kind": "List", "items": slices}))
    return tmp_path


def test_snapshot_from_a_cluster_info_dump_directory(cluster, demo_objects, tmp_path):
    directory = cluster_info_dump(tmp_path / "dump", demo_objects)
    call_command("snapshot", "demo", "--from-file", str(directory))
    snapshot = Snapshot.objects.get(cluster=cluster)
    assert (snapshot.nodes, snapshot.services, snapshot.endpoint_slices) == (10, 12, 12)
    assert snapshot.source == Snapshot.Source.IMPORT


def test_a_directory_past_a_limit_is_refused(cluster, demo_objects, settings, tmp_path):
    directory = cluster_info_dump(tmp_path / "dump", demo_objects)
    settings.TRAFFICLENS_UPLOAD_MAX_NODES = 3
    with pytest.raises(CommandError, match="holds 10 Nodes, more than the 3 accepted"):
        call_command("snapshot", "demo", "--from-file", str(directory))


def test_a_broken_file_of_a_directory_is_named(cluster, demo_objects, tmp_path):
    directory = cluster_info_dump(tmp_path / "dump", demo_objects)
    (directory / "shop" / "services.json").write_bytes(b"\xff\xfe{\x00\x0a")
    with pytest.raises(CommandError, match=r"dump/shop/services\.json: not valid UTF-16 LE"):
        call_command("snapshot", "demo", "--from-file", str(directory))
    assert not Snapshot.objects.exists()


def test_a_utf16_upload_is_stored_as_the_utf8_one(cluster, demo_bytes):
    text = demo_bytes.decode().replace("\n", "\r\n")
    snapshot = import_dump(cluster, encoded(text, "utf-16 LE with BOM"))
    assert (snapshot.nodes, snapshot.services, snapshot.endpoints) == (10, 12, 54)


@pytest.mark.parametrize("encoding", ["utf-16 LE with BOM", "utf-32 BE with BOM"])
def test_wide_text_is_held_to_the_same_density(settings, encoding):
    settings.TRAFFICLENS_UPLOAD_MAX_BYTES = 26_000  # a budget of 2,000 values
    with pytest.raises(TooLarge, match="holds 4,002 JSON values, more than the 2,000"):
        read_dump(encoded(DENSE.decode(), encoding))


def test_a_directorys_files_are_counted_together(settings, tmp_path):
    settings.TRAFFICLENS_UPLOAD_MAX_BYTES = 52_000  # a budget of 4,000 values: each file fits
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_bytes(DENSE)
    with pytest.raises(TooLarge, match="holds 8,004 JSON values, more than the 4,000"):
        read_dump(read_directory(str(tmp_path)))


def test_appended_json_and_watch_events_upload(cluster, demo_objects):
    events = [{"type": "ADDED", "object": obj} for obj in demo_objects]
    events.append({"type": "DELETED", "object": demo_objects[-1]})
    stream = "".join(json.dumps(e) + "\n" for e in events).encode()
    snapshot = import_dump(cluster, stream)
    assert (snapshot.services, snapshot.endpoint_slices) == (12, 11)
