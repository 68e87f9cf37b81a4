"""Which volume each Service of a snapshot is costed with, and where it came from.

A manual volume (TrafficVolume, set by a person or a tool) wins over a measured one and says so.
Measured volumes come from the fetch in force while the snapshot was the cluster's state: the
newest fetch made before the next snapshot was taken (for the newest snapshot, the newest fetch),
so a past snapshot keeps the volumes it was costed with while new fetches cost the present.
"""

from datetime import datetime
from functools import cached_property
from typing import NamedTuple

from django.db import connection

from routing.models import Snapshot, TrafficVolume
from routing.volumes.models import MeasuredVolume, TrafficSource, VolumeFetch

Key = tuple[str, str]

MANUAL = "manual"
MEASURED = "measured"
SIMULATED = "simulated"  # the demo without Prometheus: the simulation's model, not a measurement


class Volume(NamedTuple):
    """A Service's volume and its provenance. A named tuple: a figure over 10,000 Services
    builds one per Service, three times faster than a frozen dataclass (docs/benchmarks.md)."""

    gb: float
    source: str  # manual | measured | simulated
    detail: str  # e.g. "Prometheus ..., cadvisor preset, rate over 7d" or the manual note
    at: datetime | None  # when it was fetched or set
    cross_zone: float | None = None  # measured share that crossed zones (sources naming zones)


def kind_of(fetch: VolumeFetch) -> str:
    return SIMULATED if fetch.preset == TrafficSource.Preset.SIMULATION else MEASURED


def state_columns(cluster: str, seq: str) -> str:
    """The volume state of the snapshot whose cluster id and seq are the SQL expressions
    `cluster` and `seq`, as three columns: the fetch in force (the newest made no later than
    the next snapshot was taken; any, for the newest snapshot), then the cluster's manual
    volumes: how many, and the last change. Shared by SnapshotVolumes.state and the API's
    one-query snapshot lookup (routing/api/lookups.py)."""
    fetches, snapshots = VolumeFetch._meta.db_table, Snapshot._meta.db_table
    manual = TrafficVolume._meta.db_table
    return f"""
  (SELECT f.id FROM {fetches} f
    WHERE f.cluster_id = {cluster}
      AND f.fetched_at <= COALESCE(
        (SELECT n.taken_at FROM {snapshots} n WHERE n.cluster_id = {cluster} AND n.seq > {seq}
          ORDER BY n.seq LIMIT 1),
        f.fetched_at)
    ORDER BY f.fetched_at DESC, f.id DESC LIMIT 1),
  (SELECT COUNT(*) FROM {manual} m WHERE m.cluster_id = {cluster}),
  (SELECT MAX(m.updated_at) FROM {manual} m WHERE m.cluster_id = {cluster})"""


_STATE_SQL = f"SELECT {state_columns('%(cluster)s', '%(seq)s')}"

State = tuple[int | None, int, object]


