"""A watch replica's presence (routing.jobs.presence) and the lease claim it allows: a lease whose
holder's presence is gone may be taken before it lapses, one whose holder is present may not.
Both lease back ends: a real Redis (the production path) and the in-process one."""

import threading
import time

import pytest

from routing.jobs import locks
from routing.jobs.locks import Lease
from routing.jobs.presence import NAMED, SHARING, Presence
from tests.kube.waiting import wait_for


@pytest.fixture(params=["redis", "in-process"])
def backend(request, settings, monkeypatch):
    if request.param == "redis":
        server = request.getfixturevalue("own_redis")
        settings.REDIS_URL = server.url
    else:
        settings.REDIS_URL = ""
        monkeypatch.setattr(locks, "_local", {})  # no lease left over from another test
    return request.param


def test_a_lease_is_claimed_from_a_departed_holder_only(backend):
    dead, live = Presence("watch-dead", ttl=0.5, sharing=True), Presence("watch-live", 30, False)
    me = Presence("watch-me", ttl=30, sharing=True)
    for presence in (dead, live, me):
        presence.announce()
    theirs = Lease("watch:1", ttl=30, holder="watch-dead")
    kept = Lease("watch:2", ttl=30, holder="watch-live")
    assert theirs.acquire() and kept.acquire()
    mine = {n: Lease(f"watch:{n}", ttl=30, holder="watch-me") for n in (1, 2, 3)}
    assert not mine[1].claim((SHARING, NAMED))  # its holder is still present
    wait_for(lambda: dead.lease.remaining() is None, 5, step=0.05)
    assert theirs.remaining() > 20  # the lease itself has most of its time left ...
    assert mine[1].claim((SHARING, NAMED))  # ... and is taken now its holder is gone
    assert not theirs.renew()  # the old holder cannot take it back by renewing
    assert mine[1].renew() and mine[1].remaining() > 20
    assert not mine[2].claim((SHARING, NAMED))  # present as a named replica: kept
    assert kept.renew()
    assert mine[2].claim((SHARING,))  # only the prefixes given count as presence
    assert not kept.renew()
    assert mine[3].claim((SHARING, NAMED))  # a free lease is simply taken
    assert not Lease("watch:3", ttl=30, holder="watch-other").claim((SHARING, NAMED))
    live.stop()
    me.stop()


def test_the_beat_keeps_the_presence_and_reports_a_departure(backend):
    departures = threading.Event()
    mine = Presence("watch-mine", ttl=0.5, sharing=True)
    other = Presence("watch-other", ttl=0.5, sharing=True)
    other.announce()
    mine.start(on_departure=departures.set)
    try:
        time.sleep(1.5)  # three of its presence periods: the beat renewed it meanwhile
        assert mine.lease.remaining() is not None
        assert mine.sharing() == 1  # the other, never renewed, lapsed ...
        wait_for(departures.is_set, 5, step=0.05)  # ... and that was reported
        departures.clear()
        other.announce()  # a replica that joins is not a departure
        wait_for(lambda: mine.seen == {"watch-mine", "watch-other"}, 5, step=0.05)
        assert not departures.is_set()
        assert mine.sharing() == 2
        other.stop()  # leaving cleanly is one too
        wait_for(departures.is_set, 5, step=0.05)
    finally:
        mine.stop()
    assert mine.lease.remaining() is None  # released on stop
