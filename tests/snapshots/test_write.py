"""write_snapshot / import_dump / objects_at: storage proportional to change, all or nothing."""

import hashlib
import zlib

import orjson
import pytest
from django.db import connection
from django.db.models import QuerySet

from routing import snapshots
from routing.engine import InputError, Options, analyze_cluster, build_cluster, load_bytes
from routing.models import Cluster, ObjectVersion, ServiceSummary, Snapshot
from routing.snapshots import import_dump, objects_at, summaries_at, trim, write_snapshot
from routing.snapshots import store as snapshot_store
from routing.snapshots import write as snapshot_write
from routing.snapshots.trim import trim_object

from .builders import changed, endpoint, endpoint_slice, find, service, small_cluster

pytestmark = pytest.mark.django_db


def rows() -> tuple[int, int, int]:
    return Snapshot.objects.count(), ObjectVersion.objects.count(), ServiceSummary.objects.count()


def test_import_stores_each_object_once_with_the_engine_figures(cluster, demo_bytes):
    snap = import_dump(cluster, demo_bytes)
    report = analyze_cluster(build_cluster(load_bytes(demo_bytes)), Options(proxy_detail="zones"))
    services = report["services"]
    assert (snap.seq, snap.source, snap.status) == (1, "upload", "complete")
    assert (snap.nodes, snap.services, snap.endpoint_slices, snap.pods) == (10, 12, 12, 0)
    assert snap.endpoints == 54
    assert snap.changed_objects == 34 == ObjectVersion.objects.count()
    assert ServiceSummary.objects.count() == len(services) == 12
    mean = sum(s["flows"]["crossZoneFraction"] for s in services) / len(services)
    assert snap.cross_zone_fraction == pytest.approx(mean)
    assert snap.cost_per_gb_mean == pytest.approx(
        sum(s["cost"]["costPerGb"] for s in services) / len(services)
    )
    flagged = [s for s in services if any(d["severity"] != "info" for d in s["diagnostics"])]
    assert snap.services_with_diagnostics == len(flagged)
    checkout = summaries_at(snap).get(namespace="shop", name="checkout")
    engine = next(s for s in services if s["name"] == "checkout")
    assert checkout.policy == "PreferSameZone"
    assert checkout.mechanism == "trafficDistribution"
    assert checkout.cross_zone_fraction == engine["flows"]["crossZoneFraction"]
    assert checkout.cost_per_gb == engine["cost"]["costPerGb"]
    assert checkout.matrix == engine["flows"]["matrix"]
    assert checkout.diagnostics == engine["diagnostics"]
    assert set(checkout.what_if) == {"none", "PreferSameZone", "PreferSameNode", "Auto"}
    assert summaries_at(snap).get(name="payments").policy == "Auto"
    assert summaries_at(snap).get(name="catalog").policy == "none"
    assert summaries_at(snap).get(name="catalog").recommendation is not None
    assert cluster.latest_snapshot() == snap


def test_objects_at_gives_the_trimmed_objects_back(cluster, demo_objects):
    snap = write_snapshot(cluster, demo_objects, source="manual")
    stored = objects_at(snap)
    assert [o["kind"] for o in stored] == sorted(
        (o["kind"] for o in demo_objects), key=snapshots.KINDS.index
    )
    expected = sorted(
        (trim_object(o) for o in demo_objects),
        key=lambda o: (
            snapshots.KINDS.index(o["kind"]),
            o["metadata"].get("namespace", ""),
            o["metadata"]["name"],
        ),
    )
    assert stored == expected
    # Analysing the stored objects gives the same report as the original dump.
    options = Options(proxy_detail="zones")
    again = analyze_cluster(build_cluster([("items", i, o) for i, o in enumerate(stored)]), options)
    original = analyze_cluster(
        build_cluster([("items", i, o) for i, o in enumerate(demo_objects)]), options
    )
    assert again == original


def test_an_identical_snapshot_adds_only_the_snapshot_row(cluster, demo_bytes):
    import_dump(cluster, demo_bytes)
    before = rows()
    second = import_dump(cluster, demo_bytes)
    assert second.seq == 2
    assert second.changed_objects == 0
    assert rows() == (before[0] + 1, before[1], before[2])
    assert objects_at(second) == objects_at(Snapshot.objects.get(seq=1))


