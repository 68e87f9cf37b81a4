"""Parsers for dump uploads that never read more than the configured limit (plus one byte).

The raw-body parsers return the body as bytes; the multipart parser keeps files in memory and
stops the upload once their bytes pass the limit. A declared Content-Length past the limit is
refused before anything is read. Both raise PayloadTooLarge (413) when the limit is passed;
TooManyObjects (413) is the answer to a dump past an object limit (routing/snapshots/intake.py).
"""

import io

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, DataAndFiles

from routing.api.errors import PayloadTooLarge
from routing.snapshots.intake import TooLarge

CHUNK = 64 * 1024
# Room for the multipart framing (boundaries, part headers, a small field or two) around the file.
MULTIPART_OVERHEAD = 64 * 1024
RAW_MEDIA_TYPES = (
    "application/json",
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
    "application/octet-stream",
)


def upload_limit() -> int:
    return settings.TRAFFICLENS_UPLOAD_MAX_BYTES


def _declared_length(parser_context) -> int | None:
    meta = parser_context["request"].META
    try:
        return int(meta.get("CONTENT_LENGTH") or meta.get("HTTP_CONTENT_LENGTH") or "")
    except ValueError:
        return None


class RawDumpParser(BaseParser):
    """The request body itself is the dump (JSON or YAML); returns it as bytes."""

    media_type = "application/octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = upload_limit()
        declared = _declared_length(parser_context)
        if declared is not None and declared > limit:
            raise PayloadTooLarge(limit)
        body = bytearray()
        while len(body) <= limit:
            chunk = stream.read(min(CHUNK, limit + 1 - len(body)))
            if not chunk:
                break
            body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(limit)
        return bytes(body)


# One parser class per accepted media type: DRF picks a parser by exact media type.
RAW_PARSERS = [
    type(f"RawDumpParser_{i}", (RawDumpParser,), {"media_type": media_type})
    for i, media_type in enumerate(RAW_MEDIA_TYPES)
]


class _CappedMemoryHandler(FileUploadHandler):
    """Keeps uploaded files in memory and stops once all of them together pass `limit` bytes."""

    def __init__(self, limit: int, request=None):
        super().__init__(request)
        self.limit = limit
        self.total = 0
        self.too_large = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data, start):
        self.total += len(raw_data)
        if self.total > self.limit:
            self.too_large = True
            # connection_reset: do not read the rest of the body just to throw it away
            raise StopUpload(connection_reset=True)
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            self.buffer,
            self.field_name,
            self.file_name,
            self.content_type,
            file_size,
            self.charset,
            self.content_type_extra,
        )


class CappedMultiPartParser(BaseParser):
    """multipart/form-data whose files may hold at most the upload limit in all."""

    media_type = "multipart/form-data"

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        limit = upload_limit()
        declared = _declared_length(parser_context)
        if declared is not None and declared > limit + MULTIPART_OVERHEAD:
            raise PayloadTooLarge(limit)
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        handler = _CappedMemoryHandler(limit, request)
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            data, files = DjangoMultiPartParser(meta, stream, [handler], encoding).parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error: {exc}") from None
        except SuspiciousOperation as exc:  # too many fields or files, a field too large
            raise ParseError(f"Multipart form refused: {exc}") from None
        if handler.too_large:
            raise PayloadTooLarge(limit)
        return DataAndFiles(data, files)


class TooManyObjects(exceptions.APIException):
    """An upload past an object limit (routing/snapshots/intake.py), refused before analysis."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The dump holds too many objects."
    default_code = "too_large"

    def __init__(self, exc: TooLarge, source: str | None):
        super().__init__(str(exc.with_source(source) if source else exc))
        self.details = {"limit": exc.limit, "count": exc.count, "setting": exc.setting}
