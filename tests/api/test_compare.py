"""GET /api/v1/clusters/{c}/compare/?from=&to=: two snapshots side by side, every figure checked
against what each snapshot stored (its flow map, its Services' reports), and the refusals."""

from datetime import timedelta

import pytest

from routing.api.compare_serializers import (
    ComparisonSerializer,
    HeadlineSerializer,
    ServiceSideSerializer,
)
from routing.models import ServiceSummary, TrafficVolume
from routing.snapshots import write_snapshot
from tests.web.measured import stored_fetch

from .conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/compare/"
LIMIT = 1.5  # TRAFFICLENS_OVERLOAD_LIMIT's default, which the tests run with


def _get(client, path: str, **params) -> dict:
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    return response.json()


def _stored_counts(cluster, seq: int) -> tuple[int, int]:
    """(overloaded, dropping) Services of the snapshot, counted from its stored summaries."""
    rows = ServiceSummary.objects.at(cluster.pk, seq)
    return (
        sum(1 for r in rows if r.max_overload > LIMIT),
        sum(1 for r in rows if r.dropped > 0),
    )


def test_headline_figures_are_each_snapshots_flow_map(demo_cluster, token_client, settings):
    settings.TRAFFICLENS_OVERLOAD_LIMIT = LIMIT
    client = token_client("viewer")
    body = _get(client, URL, **{"from": 1, "to": 2})
    assert set(body) == set(ComparisonSerializer().fields)  # the documented shape
    assert body["from"]["seq"] == 1 and body["to"]["seq"] == 2
    assert body["overloadLimit"] == LIMIT
    figures = body["figures"]
    for side, seq in (("from", 1), ("to", 2)):
        flows = _get(client, "/api/v1/clusters/demo/flowmap/", snapshot=seq)
        shown = figures[side]
        assert set(shown) == set(HeadlineSerializer().fields)
        assert shown["seq"] == seq
        for key in ("services", "crossZoneFraction", "costPerGbMean", "dropped", "monthlyCost"):
            assert shown[key] == flows[key], key
        overloaded, dropping = _stored_counts(demo_cluster, seq)
        assert (shown["overloadedServices"], shown["droppingServices"]) == (overloaded, dropping)
    assert figures["from"]["services"] == figures["to"]["services"] == 12
    delta = figures["delta"]
    for key in ("crossZoneFraction", "costPerGbMean", "dropped", "services"):
        assert delta[key] == pytest.approx(figures["to"][key] - figures["from"][key], abs=0)
    assert figures["from"]["monthlyCost"] is None and delta["monthlyCost"] is None  # no volume
    assert body["volumes"]["same"] is True and body["volumes"]["from"]["fetchId"] is None


def test_changed_services_carry_their_stored_reports_figures(demo_cluster, token_client):
    client = token_client("viewer")
    body = _get(client, URL, **{"from": 1, "to": 2})
    changed = {f"{s['namespace']}/{s['name']}": s for s in body["services"]}
    assert "shop/catalog" in changed  # the only policy that changed
    catalog = changed["shop/catalog"]
    assert catalog["change"] == "changed"
    for side, seq in (("from", 1), ("to", 2)):
        report = _get(client, "/api/v1/clusters/demo/services/shop/catalog/", snapshot=seq)
        figures = catalog[side]
        assert set(figures) == set(ServiceSideSerializer().fields)
        assert figures["crossZoneFraction"] == report["flows"]["crossZoneFraction"]
        assert figures["costPerGb"] == report["cost"]["costPerGb"]
        assert figures["dropped"] == report["flows"]["dropped"]
        assert figures["maxOverload"] == report["flows"]["maxOverload"]
        assert figures["monthlyCost"] is None and figures["volumeSource"] is None
    assert catalog["from"]["policy"] == "none" and catalog["to"]["policy"] == "PreferSameZone"
    # Nothing else changed between the two: the other Services are not listed.
    assert list(changed) == ["shop/catalog"]
    # The diff is the diff API's answer, word for word.
    diff = _get(client, "/api/v1/clusters/demo/snapshots/2/diff/", against=1)
    assert body["diff"] == diff


