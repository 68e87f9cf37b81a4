"""Request bodies, read whole before any answer on every path.

On a kept-alive connection an unread body would be parsed as the next request (kubectl then
logs "Unsolicited response", the Python client gets an error page), so each request's body is
consumed first: `Content-Length` bytes, or a chunked body up to its last chunk and trailers.
A body that cannot be read to its end is refused and the connection closed.
"""

from email.message import Message
from typing import Protocol

from .errors import HttpError

MAX_BODY = 3 * 1024 * 1024  # the API server's own limit on a request body


class Reader(Protocol):
    """The request's input stream (the handler's rfile)."""

    def read(self, size: int, /) -> bytes: ...

    def readline(self, size: int, /) -> bytes: ...


class BodyError(HttpError):
    """The body is malformed or too large: answered, then the connection is closed."""


def read_body(rfile: Reader, headers: Message) -> bytes:
    codings = [c.strip().lower() for c in (headers.get("Transfer-Encoding") or "").split(",")]
    if codings != [""]:
        if codings[-1] != "chunked":
            raise BodyError(501, "NotImplemented", f"unsupported transfer coding {codings[-1]!r}")
        return _read_chunked(rfile)  # Content-Length, if sent too, does not count (RFC 9112)
    length_header = headers.get("Content-Length")
    if length_header is None:
        return b""
    try:
        length = int(length_header)
    except ValueError:
        length = -1
    if length < 0:
        raise BodyError(400, "BadRequest", f"invalid Content-Length {length_header!r}")
    if length > MAX_BODY:
        raise BodyError(413, "RequestEntityTooLarge", "the request body is too large")
    body = rfile.read(length) if length else b""
    if len(body) != length:
        raise BodyError(400, "BadRequest", "the request body ended early")
    return body


def _line(rfile: Reader) -> bytes:
    line = rfile.readline(1026)
    if not line.endswith(b"\n"):
        raise BodyError(400, "BadRequest", "malformed chunked request body")
    return line


def _read_chunked(rfile: Reader) -> bytes:
    parts, total = [], 0
    while True:
        size_text = _line(rfile).split(b";", 1)[0].strip()  # chunk extensions are ignored
        try:
            size = int(size_text, 16)
        except ValueError:
            size = -1
        if size < 0:
            raise BodyError(400, "BadRequest", "malformed chunk size")
        if size == 0:
            break
        total += size
        if total > MAX_BODY:
            raise BodyError(413, "RequestEntityTooLarge", "the request body is too large")
        chunk = rfile.read(size)
        if len(chunk) != size or _line(rfile).strip():
            raise BodyError(400, "BadRequest", "malformed chunked request body")
        parts.append(chunk)
    while _line(rfile).strip():  # trailer fields, then the empty line that ends the body
        pass
    return b"".join(parts)
