"""A cache for API answers that depend only on one snapshot and the request's validated query.

A committed snapshot never changes, so such an answer stays right for as long as the snapshot
exists; the key names the snapshot (its id and the instant it was written, which no other
snapshot shares even where SQLite reuses a deleted row's id), the host (answers carry absolute
links) and the query, so a new snapshot (or a pruned one, which 404s before the cache is asked)
is never answered from another's entry. Only answers that depend on nothing else may go
through here: not the Service detail, whose monthly figures follow the Service's volume, which
editors change.

The key is built from the validated, normalised query only (defaults left out), never from the
raw query string: otherwise every unknown parameter (`?x=1`, `?utm=...`) would make a new entry,
and anyone could fill the cache. An answer larger than API_CACHE_MAX_ENTRY_BYTES is served but
not stored. The cache is an optimisation: while its Redis is unreachable answers are computed
every time (one warning per outage, not per request), and caching resumes by itself. The API's
rate limits (routing/api/throttling.py) count in the same cache and go through `tolerant` too.
"""

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from redis.exceptions import RedisError
from rest_framework import serializers
from rest_framework.fields import empty

from routing.api.lookups import SnapshotRef
from routing.api.renderers import ORJSONRenderer

logger = logging.getLogger(__name__)
T = TypeVar("T")

# After a cache error the cache is left alone this long before it is tried again, so an outage
# (or a Redis host that swallows packets until the socket timeout) costs one failed attempt per
# interval and process, not one per request.
RETRY_SECONDS = 5.0


class Outage:
    """Whether this process currently finds the cache unreachable, and until when to skip it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down = False
        self.skip_until = 0.0

    def usable(self) -> bool:
        return not self.down or time.monotonic() >= self.skip_until

    def failed(self, error: Exception) -> None:
        with self.lock:
            self.skip_until = time.monotonic() + RETRY_SECONDS
            first = not self.down
            self.down = True
        if first:
            logger.warning(
                "cache unreachable, answering without it (no cached answers, no rate limits) "
                "until it returns: %s",
                error,
            )

    def worked(self) -> None:
        if self.down:
            with self.lock:
                recovered, self.down = self.down, False
            if recovered:
                logger.info("cache reachable again")


_outage = Outage()


def tolerant(operation: Callable[[], T], fallback: T) -> T:
    """`operation()` on the cache, or `fallback` while the cache is unreachable (skipped for
    RETRY_SECONDS after an error; the outage is logged once). For everything that uses the
    cache only to save work or to count: answers, rate limits."""
    if not _outage.usable():
        return fallback
    try:
        result = operation()
    except RedisError as error:
        _outage.failed(error)
        return fallback
    _outage.worked()
    return result


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def canonical_query(query: serializers.Serializer, request, paginator) -> list[tuple[str, str]]:
    """The validated query as sorted (name, value) pairs, defaults and unknown names left out,
    plus the page size when it is not the default: what the answer's links are built from."""
    pairs = []
    for name, value in query.validated_data.items():
        default = query.fields[name].default
        if value is None or (default is not empty and value == default):
            continue
        pairs.append((name, _text(value)))
    size = paginator.get_page_size(request)
    if size != paginator.page_size:
        pairs.append((paginator.page_size_query_param, str(size)))
    return sorted(pairs)


def page_key(request, paginator) -> str:
    """The requested page for a cache key: `01` and `1` (and no page at all) are page 1."""
    raw = request.query_params.get(paginator.page_query_param) or "1"
    try:
        return str(int(raw))
    except ValueError:
        return raw  # "last", or something the paginator answers with 404 (never stored)


def snapshot_json(
    view: str,
    snapshot: SnapshotRef,
    request,
    build: Callable[[], Any],
    query: list[tuple[str, str]],
) -> HttpResponse:
    """The JSON of `build()`'s result for this view, snapshot and normalised query
    (`canonical_query` and the page), rendered once per cache lifetime.

    The rendered bytes are what is cached, so that a hit is a cache read and nothing else: no
    unpickling of a large answer and no rendering it again (both were most of a cached
    recommendations request's time, docs/benchmarks.md)."""
    seconds = settings.API_CACHE_SECONDS
    if not seconds:
        return _json(_renderer.render(build()))
    digest = hashlib.sha256(repr((request.get_host(), query)).encode()).hexdigest()[:32]
    key = f"api:{view}:{snapshot.id}:{snapshot.created_at.timestamp()}:{digest}"
    found = tolerant(lambda: cache.get(key), None)
    if isinstance(found, bytes):
        return _json(found)
    body = _renderer.render(build())
    if len(body) <= settings.API_CACHE_MAX_ENTRY_BYTES:
        tolerant(lambda: cache.set(key, body, seconds), None)
    return _json(body)


def snapshot_value(
    kind: str,
    snapshot_id: int,
    created_at: Any,
    parts: list[tuple[str, Any]],
    build: Callable[[], T],
) -> T:
    """`build()`'s result for this snapshot and `parts` (what else it depends on: a policy, the
    volumes' stamp), computed once per cache lifetime: for pages whose first paint holds the
    same figures as an answer above (the topology page's flow map and top Services)."""
    seconds = settings.API_CACHE_SECONDS
    if not seconds:
        return build()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = f"value:{kind}:{snapshot_id}:{created_at.timestamp()}:{digest}"
    found = tolerant(lambda: cache.get(key), None)
    if found is not None:
        return found
    value = build()
    tolerant(lambda: cache.set(key, value, seconds), None)
    return value


_renderer = ORJSONRenderer()


def _json(body: bytes) -> HttpResponse:
    # What DRF's Response with the JSON renderer would send (the API has no other renderer).
    return HttpResponse(body, content_type=_renderer.media_type)
