"""A real Prometheus (Debian's `prometheus`, installed by `make system-deps`) scraping the
simulated cluster's /metrics: the three preset shapes measure each Service's configured rate."""

import os
import stat

import pytest
import yaml

from routing.kube.sim import SimCluster
from routing.kube.sim.traffic import service_rates
from routing.volumes import local_prometheus
from routing.volumes.local_prometheus import (
    LocalPrometheus,
    LocalPrometheusError,
    PrometheusNotInstalled,
    config,
    duration,
    normalise_target,
)

WINDOW = "10s"
CADVISOR = (
    f"sum by (namespace, pod) (rate(container_network_transmit_bytes_total[{WINDOW}])"
    f" + rate(container_network_receive_bytes_total[{WINDOW}]))"
)
ISTIO = (
    "sum by (destination_service_namespace, destination_service_name)"
    f' (rate(istio_request_bytes_sum{{reporter="destination"}}[{WINDOW}])'
    f' + rate(istio_response_bytes_sum{{reporter="destination"}}[{WINDOW}]))'
)
BEYLA = (
    "sum by (k8s_dst_namespace, k8s_dst_owner_name)"
    f" (rate(beyla_network_flow_bytes_total[{WINDOW}]))"
)


@pytest.fixture(scope="module")
def binary() -> str:
    found = local_prometheus.find_binary()
    if found is None:
        pytest.fail("prometheus is not installed (make system-deps: apt-get install prometheus)")
    return found


def test_durations_targets_and_config():
    assert duration(1.0) == "1s"
    assert duration(15) == "15s"
    assert duration(0.5) == "500ms"
    assert duration(1.5) == "1s500ms"
    with pytest.raises(ValueError):
        duration(0)
    assert normalise_target("http://127.0.0.1:8001/") == "127.0.0.1:8001"
    assert normalise_target("127.0.0.1:8001") == "127.0.0.1:8001"
    for bad in ("https://x:1", "http://x:1/metrics", "nohost", ""):
        with pytest.raises(ValueError):
            normalise_target(bad)
    doc = yaml.safe_load(config(["127.0.0.1:1", "http://127.0.0.1:2"], scrape_interval=1.0))
    assert doc["global"]["scrape_interval"] == "1s"
    assert doc["global"]["scrape_timeout"] == "1s"  # never longer than the interval
    (job,) = doc["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"] == [{"targets": ["127.0.0.1:1", "127.0.0.1:2"]}]
    default = yaml.safe_load(config(["127.0.0.1:1"]))
    assert default["global"] == {
        "scrape_interval": "15s",
        "scrape_timeout": "10s",
        "evaluation_interval": "15s",
    }
    with pytest.raises(ValueError):
        config(["127.0.0.1:1"], scrape_interval=1.0, scrape_timeout=2.0)


def test_missing_binary_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(local_prometheus, "find_binary", lambda: None)
    with pytest.raises(PrometheusNotInstalled, match="apt-get install prometheus"):
        LocalPrometheus(["127.0.0.1:1"]).start()
    with pytest.raises(PrometheusNotInstalled):
        LocalPrometheus(["127.0.0.1:1"], binary="/nonexistent/prometheus").start()


def test_a_binary_that_fails_reports_its_output(tmp_path):
    fake = tmp_path / "prometheus"
    fake.write_text("#!/bin/sh\necho 'err: bad flag' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    prom = LocalPrometheus(["127.0.0.1:1"], binary=str(fake))
    with pytest.raises(LocalPrometheusError, match="exited with 3: err: bad flag"):
        prom.start()
    assert not prom.running and prom.port is None


def test_prometheus_measures_the_simulated_rates(binary):
    """Each preset shape, through a real Prometheus, gives each Service's configured rate."""
    sim = SimCluster("demo", seed=1, churn=0).start(port=0)
    try:
        rates = service_rates(sim.world)
        with LocalPrometheus([f"127.0.0.1:{sim.port}"], scrape_interval=1.0) as prom:
            directory = prom.directory
            assert directory is not None and (directory / "prometheus.yml").exists()
            assert prom.url.startswith("http://127.0.0.1:")
            counts = prom.wait_for_scrapes(15)
            assert counts == {f"127.0.0.1:{sim.port}": counts[f"127.0.0.1:{sim.port}"]}
            assert min(counts.values()) >= 15
            (target,) = prom.active_targets()
            assert target["health"] == "up", target.get("lastError")

            measured: dict[str, dict[tuple[str, str], float]] = {"cadvisor": {}}
            for (ns, pod), value in prom.query_values(CADVISOR, ("namespace", "pod")).items():
                workload = sim.world.pods[(ns, pod)].workload
                key = (ns, workload.name)
                measured["cadvisor"][key] = measured["cadvisor"].get(key, 0.0) + value
            measured["istio"] = prom.query_values(
                ISTIO, ("destination_service_namespace", "destination_service_name")
            )
            measured["beyla"] = prom.query_values(
                BEYLA, ("k8s_dst_namespace", "k8s_dst_owner_name")
            )
            for shape, values in measured.items():
                values = {k: v for k, v in values.items() if v > 0}
                assert set(values) == set(rates), shape
                for key, rate in rates.items():
                    assert values[key] == pytest.approx(rate, rel=0.05), (shape, key)
            with pytest.raises(LocalPrometheusError, match="parse error"):
                prom.query("sum by (")
            pid = prom.pid
        assert not directory.exists()  # stop() removed config, storage and log
        assert pid is not None and not os.path.exists(f"/proc/{pid}")
    finally:
        sim.stop()
