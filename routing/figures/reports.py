"""Full analysis reports for one Service of a stored snapshot.

Snapshots store each Service's report entry as it was analysed (proxy per zone plus the nodes
that differ), so reading one is a row fetch. The per-node form, and rows written before reports
were stored, are analysed on demand: a Service's report depends only on the Nodes, its own
Service object and EndpointSlices (and on Pods only when clients are weighted by Pods), so that is
all that is read, about a thousand small rows for a thousand-node cluster instead of the snapshot.
"""

import functools
import zlib
from typing import Any, Literal

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import Subquery, TextField
from django.db.models.functions import Cast

from routing import prepared
from routing.engine.model import SERVICE_NAME_LABEL
from routing.engine.service_entry import service_entry
from routing.fixes import add_fixes
from routing.models import ObjectVersion, ServiceSummary, Snapshot
from routing.options import cluster_options
from routing.snapshots import decode
from routing.snapshots.trim import KINDS
from routing.volumes.lookup import SnapshotVolumes, model_check, volume_for, volume_json
from routing.workloads import KINDS as WORKLOAD_KINDS


def _objects(snapshot: Snapshot, **filters: Any) -> list[dict[str, Any]]:
    rows = ObjectVersion.objects.at(snapshot.cluster_id, snapshot.seq).filter(**filters)
    return [decode(data) for data in rows.values_list("data", flat=True).iterator(chunk_size=2000)]


def service_objects(snapshot: Snapshot, namespace: str, name: str, *, pods: bool) -> list[dict]:
    """The objects a Service's analysis reads at `snapshot` (kubectl-shaped, trimmed)."""
    services = _objects(snapshot, kind="Service", namespace=namespace, name=name)
    if not services:
        return []
    # Slices are matched by their service-name label, as kube-proxy does; the name is not enough
    # (hand-made and mirrored slices are named freely), so the namespace's slices are decoded.
    slices = [
        s
        for s in _objects(snapshot, kind="EndpointSlice", namespace=namespace)
        if ((s.get("metadata") or {}).get("labels") or {}).get(SERVICE_NAME_LABEL) == name
    ]
    found = _objects(snapshot, kind="Node") + services + slices
    if pods:
        found += _objects(snapshot, kind="Pod")
    found.sort(key=lambda o: KINDS.index(o["kind"]))
    return found


def _owners(snapshot: Snapshot, namespace: str, have_pods: bool) -> list[dict]:
    """What names the workload behind a Service's Pods (routing.fixes.owners): the namespace's
    apps/v1 objects, and its Pods unless the analysis has every Pod already."""
    kinds = [*WORKLOAD_KINDS, *(() if have_pods else ("Pod",))]
    return _objects(snapshot, kind__in=kinds, namespace=namespace)


ProxyDetail = Literal["zones", "nodes"]


def service_detail(
    snapshot: Snapshot,
    namespace: str,
    name: str,
    *,
    proxy: ProxyDetail = "zones",
    volumes: SnapshotVolumes | None = None,
) -> dict[str, Any] | None:
    """The report entry (docs/analysis-report.md) for one Service, or None if it is not there.

    `proxy="zones"` gives kube-proxy's behaviour per zone plus the nodes that differ (stored);
    `"nodes"` one entry per node (analysed now). The Service's traffic volume, when one is set,
    fills in the monthly figures, as `analyze --monthly-gb` would; `volumes` are the snapshot's
    when the caller has them (their state read with the snapshot: one query fewer).
    """
    entry: dict[str, Any] | None = None
    if proxy == "zones":
        entry = stored_report(snapshot, namespace, name)
        if entry == {}:
            return None
    if entry is None:
        entry = analyzed_report(snapshot, namespace, name, proxy)
    if not entry:
        return None
    volume = volume_for(snapshot, namespace, name, volumes)
    if volume is not None:  # without one the entry is the engine's own (monthly figures null)
        with_volume(entry, volume.gb)
        entry["cost"]["volume"] = volume_json(volume)
        threshold = settings.TRAFFICLENS_MODEL_MISMATCH
        check = model_check(volume, entry["flows"]["crossZoneFraction"], threshold)
        if check is not None:
            entry["modelCheck"] = check
    return entry


def with_volume(entry: dict[str, Any], gb: float) -> dict[str, Any]:
    """Set a report entry's monthly figures for `gb` GB a month (the engine's own arithmetic).

    Stored reports are written without volumes, which change between snapshots; the figures are
    per-GB ones times the volume, so they are filled in when read.
    """
    entry["cost"]["monthlyGb"] = gb
    entry["cost"]["monthlyCost"] = entry["cost"]["costPerGb"] * gb
    for outcome in entry["whatIf"].values():
        outcome["monthlyCost"] = outcome["costPerGb"] * gb
    if entry.get("recommendation"):
        entry["recommendation"]["monthlySaved"] = entry["recommendation"]["costPerGbSaved"] * gb
    for fix in entry.get("fixes") or ():
        fix["monthlySaved"] = fix["costPerGbSaved"] * gb
    return entry


def stored_report(snapshot: Snapshot, namespace: str, name: str) -> dict[str, Any] | None:
    """The entry stored with the snapshot: {} when the Service is not in the snapshot; None
    when its row has no stored report (written before reports were stored)."""
    row = _report_statement(connection.vendor).fetch(
        one=True,
        snapshot=snapshot.pk,
        cluster=snapshot.cluster_id,
        seq=snapshot.seq,
        namespace=namespace,
        name=name,
    )
    if row is None:
        return {}
    report, cluster_json = row
    cluster = orjson.loads(cluster_json) if cluster_json is not None else None
    if report is None or not cluster:
        return None
    entry: dict[str, Any] = orjson.loads(zlib.decompress(report))
    entry["cluster"] = cluster
    return entry


@functools.cache
def _report_statement(vendor: str) -> prepared.Statement:
    """The Service's stored report with its snapshot's cluster section (as JSON text), in one
    prepared statement: the Service detail's query, built and compiled by the ORM per request,
    cost more than PostgreSQL spent on it (docs/benchmarks.md)."""
    # Stand-ins in the columns' ranges: the ORM compiles a lookup that no row can match (a
    # negative seq) as an empty result, without SQL.
    cluster, seq, snapshot = 2_147_483_001, 2_147_483_002, 2_147_483_003
    cluster_section = Snapshot.objects.filter(pk=snapshot).order_by().values("cluster_report")
    rows = (
        ServiceSummary.objects.at(cluster, seq)
        .filter(namespace="\x00namespace", name="\x00name")
        .order_by()
        .annotate(cluster_json=Cast(Subquery(cluster_section), TextField()))
        .values_list("report", "cluster_json")
    )
    return prepared.compiled(
        rows,
        cluster=cluster,
        seq=seq,
        snapshot=snapshot,
        namespace="\x00namespace",
        name="\x00name",
    )


def analyzed_report(
    snapshot: Snapshot, namespace: str, name: str, proxy: ProxyDetail
) -> dict[str, Any] | None:
    """The entry analysed now from the snapshot's stored objects."""
    options = cluster_options(
        snapshot.cluster,
        clients_fetch=snapshot.client_zones_fetch,
        proxy_detail=proxy,
        services=frozenset({(namespace, name)}),
    )
    objects = service_objects(snapshot, namespace, name, pods=options.clients == "pods")
    entry = service_entry(objects, options) if objects else None
    if entry is not None:  # as the stored report has them
        report = {"cluster": entry["cluster"], "services": [entry]}
        add_fixes(
            report, objects + _owners(snapshot, namespace, options.clients == "pods"), options
        )
    return entry
