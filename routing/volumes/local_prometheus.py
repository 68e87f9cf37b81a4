"""A real Prometheus server of our own on the loopback interface, for the tests and the demo.

    with LocalPrometheus(["127.0.0.1:8001"], scrape_interval=1.0) as prom:  # started
        prom.wait_for_scrapes(15)
        prom.query('sum(rate(container_network_transmit_bytes_total[10s]))')

It runs Debian's `prometheus` binary (`make system-deps` installs it; found on PATH or at
/usr/bin/prometheus) with a generated configuration that scrapes the given targets' /metrics,
listening on a free loopback port, with its storage in a temporary directory that `stop()`
removes. Nothing else of the machine's Prometheus (its /etc config, a service on 9090) is used.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import yaml

DEFAULT_INTERVAL = 15.0  # seconds between scrapes
DEFAULT_JOB = "simcluster"
MAX_TIMEOUT = 10.0  # Prometheus's default scrape timeout; never more than the interval
KNOWN_PATHS = ("/usr/bin/prometheus", "/usr/local/bin/prometheus")
START_ATTEMPTS = 3  # another process may take the free port between our probe and the bind
HTTP_TIMEOUT = 30.0
_LOG_TAIL = 2000
# Our Prometheus is on the loopback interface: never go through an HTTP(S)_PROXY to reach it.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LocalPrometheusError(RuntimeError):
    """The local Prometheus could not start, answer or finish scraping in time."""


class PrometheusNotInstalled(LocalPrometheusError):
    """No `prometheus` binary on this machine."""


def find_binary() -> str | None:
    """The `prometheus` executable on PATH or in a usual place, or None when absent."""
    found = shutil.which("prometheus")
    if found:
        return found
    for path in KNOWN_PATHS:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def duration(seconds: float) -> str:
    """Seconds as a Prometheus duration: 15s, 500ms, 1s500ms."""
    total = round(seconds * 1000)
    if total <= 0:
        raise ValueError(f"a duration must be positive, not {seconds!r}")
    whole, millis = divmod(total, 1000)
    return (f"{whole}s" if whole else "") + (f"{millis}ms" if millis else "")


def normalise_target(target: str) -> str:
    """'host:port' from 'host:port' or 'http://host:port[/]'."""
    if "://" in target:
        parts = urllib.parse.urlsplit(target)
        if parts.scheme != "http" or parts.path.strip("/") or not parts.netloc:
            raise ValueError(f"a target is host:port or http://host:port, not {target!r}")
        return parts.netloc
    if not target or "/" in target or ":" not in target:
        raise ValueError(f"a target is host:port, not {target!r}")
    return target


def config(
    targets: Sequence[str],
    *,
    scrape_interval: float = DEFAULT_INTERVAL,
    scrape_timeout: float | None = None,
    job: str = DEFAULT_JOB,
    metrics_path: str = "/metrics",
) -> str:
    """The prometheus.yml (YAML text) that scrapes `targets` every `scrape_interval` seconds."""
    timeout = min(scrape_interval, MAX_TIMEOUT) if scrape_timeout is None else scrape_timeout
    if timeout > scrape_interval:
        raise ValueError("the scrape timeout must not exceed the scrape interval")
    doc = {
        "global": {
            "scrape_interval": duration(scrape_interval),
            "scrape_timeout": duration(timeout),
            "evaluation_interval": duration(scrape_interval),
        },
        "scrape_configs": [
            {
                "job_name": job,
                "metrics_path": metrics_path,
                "scheme": "http",
                "static_configs": [{"targets": [normalise_target(t) for t in targets]}],
            }
        ],
    }
    return yaml.safe_dump(doc, sort_keys=False)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _terminate(proc: subprocess.Popen | None, directory: str | None) -> None:
    """Stop the process (TERM, then KILL) and remove its temporary directory."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


