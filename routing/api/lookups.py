"""Objects named by API URLs and query parameters, or 404 with a message naming what is missing."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Subquery
from rest_framework.exceptions import NotFound

from routing import prepared
from routing.api.columns import aware_datetime
from routing.models import Cluster, Snapshot
from routing.volumes.lookup import State, state_columns


def cluster_not_found(name: str) -> NotFound:
    """The 404 of a cluster that does not exist, or that the user may not see: the same one."""
    return NotFound(f"There is no cluster named {name!r}.")


def get_cluster(name: str) -> Cluster:
    cluster = Cluster.objects.filter(name=name).first()
    if cluster is None:
        raise cluster_not_found(name)
    return cluster


def get_snapshot(cluster: Cluster, seq: int) -> Snapshot:
    snapshot = Snapshot.objects.filter(cluster=cluster, seq=seq).first()
    if snapshot is None:
        raise NotFound(f"Cluster {cluster.name!r} has no snapshot {seq}.")
    snapshot.cluster = cluster  # already loaded; saves a query wherever it is read
    return snapshot


def snapshot_or_latest(cluster: Cluster, seq: int | None) -> Snapshot | None:
    """Snapshot `seq` (404 if absent) or, without one, the newest (None before the first)."""
    if seq is not None:
        return get_snapshot(cluster, seq)
    snapshot = Snapshot.objects.filter(cluster=cluster).order_by("-seq").first()
    if snapshot is not None:
        snapshot.cluster = cluster
    return snapshot


def cluster_and_snapshot(name: str, seq: int | None) -> tuple[Cluster, Snapshot | None]:
    """The cluster named `name` and its snapshot `seq` (or newest) in one query on the hot paths.

    The same answers and 404s as get_cluster + snapshot_or_latest, which run only on a miss to
    tell a missing cluster from a missing snapshot.
    """
    # The cluster's id first, as in _ref_sql: filtered by the joined name, PostgreSQL read and
    # sorted every snapshot of the cluster (each wide, with its cluster report) to find the
    # newest; by the id, it is the first entry of the (cluster, seq) index read backwards.
    cluster_id = Subquery(Cluster.objects.filter(name=name).values("pk"))
    rows = Snapshot.objects.select_related("cluster").filter(cluster_id=cluster_id)
    if seq is not None:
        rows = rows.filter(seq=seq)
    snapshot = rows.order_by("-seq").first()
    if snapshot is not None:
        return snapshot.cluster, snapshot
    cluster = get_cluster(name)
    return cluster, snapshot_or_latest(cluster, seq)


def cluster_and_existing_snapshot(name: str, seq: int | None) -> tuple[Cluster, Snapshot]:
    """Like cluster_and_snapshot, but 404 while the cluster has no snapshot yet."""
    cluster, snapshot = cluster_and_snapshot(name, seq)
    return cluster, _required(cluster, snapshot)


def existing_snapshot(cluster: Cluster, seq: int | None) -> Snapshot:
    """Like snapshot_or_latest, but 404 while the cluster has no snapshot yet."""
    return _required(cluster, snapshot_or_latest(cluster, seq))


def _required(cluster: Cluster, snapshot: Snapshot | None) -> Snapshot:
    if snapshot is None:
        raise NotFound(f"Cluster {cluster.name!r} has no snapshot yet.")
    return snapshot


def check_service_key(namespace: str, name: str) -> None:
    """404 for a namespace or name no Service can have (and no column can hold: too long, NUL)."""
    for part in (namespace, name):
        if len(part) > 253 or "\x00" in part:
            raise NotFound(f"There is no Service {namespace!r}/{name!r}.")


@dataclass(frozen=True, slots=True)
class SnapshotRef:
    """What a cached answer's key needs of a snapshot, read in one query (`snapshot_ref`)."""

    id: int
    seq: int
    created_at: datetime
    cluster_id: int
    volume_state: State  # routing.volumes.lookup.SnapshotVolumes.state
    # The cluster's severity threshold (routing.figures.health): answers that colour by it
    # depend on it, so their cache keys carry it.
    cross_zone_alert: float = 0.5
    taken_at: datetime | None = None

    def load(self) -> Snapshot:
        """The snapshot with its cluster, for computing an answer that was not cached."""
        return Snapshot.objects.select_related("cluster").get(pk=self.id)

    def partial(self) -> Snapshot:
        """The snapshot as far as this lookup read it (id, cluster id, seq, when taken and
        stored), without another query: a Services list page reads no more of it. Any other
        field is deferred, so reading one (or the cluster) loads it as Django does."""
        known = {
            "id": self.id,
            "cluster_id": self.cluster_id,
            "seq": self.seq,
            "taken_at": self.taken_at,
            "created_at": self.created_at,
        }
        # from_db takes the values in the model's field order.
        names = [f.attname for f in Snapshot._meta.concrete_fields if f.attname in known]
        return Snapshot.from_db(connection.alias, names, [known[n] for n in names])


