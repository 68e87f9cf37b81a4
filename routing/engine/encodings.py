"""The text encodings dumps arrive in: kubectl writes UTF-8, but Windows PowerShell 5.1's `>`
writes UTF-16 LE with a byte-order mark, and some editors add a UTF-8 one."""

import codecs

from .errors import InputError

# Longest first: UTF-32 LE's mark starts with UTF-16 LE's (a UTF-16 text cannot start with
# U+0000 and still be JSON or YAML, so the longer reading is the right one).
_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"),
    (codecs.BOM_UTF8, "", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)


def to_utf8(data: bytes) -> bytes:
    """The text as UTF-8 without a byte-order mark; the bytes themselves when they have none.

    The encoding is told by the byte-order mark only: without one the text is UTF-8, as
    kubectl writes it. Invalid text in the marked encoding is an InputError naming the byte.
    """
    for mark, codec, name in _MARKS:
        if not data.startswith(mark):
            continue
        body = data[len(mark) :]
        if not codec:
            return body
        try:
            # Strict decoding refuses lone surrogates, so the UTF-8 encoding cannot fail.
            return body.decode(codec).encode("utf-8")
        except UnicodeDecodeError as exc:
            at = exc.start + len(mark)
            raise InputError(f"not valid {name} text (byte {at}: {exc.reason})") from None
    return data


def binary_data_message(data: bytes) -> str:
    """Why text holding NUL bytes is refused, with the likely cause when it is UTF-16 or UTF-32
    text without a byte-order mark (kubectl's output starts with an ASCII character)."""
    head = data.lstrip(b" \t\r\n")[:4]
    if len(head) == 4 and (head[1] == 0 or head[0] == 0) and any(head):
        return (
            "binary data, not JSON or YAML text (UTF-16 or UTF-32 without a byte-order mark?"
            " save it as UTF-8, or with its byte-order mark)"
        )
    return "binary data, not JSON or YAML text"
