"""JSON responses rendered with orjson: the same JSON as DRF's renderer, several times faster.

A page of 100 Services or a Service's report is a few thousand values; with the standard
library's encoder, rendering was a visible share of each request. Values orjson does not know
(lazy translations, Decimals, datetimes, whose DRF form ends in "Z" and keeps milliseconds)
go through DRF's own encoder, so the output does not change.
"""

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_drf = JSONEncoder()
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class ORJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        out = orjson.dumps(data, default=_drf.default, option=_OPTIONS)
        # As DRF does: the two line separators JSON allows raw but JavaScript source does not.
        if b"\xe2\x80" in out:
            out = out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return out
