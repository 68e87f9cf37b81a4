"""Figures over Services in which each counts the same (no volume known) say "Services weighted
equally" on the clusters overview, cards and table; figures weighted by volume do not."""

import re

from routing.models import Cluster, TrafficVolume
from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP

WORDS = "Services weighted equally"


def _cross_zone_item(html: str) -> str:
    """The overview card's cross-zone figure with its caption."""
    match = re.search(r'<li><span class="stats__value" data-role="cross-zone".*?</li>', html, re.S)
    assert match, "no cross-zone figure"
    return match.group(0)


def test_cards_say_so_without_volumes(client, shop):
    html = client.get("/").content.decode()
    item = _cross_zone_item(html)
    assert WORDS in item and " hidden" not in item
    # The mean cost per GB (no volume: every Service counts once) says so too.
    assert f"mean per GB crossing, {WORDS}" in html


def test_cards_do_not_once_every_service_has_a_volume(client, shop):
    snapshot = shop.latest_snapshot()
    for row in snapshot_services(shop, snapshot.seq):
        TrafficVolume.objects.create(cluster=shop, namespace=row[0], name=row[1], monthly_gb=10)
    html = client.get("/").content.decode()
    item = _cross_zone_item(html)
    assert 'data-role="cross-zone-weighting" hidden' in item  # kept for the live update
    assert "mean per GB crossing" not in html  # a monthly figure instead


def test_the_table_of_many_clusters_says_so(client, shop):
    for i in range(4):
        cluster = Cluster.objects.create(name=f"c{i}", source="upload")
        import_dump(cluster, DEMO_DUMP.read_bytes())
    html = client.get("/").content.decode()
    assert 'id="clusters-table"' in html
    rows = re.findall(r'<tr data-cluster="[^"]+">.*?</tr>', html, re.S)
    assert len(rows) == 5
    for row in rows:
        assert row.count(WORDS) == 3  # monthly cell's mean per GB, cross-zone, sparkline label
        assert f"mean, {WORDS}</span>" in row


def snapshot_services(cluster: Cluster, seq: int) -> list[tuple[str, str]]:
    from routing.models import ServiceSummary

    return list(ServiceSummary.objects.at(cluster.pk, seq).values_list("namespace", "name"))
