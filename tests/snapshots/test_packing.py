"""Stored objects and report entries are zlib streams whoever wrote them: the standard
library reads what routing.snapshots.packing writes (ISA-L), and rows written by zlib before
it read the same."""

import random
import zlib

import orjson
from hypothesis import given
from hypothesis import strategies as st

from routing.snapshots.packing import compress
from routing.snapshots.read import decode


@given(st.binary(max_size=20_000))
def test_zlib_reads_what_is_written(data):
    assert zlib.decompress(compress(data)) == data


def test_an_object_written_either_way_decodes_the_same():
    rng = random.Random(7)
    obj = {
        "kind": "EndpointSlice",
        "metadata": {"name": "web-abc12", "namespace": "shop"},
        "endpoints": [
            {"addresses": [f"10.0.{i}.{rng.randrange(256)}"], "zone": f"zone-{i % 3}"}
            for i in range(300)
        ],
    }
    raw = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    packed = compress(raw)
    assert packed[:1] == b"\x78"  # a zlib header (deflate, 32 KB window)
    assert len(packed) < len(raw) / 3  # compressed, not stored
    assert decode(packed) == decode(zlib.compress(raw)) == obj
