"""The dumps people actually have: BOMs and UTF-16 from PowerShell, appended JSON, JSON Lines,
watch streams, single objects, typed lists and YAML streams, each read as the plain dump is."""

import copy
import json
import pathlib
import subprocess
import sys

import pytest

from routing.engine import InputError, load_bytes
from tests.engine.kubectl_output import (
    ENCODINGS,
    as_json,
    as_yaml_stream,
    demo_objects,
    encoded,
    logs_block,
    typed_list,
    watch_event,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]


def analyze(path: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "analyze", "--format", "json", path],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )


def objects(data: bytes) -> list[dict]:
    return [obj for _, _, obj in load_bytes(data)]


def read_from_typed_list(obj: dict) -> dict:
    """What the loader makes of an item of a typed list: its kind back, no apiVersion."""
    return {k: v for k, v in obj.items() if k != "apiVersion"}


@pytest.fixture(scope="module")
def demo() -> list[dict]:
    return demo_objects()


@pytest.fixture(scope="module")
def plain_report(tmp_path_factory, demo) -> bytes:
    path = tmp_path_factory.mktemp("plain") / "cluster.json"
    path.write_text(as_json({"apiVersion": "v1", "kind": "List", "items": demo}))
    result = analyze(str(path))
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("syntax", ["json", "yaml"])
def test_byte_order_marks_and_wide_encodings(demo, encoding, syntax):
    doc = {"apiVersion": "v1", "kind": "List", "items": demo}
    text = as_json(doc) if syntax == "json" else as_yaml_stream([doc])
    assert objects(encoded(text, encoding)) == demo


def test_powershell_utf16_dump_gives_the_plain_report(tmp_path, demo, plain_report):
    # `kubectl get ... -o json > cluster.json` in Windows PowerShell 5.1: UTF-16 LE, BOM, CRLF.
    text = as_json({"apiVersion": "v1", "kind": "List", "items": demo}).replace("\n", "\r\n")
    path = tmp_path / "cluster.json"
    path.write_bytes(encoded(text, "utf-16 LE with BOM"))
    result = analyze(str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == plain_report


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe{\x00\x0a", "not valid UTF-16 LE text (byte 4: truncated data)"),
        (b"\xfe\xff\x00{\xdc\x00\x00}", "not valid UTF-16 BE text (byte 4: illegal encoding)"),
        (b"\xff\xfe\x00\x00\x00\x00\x11\x00", "not valid UTF-32 LE text (byte 4"),
    ],
)
def test_invalid_wide_text_is_one_clean_line(tmp_path, data, message):
    path = tmp_path / "broken.json"
    path.write_bytes(data)
    result = analyze(str(path))
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith(f"analyze: error: {path}: {message}"), err


def test_utf16_without_a_byte_order_mark_says_what_it_probably_is():
    with pytest.raises(InputError, match="UTF-16 or UTF-32 without a byte-order mark"):
        load_bytes('{"kind": "List", "items": []}'.encode("utf-16-le"))


def test_appended_json_texts_and_json_lines(demo):
    appended = "".join(as_json(obj) for obj in demo)  # kubectl get x -o json >> f, per object
    assert objects(appended.encode()) == demo
    lines = "\n".join(json.dumps(obj) for obj in demo) + "\n"
    assert objects(lines.encode()) == demo
    no_separator = "".join(json.dumps(obj) for obj in demo)
    assert objects(no_separator.encode()) == demo


def test_cluster_info_dump_to_stdout_skips_the_pods_logs(demo):
    # One typed List per kind and namespace, each Pod's logs printed after the PodList.
    nodes = [o for o in demo if o["kind"] == "Node"]
    services = [o for o in demo if o["kind"] == "Service"]
    slices = [o for o in demo if o["kind"] == "EndpointSlice"]
    pod = {"metadata": {"name": "web-1", "namespace": "shop"}, "spec": {}, "status": {}}
    text = (
        as_json(typed_list("Node", nodes))
        + as_json(typed_list("Event", []))
        + as_json(typed_list("Service", services))
        + as_json(typed_list("Pod", [pod]))
        + logs_block("shop", "web-1")
        + logs_block("shop", "web-1").replace("container app", "container sidecar")
        + as_json(typed_list("EndpointSlice", slices))
    )
    loaded = objects(text.encode())
    assert [o["kind"] for o in loaded] == ["Node"] * 10 + ["Service"] * 12 + ["Pod"] + [
        "EndpointSlice"
    ] * 12
    assert loaded[0] == read_from_typed_list(nodes[0])
    assert loaded[-1] == read_from_typed_list(slices[-1])


def test_a_broken_later_text_is_named():
    with pytest.raises(InputError, match=r"not valid JSON: .* line 3, column 1 \(JSON text 2\)"):
        load_bytes(b'{"kind": "List", "items": []}\n{"kind":\n}\n')


def test_appended_dumps_keep_each_objects_last_state(demo):
    later = copy.deepcopy(demo[10])  # a Service
    later["metadata"]["annotations"] = {"note": "changed"}
    first = {"kind": "List", "apiVersion": "v1", "items": demo}
    loaded = objects((as_json(first) + as_json(later)).encode())
    assert len(loaded) == len(demo)
    assert loaded[10] == later  # where it first was, as it last was


def test_watch_events_are_replayed(demo):
    service, node, slice_ = demo[10], demo[0], demo[-1]
    changed = copy.deepcopy(service)
    changed["spec"]["trafficDistribution"] = "PreferSameZone"
    events = [watch_event("ADDED", obj) for obj in demo]
    events += [
        {"type": "BOOKMARK", "object": {"kind": "Service", "metadata": {"resourceVersion": "9"}}},
        watch_event("MODIFIED", changed),
        watch_event("DELETED", slice_),
        watch_event("DELETED", node),
        watch_event("ADDED", node),  # back again: now at the end
    ]
    expected = [changed if o is service else o for o in demo if o not in (node, slice_)]
    expected.append(node)
    stream = "".join(json.dumps(e) + "\n" for e in events)  # the API's raw watch stream
    assert objects(stream.encode()) == expected
    kubectl = "".join(as_json({"kind": "WatchEvent", **e}) for e in events)  # --output-watch-events
    assert objects(kubectl.encode()) == expected
    assert objects(as_yaml_stream(events).encode()) == expected


def test_a_watch_error_event_is_an_input_error(demo):
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": "too old resource version: 4711 (5120)",
        "reason": "Expired",
        "code": 410,
    }
    stream = (
        json.dumps(watch_event("ADDED", demo[0])) + "\n" + json.dumps(watch_event("ERROR", status))
    )
    with pytest.raises(InputError, match="too old resource version: 4711 \\(5120\\)") as info:
        load_bytes(stream.encode())
    assert info.value.obj == "document 2 (ERROR)"


def test_single_object_typed_lists_and_yaml_streams(demo):
    service = demo[10]
    assert objects(as_json(service).encode()) == [service]
    assert objects(as_yaml_stream([service]).encode()) == [service]
    nodes = [o for o in demo if o["kind"] == "Node"]
    loaded_nodes = objects(as_json(typed_list("Node", nodes)).encode())
    assert loaded_nodes == [read_from_typed_list(n) for n in nodes]
    event = {"metadata": {"name": "e1", "namespace": "shop"}, "reason": "Scheduled"}
    (loaded,) = objects(as_json(typed_list("Event", [event])).encode())
    assert loaded == {"kind": "Event", **event}
    assert objects(as_yaml_stream(demo).encode()) == demo
