"""`SimCluster`: a simulated Kubernetes API for tests, demos and benchmarks.

sim = SimCluster(scenario="demo", seed=1).start(port=0)
sim.write_kubeconfig("/tmp/sim.kubeconfig")  # for kubectl or load_kube_config
sim.set_traffic_distribution("shop", "catalog", "PreferSameZone")
sim.faults.drop_watches()
sim.traffic.exposition()  # what GET /metrics serves: byte counters for Prometheus
sim.stop()
"""

import os
import time
from pathlib import Path
from typing import Any

import orjson

from . import actions, scenarios
from .churn import Churn
from .faults import Faults
from .kubeconfig import write_kubeconfig
from .objects import PodRec
from .rbac import Authorizer
from .server import Api, Server
from .state import Store
from .traffic import Traffic
from .world import World

DEFAULT_CHURN = {"demo": 0.5, "demo-nozone": 0.5, "large": 0.0}


class SimCluster:
    """One simulated cluster: its world, store, HTTP server, churn and fault switches.

    `options` go to the scenario (for `large`: services, endpoints, nodes, zones).
    """

    def __init__(
        self,
        scenario: str = "demo",
        *,
        seed: int = 1,
        churn: float | None = None,
        event_window: int = 10_000,
        bookmark_interval: float = 5.0,
        **options: Any,
    ) -> None:
        started = time.perf_counter()
        self.scenario = scenario
        self.store = Store(window=event_window)
        self.world = World(self.store, seed=seed)
        scenarios.build(self.world, scenario, **options)
        self.build_seconds = time.perf_counter() - started
        self.faults = Faults(self.store)
        self.api = Api(self.store, self.faults, bookmark_interval)
        self.api.control = self._control
        self.traffic = Traffic(self.world)  # byte counters from now on; served at /metrics
        self.api.metrics = self.traffic.exposition
        rate = DEFAULT_CHURN.get(scenario, 0.0) if churn is None else churn
        self.churn = Churn(self.world, rate, seed)
        self._server: Server | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(
        self, port: int = 0, host: str = "127.0.0.1", tls: tuple[str, str] | None = None
    ) -> "SimCluster":
        """Listen on the loopback interface (port 0 picks a free one) and start churning.

        `tls` (certificate file, key file) serves https instead of plain http."""
        self._server = Server(self.api, host, port, tls)
        self._server.start()
        self.churn.start()
        return self

    def stop(self) -> None:
        """Stop churn, end open watches and close the listening socket."""
        self.churn.stop()
        self.store.close()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> "SimCluster":
        return self if self._server is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulated cluster is not started")
        return self._server.port

    @property
    def url(self) -> str:
        scheme = "https" if self._server is not None and self._server.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def write_kubeconfig(self, path: str | os.PathLike[str]) -> Path:
        return write_kubeconfig(path, self.url)

    def enforce_cluster_role(self, token: str, user: str, rules: list[dict[str, Any]]) -> None:
        """Turn RBAC on (off by default): `token` gets exactly `rules`, as a ClusterRole bound
        by a ClusterRoleBinding; other tokens get 401 and other requests 403 (rbac.py)."""
        if self.api.authorizer is None:
            self.api.authorizer = Authorizer()
        self.api.authorizer.bind(token, user, rules)

    # -- mutations for tests --------------------------------------------------------------------

    def set_traffic_distribution(self, namespace: str, name: str, value: str | None) -> None:
        actions.set_traffic_distribution(self.world, namespace, name, value)

    def set_topology_mode(self, namespace: str, name: str, value: str | None) -> None:
        actions.set_topology_mode(self.world, namespace, name, value)

    def scale(
        self,
        namespace: str,
        name: str,
        replicas_per_zone: int | dict[str, int],
        *,
        graceful: bool = False,
    ) -> None:
        actions.scale(self.world, namespace, name, replicas_per_zone, graceful=graceful)

    def rollout(self, namespace: str, name: str) -> list[PodRec]:
        return actions.rollout(self.world, namespace, name)

    def set_node_ready(self, name: str, ready: bool) -> None:
        self.world.set_node_ready(name, ready)

    @property
    def resource_version(self) -> int:
        return self.store.rv

    def counts(self) -> dict[str, int]:
        return {plural: self.store.count(plural) for plural in self.store.tables}

    def objects(self, plural: str) -> list[dict]:
        """Current objects of one type, as list items (handy in tests)."""
        _, entries = self.store.select(plural, None)
        return [orjson.loads(e.body) for e in entries]

    # -- control endpoint -----------------------------------------------------------------------

    def _control(self, method: str, path: str, body: bytes) -> tuple[int, dict]:
        if path == "/_sim/faults" and method == "POST":
            try:
                spec = orjson.loads(body or b"{}")
                if not isinstance(spec, dict):
                    raise ValueError("the body must be a JSON object")
                return 200, self.faults.apply(spec)
            except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
                return 400, {"error": str(exc)}
        if path == "/_sim/faults" and method == "GET":
            return 200, self.faults.state()
        if path == "/_sim/info" and method == "GET":
            info = {
                "scenario": self.scenario,
                "resourceVersion": str(self.store.rv),
                "counts": self.counts(),
                "churnActions": dict(self.churn.actions),
            }
            return 200, info
        if path == "/_sim/traffic" and method == "GET":
            # The traffic model's own rates: the demo's volumes when no Prometheus is installed
            # (routing.volumes, preset "simulation"), labelled as simulated, never as measured.
            # A Service the model sends nothing to (no endpoint to reach) carries 0 bytes.
            rates = self.traffic.rates()
            with self.world.lock:
                keys = sorted(set(self.world.services) | set(rates))
            services = [
                {"namespace": ns, "name": name, "bytesPerSecond": rates.get((ns, name), 0.0)}
                for ns, name in keys
            ]
            return 200, {"services": services}
        return 404, {"error": f"no control endpoint {method} {path}"}
