"""A process killed (SIGKILL) in the middle of writing a snapshot leaves nothing half-written."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from django.db import connection

from benchmarks.gen_cluster import generate
from routing.models import Cluster, ObjectVersion, ServiceSummary, Snapshot

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _writing() -> bool:
    """True while some backend holds an open transaction that has inserted object versions."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL "
            "AND query ILIKE '%%routing_objectversion%%'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="observes the open transaction through pg_stat_activity; CI runs it on PostgreSQL",
)
def test_sigkill_mid_snapshot_leaves_no_partial_snapshot(tmp_path):
    cluster = Cluster.objects.create(name="big", source=Cluster.Source.UPLOAD)
    dump = tmp_path / "big.json"
    dump.write_bytes(
        orjson.dumps(
            generate(services=3000, endpoints=30000, nodes=300, zones=3, seed=5, pods=True)
        )
    )
    env = {**os.environ, "DATABASE_URL": _database_url()}
    cmd = [sys.executable, "manage.py", "snapshot", "big", "--from-file", str(dump)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not _writing():
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the snapshot never started writing"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.5)  # PostgreSQL notices the dead client and rolls its transaction back
    assert Snapshot.objects.filter(cluster=cluster).count() == 0
    assert ObjectVersion.objects.filter(cluster=cluster).count() == 0
    assert ServiceSummary.objects.filter(cluster=cluster).count() == 0
    # The next run completes normally.
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    snapshot = Snapshot.objects.get(cluster=cluster)
    assert snapshot.seq == 1 and snapshot.services == 3000
    assert ObjectVersion.objects.filter(cluster=cluster).count() > 30000
