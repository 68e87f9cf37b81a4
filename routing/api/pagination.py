"""Page-number pagination: 100 items a page by default, `page_size` up to 1000."""

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from django.core.paginator import InvalidPage
from django.core.paginator import Paginator as DjangoPaginator
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

if TYPE_CHECKING:  # for the annotations only: DRF loads this module by name from the settings
    from routing.figures.service_keys import KeysReader
    from routing.models import Snapshot


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class SnapshotPagination(PageNumberPagination):
    """Pages of one snapshot's rows: the page names the snapshot, and its links pin it.

    Without `?snapshot=`, the first page reads the newest snapshot; its `next` link names that
    snapshot, so a client walking the pages never mixes two snapshots when a new one arrives.
    """

    snapshot: "Snapshot | None" = None  # set by the view before it builds the response
    # Set by a view whose answers are cached: the validated query as (name, value) pairs, which
    # the links are built from instead of the request's own query string, so that an answer
    # served to others never carries one requester's unknown parameters (routing/api/cache.py).
    query: list[tuple[str, str]] | None = None

    def _pin(self, url: str | None) -> str | None:
        if url is None:
            return url
        if self.query is not None:
            parts = urlsplit(url)
            page = parse_qs(parts.query).get(self.page_query_param, [])[:1]
            pairs = [*self.query, *((self.page_query_param, p) for p in page)]
            url = urlunsplit(parts._replace(query=urlencode(pairs)))
        if self.snapshot is None:
            return url
        return replace_query_param(url, "snapshot", self.snapshot.seq)

    def get_next_link(self):
        return self._pin(super().get_next_link())

    def get_previous_link(self):
        return self._pin(super().get_previous_link())

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        snapshot = None
        if self.snapshot is not None:
            snapshot = {
                "id": self.snapshot.pk,
                "seq": self.snapshot.seq,
                "takenAt": self.snapshot.taken_at.isoformat().replace("+00:00", "Z"),
            }
        response.data = {"snapshot": snapshot, **response.data}
        return response

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"] = {
            "snapshot": {
                "type": "object",
                "nullable": True,
                "description": "The snapshot these rows belong to; null before the first one.",
                "required": ["id", "seq", "takenAt"],
                "properties": {
                    "id": {"type": "integer", "description": "Database id of the snapshot."},
                    "seq": {"type": "integer", "description": "Its seq."},
                    "takenAt": {
                        "type": "string",
                        "format": "date-time",
                        "description": "When it was taken.",
                    },
                },
            },
            **paginated["properties"],
        }
        paginated["required"] = ["snapshot", *paginated.get("required", [])]
        return paginated


_BEYOND_ANY_TABLE = 2**31


class OneScanPagination(SnapshotPagination):
    """SnapshotPagination that counts and picks the page in one pass over the rows.

    The usual paginator runs COUNT(*) and then the page query, and each scans every matching
    row (10,000 for a large cluster's Services). Here one query returns the page's keys with
    the total as a window count; the caller reads those rows by key. Same pages, links and
    errors as the parent: a page past the end is a 404, an empty first page is not (and costs
    no count). (Measured against keys first and a COUNT(*) only for a full page: PostgreSQL
    spent ~10% more, docs/benchmarks.md.)
    """

    def page_keys(
        self, keyed: "KeysReader", request: Request, view: APIView | None = None
    ) -> list[int]:
        """The primary keys of the requested page's rows, in order (not the rows:
        paginate_queryset's contract), ready for get_paginated_response. `keyed(offset, size)`
        gives that slice of the rows' keys, each with the count of all the rows."""
        from routing.figures.service_keys import count_of  # models: not at settings time

        self.request = request
        size = self.get_page_size(request)
        assert size is not None  # None only for a paginator without a page_size
        number = request.query_params.get(self.page_query_param) or 1
        if number in self.last_page_strings:
            number = DjangoPaginator(range(count_of(keyed)), size).num_pages
        try:
            number = int(number)
        except (TypeError, ValueError):
            number = -1  # Paginator.validate_number turns this into the 404 below
        offset = (max(number, 1) - 1) * size
        rows = keyed(offset, size) if offset < _BEYOND_ANY_TABLE else []
        # (else no row, and no OFFSET the database would refuse.) No row on the first page is
        # no row at all; past it, the count tells a 404 from the last page.
        total = rows[0][1] if rows else (count_of(keyed) if offset else 0)
        try:
            self.page = DjangoPaginator(range(total), size).page(number)
        except InvalidPage:
            raise NotFound(self.invalid_page_message) from None
        self.view = view
        return [k for k, _ in rows]
