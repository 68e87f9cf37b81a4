"""Uploads that once answered 500: a List nested hundreds deep, and a NUL character anywhere that
is stored (PostgreSQL text cannot hold one). Both are 400 naming the problem; nothing is stored."""

import json
import re

import pytest
import yaml

from .conftest import assert_error, stored_counts

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/snapshots/"
ZONE = "topology.kubernetes.io/zone"


def _nested_lists(depth: int) -> bytes:
    """A Service inside `depth` Lists, each the only item of the one around it."""
    service = '{"kind":"Service","metadata":{"name":"s","namespace":"a"},"spec":{}}'
    return ('{"kind":"List","items":[' * depth + service + "]}" * depth).encode()


@pytest.mark.parametrize("depth", [400, 500])
def test_lists_nested_hundreds_deep_are_400(cluster, editor, depth):
    before = stored_counts()
    response = editor.post(URL, _nested_lists(depth), content_type="application/json")
    error = assert_error(response, 400, "invalid_dump")
    assert "nested too deeply" in error["message"]
    assert stored_counts() == before


def test_yaml_nested_hundreds_deep_is_400(cluster, editor):
    body = "".join(f"{'  ' * i}- kind: List\n{'  ' * i}  items:\n" for i in range(400))
    body = "kind: List\nitems:\n" + body
    response = editor.post(URL, body.encode(), content_type="application/yaml")
    assert "nested too deeply" in assert_error(response, 400, "invalid_dump")["message"]


def _put(objects: list[dict], kind: str, name: str, path: tuple, value) -> None:
    """Set obj[path[0]][path[1]]... = value on the named object."""
    obj = next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


# (kind, name, path, value): a NUL where the store would meet it.
NULS = [
    ("Service", "cart", ("metadata", "name"), "cart\x00"),
    ("Service", "cart", ("metadata", "namespace"), "sh\x00op"),
    ("Node", "ip-10-0-0-1", ("metadata", "labels", ZONE), "us-east-1a\x00"),
    ("Service", "cart", ("spec", "trafficDistribution"), "PreferSame\x00Zone"),
    ("EndpointSlice", "cart-7xk2p", ("endpoints", 0, "addresses"), ["10.1.0.1\x00"]),
]


@pytest.mark.parametrize(
    ("kind", "name", "where", "value"), NULS, ids=[".".join(map(str, n[2])) for n in NULS]
)
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_a_nul_character_is_400_naming_the_object(
    cluster, editor, demo_objects, kind, name, where, value, fmt
):
    _put(demo_objects, kind, name, where, value)
    doc = {"apiVersion": "v1", "kind": "List", "items": demo_objects}
    body = json.dumps(doc).encode() if fmt == "json" else yaml.safe_dump(doc).encode()
    assert b"\\u0000" in body or b"\\0" in body  # escaped: a raw NUL byte is refused as binary
    before = stored_counts()
    response = editor.post(URL, body, content_type=f"application/{fmt}")
    error = assert_error(response, 400, "invalid_dump")
    assert "NUL" in error["message"]
    assert kind in error["details"]["object"]
    assert stored_counts() == before


def test_escaped_backslashes_before_u0000_are_not_a_nul(cluster, editor, demo_objects):
    """`\\\\u0000` in JSON is a backslash and the text u0000: a valid dump that is stored."""
    _put(demo_objects, "Service", "cart", ("metadata", "annotations"), {"note": "C:\\u0000"})
    body = json.dumps({"kind": "List", "items": demo_objects}).encode()
    assert re.search(rb"\\\\u0000", body)
    response = editor.post(URL, body, content_type="application/json")
    assert response.status_code == 201, response.content
