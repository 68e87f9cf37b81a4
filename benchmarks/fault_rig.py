"""The fault matrix's rig: a Redis and a PostgreSQL proxy of its own, watcher processes, samplers.

Everything listens on and connects to 127.0.0.1 only. benchmarks/fault_matrix.py drives it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WATCHER_APP = "tl-fault-watcher"  # the watcher's application_name in pg_stat_activity


class TimeLimit(Exception):
    """The run's time limit passed: stop, clean up, report what was measured."""


class Clock:
    """Monotonic seconds since the run started, and the run's deadline."""

    def __init__(self, limit: float) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + limit

    def now(self) -> float:
        return time.monotonic() - self.started

    def wait_for(self, predicate: Callable[[], Any], timeout: float, step: float = 0.1) -> Any:
        """The first truthy value of `predicate` within `timeout` s, or None."""
        end = min(time.monotonic() + timeout, self.deadline)
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= end:
                if time.monotonic() >= self.deadline:
                    raise TimeLimit
                return None
            time.sleep(step)

    def sleep(self, seconds: float) -> None:
        if time.monotonic() + seconds > self.deadline:
            raise TimeLimit
        time.sleep(seconds)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """`redis-server` on a free loopback port, nothing on disk; stopped and started at will."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(
            command, cwd=self.directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def get(self, key: str) -> bytes | None:
        import redis

        client = redis.Redis.from_url(self.url, socket_timeout=2)
        try:
            return client.get(key)
        finally:
            client.close()


class TcpProxy:
    """A loopback TCP forwarder: `cut()` drops every connection and refuses new ones until
    `restore()`, as a network partition between the watcher and PostgreSQL would."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.blocked = False
        self.cut_connections = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        threading.Thread(target=self._accept, name="pg-proxy", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if self.blocked:
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, server))
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with self._lock:
                    self._open.discard(sock)

    def cut(self) -> None:
        self.blocked = True
        with self._lock:
            sockets = list(self._open)
        self.cut_connections += len(sockets) // 2
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self.blocked = False

    def close(self) -> None:
        self.cut()
        self.listener.close()


class WatcherProcess:
    """`manage.py watch --lease-ttl T` as compose runs it, logging to `log`."""

    def __init__(self, env: dict[str, str], log: Path, lease_ttl: float) -> None:
        self.env = {**env, "PGAPPNAME": WATCHER_APP, "PYTHONUNBUFFERED": "1"}
        self.log = log
        self.lease_ttl = lease_ttl
        self.proc: subprocess.Popen | None = None
        self.offset = 0  # where this run's part of the log starts

    def start(self) -> None:
        command = [sys.executable, "manage.py", "watch", "--lease-ttl", str(self.lease_ttl)]
        self.offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self, since: int = 0) -> str:
        with self.log.open("rb") as f:
            f.seek(max(since, self.offset))
            return f.read().decode(errors="replace")

    def holder(self, clock: Clock) -> str:
        found = clock.wait_for(lambda: re.search(r"watcher (watch-\w+) started", self.output()), 60)
        if not found:
            raise RuntimeError(f"the watcher did not start:\n{self.output()}")
        return found.group(1)

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class Sampler(threading.Thread):
    """Reads the cluster's status as readers show it (effective status) every `every` s."""

    def __init__(self, cluster_id: int, every: float = 0.2) -> None:
        super().__init__(name="status-sampler", daemon=True)
        self.cluster_id = cluster_id
        self.every = every
        self.samples: list[tuple[float, str]] = []  # (monotonic, status code)
        self.stop_event = threading.Event()

    def run(self) -> None:
        from django.db import DatabaseError, close_old_connections

        from routing.models import Cluster

        while not self.stop_event.wait(self.every):
            close_old_connections()
            with contextlib.suppress(DatabaseError):
                cluster = Cluster.objects.get(pk=self.cluster_id)
                self.samples.append((time.monotonic(), cluster.effective_status().code))

    def between(self, start: float, end: float) -> list[tuple[float, str]]:
        return [(t, code) for t, code in self.samples if start <= t <= end]


class Scheduler(threading.Thread):
    """Beat's `snapshot_due_clusters` every `every` s, the dispatched snapshot run here (eager),
    as a worker would; failures are counted, as beat's would be logged."""

    def __init__(self, every: float) -> None:
        super().__init__(name="scheduler", daemon=True)
        self.every = every
        self.dispatched: list[tuple[float, list[int]]] = []
        self.failures: list[tuple[float, str]] = []
        self.stop_event = threading.Event()

    def run(self) -> None:
        from django.db import close_old_connections

        from dashboard.celery import app
        from routing import tasks

        app.conf.task_always_eager = True
        while not self.stop_event.wait(self.every):
            close_old_connections()
            try:
                ids = tasks.snapshot_due_clusters()
            except Exception as exc:  # noqa: BLE001 - recorded; beat would try again
                self.failures.append((time.monotonic(), f"{type(exc).__name__}: {exc}"))
                continue
            if ids:
                self.dispatched.append((time.monotonic(), ids))
