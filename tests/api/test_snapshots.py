"""Snapshots of a cluster: list with time filters and pages, detail, and diff."""

from datetime import timedelta

import pytest

from routing.api.shapes import DiffSerializer

from .conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/snapshots/"


def _iso(dt) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def test_list_is_newest_first(demo_cluster, token_client):
    body = token_client("viewer").get(URL).json()
    assert body["count"] == 2
    assert [s["seq"] for s in body["results"]] == [2, 1]
    first = body["results"][1]
    assert first["changedObjects"] == 34 and first["servicesWithDiagnostics"] >= 1
    assert first["counts"]["endpoints"] == 54


def test_list_filters_by_time(demo_cluster, token_client):
    client = token_client("viewer")
    first, second = demo_cluster.snapshots.order_by("seq")
    middle = first.taken_at + timedelta(minutes=30)
    assert [s["seq"] for s in client.get(URL, {"since": _iso(middle)}).json()["results"]] == [2]
    assert [s["seq"] for s in client.get(URL, {"until": _iso(middle)}).json()["results"]] == [1]
    both = client.get(URL, {"since": _iso(first.taken_at), "until": _iso(second.taken_at)})
    assert both.json()["count"] == 2


@pytest.mark.parametrize(
    "query",
    [
        {"since": "not a time"},
        {"until": "2025-13-01"},
        {"since": "2025-06-02", "until": "2025-06-01"},
    ],
)
def test_list_refuses_bad_times(demo_cluster, token_client, query):
    assert_error(token_client("viewer").get(URL, query), 400, "invalid")


def test_list_pages(demo_cluster, token_client):
    client = token_client("viewer")
    body = client.get(URL, {"page_size": 1}).json()
    assert [s["seq"] for s in body["results"]] == [2] and body["next"].endswith(
        "page=2&page_size=1"
    )
    assert [s["seq"] for s in client.get(body["next"]).json()["results"]] == [1]


def test_list_queries_do_not_grow_with_the_page(
    demo_cluster, token_client, django_assert_max_num_queries, demo_objects
):
    from routing.snapshots import write_snapshot

    client = token_client("viewer")
    client.get(URL)
    for _ in range(10):
        write_snapshot(demo_cluster, demo_objects, source="scheduled")
    with django_assert_max_num_queries(5):  # token, groups, cluster, count, page
        assert len(client.get(URL).json()["results"]) == 12


def test_detail(demo_cluster, token_client):
    body = token_client("viewer").get(f"{URL}1/").json()
    assert body["seq"] == 1 and body["source"] == "upload" and body["status"] == "complete"


def test_diff(demo_cluster, token_client):
    response = token_client("viewer").get(f"{URL}2/diff/", {"against": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["from"]["seq"] == 1 and body["to"]["seq"] == 2
    assert body["policyChanges"] == [
        {
            "namespace": "shop",
            "name": "catalog",
            "field": "trafficDistribution",
            "from": None,
            "to": "PreferSameZone",
        }
    ]
    assert body["objects"]["Service"] == {"added": 0, "removed": 0, "changed": 1}
    assert set(body) == set(DiffSerializer().fields)  # the documented shape


def test_diff_the_other_way(demo_cluster, token_client):
    body = token_client("viewer").get(f"{URL}1/diff/", {"against": 2}).json()
    assert body["policyChanges"][0]["from"] == "PreferSameZone"


@pytest.mark.parametrize("query", [{}, {"against": "x"}, {"against": 0}, {"against": 2**31}])
def test_diff_needs_a_valid_against(demo_cluster, token_client, query):
    error = assert_error(token_client("viewer").get(f"{URL}2/diff/", query), 400, "invalid")
    assert "against" in error["details"]


def test_diff_of_an_unknown_snapshot_is_404(demo_cluster, token_client):
    assert_error(token_client("viewer").get(f"{URL}7/diff/", {"against": 1}), 404, "not_found")