def test_volatile_fields_and_order_are_not_changes(cluster, demo_objects):
    write_snapshot(cluster, demo_objects, source="watch")
    noisy = changed(demo_objects)[::-1]
    for obj in noisy:
        meta = obj["metadata"]
        meta["resourceVersion"] = "999"
        meta["managedFields"] = [{"manager": "kubelet"}]
        meta["generation"] = 42
        meta["uid"] = "changed-uid"
        if obj["kind"] == "Node":
            for cond in obj["status"]["conditions"]:
                cond["lastHeartbeatTime"] = "2030-01-01T00:00:00Z"
            obj["status"]["nodeInfo"] = {"kubeletVersion": "v1.34.0"}
        if obj["kind"] == "Service":
            meta.setdefault("annotations", {})[trim._LAST_APPLIED] = '{"spec": {}}'
    snap = write_snapshot(cluster, noisy, source="watch")
    assert snap.changed_objects == 0
    assert ObjectVersion.objects.count() == 34
    assert ServiceSummary.objects.count() == 12


def test_one_changed_service_opens_one_version_and_closes_the_old(cluster, demo_objects):
    first = write_snapshot(cluster, demo_objects, source="watch")
    edited = changed(demo_objects)
    find(edited, "Service", "catalog")["spec"]["trafficDistribution"] = "PreferSameZone"
    versions, summaries = ObjectVersion.objects.count(), ServiceSummary.objects.count()
    second = write_snapshot(cluster, edited, source="watch")

    assert second.changed_objects == 2  # one closed, one opened
    assert ObjectVersion.objects.count() == versions + 1
    old, new = ObjectVersion.objects.filter(kind="Service", name="catalog").order_by("first_seq")
    assert (old.first_seq, old.last_seq, new.first_seq, new.last_seq) == (1, 2, 2, None)
    assert ObjectVersion.objects.filter(last_seq__isnull=False).count() == 1
    # Only catalog's analysis changed: one summary closed, one opened.
    assert ServiceSummary.objects.count() == summaries + 1
    closed = ServiceSummary.objects.get(last_seq__isnull=False)
    assert (closed.name, closed.first_seq, closed.last_seq) == ("catalog", 1, 2)
    assert summaries_at(second).get(name="catalog").policy == "PreferSameZone"
    assert summaries_at(first).get(name="catalog").policy == "none"
    assert summaries_at(first).count() == summaries_at(second).count() == 12

    # The first snapshot still reads the object as it was.
    def catalog(snap):
        return find(objects_at(snap), "Service", "catalog")

    assert "trafficDistribution" not in catalog(first)["spec"]
    assert catalog(second)["spec"]["trafficDistribution"] == "PreferSameZone"
    # A third snapshot reverting the change opens a third version; the second closes.
    third = write_snapshot(cluster, demo_objects, source="watch")
    assert catalog(third) == catalog(first)
    assert catalog(second)["spec"]["trafficDistribution"] == "PreferSameZone"


def test_removed_and_added_objects(cluster):
    objs = small_cluster()
    first = write_snapshot(cluster, objs, source="watch")
    later = [o for o in changed(objs) if o["metadata"]["name"] not in ("api", "api-x")]
    later += [service("db"), endpoint_slice("db", [endpoint("10.3.0.1", "n-b", "us-east-1b")])]
    second = write_snapshot(cluster, later, source="watch")
    assert second.changed_objects == 4  # api and its slice closed, db and its slice opened
    names = {o["metadata"]["name"] for o in objects_at(second)}
    assert {"db", "db-x"} <= names and not {"api", "api-x"} & names
    assert {"api", "api-x"} <= {o["metadata"]["name"] for o in objects_at(first)}
    assert [s.name for s in summaries_at(second)] == ["db", "web"]
    assert [s.name for s in summaries_at(first)] == ["api", "web"]
    empty = write_snapshot(cluster, [], source="watch")
    assert objects_at(empty) == [] and not summaries_at(empty).exists()
    assert empty.cross_zone_fraction is None and empty.services == 0
    assert len(objects_at(first)) == len(objs)


