"""A watch replica's presence: a short lease of its own, renewed by a thread of its own, that tells
the other replicas it is alive, how many share the clusters, and when one is gone.

A cluster's lease (routing.jobs.watching) lives a whole lease period after its last renewal, so a
replica killed just after renewing held its clusters for that long. Its presence lapses sooner
(half the lease), and another replica may then take the dead one's leases at once
(Lease.claim, atomic: a presence renewed meanwhile keeps them). The thread renews the
presence five times a presence period, apart from the supervisor's ticks, which can be slow
(starting watchers, waiting on the database), and wakes the supervisor when a replica it saw
has gone.

A replica that only stalls past its presence (Redis unreachable that long, a process starved of
CPU) can lose clusters this way; its next renewal then finds the lease held by another replica
and stops those watchers, and the next snapshot of each relists, so no change is lost.
"""

import logging
import threading
from collections.abc import Callable

from redis import RedisError

from routing.jobs.locks import Lease, live_holders

logger = logging.getLogger(__name__)

SHARING = "watch-replica:"  # replicas that split every live cluster between them
NAMED = "watch-named:"  # replicas started for named clusters (`watch --cluster`): not counted
BEATS_PER_PERIOD = 5  # renewals a presence period: a late one or two still keep it


class Presence:
    def __init__(self, holder: str, ttl: float, sharing: bool) -> None:
        self.ttl = ttl
        self.lease = Lease(f"{SHARING if sharing else NAMED}{holder}", ttl=ttl, holder=holder)
        self.seen: set[str] = set()  # replicas alive at the last beat
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def announce(self) -> None:
        """Renew the presence, or take it again if it lapsed (Redis restarted empty)."""
        self.lease.renew() or self.lease.acquire()

    def sharing(self) -> int:
        """How many replicas split the clusters now; at least this one."""
        return max(1, len(live_holders(SHARING)))

    def alive(self) -> set[str]:
        return live_holders(SHARING) | live_holders(NAMED)

    def start(self, on_departure: Callable[[], None]) -> None:
        """Beat in a daemon thread until stop(): `on_departure` runs when a replica is gone."""
        self._thread = threading.Thread(
            target=self._beat, args=(on_departure,), name="watch-presence", daemon=True
        )
        self._thread.start()

    def _beat(self, on_departure: Callable[[], None]) -> None:
        failing = False
        while not self._stop.wait(self.ttl / BEATS_PER_PERIOD):
            try:
                self.announce()
                alive = self.alive()
            except RedisError as exc:
                if not failing:  # the supervisor logs the outage; this notes the presence's part
                    logger.warning("presence not renewed (%s); retrying every beat", exc)
                failing = True
                continue
            except Exception:  # a bug must not end the presence: the replica would look dead
                logger.exception("presence beat failed; the next one retries")
                continue
            failing = False
            if self.seen - alive:
                on_departure()
            self.seen = alive

    def stop(self) -> None:
        """Stop the beat and release the presence: the others' share grows now."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            self.lease.release()
        except RedisError as exc:
            logger.warning("presence lease not released (%s); it expires", exc)
