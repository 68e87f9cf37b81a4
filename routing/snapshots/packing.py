"""How stored objects and report entries are compressed: the zlib format, made by ISA-L.

Every ObjectVersion.data and ServiceSummary.report is a zlib stream, read back with the
standard library's zlib.decompress (read.py and the figures' readers), so rows written by any
version of this code read the same. Writing them with zlib itself cost a full 10,000-Service
snapshot ~2 s of its ~8 s of CPU: ~10 µs a call on 121,000 small objects, ~130 µs an 8 KB
report entry. ISA-L's level 1 makes the same format 2x (objects) to 7x (entries) faster, and
no larger than zlib's default level here (docs/benchmarks.md, issue 16 target 2).
"""

from isal import isal_zlib

# ISA-L's levels run 0-3; 1 compressed the generated cluster's objects and entries as small as
# zlib's level 6 did, 3 no smaller at twice the time, 0 (no Huffman search) 1.7x larger.
LEVEL = 1


def compress(data: bytes) -> bytes:
    """`data` as a zlib stream (RFC 1950), which zlib.decompress reads."""
    return isal_zlib.compress(data, LEVEL)
