"""The Services list's `zone` filter: Services with an endpoint in the zone, as each Service's own
report places its endpoints; a zone the snapshot does not have is refused (400)."""

import pytest

from routing.figures.reports import service_detail
from routing.figures.zone_filter import snapshot_zones, zone_nodes
from routing.snapshots import summaries_at

from .conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/services/"


def _names(body) -> list[str]:
    return [f"{s['namespace']}/{s['name']}" for s in body["results"]]


def _expected(snapshot, zone: str) -> list[str]:
    """Services with an endpoint in `zone`, read from each one's full report (in the list's
    default order: its cost per GB, largest first, then by name)."""
    keep = []
    for s in summaries_at(snapshot):
        report = service_detail(snapshot, s.namespace, s.name)
        if any((ep.get("zone") or "unknown") == zone for ep in report["endpoints"]):
            keep.append(s)
    keep.sort(key=lambda s: (s.namespace.encode(), s.name.encode()))
    keep.sort(key=lambda s: s.cost_per_gb, reverse=True)
    return [f"{s.namespace}/{s.name}" for s in keep]


def test_each_zone_lists_the_services_with_endpoints_there(demo_cluster, token_client):
    snapshot = demo_cluster.snapshots.order_by("-seq")[0]
    zones = snapshot_zones(snapshot)
    assert zones == ["us-east-1a", "us-east-1b", "us-east-1c"]
    client = token_client("viewer")
    every = _names(client.get(URL, {"page_size": 1000}).json())
    seen = set()
    for zone in zones:
        got = _names(client.get(URL, {"zone": zone, "page_size": 1000}).json())
        assert got == _expected(snapshot, zone), zone
        seen.update(got)
    # A real narrowing: some zone leaves Services out.
    assert any(len(_expected(snapshot, z)) < len(every) for z in zones)
    # `unknown` is always a valid name, here of no endpoint.
    unknown = _names(client.get(URL, {"zone": "unknown"}).json())
    assert unknown == _expected(snapshot, "unknown") == []


def test_the_zone_filter_combines_with_the_others_and_the_export(demo_cluster, token_client):
    client = token_client("viewer")
    both = _names(client.get(URL, {"zone": "us-east-1b", "namespace": "shop"}).json())
    zone = set(_names(client.get(URL, {"zone": "us-east-1b"}).json()))
    shop = set(_names(client.get(URL, {"namespace": "shop"}).json()))
    assert set(both) == zone & shop and both
    csv = client.get(URL, {"zone": "us-east-1b", "format": "csv"})
    assert csv.status_code == 200
    lines = csv.content.decode().splitlines()[1:]
    assert len(lines) == len(zone)


@pytest.mark.parametrize("zone", ["us-east-9z", "US-EAST-1A", "x" * 254])
def test_a_zone_the_snapshot_lacks_is_400_naming_the_field(demo_cluster, token_client, zone):
    error = assert_error(token_client("viewer").get(URL, {"zone": zone}), 400, "invalid")
    assert set(error["details"]) == {"zone"}
    assert error["message"].startswith("zone: ")
    if len(zone) < 254:
        assert "us-east-1a, us-east-1b, us-east-1c, unknown" in error["message"]


def test_zone_nodes_names_each_zones_nodes(demo_cluster):
    snapshot = demo_cluster.snapshots.order_by("-seq")[0]
    nodes = zone_nodes(snapshot)
    assert set(nodes) == {"us-east-1a", "us-east-1b", "us-east-1c"}
    for zone, info in nodes.items():
        assert info["count"] == len(info["nodes"]) >= 1, zone
        assert info["ready"] == sum(n["ready"] for n in info["nodes"])
        assert [n["name"] for n in info["nodes"]] == sorted(n["name"] for n in info["nodes"])
    # As the flow map counts them: the cluster report's nodes per zone.
    for zone, counts in snapshot.cluster_report["zones"].items():
        assert nodes[zone]["count"] == counts["nodes"], zone
        assert nodes[zone]["ready"] == counts["readyNodes"], zone
    assert zone_nodes(snapshot, listed=1)["us-east-1a"]["nodes"] == nodes["us-east-1a"]["nodes"][:1]
