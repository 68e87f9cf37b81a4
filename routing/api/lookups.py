"""Objects named by API URLs and query parameters, or 404 with a message naming what is missing."""

from rest_framework.exceptions import NotFound

from routing.models import Cluster, Snapshot


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
    rows = Snapshot.objects.select_related("cluster").filter(cluster__name=name)
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
