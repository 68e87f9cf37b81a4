"""The keys of a slice of the Services list, each with the count of all the list's rows.

The API's Services list and the dashboard's Services page read a page in two steps: the page's
keys in the list's order, then their rows (`page_values`). The keys of a list filtered by column
tests alone and ordered by a column come from the snapshot's index in this process
(routing.service_index), and so do their rows: asking the database scanned, counted and sorted
every row of the snapshot for each page, half a cold request's cost, and reading the page's rows
by key was a third of what was left (issue 16, target 3; docs/benchmarks.md).
A search, a zone or the order by monthly cost (which follows the volumes, not the snapshot), or
the index turned off (TRAFFICLENS_SERVICE_INDEX_ROWS=0), go through the ORM
(service_list.filtered_services), which tests/service_index/ holds the index equal to.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Count, Window

from routing.models import ServiceSummary
from routing.service_index.cache import index_of
from routing.volumes.lookup import SnapshotVolumes

from .health import Thresholds
from .service_list import filtered_services, summary_values

KeysReader = Callable[[int, int], list[tuple[int, int]]]

# What only the ORM can answer: a search, a zone, the order by monthly cost.
_ORM_FILTERS = ("search", "zone")
_ORM_ORDERINGS = ("monthly_cost",)


def count_of(keyed: KeysReader) -> int:
    """How many rows the reader's list has in all (its first key's count; 0 when empty)."""
    first = keyed(0, 1)
    return first[0][1] if first else 0


def no_keys(offset: int, size: int) -> list[tuple[int, int]]:
    """The KeysReader of a cluster without a snapshot."""
    return []


def keys_reader(
    snapshot: Any, query: dict, limits: Thresholds, volumes: SnapshotVolumes | None
) -> KeysReader:
    """A function of (offset, size) giving that slice of the Services of `snapshot` (a
    Snapshot, or one with its id, cluster id, seq and created_at) that pass `query`, in its
    order (`ordering` resolved by the caller), as (key, total) pairs."""
    if orm_only(query) or not settings.SERVICE_INDEX_ROWS:
        at = ServiceSummary.objects.at(snapshot.cluster_id, snapshot.seq)
        rows = filtered_services(at, query, limits, volumes)
        counted = rows.annotate(_total=Window(Count("pk"))).values_list("pk", "_total")
        return lambda offset, size: list(counted[offset : offset + size])
    return IndexKeys(snapshot, query, limits)


class IndexKeys:
    """The KeysReader of a query the snapshot's index answers; it gives the page's rows too
    (`page_values`), so such a page costs no query for them."""

    def __init__(self, snapshot: Any, query: dict, limits: Thresholds):
        self.query, self.limits = query, limits
        self.index = functools.cache(lambda: index_of(snapshot))  # read on the first page asked

    def __call__(self, offset: int, size: int) -> list[tuple[int, int]]:
        return self.index().page(self.query, self.limits, offset, size)


def page_values(keyed: KeysReader, keys: list[int]) -> list[tuple]:
    """The rows of a page's `keys` (`keyed`'s), as service_list.summary_values reads them:
    from the index that gave the keys, without a query, when an index did."""
    if not keys:
        return []
    if isinstance(keyed, IndexKeys):
        return keyed.index().rows(keys)
    return summary_values(keys)


def orm_only(query: dict) -> bool:
    """Whether only the ORM answers this query (a search, a zone, monthly cost)."""
    name = query["ordering"].lstrip("-")
    return name in _ORM_ORDERINGS or any(query.get(f) for f in _ORM_FILTERS)
