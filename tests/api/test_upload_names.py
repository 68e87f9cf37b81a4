"""Uploads refuse names and labels the Kubernetes API server would refuse: 400 naming the object
and the rule, nothing stored. `manage.py snapshot --from-file` refuses them the same way."""

import json

import pytest
from django.core.management import CommandError, call_command

from routing.snapshots import import_dump

from .conftest import assert_error, stored_counts

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/snapshots/"
ZONE = "topology.kubernetes.io/zone"


def _obj(objects: list[dict], kind: str, name: str) -> dict:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def _rename_service(objects: list[dict], new: str) -> None:
    _obj(objects, "Service", "cart")["metadata"]["name"] = new
    labels = _obj(objects, "EndpointSlice", "cart-7xk2p")["metadata"]["labels"]
    labels["kubernetes.io/service-name"] = new


# (what to break, the object the error names, the field, a word of the rule)
BREAKS = {
    "service name with /": (
        lambda o: _rename_service(o, "a/b"),
        "Service shop/a/b",
        "metadata.name",
        "RFC 1123 label",
    ),
    "uppercase service name": (
        lambda o: _rename_service(o, "Cart"),
        "Service shop/Cart",
        "metadata.name",
        "RFC 1123 label",
    ),
    "service name with spaces": (
        lambda o: _rename_service(o, "my cart"),
        "Service shop/my cart",
        "metadata.name",
        "RFC 1123 label",
    ),
    "service name of 254 characters": (
        lambda o: _rename_service(o, "a" * 254),
        "Service shop/" + "a" * 80 + "...",
        "metadata.name",
        "no more than 63 bytes",
    ),
    "namespace": (
        lambda o: _obj(o, "Service", "cart")["metadata"].update(namespace="Shop;id"),
        "Service Shop;id/cart",
        "metadata.namespace",
        "RFC 1123 label",
    ),
    "zone label": (
        lambda o: _obj(o, "Node", "ip-10-0-0-1")["metadata"]["labels"].update(
            {ZONE: "us-east-1a\"'><img src=x onerror=alert(1)>"}
        ),
        "Node ip-10-0-0-1",
        f"metadata.labels[{ZONE}]",
        "a valid label must be an empty string",
    ),
    "endpoint zone": (
        lambda o: _obj(o, "EndpointSlice", "cart-7xk2p")["endpoints"][0].update(zone="us east"),
        "EndpointSlice shop/cart-7xk2p",
        "endpoints[0].zone",
        "a valid label must be an empty string",
    ),
    "endpoint node name": (
        lambda o: _obj(o, "EndpointSlice", "cart-7xk2p")["endpoints"][0].update(nodeName="N/1"),
        "EndpointSlice shop/cart-7xk2p",
        "endpoints[0].nodeName",
        "RFC 1123 subdomain",
    ),
    "node name": (
        lambda o: _obj(o, "Node", "ip-10-0-0-1")["metadata"].update(name="IP 10.0.0.1"),
        "Node IP 10.0.0.1",
        "metadata.name",
        "RFC 1123 subdomain",
    ),
}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_a_name_the_api_server_refuses_is_400_naming_object_and_rule(
    cluster, token_client, demo_objects, case
):
    breaks, obj, field, rule = BREAKS[case]
    breaks(demo_objects)
    body = json.dumps({"apiVersion": "v1", "kind": "List", "items": demo_objects}).encode()
    before = stored_counts()
    response = token_client("editor").post(URL, body, content_type="application/json")
    error = assert_error(response, 400, "invalid_dump")
    assert error["details"]["object"].endswith(f"({obj})")
    assert error["details"]["problem"].startswith(f"{field}: Invalid value: ")
    assert rule in error["message"]
    assert stored_counts() == before


def test_the_snapshot_command_refuses_it_too(cluster, demo_objects, tmp_path):
    _rename_service(demo_objects, "a/b")
    path = tmp_path / "dump.json"
    path.write_text(json.dumps({"kind": "List", "items": demo_objects}))
    before = stored_counts()
    with pytest.raises(CommandError, match=r"dump\.json: items\[\d+\] \(Service shop/a/b\): "):
        call_command("snapshot", "demo", "--from-file", str(path))
    assert stored_counts() == before


def test_validate_false_stores_hostile_names_for_escaping_tests(cluster, demo_objects):
    _rename_service(demo_objects, "a/b")
    body = json.dumps({"kind": "List", "items": demo_objects}).encode()
    snapshot = import_dump(cluster, body, validate=False)
    assert snapshot.services == 12
