"""Retention: delete snapshots past a cluster's retention and the intervals no snapshot uses."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef
from django.utils import timezone

from routing.models import Cluster, ObjectVersion, ServiceSummary, Snapshot

logger = logging.getLogger(__name__)


def prune(cluster: Cluster, *, now: datetime | None = None) -> int:
    """Delete snapshots past the cluster's retention (never the latest) and unused intervals.

    An object version or summary is deleted once no remaining snapshot lies in its interval.
    Returns how many snapshots were deleted.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Cluster.objects.select_for_update().get(pk=cluster.pk)
        latest = Snapshot.objects.filter(cluster=locked).aggregate(m=Max("seq"))["m"]
        if latest is None:
            return 0
        cutoff = now - timedelta(days=locked.retention_days)
        deleted, _ = (
            Snapshot.objects.filter(cluster=locked, taken_at__lt=cutoff)
            .exclude(seq=latest)
            .delete()
        )
        oldest = Snapshot.objects.filter(cluster=locked).aggregate(m=Min("seq"))["m"]
        freed = 0
        # Writing never leaves an interval without a snapshot; only deleting snapshots does.
        for model in (ObjectVersion, ServiceSummary) if deleted else ():
            # Everything that closed at or before the oldest snapshot, plus intervals that fall
            # in a gap left by deleting snapshots out of seq order (imports with old times).
            covered = Snapshot.objects.filter(
                cluster=locked, seq__gte=OuterRef("first_seq"), seq__lt=OuterRef("last_seq")
            )
            stale = model.objects.filter(cluster=locked, last_seq__isnull=False)
            n, _ = stale.filter(last_seq__lte=oldest).delete()
            freed += n
            n, _ = stale.filter(~Exists(covered)).delete()
            freed += n
    logger.info("cluster %s: pruned %d snapshot(s) and %d interval(s)", locked.name, deleted, freed)
    return deleted
