"""JSON texts one after another in one file, as people append them.

`kubectl get svc a -o json; kubectl get svc b -o json` appended to a file, JSON Lines,
`kubectl get --watch -o json` (with or without `--output-watch-events`), the API's raw watch
stream, and `kubectl cluster-info dump` to standard output, which prints its Lists one after
another with each Pod's logs between them (the logs are skipped).
"""

import json
import re
from typing import Any

import orjson

from .errors import InputError

_BLANK = re.compile(r"[ \t\r\n]*")
# kubectl cluster-info dump's frame around each container's log (clusterinfo_dump.go).
_LOGS_START = "==== START logs for container "
_LOGS_END = re.compile(r"==== END logs for container [^\n]*====[^\n]*(?:\n|$)")
# Finds where each text ends; what it builds is dropped at once, and orjson parses the text's
# bytes, so that a stream reads exactly as the same texts would one by one (orjson checks the
# UTF-8 and refuses lone surrogates and numbers out of range, which the json module lets pass).
_BOUNDARIES = json.JSONDecoder()


def json_documents(data: bytes, first_error: str) -> list[Any]:
    """The JSON texts in `data`, which orjson refused as one text with `first_error`, the
    message when the first text is itself broken (as for a single text)."""
    # Latin-1 maps each byte to one character, so positions in `text` are positions in `data`
    # and orjson can read slices of `data` without copies; UTF-8's multi-byte characters are
    # all above 0x7f, so they never look like JSON's brackets, quotes or escapes.
    text = data.decode("latin-1")
    view = memoryview(data)
    docs: list[Any] = []
    pos = _skip_blanks(text, 0)
    while pos < len(text):
        if text.startswith(_LOGS_START, pos):
            end = _LOGS_END.search(text, pos)
            pos = end.end() if end else len(text)
        else:
            try:
                doc, pos = _one_document(text, view, pos)
            except InputError as exc:
                if not docs:
                    raise InputError(first_error) from None
                raise InputError(f"{exc.message} (JSON text {len(docs) + 1})") from None
            docs.append(doc)
        pos = _skip_blanks(text, pos)
    return docs


def _skip_blanks(text: str, pos: int) -> int:
    return _BLANK.match(text, pos).end()  # type: ignore[union-attr]  # it matches ""


def _one_document(text: str, view: memoryview, start: int) -> tuple[Any, int]:
    try:
        end = _BOUNDARIES.raw_decode(text, start)[1]
    except RecursionError:
        where = _line_column(text, start)
        raise InputError(f"not valid JSON: nested too deeply (from {where})") from None
    except ValueError as exc:  # json.JSONDecodeError, or an integer too long to convert
        at = getattr(exc, "pos", start)
        reason = getattr(exc, "msg", None) or str(exc)
        raise InputError(f"not valid JSON: {reason} at {_line_column(text, at)}") from None
    try:
        return orjson.loads(view[start:end]), end
    except orjson.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} (in the text from {_line_column(text, start)})"
        ) from None


def _line_column(text: str, pos: int) -> str:
    """Where `pos` is, by line and byte in the line."""
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)  # rfind is -1 on the first line: column pos + 1
    return f"line {line}, column {column}"
