"""A cache for API answers that depend only on one snapshot and the request's query.

A committed snapshot never changes, so such an answer stays right for as long as the snapshot
exists; the key names the snapshot (its id and the instant it was written, which no other
snapshot shares even where SQLite reuses a deleted row's id), the host (answers carry absolute
links) and the query, so a new snapshot (or a pruned one, which 404s before the cache is asked)
is never answered from another's entry. Only answers that depend on nothing else may go
through here: not the Service detail, whose monthly figures follow the Service's volume, which
editors change.
"""

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache


def snapshot_answer(view: str, snapshot, request, build: Callable[[], Any]) -> Any:
    """`build()`'s result for this view, snapshot and query, computed once per cache lifetime."""
    seconds = settings.API_CACHE_SECONDS
    if not seconds:
        return build()
    query = sorted(request.query_params.lists())
    digest = hashlib.sha256(repr((request.get_host(), query)).encode()).hexdigest()[:32]
    key = f"api:{view}:{snapshot.pk}:{snapshot.created_at.timestamp()}:{digest}"
    found = cache.get(key)
    if found is None:
        found = build()
        cache.set(key, found, seconds)
    return found
