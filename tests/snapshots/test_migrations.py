"""Migration 0010: a cluster left `watching` by a watcher of an earlier version (no lease) is made
idle, so the scheduler snapshots it until a watcher holds it again."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("routing", "0009_snapshot_ready_endpoints")]
AFTER = [("routing", "0010_cluster_watch_lease")]


@pytest.mark.django_db(transaction=True)
def test_watching_without_a_lease_becomes_idle():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("routing", "Cluster")
    old.objects.create(name="left", source="kubeconfig", status="watching")
    old.objects.create(name="stale", source="kubeconfig", status="stale", status_message="x")
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps.get_model("routing", "Cluster")
        statuses = dict(new.objects.values_list("name", "status"))
        assert statuses == {"left": "idle", "stale": "stale"}
        assert new.objects.get(name="left").status_message == "waiting for a watcher"
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes("routing"))