def test_duplicates_last_wins_and_other_kinds_are_ignored(cluster):
    objs = small_cluster()
    web = changed([find(objs, "Service", "web")])[0]
    web["spec"]["trafficDistribution"] = "PreferSameNode"
    extra = {"kind": "ConfigMap", "metadata": {"name": "x", "namespace": "shop"}}
    snap = write_snapshot(cluster, [*objs, web, extra], source="watch")
    assert snap.services == 2 and ObjectVersion.objects.count() == len(objs)
    assert find(objects_at(snap), "Service", "web")["spec"]["trafficDistribution"] == (
        "PreferSameNode"
    )
    assert summaries_at(snap).get(name="web").policy == "PreferSameNode"


def test_seqs_are_per_cluster(cluster):
    other = Cluster.objects.create(name="other", source=Cluster.Source.SIMULATED)
    assert write_snapshot(cluster, small_cluster(), source="watch").seq == 1
    assert write_snapshot(other, small_cluster(), source="watch").seq == 1
    assert write_snapshot(cluster, small_cluster(), source="watch").seq == 2
    # Versions are per cluster: the other cluster's identical objects are its own rows.
    assert ObjectVersion.objects.filter(cluster=other).count() == len(small_cluster())
    assert isinstance(summaries_at(cluster.latest_snapshot()), QuerySet)


def test_cluster_prices_and_provider_reach_the_engine(cluster):
    cluster.price_cross_zone = "0.05"
    cluster.save()
    objs = small_cluster(hinted=False)
    snap = write_snapshot(cluster, objs, source="manual")
    web = summaries_at(snap).get(name="web")
    assert web.cost_per_gb == pytest.approx(web.cross_zone_fraction * 0.05)
    cluster.provider = Cluster.Provider.AZURE  # no charge between zones
    cluster.price_cross_zone = None
    cluster.save()
    again = write_snapshot(cluster, objs, source="manual")
    assert summaries_at(again).get(name="web").cost_per_gb == 0.0
    # New prices change the summaries, not the stored objects.
    assert again.changed_objects == 0
    assert ServiceSummary.objects.filter(first_seq=2).count() == 2


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"kind": "Service", "metadata": {"name": "s", "namespace": "shop"}}, "has no spec"),
        ({"kind": "Node", "metadata": {"labels": {}}}, "metadata.name is missing"),
        ({"kind": "Pod", "metadata": "pod"}, "metadata must be an object"),
        ({"kind": "Pod", "metadata": {"name": "p", "namespace": 7}}, "namespace must be"),
        ({"kind": "Node", "metadata": {"name": "n" * 254}}, "longer than 253"),
        ({"metadata": {"name": "x"}}, "has no kind"),
        ("not an object", "is not a Kubernetes object"),
        (endpoint_slice("web", [{"addresses": []}]), "addresses must be a non-empty list"),
        ({"kind": "Pod", "metadata": {"name": "p", "labels": {"a": b"\0"}}}, "stored as JSON"),
    ],
)
def test_malformed_input_stores_nothing(cluster, bad, message):
    write_snapshot(cluster, small_cluster(), source="watch")
    before = rows()
    with pytest.raises(InputError, match=message) as info:
        write_snapshot(cluster, [*small_cluster(hinted=False), bad], source="watch")
    assert "\n" not in str(info.value)
    meta = bad.get("metadata") if isinstance(bad, dict) else None
    if not isinstance(meta, dict) or "name" not in meta:
        assert "items[7]" in str(info.value)  # no name: where it was in the caller's list
    assert rows() == before
    assert ObjectVersion.objects.filter(last_seq__isnull=False).count() == 0


def test_a_bad_dump_stores_nothing(cluster):
    with pytest.raises(InputError, match="not valid JSON"):
        import_dump(cluster, b'{"kind": "List", "items": [')
    with pytest.raises(InputError, match="document 2"):
        import_dump(cluster, b"kind: Node\nmetadata: {name: a}\n---\nkind: Service\nmetadata: {}\n")
    assert rows() == (0, 0, 0)


def test_unknown_source_is_refused(cluster):
    with pytest.raises(ValueError, match="source"):
        write_snapshot(cluster, [], source="cron")


