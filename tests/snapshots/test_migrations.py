"""Migrations that change data. 0010: a cluster left `watching` by a watcher of an earlier
version (no lease) is made idle, so the scheduler snapshots it until a watcher holds it again.
0017: the Services list's severity and saving columns are filled from the summaries' JSON; 0019:
its endpoint zones from their stored reports; 0022: each current what-if run says whether its
zone matrix routes as the observed one does; 0023: each current what-if run gets a column of its
policy's; 0024: the list's recommended policy and best fix are filled from the JSON; 0025:
the wide summary columns compress with LZ4 (PostgreSQL)."""

import zlib

import orjson
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import summary_row


def migrate_to(target: list[tuple[str, str]]):
    """Migrate the test database to `target` (back or forward) and give the apps as they were
    there (models of that migration's state)."""
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.fixture(autouse=True)
def _back_to_the_latest(transactional_db):
    """Whatever a test did, the database ends at the latest migrations, as the others expect
    (before transactional_db empties the tables, which it does by the latest models)."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("routing"))


BEFORE = [("routing", "0009_snapshot_ready_endpoints")]
AFTER = [("routing", "0010_cluster_watch_lease")]


@pytest.mark.django_db(transaction=True)
def test_watching_without_a_lease_becomes_idle():
    old = migrate_to(BEFORE).get_model("routing", "Cluster")
    old.objects.create(name="left", source="kubeconfig", status="watching")
    old.objects.create(name="stale", source="kubeconfig", status="stale", status_message="x")
    new = migrate_to(AFTER).get_model("routing", "Cluster")
    statuses = dict(new.objects.values_list("name", "status"))
    assert statuses == {"left": "idle", "stale": "stale"}
    assert new.objects.get(name="left").status_message == "waiting for a watcher"


BEFORE_COLUMNS = [("routing", "0016_cluster_cross_zone_alert")]
AFTER_COLUMNS = [("routing", "0017_summary_severity_saving")]


def _summary(model, cluster, name: str, diagnostics: list, recommendation: dict | None):
    return summary_row(model, cluster, name, diagnostics=diagnostics, recommendation=recommendation)


@pytest.mark.django_db(transaction=True)
def test_severity_and_saving_are_filled_from_the_json():
    """Migration 0017: the list's new columns hold, for rows written before them, what the write
    path now stores (the most severe diagnostic first, the recommendation's saving per GB)."""
    apps = migrate_to(BEFORE_COLUMNS)
    cluster = apps.get_model("routing", "Cluster").objects.create(name="c", source="upload")
    summary = apps.get_model("routing", "ServiceSummary")
    error = {"severity": "error", "code": "e", "message": "m"}
    warning = {"severity": "warning", "code": "w", "message": "m"}
    info = {"severity": "info", "code": "i", "message": "m"}
    _summary(summary, cluster, "bad", [error, warning], {"policy": "Auto", "costPerGbSaved": 0.02})
    _summary(summary, cluster, "meh", [warning, info], None)
    _summary(summary, cluster, "fyi", [info], {"policy": "none", "costPerGbSaved": -0.005})
    _summary(summary, cluster, "fine", [], None)
    new = migrate_to(AFTER_COLUMNS).get_model("routing", "ServiceSummary")
    rows = {n: (s, g) for n, s, g in new.objects.values_list("name", "severity", "saving_per_gb")}
    assert rows == {"bad": (3, 0.02), "meh": (2, None), "fyi": (1, -0.005), "fine": (0, None)}


@pytest.mark.django_db(transaction=True)
def test_endpoint_zones_are_filled_from_the_stored_reports():
    """Migration 0019: rows with a stored report get their endpoints' zones; without one, null."""
    before = [("routing", "0018_summary_list_index_wider")]
    after = [("routing", "0019_summary_endpoint_zones")]
    apps = migrate_to(before)
    cluster = apps.get_model("routing", "Cluster").objects.create(name="c", source="upload")
    summary = apps.get_model("routing", "ServiceSummary")
    endpoints = [{"zone": "b"}, {"zone": "a"}, {"zone": None}, {"zone": "a"}]
    for name, report in (
        ("spread", {"endpoints": endpoints}),
        ("empty", {"endpoints": []}),
        ("old", None),
    ):
        row = _summary(summary, cluster, name, [], None)
        if report is not None:
            row.report = zlib.compress(orjson.dumps(report))
            row.save()
    new = migrate_to(after).get_model("routing", "ServiceSummary")
    zones = dict(new.objects.values_list("name", "endpoint_zones"))
    assert zones == {"spread": "|a|b|unknown|", "empty": "", "old": None}


@pytest.mark.django_db(transaction=True)
def test_current_what_if_runs_are_marked_same_or_not():
    """Migration 0022: the current rows' runs get `sameRouting` (float noise is the same
    routing); a run without a matrix and rows of older snapshots are left as they were."""
    before = [("routing", "0021_summary_toast_target")]
    after = [("routing", "0022_what_if_same_routing")]
    apps = migrate_to(before)
    cluster = apps.get_model("routing", "Cluster").objects.create(name="c", source="upload")
    summary = apps.get_model("routing", "ServiceSummary")
    home = {"a": {"a": 1.0}}
    spread = {"a": {"a": 0.5, "b": 0.5}}
    what_if = {
        "none": {"costPerGb": 0.01, "matrix": spread},
        "PreferSameZone": {"costPerGb": 0.0, "matrix": {"a": {"a": 1.0}}},
        "PreferSameNode": {"costPerGb": 0.0, "matrix": {"a": {"a": 1.0 - 1e-13, "b": 0.0}}},
        "Auto": {"costPerGb": 0.0},  # written before runs carried matrices
    }
    summary_row(summary, cluster, "open", matrix=home, what_if=what_if)
    summary_row(summary, cluster, "closed", matrix=home, what_if=what_if, last_seq=2)
    new = migrate_to(after).get_model("routing", "ServiceSummary")
    runs = dict(new.objects.values_list("name", "what_if"))
    marks = {policy: run.get("sameRouting") for policy, run in runs["open"].items()}
    assert marks == {
        "none": False,
        "PreferSameZone": True,
        "PreferSameNode": True,
        "Auto": None,
    }
    assert runs["open"]["none"]["matrix"] == spread  # the rest as it was
    assert runs["closed"] == what_if


@pytest.mark.django_db(transaction=True)
def test_current_what_if_runs_get_their_own_columns():
    """Migration 0023: each current row's what-if runs are copied, as JSON text, into their
    policies' columns; rows of older snapshots and runs a row lacks stay null."""
    before = [("routing", "0022_what_if_same_routing")]
    after = [("routing", "0023_what_if_run_columns")]
    apps = migrate_to(before)
    cluster = apps.get_model("routing", "Cluster").objects.create(name="c", source="upload")
    summary = apps.get_model("routing", "ServiceSummary")
    what_if = {
        "none": {"costPerGb": 0.01, "matrix": {"a": {"a": 0.5, "b": 0.5}}, "sameRouting": False},
        "PreferSameZone": {"costPerGb": 0.0, "matrix": {"a": {"a": 1.0}}, "sameRouting": True},
        "Auto": {"costPerGb": 0.0},  # written before runs carried matrices; no PreferSameNode
    }
    summary_row(summary, cluster, "open", what_if=what_if)
    summary_row(summary, cluster, "closed", what_if=what_if, last_seq=2)
    columns = ["run_none", "run_auto", "run_prefer_same_zone", "run_prefer_same_node"]
    new = migrate_to(after).get_model("routing", "ServiceSummary")
    stored = {row[0]: row[1:] for row in new.objects.values_list("name", *columns)}
    opened = [None if text is None else orjson.loads(text) for text in stored["open"]]
    assert opened == [what_if["none"], what_if["Auto"], what_if["PreferSameZone"], None]
    assert stored["closed"] == (None, None, None, None)
    assert new.objects.get(name="open").what_if == what_if  # as it was


@pytest.mark.django_db(transaction=True)
def test_recommended_policy_and_best_fix_are_filled_from_the_json():
    """Migration 0024: every row, current or not, gets the recommended policy and the best
    fix's kind that the write path now stores beside the JSON; null where there is none."""
    before = [("routing", "0023_what_if_run_columns")]
    after = [("routing", "0024_summary_recommended_policy_best_fix")]
    apps = migrate_to(before)
    cluster = apps.get_model("routing", "Cluster").objects.create(name="c", source="upload")
    summary = apps.get_model("routing", "ServiceSummary")
    fixes = [{"kind": "replicas", "verified": True}, {"kind": "policy", "verified": True}]
    recommendation = {"policy": "PreferSameZone", "costPerGbSaved": 0.01}
    summary_row(summary, cluster, "both", recommendation=recommendation, fixes=fixes)
    summary_row(summary, cluster, "closed", recommendation=recommendation, last_seq=2)
    summary_row(summary, cluster, "fix-only", fixes=fixes[1:])
    summary_row(summary, cluster, "neither", recommendation=None, fixes=[])
    new = migrate_to(after).get_model("routing", "ServiceSummary")
    stored = {
        row[0]: row[1:] for row in new.objects.values_list("name", "recommended_policy", "best_fix")
    }
    assert stored == {
        "both": ("PreferSameZone", "replicas"),
        "closed": ("PreferSameZone", None),
        "fix-only": (None, "policy"),
        "neither": (None, None),
    }


def _storage(columns: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Each column's (storage, compression) as pg_attribute records them ('' : the default)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attstorage, attcompression FROM pg_attribute "
            "WHERE attrelid = 'routing_servicesummary'::regclass AND attname = ANY(%s)",
            [list(columns)],
        )
        return {name: (storage, compression) for name, storage, compression in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's storage settings")
@pytest.mark.django_db(transaction=True)
def test_summary_columns_compress_with_lz4_and_the_report_is_not_compressed_again():
    wide = ("matrix", "what_if", "fixes", "run_none", "run_prefer_same_node")
    migrate_to([("routing", "0024_summary_recommended_policy_best_fix")])
    before = _storage((*wide, "report"))
    assert before["report"] == ("x", "")  # EXTENDED, the default compressor
    assert {before[c][1] for c in wide} == {""}
    migrate_to([("routing", "0025_summary_lz4")])
    after = _storage((*wide, "report"))
    assert after["report"] == ("e", "")  # EXTERNAL: out of line, as the writer compressed it
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        lz4 = cursor.fetchone()[0]
    assert {after[c][1] for c in wide} == ({"l"} if lz4 else {""})
    assert {after[c][0] for c in wide} == {before[c][0] for c in wide}  # storage kept
    migrate_to([("routing", "0024_summary_recommended_policy_best_fix")])
    assert _storage((*wide, "report")) == before
