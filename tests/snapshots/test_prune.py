"""prune: retention by age, never the latest snapshot, and intervals no snapshot uses."""

from datetime import timedelta

import pytest
from django.utils import timezone

from routing.models import Cluster, ObjectVersion, ServiceSummary, Snapshot
from routing.snapshots import objects_at, prune, summaries_at, write_snapshot

from .builders import find, small_cluster

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def variant(i: int) -> list[dict]:
    """The small cluster with Service api relabelled and web's hints on or off by round."""
    objs = small_cluster(hinted=i % 2 == 0)
    find(objs, "Service", "api")["metadata"]["labels"] = {"round": str(i)}
    return objs


def write(cluster, i: int, days_ago: float):
    return write_snapshot(
        cluster, variant(i), source="scheduled", taken_at=NOW - timedelta(days=days_ago)
    )


def state(snapshot):
    return objects_at(snapshot), list(summaries_at(snapshot).values_list("name", "content_hash"))


def test_prune_deletes_old_snapshots_and_the_intervals_only_they_used(cluster):
    for i, days in enumerate([40, 35, 1, 0]):
        write(cluster, i, days)
    s3, s4 = Snapshot.objects.filter(seq__in=[3, 4]).order_by("seq")
    kept = {s.seq: state(s) for s in (s3, s4)}
    versions_before = ObjectVersion.objects.count()

    assert prune(cluster, now=NOW) == 2
    assert list(Snapshot.objects.values_list("seq", flat=True)) == [3, 4]
    assert {s.seq: state(s) for s in (s3, s4)} == kept
    # Versions that ended at seq 2 or 3 served only the deleted snapshots.
    assert not ObjectVersion.objects.filter(last_seq__lte=3).exists()
    assert not ServiceSummary.objects.filter(last_seq__lte=3).exists()
    # api (3 rounds) and web's slice and summary (2 flips) freed their old versions.
    assert ObjectVersion.objects.count() == versions_before - 2 - 2
    assert prune(cluster, now=NOW) == 0  # nothing more to do


def test_the_latest_snapshot_survives_any_age(cluster):
    write(cluster, 0, 400)
    write(cluster, 1, 300)
    latest_state = state(Snapshot.objects.get(seq=2))
    assert prune(cluster, now=NOW) == 1
    latest = Snapshot.objects.get()
    assert latest.seq == 2 and state(latest) == latest_state
    assert not ObjectVersion.objects.filter(last_seq__isnull=False).exists()
    assert not ServiceSummary.objects.filter(last_seq__isnull=False).exists()
    # The next snapshot continues the sequence.
    assert write(cluster, 2, 0).seq == 3


def test_retention_is_per_cluster_setting(cluster):
    cluster.retention_days = 100
    cluster.save()
    write(cluster, 0, 40)
    write(cluster, 1, 0)
    assert prune(cluster, now=NOW) == 0
    assert Snapshot.objects.count() == 2


def test_intervals_in_a_gap_are_freed(cluster):
    # An old dump imported between two recent snapshots: pruning it leaves a gap in seqs.
    write(cluster, 0, 1)
    write(cluster, 1, 90)
    write(cluster, 2, 0)
    first, last = Snapshot.objects.get(seq=1), Snapshot.objects.get(seq=3)
    kept = state(first), state(last)
    assert prune(cluster, now=NOW) == 1
    assert (state(first), state(last)) == kept
    # api's round-1 version lived only in snapshot 2.
    assert not ObjectVersion.objects.filter(first_seq=2, last_seq=3).exists()
    assert not ServiceSummary.objects.filter(first_seq=2, last_seq=3).exists()


def test_prune_leaves_other_clusters_alone(cluster):
    other = Cluster.objects.create(name="other", source=Cluster.Source.UPLOAD)
    for c in (cluster, other):
        write(c, 0, 90)
        write(c, 1, 0)
    assert prune(cluster, now=NOW) == 1
    assert Snapshot.objects.filter(cluster=other).count() == 2
    assert ObjectVersion.objects.filter(cluster=other, last_seq__isnull=False).exists()


def test_prune_without_snapshots(cluster):
    assert prune(cluster) == 0
