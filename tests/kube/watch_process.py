"""`manage.py watch` as a real process for tests: started against the test database, killed."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class WatchProcess:
    """One `manage.py watch --lease-ttl T` replica; its output goes to `log`."""

    def __init__(self, kubeconfig: Path, redis_url: str, log: Path, lease_ttl: float):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "TRAFFICLENS_SIM_KUBECONFIG": str(kubeconfig),
            "PYTHONUNBUFFERED": "1",
        }
        self.log = log
        self.lease_ttl = lease_ttl
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WatchProcess":
        command = [sys.executable, "manage.py", "watch", "--lease-ttl", str(self.lease_ttl)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def holder(self, timeout: float = 30) -> str:
        """The lease holder name the process printed when it started."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"watcher (watch-[0-9a-f]+) started", self.output())
            if found:
                return found.group(1)
            assert self.alive(), self.output()
            time.sleep(0.1)
        raise AssertionError(f"the watcher did not start:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL: no clean-up runs, the lease is neither released nor marked."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
