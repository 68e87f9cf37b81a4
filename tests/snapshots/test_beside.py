"""CopyBeside: a full write's object versions sent by a second thread while the engine analyses,
in the write's transaction: all or nothing, whichever side fails."""

import pytest
from django.db import DatabaseError, connection, transaction

from routing.models import Cluster, ObjectVersion, ServiceSummary, Snapshot
from routing.snapshots import beside, write_snapshot
from routing.snapshots import write as snapshot_write
from routing.snapshots.beside import CopyBeside
from routing.snapshots.store import _VERSION_COLUMNS

from .builders import small_cluster

pytestmark = pytest.mark.django_db(transaction=True)


def rows() -> tuple[int, int, int]:
    return Snapshot.objects.count(), ObjectVersion.objects.count(), ServiceSummary.objects.count()


def version_rows(cluster: Cluster, n: int) -> list[tuple]:
    return [
        (cluster.pk, "Node", "", f"node-{i:04d}", f"{i:064x}", b'{"kind":"Node"}', 1)
        for i in range(n)
    ]


class Written:
    """A cluster with one small snapshot, the rows then, and a larger state to write next:
    enough versions for several of the COPY's chunks (~32 KB each)."""

    def __init__(self) -> None:
        from benchmarks.gen_cluster import generate

        self.cluster = Cluster.objects.create(name="b", source=Cluster.Source.SIMULATED)
        write_snapshot(self.cluster, small_cluster(), source="watch")
        self.before = rows()
        gen = generate(services=30, endpoints=1500, nodes=6, zones=3, seed=3, pods=True)
        self.items = gen["items"]

    def write(self) -> Snapshot:
        return write_snapshot(self.cluster, self.items, source="watch")

    def left_as_it_was(self) -> bool:
        closed = ObjectVersion.objects.filter(last_seq__isnull=False)
        return rows() == self.before and not closed.exists()


@pytest.fixture
def written() -> Written:
    return Written()


@pytest.fixture
def sending_thread() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the second thread is PostgreSQL's (SQLite inserts in the calling thread)")


def test_the_rows_are_in_the_transaction_after_the_block():
    cluster = Cluster.objects.create(name="b", source=Cluster.Source.SIMULATED)
    with transaction.atomic():
        with CopyBeside(ObjectVersion, _VERSION_COLUMNS, version_rows(cluster, 2000)) as copy:
            pass
        assert copy.count == 2000
        assert ObjectVersion.objects.filter(cluster=cluster).count() == 2000
    names = ObjectVersion.objects.order_by("name").values_list("name", flat=True)
    assert list(names) == [f"node-{i:04d}" for i in range(2000)]


def test_a_query_from_the_block_waits_for_the_copy_rather_than_interleaving():
    cluster = Cluster.objects.create(name="b", source=Cluster.Source.SIMULATED)
    new = version_rows(cluster, 5000)
    with transaction.atomic():
        with CopyBeside(ObjectVersion, _VERSION_COLUMNS, new):
            # psycopg holds the connection's lock for the whole COPY: this count runs before
            # it or after it (the threads' timing decides), never within it.
            assert ObjectVersion.objects.count() in (0, 5000)
        assert ObjectVersion.objects.count() == 5000


def test_a_failure_while_the_rows_are_made_sends_nothing():
    cluster = Cluster.objects.create(name="b", source=Cluster.Source.SIMULATED)

    def breaking():
        yield from version_rows(cluster, 10)
        raise RuntimeError("no more rows")

    with pytest.raises(RuntimeError, match="no more rows"), transaction.atomic():
        CopyBeside(ObjectVersion, _VERSION_COLUMNS, breaking())
    assert ObjectVersion.objects.count() == 0
    three = version_rows(cluster, 3)
    with transaction.atomic(), CopyBeside(ObjectVersion, _VERSION_COLUMNS, three):
        pass
    assert ObjectVersion.objects.count() == 3  # the connection is fine


def test_a_copy_the_server_rejects_fails_the_write_and_leaves_nothing(
    monkeypatch, sending_thread, written
):
    write = beside._Chunks.write

    def a_chunk_cut_short(self, data):
        # Past the first chunks (which the server takes), one loses its last bytes: the server
        # fails the COPY midway, in the sending thread.
        write(self, data[:-3] if len(self._chunks) == 3 else data)

    monkeypatch.setattr(beside._Chunks, "write", a_chunk_cut_short)
    with pytest.raises(DatabaseError, match="COPY"):
        written.write()
    assert written.left_as_it_was()
    monkeypatch.undo()
    assert written.write().seq == 2  # the connection is fine


def test_an_analysis_that_fails_while_the_versions_are_sent_leaves_nothing(monkeypatch, written):
    def engine_bug(*args, **kwargs):
        raise ZeroDivisionError("engine bug")

    monkeypatch.setattr(snapshot_write, "add_fixes", engine_bug)
    with pytest.raises(ZeroDivisionError, match="engine bug"):
        written.write()
    assert written.left_as_it_was()
    monkeypatch.undo()
    assert written.write().seq == 2


def test_a_connection_lost_while_the_versions_are_sent_fails_the_write_and_leaves_nothing(
    monkeypatch, sending_thread, written
):
    import threading

    import psycopg

    terminated = threading.Event()
    send = CopyBeside._send

    def send_after_the_kill(self):
        terminated.wait(timeout=30)
        send(self)

    def kill_then_analyse(*args, **kwargs):
        # The writer's server process dies (a restart, an operator's pg_terminate_backend)
        # while its versions are being sent: from another connection, as it would be.
        pid = connection.connection.info.backend_pid
        settings = connection.get_connection_params()
        with psycopg.connect(**settings, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        terminated.set()
        return add_fixes(*args, **kwargs)

    add_fixes = snapshot_write.add_fixes
    summaries_stored = []
    monkeypatch.setattr(CopyBeside, "_send", send_after_the_kill)
    monkeypatch.setattr(snapshot_write, "add_fixes", kill_then_analyse)
    monkeypatch.setattr(snapshot_write, "_store_summaries", lambda *a: summaries_stored.append(a))
    with pytest.raises(DatabaseError):
        written.write()
    assert summaries_stored == []  # the sending thread's error ended the write, at its block
    monkeypatch.undo()
    assert written.left_as_it_was()  # (a new connection: the old one died)
    assert written.write().seq == 2
