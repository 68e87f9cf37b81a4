"""The namespace roll-up: per namespace, figures that add up to the flow map's."""

import pytest

from routing.models import Cluster, ServiceSummary, TrafficVolume
from routing.snapshots import summaries_at

from .conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/namespaces/"


def _by_name(body) -> dict[str, dict]:
    return {n["namespace"]: n for n in body["namespaces"]}


def _combined(body, flow) -> None:
    """The namespaces' weighted figures, put together, are the flow map's."""
    items = body["namespaces"]
    assert sum(n["services"] for n in items) == flow["services"]
    if flow["monthlyCost"] is None:
        assert all(n["monthlyCost"] is None for n in items)
    else:
        assert sum(n["monthlyCost"] or 0 for n in items) == pytest.approx(flow["monthlyCost"])


@pytest.mark.parametrize("volumes", [{}, {"catalog": 300, "checkout": 12.5}])
def test_namespaces_add_up_to_the_flow_map(demo_cluster, token_client, volumes):
    for name, gb in volumes.items():
        TrafficVolume.objects.create(
            cluster=demo_cluster, namespace="shop", name=name, monthly_gb=gb
        )

    # One namespace, so that its shares must be the cluster's.
    ServiceSummary.objects.filter(cluster=demo_cluster).update(namespace="shop")
    client = token_client("viewer")
    body = client.get(URL).json()
    flow = client.get("/api/v1/clusters/demo/flowmap/").json()
    assert body["snapshot"] == 2 and body["weighting"] == flow["weighting"]
    assert body["count"] == len(body["namespaces"]) > 0
    _combined(body, flow)
    [only] = body["namespaces"]
    assert only["crossZoneFraction"] == pytest.approx(flow["crossZoneFraction"])
    assert only["costPerGbMean"] == pytest.approx(flow["costPerGbMean"])


def test_counts_follow_the_summaries(demo_cluster, token_client, settings):
    settings.TRAFFICLENS_OVERLOAD_LIMIT = 1.0
    rows = summaries_at(demo_cluster.snapshots.order_by("-seq")[0])
    body = _by_name(token_client("viewer").get(URL).json())
    for ns, figures in body.items():
        mine = [s for s in rows if s.namespace == ns]
        assert figures["services"] == len(mine)
        assert figures["droppingServices"] == sum(s.dropped > 0 for s in mine)
        assert figures["overloadedServices"] == sum(s.max_overload > 1.0 for s in mine)
        assert figures["servicesWithVolume"] == 0 and figures["monthlyCost"] is None
    assert sum(f["overloadedServices"] for f in body.values()) > 0


def test_two_namespaces_weighted_by_volume(demo_cluster, token_client):

    # Move two Services to their own namespace, each with a volume.
    for name in ("catalog", "checkout"):
        row = ServiceSummary.objects.filter(cluster=demo_cluster, name=name).latest("first_seq")
        ServiceSummary.objects.filter(pk=row.pk).update(namespace="team-b")
    TrafficVolume.objects.create(
        cluster=demo_cluster, namespace="team-b", name="catalog", monthly_gb=300
    )
    TrafficVolume.objects.create(
        cluster=demo_cluster, namespace="team-b", name="checkout", monthly_gb=100
    )
    body = token_client("viewer").get(URL).json()
    assert body["weighting"] == "mixed"
    team = _by_name(body)["team-b"]
    rows = {
        s.name: s
        for s in summaries_at(demo_cluster.snapshots.order_by("-seq")[0])
        if s.namespace == "team-b"
    }
    cat, chk = rows["catalog"], rows["checkout"]
    assert team["monthlyGb"] == 400
    assert team["monthlyCost"] == pytest.approx(cat.cost_per_gb * 300 + chk.cost_per_gb * 100)
    assert team["costPerGbMean"] == pytest.approx((cat.cost_per_gb * 3 + chk.cost_per_gb) / 4)
    fwd = (300 * (1 - cat.dropped), 100 * (1 - chk.dropped))
    cross = fwd[0] * cat.cross_zone_fraction + fwd[1] * chk.cross_zone_fraction
    assert team["crossZoneFraction"] == pytest.approx(cross / sum(fwd))
    assert body["namespaces"][0]["namespace"] == "team-b"  # the only one with a monthly cost


def test_errors(demo_cluster, token_client):
    client = token_client("viewer")
    assert_error(client.get(URL, {"snapshot": "x"}), 400, "invalid")
    assert_error(client.get(URL, {"snapshot": 99}), 404, "not_found")
    Cluster.objects.create(name="empty", source="upload")
    assert_error(client.get("/api/v1/clusters/empty/namespaces/"), 404, "not_found")
    assert_error(client.get("/api/v1/clusters/nope/namespaces/"), 404, "not_found")
