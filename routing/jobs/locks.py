"""Leases and locks across processes: Redis in production, in-process without REDIS_URL.

Used so that each cluster is watched by exactly one `watch` replica (a renewable lease) and so
that two snapshot jobs of one cluster never run at once (a short lock). With Redis, every call may
raise redis.RedisError while Redis is down; callers decide what that means (routing.jobs.watching
keeps watching). Calls time out after REDIS_TIMEOUT, so a Redis that hangs cannot hold them up.
"""

import threading
import time
import uuid
from typing import Any

from django.conf import settings

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
# Take a lease whose holder is gone: free, or held by a holder with no live key under any of
# the prefixes (ARGV[3..]: its presence). Atomic, so a holder that renews its presence in the
# meantime keeps the lease.
_TAKE_FROM_DEPARTED = """
local holder = redis.call('get', KEYS[1])
if holder then
  if holder == ARGV[1] then
    return 0
  end
  for i = 3, #ARGV do
    if redis.call('exists', ARGV[i] .. holder) == 1 then
      return 0
    end
  end
end
redis.call('set', KEYS[1], ARGV[1], 'px', ARGV[2])
return 1
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""

REDIS_TIMEOUT = 2.0  # seconds, to connect and for each answer

_local_lock = threading.Lock()
_local: dict[str, tuple[str, float]] = {}  # name -> (holder, expires at, monotonic)
_clients: dict[str, Any] = {}  # REDIS_URL -> client (a test may point the settings elsewhere)


def _client(url: str) -> Any:
    if url not in _clients:
        import redis

        _clients[url] = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
    return _clients[url]


class Lease:
    """A named lease held by one holder until it expires or is released.

    `acquire()` and `renew()` return whether this holder has it now; a holder that fails to
    renew in time loses it to the next one that asks.
    """

    def __init__(self, name: str, ttl: float, holder: str | None = None):
        self.key = f"trafficlens:{name}"
        self.ttl = ttl
        self.holder = holder or uuid.uuid4().hex

    def acquire(self) -> bool:
        if url := settings.REDIS_URL:
            return bool(_client(url).set(self.key, self.holder, nx=True, px=int(self.ttl * 1000)))
        with _local_lock:
            holder, expires = _local.get(self.key, ("", 0.0))
            if holder and holder != self.holder and expires > time.monotonic():
                return False
            _local[self.key] = (self.holder, time.monotonic() + self.ttl)
            return True

    def renew(self) -> bool:
        if url := settings.REDIS_URL:
            return bool(_client(url).eval(_RENEW, 1, self.key, self.holder, int(self.ttl * 1000)))
        with _local_lock:
            holder, expires = _local.get(self.key, ("", 0.0))
            if holder != self.holder or expires <= time.monotonic():
                return False
            _local[self.key] = (self.holder, time.monotonic() + self.ttl)
            return True

    def claim(self, presence: tuple[str, ...]) -> bool:
        """Take the lease if it is free or its holder is gone: no lease named a `presence`
        prefix + the holder is held any more (routing.jobs.watching: a replica's presence lapses
        well before its clusters' leases, so the clusters of one that died are taken sooner)."""
        if url := settings.REDIS_URL:
            prefixes = [f"trafficlens:{prefix}" for prefix in presence]
            script = _TAKE_FROM_DEPARTED
            ms = int(self.ttl * 1000)
            return bool(_client(url).eval(script, 1, self.key, self.holder, ms, *prefixes))
        with _local_lock:
            now = time.monotonic()
            holder, expires = _local.get(self.key, ("", 0.0))
            if holder and expires > now:
                if holder == self.holder:
                    return False
                for prefix in presence:
                    if _local.get(f"trafficlens:{prefix}{holder}", ("", 0.0))[1] > now:
                        return False
            _local[self.key] = (self.holder, now + self.ttl)
            return True

    def release(self) -> None:
        if url := settings.REDIS_URL:
            _client(url).eval(_RELEASE, 1, self.key, self.holder)
            return
        with _local_lock:
            if _local.get(self.key, ("", 0.0))[0] == self.holder:
                del _local[self.key]

    def remaining(self) -> float | None:
        """Seconds until the lease expires, whoever holds it; None when nobody does."""
        if url := settings.REDIS_URL:
            ms = _client(url).pttl(self.key)
            return ms / 1000 if ms >= 0 else None  # -2: no key; -1: no expiry (not ours)
        with _local_lock:
            holder, expires = _local.get(self.key, ("", 0.0))
            left = expires - time.monotonic()
            return left if holder and left > 0 else None


def live_holders(prefix: str) -> set[str]:
    """The names (after `prefix`) of the leases named `prefix` + something held now, e.g. the
    watch replicas' presence leases (routing.jobs.watching), the caller's own among them."""
    full = f"trafficlens:{prefix}"
    if url := settings.REDIS_URL:
        keys = _client(url).scan_iter(match=f"{full}*", count=1000)
        return {key.decode()[len(full) :] for key in keys}
    with _local_lock:
        now = time.monotonic()
        return {
            k[len(full) :] for k, (_, exp) in _local.items() if k.startswith(full) and exp > now
        }