def _ref_sql(with_seq: bool) -> str:
    snapshots, clusters = Snapshot._meta.db_table, Cluster._meta.db_table
    seq = "AND s.seq = %(seq)s" if with_seq else ""
    # The cluster's id is looked up first, so that the newest snapshot is the first entry of
    # the (cluster, seq) index read backwards. Filtered through the join on the name instead,
    # PostgreSQL read every snapshot of the cluster, sorted them and worked out the volume
    # state of each (1.4 ms at 315 snapshots, growing by the snapshot: a watcher writing every
    # 5 s keeps 500,000 over 30 days); this is 0.08 ms at any count (docs/benchmarks.md).
    return (
        f"SELECT s.id, s.seq, s.created_at, s.cluster_id, c.cross_zone_alert, s.taken_at, "
        f"{state_columns('s.cluster_id', 's.seq')} "
        f"FROM {snapshots} s JOIN {clusters} c ON c.id = s.cluster_id "
        f"WHERE s.cluster_id = (SELECT id FROM {clusters} WHERE name = %(name)s) {seq} "
        f"ORDER BY s.seq DESC LIMIT 1"
    )


_REF_SQL = {True: _ref_sql(True), False: _ref_sql(False)}


def snapshot_ref(name: str, seq: int | None) -> SnapshotRef | None:
    """Snapshot `seq` (or the newest) of the cluster named `name` with its volume state, in one
    round trip of plain SQL; None when there is no such snapshot (the caller then asks
    cluster_and_snapshot, which tells a missing cluster from a missing snapshot).

    The cached answers (flow map, Services list, recommendations) start here: on a cache hit this
    and the token are the request's only queries, and the ORM took longer to build this query
    than the database to run it (docs/benchmarks.md)."""
    row = prepared.fetch(_REF_SQL[seq is not None], {"name": name, "seq": seq}, one=True)
    if row is None:
        return None
    pk, number, created_at, cluster_id, alert, taken_at, *state = row
    created = aware_datetime(created_at)
    assert created is not None  # NOT NULL column
    fetch_id, count, changed = state
    volume_state = (fetch_id, count or 0, changed)
    taken = aware_datetime(taken_at)
    return SnapshotRef(pk, number, created, cluster_id, volume_state, alert, taken)


def existing_ref(name: str, seq: int | None) -> SnapshotRef:
    """Like snapshot_ref, but a 404 naming what is missing (the cluster, the snapshot) instead
    of None."""
    ref = snapshot_ref(name, seq)
    if ref is None:
        cluster_and_existing_snapshot(name, seq)  # raises the 404
        ref = snapshot_ref(name, seq)  # the first snapshot landed between the two queries
        if ref is None:  # ... and was pruned again: as good as never there
            raise NotFound(f"Cluster {name!r} has no snapshot yet.")
    return ref
