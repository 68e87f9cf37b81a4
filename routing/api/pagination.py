"""Page-number pagination: 100 items a page by default, `page_size` up to 1000."""

from rest_framework import pagination
from rest_framework.utils.urls import replace_query_param


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class SnapshotPagination(PageNumberPagination):
    """Pages of one snapshot's rows: the page names the snapshot, and its links pin it.

    Without `?snapshot=`, the first page reads the newest snapshot; its `next` link names that
    snapshot, so a client walking the pages never mixes two snapshots when a new one arrives.
    """

    snapshot = None  # set by the view before it builds the response

    def _pin(self, url: str | None) -> str | None:
        if url is None or self.snapshot is None:
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