class SnapshotVolumes:
    """The volumes of one snapshot, each part read once (one query each) when first needed."""

    def __init__(self, snapshot: Snapshot, state: State | None = None):
        self.snapshot = snapshot
        if state is not None:  # already read with the snapshot (routing/api/lookups.py)
            self.__dict__["state"] = _normalised(state)

    @cached_property
    def state(self) -> State:
        """In one query: the id of the fetch whose volumes cost the snapshot (None: nothing
        measured before its end), how many manual volumes the cluster has, and when one last
        changed (as the database gives it: only compared, through stamp()).

        Plain SQL, compiled once: every cached API answer asks this first, and building the
        same query through the ORM took longer than running it (docs/benchmarks.md)."""
        snapshot = self.snapshot
        with connection.cursor() as cursor:
            cluster = snapshot.cluster_id
            cursor.execute(_STATE_SQL, {"cluster": cluster, "seq": snapshot.seq})
            row = cursor.fetchone()
        return _normalised(row if row is not None else (None, 0, None))

    @cached_property
    def fetch(self) -> VolumeFetch | None:
        fetch_id = self.state[0]
        return VolumeFetch.objects.filter(pk=fetch_id).first() if fetch_id is not None else None

    def any(self) -> bool:
        return self.state[0] is not None or self.state[1] > 0

    def stamp(self) -> str:
        """Changes whenever the volumes that cost the snapshot may have: for cache keys."""
        return volume_stamp(self.state)

    def get(self, keys: set[Key] | None = None) -> dict[Key, Volume]:
        """(namespace, name) -> Volume for the Services that have one (only `keys`, if given).
        All of them are read once per instance: a page's figures ask more than once."""
        return self._every if keys is None else self._read(keys)

    @cached_property
    def _every(self) -> dict[Key, Volume]:
        return self._read(None)

    def _read(self, keys: set[Key] | None) -> dict[Key, Volume]:
        out: dict[Key, Volume] = {}
        names = {name for _, name in keys} if keys is not None else None
        fetch = self.fetch
        if fetch is not None:
            measured = MeasuredVolume.objects.filter(fetch=fetch)
            if names is not None:
                measured = measured.filter(name__in=names)
            kind = kind_of(fetch)
            for ns, name, gb, cross in measured.values_list(
                "namespace", "name", "monthly_gb", "cross_zone_fraction"
            ):
                out[(ns, name)] = Volume(gb, kind, fetch.source, fetch.fetched_at, cross)
        if "state" not in self.__dict__ or self.state[1]:
            manual = TrafficVolume.objects.filter(cluster_id=self.snapshot.cluster_id)
            if names is not None:
                manual = manual.filter(name__in=names)
            for ns, name, amount, note, at in manual.values_list(
                "namespace", "name", "monthly_gb", "source", "updated_at"
            ):
                # The measured cross-zone share stays: it does not depend on the volume.
                cross = out[(ns, name)].cross_zone if (ns, name) in out else None
                out[(ns, name)] = Volume(float(amount), MANUAL, note or "set by hand", at, cross)
        if keys is not None:
            out = {key: volume for key, volume in out.items() if key in keys}
        return out


def volume_stamp(state: State) -> str:
    """A volume state (SnapshotVolumes.state) as a cache key's part."""
    fetch_id, count, at = state
    return f"{fetch_id or 0}:{count}:{at or 0}"


def _normalised(state: State) -> State:
    fetch_id, count, at = state
    return fetch_id, count or 0, at


def fetch_for(snapshot: Snapshot) -> VolumeFetch | None:
    return SnapshotVolumes(snapshot).fetch


def volumes_for(snapshot: Snapshot, keys: set[Key] | None = None) -> dict[Key, Volume]:
    return SnapshotVolumes(snapshot).get(keys)


def volume_for(
    snapshot: Snapshot, namespace: str, name: str, volumes: SnapshotVolumes | None = None
) -> Volume | None:
    """The Service's volume; `volumes`: the snapshot's, when the caller has them (their state
    read with the snapshot, routing/api/lookups.py: one query fewer)."""
    key = (namespace, name)
    return (volumes or SnapshotVolumes(snapshot)).get({key}).get(key)


def volume_json(volume: Volume) -> dict:
    """A volume's provenance as the API shows it beside a Service."""
    return {"source": volume.source, "detail": volume.detail, "at": volume.at}


def model_mismatch(volume: Volume | None, simulated: float, threshold: float) -> bool | None:
    """Whether a measured cross-zone share differs from the simulated one by more than
    `threshold`; None when no source measured it."""
    if volume is None or volume.cross_zone is None:
        return None
    return abs(volume.cross_zone - simulated) > threshold


def model_check(volume: Volume | None, simulated: float, threshold: float) -> dict | None:
    """The measured cross-zone share beside the simulated one, when a source measured it:
    flagged when they differ by more than `threshold` (hints not applied yet, node-local
    caches, traffic that does not go through the ClusterIP)."""
    if volume is None or volume.cross_zone is None:
        return None
    difference = volume.cross_zone - simulated
    return {
        "measuredCrossZoneFraction": volume.cross_zone,
        "simulatedCrossZoneFraction": simulated,
        "difference": difference,
        "threshold": threshold,
        "differs": abs(difference) > threshold,
        "source": volume.detail,
        "at": volume.at,
    }


def gb_by_service(cluster_id: int, snapshot: Snapshot | None) -> dict[Key, float]:
    """(namespace, name) -> monthly GB: the snapshot's volumes, or with no snapshot yet the
    manual ones (nothing measured can be attributed before the first snapshot)."""
    if snapshot is not None:
        return {key: volume.gb for key, volume in volumes_for(snapshot).items()}
    rows = TrafficVolume.objects.filter(cluster_id=cluster_id).values_list(
        "namespace", "name", "monthly_gb"
    )
    return {(ns, name): float(gb) for ns, name, gb in rows}