def test_trim_object_keeps_what_routing_reads():
    full = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "labels": {"app": "web"},
            "uid": "u",
            "resourceVersion": "5",
            "ownerReferences": [{"kind": "ReplicaSet"}],
            "deletionTimestamp": "2025-06-01T12:00:00Z",
        },
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "web:1"}]},
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.1",
            "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": "t"},
                {"type": "PodScheduled", "status": "True"},
            ],
            "containerStatuses": [{"restartCount": 3}],
        },
    }
    assert trim_object(full) == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "namespace": "default",
            "labels": {"app": "web"},
            "ownerReferences": [{"kind": "ReplicaSet"}],  # who owns it (routing.workloads)
            "deletionTimestamp": "2025-06-01T12:00:00Z",
        },
        "spec": {"nodeName": "n1"},
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.1",
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }
    slice_ = endpoint_slice("web", [endpoint("10.0.0.1", "n1", "z", hint="z")])
    ep = trim_object(slice_)["endpoints"][0]
    assert ep["targetRef"] == {"name": "pod-10.0.0.1"}
    assert ep["hints"] == {"forZones": [{"name": "z"}]}
    assert "generation" not in trim_object(slice_)["metadata"]
    svc = service("web", annotations={trim._LAST_APPLIED: "{}", "team": "a"})
    svc["spec"]["sessionAffinity"] = "None"
    svc["status"] = {"loadBalancer": {}}
    trimmed = trim_object(svc)
    assert trimmed["metadata"]["annotations"] == {"team": "a"}
    assert "sessionAffinity" not in trimmed["spec"] and "status" not in trimmed
    with pytest.raises(ValueError, match="ConfigMap"):
        trim_object({"kind": "ConfigMap"})
    # Values of the wrong type are kept as they are, for the engine to report.
    assert trim_object({"kind": "Node", "metadata": "x", "status": []}) == {
        "kind": "Node",
        "metadata": "x",
        "status": [],
    }


def test_stored_data_is_canonical_json_compressed_unless_small(cluster):
    objs = small_cluster()
    find(objs, "Service", "web")["metadata"]["annotations"] = {"note": "x" * 400}
    write_snapshot(cluster, objs, source="watch")
    large = ObjectVersion.objects.get(kind="Service", name="web")
    small = ObjectVersion.objects.get(kind="Service", name="api")
    for data, stored_as_is in ((large.data, False), (small.data, True)):
        raw = bytes(data) if stored_as_is else zlib.decompress(data)
        assert raw == orjson.dumps(orjson.loads(raw), option=orjson.OPT_SORT_KEYS)
    assert large.content_hash == hashlib.sha256(zlib.decompress(large.data)).hexdigest()
    assert small.content_hash == hashlib.sha256(small.data).hexdigest()
    version = large
    assert version.namespace == "shop"
    assert ObjectVersion.objects.get(kind="Node", name="n-a").namespace == ""