def test_monthly_figures_and_different_volumes(demo_cluster, token_client):
    first, second = demo_cluster.snapshots.order_by("seq")
    # One fetch in force for snapshot 1 (before snapshot 2 was taken), another for snapshot 2.
    one = stored_fetch(
        demo_cluster,
        {("shop", "catalog"): 100.0, ("shop", "cart"): 50.0},
        at=first.taken_at + timedelta(minutes=10),
    )
    two = stored_fetch(
        demo_cluster,
        {("shop", "catalog"): 300.0, ("shop", "cart"): 50.0},
        at=second.taken_at + timedelta(minutes=10),
    )
    TrafficVolume.objects.create(
        cluster=demo_cluster, namespace="shop", name="email", monthly_gb=20
    )
    client = token_client("viewer")
    body = _get(client, URL, **{"from": 1, "to": 2})
    volumes = body["volumes"]
    assert volumes["same"] is False
    assert (volumes["from"]["fetchId"], volumes["to"]["fetchId"]) == (one.pk, two.pk)
    assert volumes["from"]["kind"] == volumes["to"]["kind"] == "measured"
    assert volumes["from"]["manual"] == volumes["to"]["manual"] == 1
    figures = body["figures"]
    for side, seq in (("from", 1), ("to", 2)):
        flows = _get(client, "/api/v1/clusters/demo/flowmap/", snapshot=seq)
        assert figures[side]["monthlyCost"] == flows["monthlyCost"] is not None
        assert figures[side]["monthlyGb"] == flows["monthlyGb"]
    assert figures["from"]["monthlyGb"] == 170.0 and figures["to"]["monthlyGb"] == 370.0
    assert figures["delta"]["monthlyCost"] == pytest.approx(
        figures["to"]["monthlyCost"] - figures["from"]["monthlyCost"], abs=0
    )
    catalog = next(s for s in body["services"] if s["name"] == "catalog")
    for side, gb in (("from", 100.0), ("to", 300.0)):
        assert catalog[side]["monthlyGb"] == gb
        assert catalog[side]["monthlyCost"] == catalog[side]["costPerGb"] * gb
        assert catalog[side]["volumeSource"] == "measured"
    # The largest monthly change leads.
    assert body["services"][0]["name"] == "catalog"


def test_added_and_removed_services(demo_cluster, demo_objects, token_client):
    kept = [
        o for o in demo_objects if not (o["kind"] == "Service" and o["metadata"]["name"] == "email")
    ]
    write_snapshot(demo_cluster, kept, source="upload")  # snapshot 3: shop/email gone
    client = token_client("viewer")
    body = _get(client, URL, **{"from": 2})  # `to`: the newest
    assert body["to"]["seq"] == 3
    email = next(s for s in body["services"] if s["name"] == "email")
    assert email["change"] == "removed" and email["to"] is None
    assert (
        email["from"]["costPerGb"]
        == _get(client, "/api/v1/clusters/demo/services/shop/email/", snapshot=2)["cost"][
            "costPerGb"
        ]
    )
    assert body["figures"]["delta"]["services"] == -1
    assert body["diff"]["services"]["removed"] == [{"namespace": "shop", "name": "email"}]
    back = _get(client, URL, **{"from": 3, "to": 2})  # the other way: added
    email = next(s for s in back["services"] if s["name"] == "email")
    assert email["change"] == "added" and email["from"] is None
    assert back["figures"]["delta"]["services"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "from"),
        ({"from": "x"}, "from"),
        ({"from": 0}, "from"),
        ({"from": 2**31}, "from"),
        ({"from": 1, "to": "two"}, "to"),
        ({"from": 1, "to": 1}, "to"),
        ({"from": 2}, "to"),  # `to` is the newest, which is snapshot 2 itself
    ],
)
def test_bad_seqs_are_400_naming_the_field(demo_cluster, token_client, query, field):
    error = assert_error(token_client("viewer").get(URL, query), 400, "invalid")
    assert field in error["details"], error


@pytest.mark.parametrize("query", [{"from": 7}, {"from": 1, "to": 9}])
def test_a_missing_snapshot_is_404_naming_it(demo_cluster, token_client, query):
    error = assert_error(token_client("viewer").get(URL, query), 404, "not_found")
    assert "has no snapshot" in error["message"]


def test_an_unknown_cluster_is_404(db, token_client):
    client = token_client("viewer")
    assert_error(client.get("/api/v1/clusters/nope/compare/", {"from": 1}), 404, "not_found")


def test_needs_a_role(demo_cluster, token_client):
    assert_error(token_client(None).get(URL, {"from": 1, "to": 2}), 403)
