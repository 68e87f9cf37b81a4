"""Read a snapshot back: its objects and its Service summaries."""

import orjson
from django.db.models import QuerySet

from routing.models import ObjectVersion, ServiceSummary, Snapshot
from routing.snapshots.packing import unpack_object
from routing.snapshots.trim import KINDS

_KIND_RANK = {kind: i for i, kind in enumerate(KINDS)}


def decode(data: bytes | memoryview) -> dict:
    """A stored ObjectVersion.data back to the trimmed object."""
    return orjson.loads(unpack_object(data))


def objects_at(snapshot: Snapshot) -> list[dict]:
    """The snapshot's objects (trimmed, kubectl-shaped): Nodes, Services, slices, Pods by name."""
    rows = ObjectVersion.objects.at(snapshot.cluster_id, snapshot.seq).values_list(
        "kind", "namespace", "name", "data"
    )
    # Sorted here rather than by the database, whose collation would make the order vary.
    keyed = [
        ((_KIND_RANK[kind], namespace, name), data)
        for kind, namespace, name, data in rows.iterator(chunk_size=2000)
    ]
    keyed.sort(key=lambda pair: pair[0])
    return [decode(data) for _, data in keyed]


def summaries_at(snapshot: Snapshot) -> QuerySet[ServiceSummary]:
    """The snapshot's per-Service summaries, by namespace and name."""
    return ServiceSummary.objects.at(snapshot.cluster_id, snapshot.seq).order_by(
        "namespace", "name"
    )
