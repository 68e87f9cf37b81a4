"""prepare_keyed (a watcher's full write: objects by kind, under its state's keys) gives what
_prepare gives for the same objects in the same order, and refuses what _prepare refuses with
the same words: the keys it trusts are exactly those _key would make."""

import copy
import random

import orjson
import pytest

from routing.engine import InputError
from routing.kube.resources import object_key
from routing.snapshots.prepare import _prepare, prepare_keyed, stored_form
from routing.snapshots.trim import KINDS, trim_object
from tests.factories import DEMO_DUMP


def demo_objects() -> list[dict]:
    items = orjson.loads(DEMO_DUMP.read_bytes())["items"]
    return [trim_object(o) for o in items if o.get("kind") in KINDS]


def by_kind(objects: list[dict]) -> dict[str, dict]:
    """As ClusterState holds them: per kind, under object_key."""
    held: dict[str, dict] = {}
    for obj in objects:
        key = object_key(obj)
        held.setdefault(key[0], {})[key] = obj
    return held


def as_items(held: dict[str, dict]) -> list[tuple[str, int, dict]]:
    everything = [obj for of_kind in held.values() for obj in of_kind.values()]
    return [("items", i, obj) for i, obj in enumerate(everything)]


def same(held, **kwargs):
    """Both results (compared field by field), or both errors' messages."""
    try:
        expected = _prepare(as_items(held), trimmed=True, **kwargs)
    except InputError as exc:
        with pytest.raises(InputError) as got:
            prepare_keyed(held, **kwargs)
        assert str(got.value) == str(exc)
        return None
    found = prepare_keyed(held, **kwargs)
    assert list(found) == list(expected)  # the same keys in the same order
    for key, p in expected.items():
        q = found[key]
        assert (q.prefix, q.index, q.raw, q.digest, q.packed) == (
            p.prefix,
            p.index,
            p.raw,
            p.digest,
            p.packed,
        )
        assert q.obj is p.obj
    return found


@pytest.mark.parametrize("seed", range(5))
def test_a_watchers_objects_are_prepared_as_prepare_prepares_them(seed):
    objects = demo_objects()
    random.Random(seed).shuffle(objects)  # the state's order is the order of arrival
    held = by_kind(objects)
    keys = [key for of_kind in held.values() for key in of_kind]
    rng = random.Random(seed)
    known = {k: stored_form(held[k[0]][k]) for k in rng.sample(keys, len(keys) // 2)}
    deferred = set(rng.sample(keys, len(keys) // 4)) - known.keys()
    found = same(held, known=known, deferred=deferred)
    assert found is not None and len(found) == len(keys)
    assert {k for k, p in found.items() if p.digest == ""} == deferred  # left to settle()
    assert all(found[k].packed == known[k][0] for k in known)  # neither hashed nor packed


def _edited(edit) -> dict[str, dict]:
    objects = demo_objects()
    edit(objects)
    return by_kind(objects)


def _first(objects, kind):
    return next(o for o in objects if o["kind"] == kind)


def _two_nodes_of_one_name(objects):
    node = _first(objects, "Node")
    objects.append({**copy.deepcopy(node), "metadata": {"name": "n", "namespace": "x"}})
    objects.append({**copy.deepcopy(node), "metadata": {"name": "n"}})


@pytest.mark.parametrize(
    "edit",
    [
        # A Node's own namespace is not read: keyed "" by _key, under it by the state.
        lambda objs: _first(objs, "Node")["metadata"].__setitem__("namespace", "kube-system"),
        # ... and then two Nodes of one name: the later one counts, as in _prepare.
        lambda objs: _two_nodes_of_one_name(objs),
        # A Service whose namespace the state reads as "" (none, or an empty one).
        lambda objs: _first(objs, "Service")["metadata"].pop("namespace"),
        lambda objs: _first(objs, "Service")["metadata"].__setitem__("namespace", ""),
        lambda objs: _first(objs, "EndpointSlice")["metadata"].__setitem__("namespace", 7),
        lambda objs: _first(objs, "Service")["metadata"].__setitem__("name", "s" * 254),
        lambda objs: _first(objs, "EndpointSlice")["metadata"].__setitem__("namespace", "n" * 254),
        lambda objs: _first(objs, "Service")["metadata"].__setitem__("name", 12),
        lambda objs: _first(objs, "Service")["metadata"].__setitem__("name", ""),
        lambda objs: _first(objs, "Service").pop("kind"),
        lambda objs: _first(objs, "Service").__setitem__("kind", "ConfigMap"),
    ],
)
def test_a_key_prepare_keyed_cannot_trust_is_left_to_prepare(edit):
    same(_edited(edit))


def test_an_object_filed_under_another_kind_is_left_to_prepare():
    held = by_kind(demo_objects())
    service_key, service = next(iter(held["Service"].items()))
    del held["Service"][service_key]
    held["Node"][service_key] = service  # filed as a Node, keyed as a Service
    same(held)
