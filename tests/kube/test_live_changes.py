"""The watcher reports watch events for live pages as they arrive, not when a snapshot lands."""

import threading
import time

from kubernetes import config

from routing.kube.runner import ClusterWatcher
from routing.kube.state import MAX_CHANGES, ClusterState


def test_a_policy_switch_is_reported_at_once_even_while_snapshots_wait(demo_sim, tmp_path):
    path = tmp_path / "kc"
    demo_sim.write_kubeconfig(path)
    reports: list = []
    arrived = threading.Event()
    synced = threading.Event()

    def on_changes(changes, more):
        reports.append((time.time(), changes, more))
        if any(c["kind"] == "Service" and c["name"] == "checkout" for c in changes):
            arrived.set()

    watcher = ClusterWatcher(
        config.new_client_from_config(config_file=str(path)),
        write=lambda objects, source: synced.set(),
        set_status=lambda s, m: None,
        debounce=60,  # no snapshot would be written for a minute: changes must not wait for one
        max_delay=60,
        on_changes=on_changes,
    )
    watcher.start()
    try:
        deadline = time.monotonic() + 10
        while not watcher.state.synced:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        switched = time.time()
        demo_sim.set_traffic_distribution("shop", "checkout", "PreferSameNode")
        assert arrived.wait(2), reports
    finally:
        watcher.stop()
    received, changes, _ = next(r for r in reports if any(c["name"] == "checkout" for c in r[1]))
    [change] = [c for c in changes if c["name"] == "checkout"]
    assert change == {
        "type": "MODIFIED",
        "kind": "Service",
        "namespace": "shop",
        "name": "checkout",
        "at": change["at"],
    }
    assert switched <= change["at"] <= received < switched + 2
    assert not synced.is_set()


def test_a_burst_is_kept_in_full_up_to_the_cap_and_counted_beyond():
    state = ClusterState(("Pod",))
    for i in range(MAX_CHANGES + 7):
        state.apply("ADDED", {"kind": "Pod", "metadata": {"namespace": "a", "name": f"p{i}"}})
    state.apply("ADDED", {"kind": "Pod", "metadata": {"namespace": "a", "name": "p0"}})  # same
    changes, more = state.drain_changes()
    assert len(changes) == MAX_CHANGES and more == 7
    assert [c["name"] for c in changes[:2]] == ["p0", "p1"]
    assert state.drain_changes() == ([], 0)
