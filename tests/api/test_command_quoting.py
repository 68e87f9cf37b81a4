"""The `change` one-liner of the API quotes hostile names: it splits into the intended argv.

The objects are stored directly (as a live cluster's would be), so that names the upload refuses
still reach the analysis and the API; the command must be safe to paste whatever is stored.
"""

import json
import shlex
from urllib.parse import quote

import pytest
import yaml

from routing.models import Cluster
from routing.snapshots import write_snapshot
from tests.engine.test_shell import argv_in_shell

pytestmark = pytest.mark.django_db

HOSTILE = ["shop;id;#", "x -p '{\"a\":1}' $(id)"]


def _with_namespace(objects: list[dict], namespace: str) -> list[dict]:
    for obj in objects:
        meta = obj["metadata"]
        if meta.get("namespace") == "shop":
            meta["namespace"] = namespace
    return objects


@pytest.fixture(params=HOSTILE)
def hostile(request, db, demo_objects) -> tuple[Cluster, str]:
    cluster = Cluster.objects.create(name="shop", source=Cluster.Source.UPLOAD)
    write_snapshot(cluster, _with_namespace(demo_objects, request.param), source="upload")
    return cluster, request.param


def _check(change: str, namespace: str, name: str) -> None:
    """shlex and a real shell both split the line into the intended argv."""
    argv = shlex.split(change)
    assert argv_in_shell(change) == argv[1:]
    assert argv[:-1] == [
        "kubectl",
        "-n",
        namespace,
        "patch",
        "service",
        name,
        "--type",
        "merge",
        "-p",
    ]
    assert set(json.loads(argv[-1])) == {"metadata", "spec"}


def test_recommendations_endpoint_quotes_the_namespace(hostile, token_client):
    _, namespace = hostile
    body = token_client("viewer").get("/api/v1/clusters/shop/recommendations/").json()
    # The shop's Services (node-exporter, in namespace monitoring, keeps its name); catalog,
    # email and payments lead with a policy switch, the others with another fix.
    shop = [item for item in body["results"] if item["namespace"] == namespace]
    assert len([item for item in shop if item["change"]]) == 3 and len(shop) == 7
    for item in shop:
        if item["change"]:
            _check(item["change"], namespace, item["name"])
            assert yaml.safe_load(item["yaml"]) == json.loads(shlex.split(item["change"])[-1])
        # Every fix's commands too (issue 12): the namespace stays one argument after -n.
        for fix in item["fixes"]:
            for command in fix["commands"]:
                argv = shlex.split(command)
                assert argv_in_shell(command) == argv[1:]
                if "-n" in argv:
                    assert argv[argv.index("-n") + 1] == namespace


def test_service_report_quotes_the_namespace(hostile, token_client):
    _, namespace = hostile
    url = f"/api/v1/clusters/shop/services/{quote(namespace, safe='')}/payments/"
    response = token_client("viewer").get(url)
    assert response.status_code == 200, response.content
    _check(response.json()["recommendation"]["change"], namespace, "payments")
