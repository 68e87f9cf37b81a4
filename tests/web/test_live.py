"""The live path end to end: the simulated cluster changes, the open page follows, no reload.

`manage.py serve --no-demo` (the embedded product: watcher and ASGI server in one process) watches
a simulated demo cluster running in this test; the browser keeps the Service page open while the
test switches the Service's trafficDistribution in the simulation. On CI (REDIS_URL set) events
cross the Redis channel layer; without it, the in-memory one.
"""

import re
import time

import pytest

from routing.kube.sim import SimCluster
from routing.models import Cluster, ServiceSummary, Snapshot
from tests.web.conftest import screenshot, sign_in
from tests.web.server import start_serve


@pytest.fixture
def watched_demo(tmp_path, transactional_db):
    sim = SimCluster(scenario="demo", seed=3, churn=0, bookmark_interval=0.5).start(port=0)
    kubeconfig = sim.write_kubeconfig(tmp_path / "sim.kubeconfig")
    cluster = Cluster.objects.create(
        name="demo", display_name="demo", source=Cluster.Source.SIMULATED, kube_context="simcluster"
    )
    yield sim, cluster, kubeconfig
    sim.stop()


def _wait_for_snapshot(cluster, after: int = 0, timeout: float = 30) -> Snapshot:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snapshot = cluster.latest_snapshot()
        if snapshot is not None and snapshot.seq > after:
            return snapshot
        time.sleep(0.2)
    raise AssertionError("no snapshot arrived")


def test_switching_a_policy_in_the_cluster_updates_the_open_page_within_2_s(
    page, watched_demo, viewer, tmp_path
):
    sim, cluster, kubeconfig = watched_demo
    server = start_serve(tmp_path, TRAFFICLENS_SIM_KUBECONFIG=str(kubeconfig))
    try:
        first = _wait_for_snapshot(cluster)
        path = "/clusters/demo/services/shop/frontend/"
        sign_in(page, server, viewer, path)
        page.wait_for_function("() => document.body.dataset.liveState === 'live'", timeout=10_000)
        policy = page.locator("#policy-mechanism")
        assert "PreferSameZone" in policy.inner_text()
        cross = page.locator("#stat-cross-zone")
        before = cross.inner_text()
        screenshot(page, "live-before")

        # Record what the cluster bar says between the watch event and the snapshot.
        page.evaluate(
            """() => {
              const el = document.getElementById('pending-changes');
              window.pendingSeen = [];
              const seen = () => { if (!el.hidden) window.pendingSeen.push(el.textContent); };
              new MutationObserver(seen).observe(
                el, {attributes: true, childList: true, characterData: true, subtree: true});
            }"""
        )
        switched = time.monotonic()
        sim.set_traffic_distribution("shop", "frontend", None)  # no topology routing: crosses zones
        page.wait_for_function(
            "el => !el.innerText.includes('PreferSameZone')", arg=policy.element_handle(),
            timeout=2_000,
        )  # fmt: skip
        elapsed = time.monotonic() - switched
        page.wait_for_function(
            "([el, old]) => el.innerText !== old", arg=[cross.element_handle(), before],
            timeout=2_000 - min(elapsed * 1000, 1_900),
        )  # fmt: skip
        elapsed = time.monotonic() - switched
        screenshot(page, "live-after")
        assert elapsed < 2.0
        latest = cluster.latest_snapshot()
        assert latest.seq > first.seq
        stored = ServiceSummary.objects.at(cluster.pk, latest.seq).get(
            namespace="shop", name="frontend"
        )
        assert stored.policy == "none"
        assert cross.inner_text() == f"{stored.cross_zone_fraction * 100:.1f}%" != before
        assert page.locator("#snapshot-info").get_attribute("data-seq") == str(latest.seq)
        # The watch event was shown before its snapshot landed, then cleared by it.
        seen = page.evaluate("window.pendingSeen")
        assert seen and re.fullmatch(r"· [1-9]\d* object changes? seen, updating…", seen[0]), seen
        assert page.locator("#pending-changes").is_hidden()
        # No reload happened: the navigation entry is still the first one.
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
        assert page.evaluate("performance.getEntriesByType('navigation')[0].type") == "navigate"
    finally:
        page.goto("about:blank")  # leave before the server goes, or the page's retries log errors
        server.stop()


def test_a_stale_cluster_shows_its_banner_and_the_socket_comes_back_by_itself(
    page, watched_demo, viewer, tmp_path
):
    sim, cluster, kubeconfig = watched_demo
    server = start_serve(tmp_path, TRAFFICLENS_SIM_KUBECONFIG=str(kubeconfig))
    try:
        _wait_for_snapshot(cluster)
        sign_in(page, server, viewer, "/clusters/demo/")
        page.wait_for_function("() => document.body.dataset.liveState === 'live'", timeout=10_000)
        banner = page.locator("#stale-banner")
        assert banner.is_hidden()

        sim.stop()  # the API goes away: after the grace period the watcher reports stale
        banner.wait_for(state="visible", timeout=20_000)
        assert page.locator("#cluster-status").inner_text().lower() == "stale"
        assert "demo" in banner.inner_text()
        screenshot(page, "live-stale")

        server.stop()  # the socket drops: the indicator says so and retries with backoff
        page.wait_for_function("() => document.body.dataset.liveState === 'offline'", timeout=5_000)
        assert "retrying" in page.locator("#live-indicator").inner_text().lower()
        server = start_serve(tmp_path, port=server.port, TRAFFICLENS_SIM_KUBECONFIG=str(kubeconfig))
        page.wait_for_function("() => document.body.dataset.liveState === 'live'", timeout=30_000)
        # The stopped watcher left the cluster idle; the new one finds the API gone and, after
        # the grace period, reports it stale again: the reconnected socket carries both.
        banner.wait_for(state="visible", timeout=20_000)
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    finally:
        page.goto("about:blank")
        server.stop()
        # While the server was down chromium logged each failed reconnection attempt: expected
        # here; anything else is not.
        page.console_errors[:] = [
            e for e in page.console_errors if "WebSocket connection to" not in e
        ]
