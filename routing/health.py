"""Readiness probes behind /healthz and /api/v1/health: the database, and Redis beside it.

The database decides whether the app can serve (without it, 503). Redis carries the API answer
cache, the live updates' channel layer and the scheduled jobs' queue; pages and the API still
answer while it is down, so it is reported but does not fail the check.
"""

import logging
import threading

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

# Load balancers call the health check every few seconds with a timeout of their own: a Redis
# that accepts connections but never answers must cost at most this, once.
REDIS_PROBE_SECONDS = 0.5

REDIS_OK, REDIS_DOWN, REDIS_NOT_CONFIGURED = "ok", "down", "not_configured"

_last_redis_state = REDIS_OK
_state_lock = threading.Lock()


def database_reachable() -> bool:
    """True when the database answers a trivial query; the reason it did not goes to the log
    (it may name hosts), never to the anonymous caller of a health check."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: database unreachable")
        return False
    return True


def redis_state() -> str:
    """The state of Redis: "ok" when it answers PING in time, else "down"; "not_configured" without
    REDIS_URL (the embedded run: in-memory channel layer and cache, jobs in-process).

    A state change goes to the log once, with the reason; a check every few seconds during an
    outage does not repeat it."""
    global _last_redis_state
    if not settings.REDIS_URL:
        return REDIS_NOT_CONFIGURED
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=REDIS_PROBE_SECONDS,
        socket_timeout=REDIS_PROBE_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )
    error = None
    try:
        client.ping()
    except redis.RedisError as failure:
        error = failure
    finally:
        client.close()
    state = REDIS_OK if error is None else REDIS_DOWN
    with _state_lock:
        changed, _last_redis_state = state != _last_redis_state, state
    if changed and error is not None:
        logger.warning("health check: Redis unreachable: %s", error)
    elif changed:
        logger.info("health check: Redis reachable again")
    return state
