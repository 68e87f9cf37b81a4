"""The API's rate limits: failed token authentications per address, and anonymous requests.

Both count in the default cache (Redis when REDIS_URL is set, so every web process shares the
counts; else per process) by the client address of routing/client_ip.py, and both let requests
through while the cache is unreachable: a Redis outage must not take the API down with it.
Authenticated requests are not rate-limited: dashboards and tools poll the API.
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import Throttled
from rest_framework.throttling import AnonRateThrottle

from routing.api.cache import tolerant
from routing.client_ip import client_ip


class TooManyFailedAuthentications(Throttled):
    default_detail = "Too many failed authentication attempts from this address."


def _count_failure(key: str, window: int) -> int:
    cache.add(key, 0, window + 60)  # outlives its window a little, never by much
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window + 60)
        return 1


def count_token_failure(request) -> None:
    """Count one failed token authentication from the request's address; past
    TRAFFICLENS_TOKEN_FAILURE_LIMIT within the window (TRAFFICLENS_LOGIN_COOLOFF_MINUTES, the
    sign-in lockout's cool-off), raise 429 with Retry-After until the window ends.

    Windows are fixed slots of the clock, so the wait is exact and the count one atomic
    increment; a burst across a slot boundary may get up to twice the limit, which is fine for
    a limit whose job is to slow a client down, not to count exactly."""
    window = settings.LOGIN_COOLOFF_MINUTES * 60
    now = time.time()
    key = f"auth-failures:{client_ip(request)}:{int(now // window)}"
    failures = tolerant(lambda: _count_failure(key, window), 0)
    if failures > settings.TRAFFICLENS_TOKEN_FAILURE_LIMIT:
        raise TooManyFailedAuthentications(wait=window - now % window)


class AnonymousRateThrottle(AnonRateThrottle):
    """DRF's anonymous throttle, keyed by routing.client_ip (DRF's own would believe any
    X-Forwarded-For), and open while the cache is unreachable."""

    def get_ident(self, request) -> str:
        return client_ip(request)

    def allow_request(self, request, view) -> bool:
        return tolerant(
            lambda: super(AnonymousRateThrottle, self).allow_request(request, view), True
        )
