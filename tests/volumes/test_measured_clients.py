"""clients=measured end to end: the simulated cluster's Istio and Beyla series scraped by a real
Prometheus; each Service's client zones from where its callers run (Istio's source workload) or
from the source zone itself (Beyla); a cluster set to `measured` re-analysed with them at once,
only where they moved, and its reports say which weighting each Service got."""

from collections import defaultdict

import pytest

from routing.figures.reports import service_detail
from routing.jobs.ingest import snapshot_now
from routing.kube.sim.traffic import LOADGEN, callers
from routing.models import Cluster, ServiceSummary, Snapshot
from routing.snapshots import objects_at, summaries_at, write_snapshot
from routing.volumes.models import MeasuredVolume
from routing.volumes.refresh import refresh

pytestmark = pytest.mark.django_db(transaction=True)


ZONE = "topology.kubernetes.io/zone"


def _pod_zones(snapshot: Snapshot) -> dict[tuple[str, str], dict[str, float]]:
    """The test's own reading of where each Deployment's pods run: (namespace, deployment) ->
    zone -> share of its pods (Deployment pods are named <deployment>-<template hash>-<x>)."""
    objects = objects_at(snapshot)
    zone = {
        o["metadata"]["name"]: o["metadata"]["labels"].get(ZONE, "")
        for o in objects
        if o["kind"] == "Node"
    }
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in objects:
        if o["kind"] != "Pod" or not (o.get("spec") or {}).get("nodeName"):
            continue
        meta = o["metadata"]
        template = (meta.get("labels") or {}).get("pod-template-hash")
        if not template:
            continue
        workload = meta["name"].rsplit(f"-{template}-", 1)[0]
        counts[(meta["namespace"], workload)][zone[o["spec"]["nodeName"]]] += 1
    return {
        key: {z: n / sum(by_zone.values()) for z, n in by_zone.items()}
        for key, by_zone in counts.items()
    }


def _expected_istio(snapshot: Snapshot, service: tuple[str, str]) -> dict[str, float] | None:
    """A Service's callers share its bytes evenly (the simulation's model); each caller's part
    goes to the zones of its pods. None when under half of its bytes come from placed callers."""
    placed = _pod_zones(snapshot)
    mine = callers(*service)
    known = [placed[c] for c in mine if c in placed]
    if len(known) < 0.5 * len(mine):
        return None
    out: dict[str, float] = defaultdict(float)
    for zones in known:
        for z, share in zones.items():
            out[z] += share / len(known)
    return dict(out)


def _stored_zones(cluster: Cluster) -> dict[tuple[str, str], dict[str, float] | None]:
    rows = MeasuredVolume.objects.filter(fetch__cluster=cluster)
    return {(ns, n): z for ns, n, z in rows.values_list("namespace", "name", "client_zones")}


def test_istio_places_each_service_s_bytes_where_its_callers_run(demo, sim):
    refresh(demo, preset_name="istio")
    stored = _stored_zones(demo)
    snapshot = demo.latest_snapshot()
    checked = 0
    for key in sim.traffic.rates():
        expected = _expected_istio(snapshot, key)
        if expected is None:
            assert stored[key] is None, key  # e.g. frontend: only loadgen, outside the cluster
            continue
        assert stored[key] == pytest.approx(expected, abs=0.01), key
        checked += 1
    assert checked >= 8
    assert callers("shop", "frontend") == (LOADGEN,) and stored[("shop", "frontend")] is None


def test_beyla_source_zones_are_the_measured_client_zones(demo, sim):
    refresh(demo, preset_name="beyla")
    stored = _stored_zones(demo)
    rates = sim.traffic.rates()
    for key, split in sim.traffic.splits().items():
        if rates.get(key, 0) <= 0:
            continue
        by_source: dict[str, float] = defaultdict(float)
        for source, _, share in split.zones:
            by_source[source] += share
        assert stored[key] == pytest.approx(dict(by_source), abs=0.02), key


def test_cadvisor_names_no_callers(demo):
    refresh(demo, preset_name="cadvisor")
    assert set(_stored_zones(demo).values()) == {None}


def test_a_measured_cluster_is_reanalysed_at_once_and_labels_each_service(demo, sim):
    Cluster.objects.filter(pk=demo.pk).update(clients=Cluster.Clients.MEASURED)
    demo.refresh_from_db()
    before = demo.latest_snapshot()
    found = refresh(demo, preset_name="istio")
    after = found.snapshot
    assert after is not None and after.seq == before.seq + 1
    assert after.source == Snapshot.Source.VOLUMES and after.changed_objects == 0
    assert after.client_zones_fetch == found.fetch.pk
    stored = _stored_zones(demo)
    catalog = service_detail(after, "shop", "catalog")["flows"]
    assert catalog["clientWeights"] == "measured"
    assert catalog["clientZoneWeights"] == pytest.approx(stored[("shop", "catalog")], abs=1e-3)
    frontend = service_detail(after, "shop", "frontend")["flows"]
    assert frontend["clientWeights"] == "cpu" and frontend["clientZoneWeights"] is None
    # Only Services with measured zones were re-analysed: frontend's summary row is the same.
    opened = set(
        ServiceSummary.objects.filter(cluster=demo, first_seq=after.seq).values_list(
            "namespace", "name"
        )
    )
    assert ("shop", "frontend") not in opened
    assert opened <= {key for key, zones in stored.items() if zones is not None}
    # ... and the incremental result equals a full re-analysis of the same objects.
    full = write_snapshot(demo, objects_at(after), source="manual", reanalyze_all=True)
    assert full.client_zones_fetch == found.fetch.pk
    assert list(summaries_at(full).values_list("content_hash", flat=True)) == list(
        summaries_at(after).values_list("content_hash", flat=True)
    )


def test_a_refresh_that_moves_nothing_writes_no_snapshot(demo):
    Cluster.objects.filter(pk=demo.pk).update(clients=Cluster.Clients.MEASURED)
    demo.refresh_from_db()
    assert refresh(demo, preset_name="cadvisor").snapshot is None  # no callers: no zones
    seq = demo.latest_snapshot().seq
    Cluster.objects.filter(pk=demo.pk).update(clients=Cluster.Clients.CPU)
    assert refresh(demo, preset_name="istio").snapshot is None  # not measured: nothing to do
    assert demo.latest_snapshot().seq == seq


def test_the_next_watch_snapshot_uses_the_measured_zones(demo):
    refresh(demo, preset_name="istio")  # while still CPU-weighted
    Cluster.objects.filter(pk=demo.pk).update(clients=Cluster.Clients.MEASURED)
    demo.refresh_from_db()
    snapshot = snapshot_now(demo)
    assert snapshot.client_zones_fetch is not None
    flows = service_detail(snapshot, "shop", "catalog")["flows"]
    assert flows["clientWeights"] == "measured"