def test_on_commit_hooks_run_only_after_commit(cluster, django_capture_on_commit_callbacks):
    seen = []
    snapshots.on_snapshot_committed.append(seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            snap = write_snapshot(cluster, small_cluster(), source="watch")
        assert seen == [snap]
    finally:
        snapshots.on_snapshot_committed.remove(seen.append)


@pytest.mark.django_db(transaction=True)
def test_broadcast_after_commit_and_a_failing_hook_does_not_stop_the_others(caplog):
    cluster = Cluster.objects.create(name="tx", source=Cluster.Source.UPLOAD)
    seen = []

    def broken(snapshot):
        raise RuntimeError("boom")

    def check(snapshot):
        # Runs after commit: a new connection-level query sees the row.
        seen.append(Snapshot.objects.filter(pk=snapshot.pk).exists())

    snapshots.on_snapshot_committed[:0] = [broken, check]
    try:
        write_snapshot(cluster, small_cluster(), source="watch")
        with pytest.raises(InputError):
            write_snapshot(cluster, [{"kind": "Node", "metadata": {}}], source="watch")
    finally:
        snapshots.on_snapshot_committed.remove(broken)
        snapshots.on_snapshot_committed.remove(check)
    assert seen == [True]  # once: the failed write committed nothing and told no one
    assert "boom" in caplog.text


def breaking_after(n: int, rows):
    """`rows`, but the stream breaks after `n` were taken."""
    for i, row in enumerate(rows):
        if i == n:
            raise RuntimeError("disk full")
        yield row


@pytest.mark.django_db(transaction=True)
def test_a_failure_mid_write_leaves_nothing(monkeypatch):
    from benchmarks.gen_cluster import generate

    cluster = Cluster.objects.create(name="tx", source=Cluster.Source.UPLOAD)
    items = generate(services=20, endpoints=2500, nodes=6, zones=3, seed=2, pods=True)["items"]
    assert len(items) > 2 * snapshots.BATCH_SIZE
    # The summaries go through _insert (bulk_create on SQLite, one streamed COPY on
    # PostgreSQL): let the object versions reach the database, then fail in the middle of the
    # summaries' stream, after some of them were sent.
    original = snapshot_store._insert
    versions_in = []

    def summaries_breaking(model, columns, new_rows):
        if model is not ServiceSummary:  # SQLite's object versions (beside.py)
            return original(model, columns, new_rows)
        versions_in.append(ObjectVersion.objects.count())  # written, in the transaction
        return original(model, columns, breaking_after(5, new_rows))

    monkeypatch.setattr(snapshot_store, "_insert", summaries_breaking)
    seen = []
    snapshots.on_snapshot_committed.append(seen.append)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            write_snapshot(cluster, items, source="watch")
    finally:
        snapshots.on_snapshot_committed.remove(seen.append)
    assert versions_in and versions_in[0] > 2 * snapshots.BATCH_SIZE
    assert rows() == (0, 0, 0)
    assert seen == []
    monkeypatch.undo()
    # Same with an earlier snapshot in place: the versions it had closed open again.
    write_snapshot(cluster, items, source="watch")
    before = rows()
    for pod in (o for o in items if o["kind"] == "Pod"):
        pod["metadata"]["labels"] = {"restarted": "yes"}
    # (Pods' labels change no summary: the break is in the new versions' stream, after the
    # versions the Pods had are closed.)
    close_versions = snapshot_write._close_versions
    closed_first = []

    def closed_then_breaking(*args):
        new, closed = close_versions(*args)
        closed_first.append(ObjectVersion.objects.filter(last_seq__isnull=False).count())
        return breaking_after(5, new), closed

    monkeypatch.setattr(snapshot_write, "_close_versions", closed_then_breaking)
    with pytest.raises(RuntimeError, match="disk full"):
        write_snapshot(cluster, items, source="watch")
    assert closed_first and closed_first[0] > 2 * snapshots.BATCH_SIZE
    assert rows() == before
    assert not ObjectVersion.objects.filter(last_seq__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_consecutive_seqs():
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks across connections: PostgreSQL only (SQLite has one writer)")
    import threading

    from django.db import connections

    cluster = Cluster.objects.create(name="busy", source=Cluster.Source.SIMULATED)
    variants = []
    for i in range(6):
        objs = small_cluster(hinted=i % 2 == 0)
        find(objs, "Service", "api")["metadata"]["labels"] = {"round": str(i)}
        variants.append(objs)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def writer(batch):
        try:
            barrier.wait()
            for objs in batch:
                write_snapshot(cluster, objs, source="watch")
        except BaseException as exc:  # noqa: BLE001 - whatever it is, the main thread reports it
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(variants[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert list(Snapshot.objects.filter(cluster=cluster).values_list("seq", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    # Intervals stay consistent: exactly one open version per object, none overlapping.
    keys = ObjectVersion.objects.filter(cluster=cluster).values_list("kind", "namespace", "name")
    for key in set(keys):
        versions = list(
            ObjectVersion.objects.filter(
                cluster=cluster, kind=key[0], namespace=key[1], name=key[2]
            ).order_by("first_seq")
        )
        assert versions[-1].last_seq is None
        for a, b in zip(versions, versions[1:], strict=False):
            assert a.last_seq == b.first_seq
    latest = cluster.latest_snapshot()
    assert len(objects_at(latest)) == len(variants[0])


def test_trimming_is_idempotent_so_pretrimmed_input_stores_the_same(cluster, demo_objects):
    from benchmarks.gen_cluster import generate

    generated = generate(services=30, endpoints=300, nodes=9, zones=3, seed=3, pods=True)
    for obj in [*demo_objects, *generated["items"]]:
        once = trim_object(obj)
        assert trim_object(once) == once
    # Ingestion trims while listing, and re-analysis writes objects_at() back: neither is a change.
    first = write_snapshot(cluster, generated["items"], source="watch")
    pretrimmed = write_snapshot(
        cluster, [trim_object(o) for o in generated["items"]], source="watch"
    )
    again = write_snapshot(cluster, objects_at(first), source="manual")
    assert pretrimmed.changed_objects == again.changed_objects == 0
    assert ServiceSummary.objects.filter(first_seq__gt=1).count() == 0


def test_a_bulk_write_refreshes_the_planners_statistics(
    cluster, demo_objects, monkeypatch, django_capture_on_commit_callbacks
):
    """After a write that opens many versions (a large cluster's first snapshot) the interval
    tables are analysed, so the next writes' lookups by key use the history index."""
    monkeypatch.setattr(snapshot_write, "ANALYZE_AFTER", 30)  # the demo has 34 objects
    with django_capture_on_commit_callbacks(execute=True) as first:
        write_snapshot(cluster, demo_objects, source="upload")
    with django_capture_on_commit_callbacks(execute=True) as second:
        write_snapshot(cluster, demo_objects, source="upload")  # nothing new
    assert snapshot_write.analyze_tables in first
    assert snapshot_write.analyze_tables not in second


@pytest.mark.django_db
def test_a_summary_equal_to_its_open_row_is_compared_by_digest_only(monkeypatch):
    """Re-analysing every Service of an unchanged cluster makes each summary's digest, finds
    its open row equal, and goes no further: no report entry is compressed, no row written."""
    from routing.snapshots import prepare

    cluster = Cluster.objects.create(name="same", source=Cluster.Source.UPLOAD)
    write_snapshot(cluster, small_cluster(), source="watch")
    before = list(ServiceSummary.objects.filter(cluster=cluster).values_list("pk", "last_seq"))
    compressed = []
    real = prepare.compress
    monkeypatch.setattr(prepare, "compress", lambda data: compressed.append(data) or real(data))
    again = write_snapshot(cluster, small_cluster(), source="watch", reanalyze_all=True)
    assert again.seq == 2 and again.changed_objects == 0
    assert compressed == []
    assert list(ServiceSummary.objects.filter(cluster=cluster).values_list("pk", "last_seq")) == (
        before
    )
    # A changed Service's row is completed and written as before.
    edited = small_cluster()
    find(edited, "Service", "web")["spec"]["trafficDistribution"] = "PreferSameNode"
    write_snapshot(cluster, edited, source="watch")
    assert len(compressed) == 1
    row = ServiceSummary.objects.get(cluster=cluster, name="web", last_seq__isnull=True)
    assert row.policy == "PreferSameNode" and row.report is not None


def test_each_snapshot_s_means_are_over_its_own_summaries_not_the_closed_ones(
    cluster, demo_objects
):
    """The means are read from the open rows as the writer stores them (prepare._means): with
    closed rows of other figures beside them, each snapshot's are still its own Services'."""
    written = [write_snapshot(cluster, demo_objects, source="manual")]
    for gone in ("catalog", "payments"):  # each crosses zones for 2/3 of its traffic
        demo_objects = [o for o in demo_objects if o["metadata"]["name"] != gone]
        written.append(write_snapshot(cluster, demo_objects, source="manual"))
    assert ServiceSummary.objects.filter(last_seq__isnull=False).count() >= 2  # a history
    means = set()
    for snap in written:
        rows = list(
            summaries_at(snap).values_list("cross_zone_fraction", "cost_per_gb", "severity")
        )
        assert snap.services == len(rows)
        assert snap.cross_zone_fraction == pytest.approx(sum(r[0] for r in rows) / len(rows))
        assert snap.cost_per_gb_mean == pytest.approx(sum(r[1] for r in rows) / len(rows))
        assert snap.services_with_diagnostics == sum(r[2] >= 2 for r in rows)
        means.add((snap.cross_zone_fraction, snap.cost_per_gb_mean))
    assert len(means) == 3  # the three snapshots' figures differ: the test can tell them apart
