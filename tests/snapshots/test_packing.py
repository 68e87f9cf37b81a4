"""Stored objects and report entries are zlib streams whoever wrote them (small objects their
JSON as it is): the standard library reads what routing.snapshots.packing writes (ISA-L), and
rows written by zlib before it, which compressed every object, read the same."""

import random
import zlib

import orjson
from hypothesis import given
from hypothesis import strategies as st

from routing.snapshots.packing import SMALL_OBJECT, compress, pack_object, unpack_object
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
    packed = pack_object(raw)
    assert packed[:1] == b"\x78"  # a zlib header (deflate, 32 KB window)
    assert len(packed) < len(raw) / 3  # compressed, not stored
    assert decode(packed) == decode(zlib.compress(raw)) == obj


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=40,
)


@given(st.dictionaries(st.text(max_size=20), json_values, max_size=8))
def test_any_object_reads_back_from_what_is_stored(obj):
    raw = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    packed = pack_object(raw)
    assert unpack_object(packed) == raw
    assert unpack_object(memoryview(packed)) == raw  # as psycopg hands bytea back
    assert decode(packed) == obj
    # Small ones as they are, the others compressed.
    assert (packed == raw) == (len(raw) < SMALL_OBJECT)


def test_a_small_object_is_stored_as_its_json_and_read_like_a_compressed_one():
    obj = {"kind": "Pod", "metadata": {"name": "web-0", "namespace": "shop"}}
    raw = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    assert len(raw) < SMALL_OBJECT
    assert pack_object(raw) == raw
    assert decode(raw) == decode(zlib.compress(raw)) == decode(compress(raw)) == obj


def test_only_json_objects_are_stored_as_they_are():
    # Not an object's JSON (no caller stores one; the rule must not depend on that): compressed.
    assert zlib.decompress(pack_object(b"[1, 2]")) == b"[1, 2]"
    assert zlib.decompress(pack_object(b"")) == b""


def test_a_stored_form_worked_out_ahead_is_what_the_store_packs_and_hashes():
    import hashlib

    from routing.snapshots.prepare import canonical_bytes, stored_form

    small = {"kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}}
    large = {**small, "kind": "Service", "spec": {"ports": [{"port": p} for p in range(100)]}}
    for obj in (small, large):
        raw = canonical_bytes(obj)
        assert stored_form(obj) == (pack_object(raw), hashlib.sha256(raw).hexdigest())
        assert decode(stored_form(obj)[0]) == obj
    # Beyond 64 bits orjson cannot write it: no form, and the write says why (InputError).
    assert stored_form({**small, "spec": {"huge": 2**70}}) is None