class LocalPrometheus:
    """One `prometheus` process scraping `targets` (host:port) every `scrape_interval` s.

    `start()` returns once Prometheus answers /-/ready; `url` is then its base URL. `stop()`
    (or leaving the `with` block) ends it and deletes its storage. A given `data_dir` is used as
    it is and kept; by default a temporary directory holds the config, storage and log.
    """

    def __init__(
        self,
        targets: Sequence[str],
        *,
        scrape_interval: float = DEFAULT_INTERVAL,
        scrape_timeout: float | None = None,
        job: str = DEFAULT_JOB,
        metrics_path: str = "/metrics",
        binary: str | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        retention: str = "1d",
        startup_timeout: float = 60.0,
    ) -> None:
        if not targets:
            raise ValueError("LocalPrometheus needs at least one target")
        self.targets = [normalise_target(t) for t in targets]
        self.scrape_interval = scrape_interval
        self.job = job
        self.config_text = config(
            self.targets,
            scrape_interval=scrape_interval,
            scrape_timeout=scrape_timeout,
            job=job,
            metrics_path=metrics_path,
        )
        self.binary = binary
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.retention = retention
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.directory: Path | None = None  # config, log (and storage unless data_dir)
        self._proc: subprocess.Popen | None = None
        self._log: Any = None
        self._own_dir: str | None = None
        self._finalizer: weakref.finalize | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    @staticmethod
    def available() -> bool:
        return find_binary() is not None

    @property
    def url(self) -> str:
        if self.port is None:
            raise LocalPrometheusError("the local Prometheus is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> "LocalPrometheus":
        """Start Prometheus and wait until it is ready; raises PrometheusNotInstalled."""
        if self._proc is not None:
            return self
        binary = shutil.which(self.binary) if self.binary else find_binary()
        if binary is None:
            raise PrometheusNotInstalled(
                f"the prometheus binary {'(' + self.binary + ') ' if self.binary else ''}is not "
                "installed (make system-deps, or apt-get install prometheus)"
            )
        self._own_dir = tempfile.mkdtemp(prefix="trafficlens-prometheus-")
        self.directory = Path(self._own_dir)
        (self.directory / "prometheus.yml").write_text(self.config_text)
        storage = self.data_dir or self.directory / "data"
        storage.mkdir(parents=True, exist_ok=True)
        problem = ""
        for _ in range(START_ATTEMPTS):
            problem = self._launch(binary, storage)
            if not problem:
                return self
            if "address already in use" not in problem:
                break
        self.stop()
        raise LocalPrometheusError(f"prometheus did not start: {problem}")

    def _launch(self, binary: str, storage: Path) -> str:
        """One attempt on a fresh port: '' once ready, else what went wrong."""
        assert self.directory is not None
        self.port = _free_port()
        log_path = self.directory / "prometheus.log"
        self._log = log_path.open("ab")
        self._proc = subprocess.Popen(
            [
                binary,
                f"--config.file={self.directory / 'prometheus.yml'}",
                f"--storage.tsdb.path={storage}",
                f"--storage.tsdb.retention.time={self.retention}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        if self._finalizer is not None:
            self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _terminate, self._proc, self._own_dir)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._close_log()
                return f"exited with {self._proc.returncode}: {self._log_tail(log_path)}"
            try:
                with _OPENER.open(f"{self.url}/-/ready", timeout=2) as answer:
                    if answer.status == 200:
                        return ""
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        _terminate(self._proc, None)
        self._close_log()
        return f"not ready after {self.startup_timeout:g}s: {self._log_tail(log_path)}"

    @staticmethod
    def _log_tail(path: Path) -> str:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return text[-_LOG_TAIL:].strip() or "(empty log)"

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        """End the process and remove the temporary directory (a given data_dir stays)."""
        proc, self._proc = self._proc, None
        _terminate(proc, self._own_dir)
        self._close_log()
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        self._own_dir = None
        self.port = None

    def __enter__(self) -> "LocalPrometheus":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the HTTP API -------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        url = f"{self.url}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with _OPENER.open(url, timeout=HTTP_TIMEOUT) as answer:
                body = orjson.loads(answer.read())
        except urllib.error.HTTPError as exc:  # Prometheus answers 400/422 with a JSON error
            try:
                body = orjson.loads(exc.read())
            except orjson.JSONDecodeError:
                raise LocalPrometheusError(f"{path}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise LocalPrometheusError(f"{path}: {exc}") from None
        if body.get("status") != "success":
            raise LocalPrometheusError(f"{path}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        """An instant query's result: [{"metric": {labels}, "value": [time, "text"]}, ...]
        for a vector, or the scalar/string as a one-item list."""
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self._get("/api/v1/query", params)
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        if data["resultType"] != "vector":
            raise LocalPrometheusError(f"expected an instant vector, got {data['resultType']}")
        return list(data["result"])

    def query_values(self, promql: str, by: Sequence[str]) -> dict[tuple[str, ...], float]:
        """An instant query's values keyed by the `by` labels' values ("" when absent)."""
        return {
            tuple(row["metric"].get(label, "") for label in by): float(row["value"][1])
            for row in self.query(promql)
        }

    def active_targets(self) -> list[dict[str, Any]]:
        """/api/v1/targets' active targets (health, lastError, lastScrape, scrapeUrl, ...)."""
        return list(self._get("/api/v1/targets", {"state": "active"})["activeTargets"])

    def scrapes(self, job: str | None = None) -> dict[str, int]:
        """Successful scrapes so far per target (instance), from the `up` series."""
        job = job or self.job
        promql = f'sum by (instance) (sum_over_time(up{{job="{job}"}}[1d]))'
        counts = {t: 0 for t in self.targets} if job == self.job else {}
        for (instance,), value in self.query_values(promql, ("instance",)).items():
            counts[instance] = int(value)
        return counts

    def wait_for_scrapes(
        self, count: int, timeout: float | None = None, job: str | None = None
    ) -> dict[str, int]:
        """Block until every target has been scraped successfully `count` times.

        Returns the counts; raises LocalPrometheusError (with the targets' last errors) when
        `timeout` (default: count + 30 scrape intervals) passes first.
        """
        limit = (count + 30) * self.scrape_interval if timeout is None else timeout
        deadline = time.monotonic() + limit
        pause = min(0.25, self.scrape_interval / 4)
        while True:
            counts = self.scrapes(job)
            if counts and min(counts.values()) >= count:
                return counts
            if time.monotonic() > deadline:
                errors = {
                    t.get("scrapeUrl"): t.get("lastError") or t.get("health")
                    for t in self.active_targets()
                }
                raise LocalPrometheusError(
                    f"{count} scrapes not reached in {limit:g}s: {counts}; targets: {errors}"
                )
            time.sleep(pause)
