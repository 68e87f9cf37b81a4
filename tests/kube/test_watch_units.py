"""The watcher's building blocks without a server: backoff, health, line splitting, state."""

import random

from routing.kube.state import ClusterState
from routing.kube.watch import Backoff, HealthTracker, iter_lines


def test_backoff_grows_with_full_jitter_and_caps():
    backoff = Backoff(base=0.5, cap=4.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(10)]
    bounds = [min(4.0, 0.5 * 2**i) for i in range(10)]
    assert all(0 <= d <= b for d, b in zip(delays, bounds, strict=True))
    assert max(delays[5:]) > 1.0  # it does grow
    backoff.reset()
    assert backoff.next_delay() <= 0.5


def test_health_is_stale_only_after_the_grace_period_and_recovers():
    now = [100.0]
    health = HealthTracker(stale_after=5.0, clock=lambda: now[0])
    health.report("Pod", "HTTP 500")
    assert health.stale_reason() is None
    now[0] += 6
    assert health.stale_reason() == "Pod API unreachable for 6s: HTTP 500"
    health.report("Pod", None)
    assert health.stale_reason() is None


class _Chunks:
    def __init__(self, chunks):
        self.chunks = chunks

    def stream(self, amt, decode_content=False):
        yield from self.chunks


def test_iter_lines_joins_split_events_and_skips_blank_lines():
    chunks = [b'{"a":', b'1}\n\n{"b":2}\n{"c"', b":3}"]
    assert list(iter_lines(_Chunks(chunks))) == [b'{"a":1}', b'{"b":2}', b'{"c":3}']


def _obj(kind, name, **extra):
    return {"kind": kind, "metadata": {"name": name, "namespace": "ns"}, **extra}


def test_state_tracks_sync_changes_and_ignores_no_op_updates():
    state = ClusterState(("Service", "Pod"))
    state.replace_kind("Service", [_obj("Service", "a"), _obj("Service", "b")])
    assert not state.synced
    state.replace_kind("Pod", [])
    assert state.synced
    version = state.version
    state.apply("MODIFIED", _obj("Service", "a"))  # identical: nothing changes
    assert state.version == version
    state.apply("MODIFIED", _obj("Service", "a", spec={"x": 1}))
    state.apply("DELETED", _obj("Service", "b"))
    state.apply("DELETED", _obj("Service", "zz"))  # unknown: nothing changes
    assert state.version == version + 2
    state.replace_kind("Service", [_obj("Service", "c")])  # a relist drops what is gone
    _, objects = state.objects()
    assert sorted(o["metadata"]["name"] for o in objects) == ["c"]


def _key(kind, name):
    return (kind, "ns", name)


def test_a_handover_lists_what_changed_until_a_write_of_it_commits():
    state = ClusterState(("Service", "Pod"))
    state.replace_kind("Service", [_obj("Service", "a"), _obj("Service", "b")])
    state.replace_kind("Pod", [_obj("Pod", "p")])
    first = state.handover()  # before any write: everything
    assert set(first.changed) == {_key("Service", "a"), _key("Service", "b"), _key("Pod", "p")}
    assert sorted(o["metadata"]["name"] for o in first) == ["a", "b", "p"] and len(first) == 3
    state.written(first)
    assert state.handover().changed == {}

    state.apply("MODIFIED", _obj("Service", "a", spec={"x": 1}))
    state.apply("DELETED", _obj("Pod", "p"))
    failed = state.handover()  # a write that fails: the changes stay pending
    assert failed.changed == {
        _key("Service", "a"): _obj("Service", "a", spec={"x": 1}),
        _key("Pod", "p"): None,
    }
    state.apply("ADDED", _obj("Pod", "q"))
    retried = state.handover()
    assert set(retried.changed) == {_key("Service", "a"), _key("Pod", "p"), _key("Pod", "q")}
    # Changed again while the write ran: still pending after it commits; the rest is not.
    state.apply("MODIFIED", _obj("Service", "a", spec={"x": 2}))
    state.written(retried)
    after = state.handover()
    assert after.changed == {_key("Service", "a"): _obj("Service", "a", spec={"x": 2})}
    assert after.by_kind["Pod"] == {_key("Pod", "q"): _obj("Pod", "q")}


def test_a_handover_is_a_copy_that_later_events_leave_alone():
    state = ClusterState(("Service",))
    state.replace_kind("Service", [_obj("Service", "a")])
    handover = state.handover()
    state.apply("ADDED", _obj("Service", "b"))
    state.apply("DELETED", _obj("Service", "a"))
    assert list(handover.by_kind["Service"]) == [_key("Service", "a")]
    # Its changes are looked up on first use, yet as they were when it was taken: a, not yet
    # deleted, and not b.
    assert handover.changed == {_key("Service", "a"): _obj("Service", "a")}
    assert len(handover.changed) == 1


def test_a_relist_marks_only_what_differs():
    state = ClusterState(("Service",))
    state.replace_kind("Service", [_obj("Service", "a"), _obj("Service", "b")])
    state.written(state.handover())
    # After 410 Gone: the same list again, but b edited, c new and a gone.
    state.replace_kind("Service", [_obj("Service", "b", spec={"x": 1}), _obj("Service", "c")])
    changed = state.handover().changed
    assert changed == {
        _key("Service", "a"): None,
        _key("Service", "b"): _obj("Service", "b", spec={"x": 1}),
        _key("Service", "c"): _obj("Service", "c"),
    }
    state.written(state.handover())
    state.replace_kind("Service", [_obj("Service", "b", spec={"x": 1}), _obj("Service", "c")])
    assert state.handover().changed == {}


def test_the_state_works_out_a_form_for_each_object_that_changes_as_it_arrives():
    formed = []

    def form(obj):
        formed.append(obj["metadata"]["name"])
        return ("form of", obj["metadata"]["name"], obj.get("spec"))

    state = ClusterState(("Service",), form)
    state.replace_kind("Service", [_obj("Service", "a"), _obj("Service", "b")])
    assert sorted(formed) == ["a", "b"]
    state.apply("MODIFIED", _obj("Service", "a"))  # a heartbeat trimming made identical
    state.replace_kind("Service", [_obj("Service", "a"), _obj("Service", "b")])  # a relist
    assert sorted(formed) == ["a", "b"]  # neither worked out again
    state.apply("MODIFIED", _obj("Service", "a", spec={"x": 1}))
    state.apply("ADDED", _obj("Service", "c"))
    state.apply("DELETED", _obj("Service", "b"))
    assert sorted(formed) == ["a", "a", "b", "c"]
    handover = state.handover()
    assert handover.forms == {
        _key("Service", "a"): ("form of", "a", {"x": 1}),
        _key("Service", "c"): ("form of", "c", None),
    }
    state.replace_kind("Service", [_obj("Service", "c")])  # a relist without "a"
    assert state.handover().forms == {_key("Service", "c"): ("form of", "c", None)}
    assert handover.forms[_key("Service", "a")] == ("form of", "a", {"x": 1})  # a copy
    assert ClusterState(("Service",)).handover().forms == {}  # no form: none handed over
