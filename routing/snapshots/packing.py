"""How stored objects and report entries are packed: the zlib format, made by ISA-L, or, for
an object too small to gain from it, its JSON as it is.

Every ServiceSummary.report and every ObjectVersion.data of 256 bytes or more is a zlib stream,
read back with the standard library's zlib.decompress (read.py and the figures' readers), so
rows written by any version of this code read the same. Writing them with zlib itself cost a
full 10,000-Service snapshot ~2 s of its ~8 s of CPU: ~10 µs a call on 121,000 small objects,
~130 µs an 8 KB report entry. ISA-L's level 1 makes the same format 2x (objects) to 7x
(entries) faster, and no larger than zlib's default level here (docs/benchmarks.md, issue 16
target 2).

Below 256 bytes (a trimmed Pod, typically: 83% of the generated 10,000-Service cluster's
objects) even ISA-L spends ~4.7 µs an object, mostly setting its state up, to save ~20% of ~200
bytes: those are stored as their canonical JSON (0.45 s of CPU less in that cluster's full
snapshot; its stored objects 27.8 MiB instead of 24.1). The two forms cannot be confused: a
zlib stream's first byte names its method (deflate: 0x?8, 0x78 as written here) and canonical
JSON of an object starts with "{" (0x7B).
"""

import zlib

from isal import isal_zlib

# ISA-L's levels run 0-3; 1 compressed the generated cluster's objects and entries as small as
# zlib's level 6 did, 3 no smaller at twice the time, 0 (no Huffman search) 1.7x larger.
LEVEL = 1
# Objects shorter than this are stored as they are (module docstring; docs/benchmarks.md).
SMALL_OBJECT = 256
_JSON_OBJECT = ord("{")


def compress(data: bytes) -> bytes:
    """`data` as a zlib stream (RFC 1950), which zlib.decompress reads."""
    return isal_zlib.compress(data, LEVEL)


def pack_object(raw: bytes) -> bytes:
    """An object's canonical JSON as stored: compressed unless it is small."""
    if len(raw) < SMALL_OBJECT and raw[:1] == b"{":
        return raw
    return compress(raw)


def unpack_object(data: bytes | memoryview) -> bytes | memoryview:
    """The JSON that pack_object (or any earlier writer, which compressed every object)
    stored as `data`."""
    if data and data[0] == _JSON_OBJECT:
        return data
    return zlib.decompress(data)
