"""The Services list exported (`?format=csv|json`): every filtered row, the list's own figures."""

import csv
import io

import pytest

from routing.api.service_export import CSV_COLUMNS, csv_body, csv_cell
from routing.models import Cluster, ServiceSummary, TrafficVolume

from .conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/services/"


def _every_page(client, **query) -> list[dict]:
    rows, page = [], 1
    while True:
        body = client.get(URL, {**query, "page": page, "page_size": 5}).json()
        rows += body["results"]
        if body["next"] is None:
            return rows
        page += 1


def _csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _as_csv(value) -> str:
    return csv_cell(value)


@pytest.fixture
def with_volumes(demo_cluster):
    for name, gb in (("catalog", 300), ("checkout", 12.5)):
        TrafficVolume.objects.create(
            cluster=demo_cluster, namespace="shop", name=name, monthly_gb=gb
        )
    return demo_cluster


@pytest.mark.parametrize(
    "query",
    [{}, {"ordering": "dropped"}, {"search": "shop/", "ordering": "-recommendation"}],
)
def test_json_export_is_every_page_of_the_list(with_volumes, token_client, query):
    client = token_client("viewer")
    response = client.get(URL, {**query, "format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        'attachment; filename="demo-snapshot-2-services.json"'
    )
    body = response.json()
    listed = _every_page(client, **query)
    assert body["results"] == listed and body["count"] == len(listed) > 0
    assert body["next"] is None and body["previous"] is None
    assert body["snapshot"] == client.get(URL).json()["snapshot"]


def test_csv_export_has_the_same_numbers_as_the_json_list(with_volumes, token_client):
    client = token_client("viewer")
    response = client.get(URL, {"format": "csv", "ordering": "-monthly_cost"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="demo-snapshot-2-services.csv"'
    assert response.content.decode().splitlines()[0] == ",".join(n for n, _ in CSV_COLUMNS)
    got = _csv(response)
    listed = _every_page(client, ordering="-monthly_cost")
    assert [(r["namespace"], r["name"]) for r in got] == [
        (r["namespace"], r["name"]) for r in listed
    ]
    for line, row in zip(got, listed, strict=True):
        for name, get in CSV_COLUMNS:
            assert line[name] == _as_csv(get(row)), name
        assert float(line["costPerGb"]) == row["costPerGb"]  # every digit survives
    assert got[0]["monthlyCost"] and got[0]["volumeSource"] == "manual"
    assert got[-1]["monthlyCost"] == ""  # no volume: empty, not 0


def test_an_export_takes_the_filters_but_not_the_page(demo_cluster, token_client):
    client = token_client("viewer")
    query = {"policy": "Auto", "page": 1, "page_size": 1}
    response = client.get(URL, {**query, "format": "csv"})
    names = [r["name"] for r in _csv(response)]
    listed = [r["name"] for r in client.get(URL, {"policy": "Auto"}).json()["results"]]
    assert names == listed and len(names) > 1


def test_an_export_with_a_refused_filter_is_the_json_error(demo_cluster, token_client):
    response = token_client("viewer").get(URL, {"format": "csv", "policy": "bogus"})
    error = assert_error(response, 400, "invalid")
    assert list(error["details"]) == ["policy"]


def test_an_export_before_the_first_snapshot_is_empty(token_client):
    Cluster.objects.create(name="empty", source="upload")
    client = token_client("viewer")
    url = "/api/v1/clusters/empty/services/"
    assert _csv(client.get(url, {"format": "csv"})) == []
    assert client.get(url, {"format": "json"}).json() == {
        "snapshot": None,
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_an_export_is_not_served_from_the_list_cache(demo_cluster, token_client, settings):
    settings.API_CACHE_SECONDS = 60
    client = token_client("viewer")
    page = client.get(URL, {"page_size": 5})  # cached
    export = client.get(URL, {"page_size": 5, "format": "json"})
    assert "attachment" in export["Content-Disposition"]
    assert len(page.json()["results"]) == 5 and len(export.json()["results"]) == 12
    assert client.get(URL, {"page_size": 5}).content == page.content


def test_hostile_strings_are_quoted_and_defused(demo_cluster, token_client):
    row = ServiceSummary.objects.filter(cluster=demo_cluster, name="catalog").latest("first_seq")
    hostile = '=HYPERLINK("http://evil","x"),\n"quoted"'
    ServiceSummary.objects.filter(pk=row.pk).update(
        policy="+SUM(A1)",
        diagnostics=[{"severity": "warning", "code": "@x", "message": hostile}],
    )
    response = token_client("viewer").get(URL, {"format": "csv", "search": "shop/catalog"})
    [line] = _csv(response)
    assert line["policy"] == "'+SUM(A1)"
    assert line["topDiagnosticCode"] == "'@x"
    assert line["topDiagnosticMessage"] == "'" + hostile  # one cell, newline and quotes kept


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (0.1 + 0.2, "0.30000000000000004"),
        ("-1+1", "'-1+1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
    ],
)
def test_csv_cells(value, cell):
    assert csv_cell(value) == cell


def test_csv_body_is_rfc_4180():
    base = {
        "diagnostics": {"error": 0, "warning": 0, "info": 0},
        "topDiagnostic": None,
    }
    row = {name: None for name, _ in CSV_COLUMNS} | base | {"name": 'a,"b"'}
    text = csv_body([row]).decode()
    assert text.endswith("\r\n") and '"a,""b"""' in text
