"""Hostile input: any JSON value, or a valid dump with one part replaced by junk, gives a report or
an InputError, never another exception (which the command line would show as a traceback)."""

import copy
import json
import pathlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.engine import InputError, Options, analyze_cluster, build_cluster, load_bytes

VECTORS = sorted((pathlib.Path(__file__).parent / "vectors").glob("*.json"))
INPUTS = [json.loads(p.read_text())["input"] for p in VECTORS[::5]]

junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def analyse(data: bytes) -> None:
    try:
        analyze_cluster(build_cluster(load_bytes(data)), Options())
    except InputError as exc:
        assert str(exc)  # a message a person can read


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _paths(sub, (*prefix, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _paths(sub, (*prefix, i))


@settings(max_examples=300, deadline=None)
@given(junk)
def test_any_json_value(value):
    analyse(json.dumps(value).encode())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(INPUTS), st.data(), junk)
def test_valid_dump_with_one_part_replaced(doc, data, replacement):
    doc = copy.deepcopy(doc)
    path = data.draw(st.sampled_from(list(_paths(doc))[1:]))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = replacement
    analyse(json.dumps(doc).encode())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes(data):
    analyse(data)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=12),
        st.integers(),
        st.floats(),
        st.sampled_from(["1e999999", "-4", "1e-999999", "9" * 400]),
    )
)
def test_any_allocatable_cpu(cpu):
    node = {
        "kind": "Node",
        "metadata": {"name": "n", "labels": {"topology.kubernetes.io/zone": "a"}},
        "status": {
            "allocatable": {"cpu": cpu},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }
    analyse(json.dumps({"kind": "List", "items": [node]}).encode())
