"""How long each recommendation has held (`stableSince`, routing/figures/stability.py): checked
against the advice the API itself gave at each snapshot, and over gaps and pruned history."""

from datetime import timedelta

import pytest
from django.utils import timezone

from routing.figures.stability import leading_advice, stable_since_seq, with_stability
from routing.models import Cluster, ServiceSummary, Snapshot
from routing.snapshots import prune, write_snapshot
from tests.factories import summary_row

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/recommendations/"


def _find(objects: list[dict], kind: str, name: str) -> dict:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def _advice(item: dict) -> tuple[str, str]:
    """The leading advice as the list shows it (not through stability.py)."""
    if item["recommendedPolicy"] is not None:
        return ("policy", item["recommendedPolicy"])
    return ("fix", item["fixes"][0]["kind"])


def test_stable_since_is_the_first_snapshot_of_the_run_the_api_showed(demo_objects, principal):
    cluster = Cluster.objects.create(name="demo", source=Cluster.Source.UPLOAD)
    t0 = timezone.now() - timedelta(hours=3)
    write_snapshot(cluster, demo_objects, source="upload", taken_at=t0)
    write_snapshot(cluster, demo_objects, source="upload", taken_at=t0 + timedelta(hours=1))
    _find(demo_objects, "Service", "catalog")["spec"]["trafficDistribution"] = "PreferSameZone"
    write_snapshot(cluster, demo_objects, source="upload", taken_at=t0 + timedelta(hours=2))

    client = principal("viewer")
    at = {
        seq: {
            (i["namespace"], i["name"]): i
            for i in client.get(URL, {"snapshot": seq, "page_size": 1000}).json()["results"]
        }
        for seq in (1, 2, 3)
    }
    assert at[3], "the demo has recommendations"
    changed = 0
    for key, item in at[3].items():
        expected = 3
        for seq in (2, 1):
            if key not in at[seq] or _advice(at[seq][key]) != _advice(item):
                break
            expected = seq
        changed += expected == 3
        since = item["stableSince"]
        assert since["seq"] == expected, key
        assert since["seconds"] == (3 - expected) * 3600.0
        assert since["atLeast"] is False  # seq 1 is the first snapshot ever taken
        assert since["changedHere"] is (expected == 3)
    # Switching catalog changed its advice (a policy -> wait for the controller's hints); the
    # other Services kept theirs since the first snapshot.
    assert changed == 1 and at[3][("shop", "catalog")]["stableSince"]["seq"] == 3
    others = [k for k in at[3] if k != ("shop", "catalog")]
    assert len(others) >= 3 and all(at[3][k]["stableSince"]["seq"] == 1 for k in others)


def _snapshots(cluster: Cluster, seqs: list[int]) -> None:
    base = timezone.now() - timedelta(days=1)
    for seq in seqs:
        Snapshot.objects.create(
            cluster=cluster, seq=seq, taken_at=base + timedelta(minutes=10 * seq), source="upload"
        )


def _summary(cluster: Cluster, first: int, last: int | None, advice: str | None, name="api"):
    recommendation = {"policy": advice} if advice else None
    summary_row(
        ServiceSummary,
        cluster,
        name,
        first_seq=first,
        last_seq=last,
        content_hash=f"{first}",
        recommendation=recommendation,
    )


@pytest.fixture
def bare(db):
    return Cluster.objects.create(name="bare", source=Cluster.Source.UPLOAD)


def test_the_walk_spans_rows_with_the_same_advice_and_stops_at_other_advice(bare):
    _snapshots(bare, [1, 2, 3, 4, 5, 6])
    _summary(bare, 1, 2, "PreferSameNode")
    _summary(bare, 2, 4, "PreferSameZone")  # other advice: the run starts after it
    _summary(bare, 4, 5, "PreferSameZone")
    _summary(bare, 5, None, "PreferSameZone")  # figures moved, advice did not
    latest = Snapshot.objects.get(cluster=bare, seq=6)
    assert stable_since_seq(latest, "shop", "api") == 2
    at_two = Snapshot.objects.get(cluster=bare, seq=2)
    assert stable_since_seq(at_two, "shop", "api") == 2
    at_one = Snapshot.objects.get(cluster=bare, seq=1)
    assert stable_since_seq(at_one, "shop", "api") == 1
    (item,) = with_stability(latest, [{"namespace": "shop", "name": "api"}])
    assert item["stableSince"]["seq"] == 2
    assert item["stableSince"]["seconds"] == 40 * 60.0
    assert item["stableSince"]["changedHere"] is False
    (first,) = with_stability(at_one, [{"namespace": "shop", "name": "api"}])
    assert first["stableSince"]["changedHere"] is False  # nothing earlier to differ from


def test_a_gap_in_the_services_life_starts_a_new_run(bare):
    _snapshots(bare, [1, 2, 3, 4])
    _summary(bare, 1, 2, "PreferSameZone")  # deleted at 2 ...
    _summary(bare, 3, None, "PreferSameZone")  # ... created again at 3
    assert stable_since_seq(Snapshot.objects.get(cluster=bare, seq=4), "shop", "api") == 3


def test_no_advice_or_no_service_gives_none(bare):
    _snapshots(bare, [1, 2, 3])
    _summary(bare, 1, None, None)
    _summary(bare, 1, 2, "PreferSameZone", name="gone")
    latest = Snapshot.objects.get(cluster=bare, seq=3)
    assert stable_since_seq(latest, "shop", "api") is None
    assert stable_since_seq(latest, "shop", "gone") is None
    assert stable_since_seq(latest, "shop", "never") is None


def test_a_run_into_pruned_history_says_at_least(bare):
    _snapshots(bare, [1, 2, 3, 4])
    _summary(bare, 1, None, "PreferSameZone")
    bare.retention_days = 1
    bare.save()
    # Snapshots 1 and 2 fall out of retention (a day and more old); the summary row stays, as
    # snapshots 3 and 4 still lie in it.
    Snapshot.objects.filter(cluster=bare, seq__in=[1, 2]).update(
        taken_at=timezone.now() - timedelta(days=3)
    )
    assert prune(bare) == 2
    latest = Snapshot.objects.get(cluster=bare, seq=4)
    (item,) = with_stability(latest, [{"namespace": "shop", "name": "api"}])
    since = item["stableSince"]
    assert since["seq"] == 3 and since["atLeast"] is True
    assert since["seconds"] == 10 * 60.0


def test_leading_advice_follows_the_lists_headline():
    policy = {"policy": "PreferSameZone"}
    assert leading_advice(policy, []) == ("policy", "PreferSameZone")
    assert leading_advice(policy, [{"kind": "set-policy"}]) == ("policy", "PreferSameZone")
    assert leading_advice(policy, [{"kind": "add-endpoints"}]) == ("fix", "add-endpoints")
    assert leading_advice(None, [{"kind": "label-nodes"}]) == ("fix", "label-nodes")
    assert leading_advice(None, []) is None
