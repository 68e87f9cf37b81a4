"""Properties of every fix on random clusters (the engine's own generator,
tests/engine/test_properties.py): each listed fix really helps, and its `after` equals a fresh
analysis of the dump changed as the fix says (tests/fixes/applying.py)."""

import orjson
import pytest
from hypothesis import given, settings

from routing.engine import analyze_cluster, build_cluster, load_bytes
from routing.fixes import add_fixes
from tests.engine.test_properties import Generated, clusters

from .applying import after_applying

FIXES = settings(max_examples=60, deadline=None)


def _with_fixes(gen: Generated) -> dict:
    loaded = load_bytes(gen.data)
    report = analyze_cluster(build_cluster(loaded), gen.options)
    add_fixes(report, [obj for _, _, obj in loaded], gen.options)
    return report


@FIXES
@given(clusters(healthy=True))
def test_every_fix_helps_and_its_after_is_what_applying_it_gives(gen: Generated) -> None:
    limit = gen.options.overload_limit
    for entry in _with_fixes(gen)["services"]:
        flows = entry["flows"]
        troubled = any(d["severity"] in ("warning", "error") for d in entry["diagnostics"])
        if troubled and not entry["fixes"]:
            assert entry["noFixReason"], entry["name"]
        for fix in entry["fixes"]:
            after = fix["after"]
            assert after["maxOverload"] <= limit + 1e-9
            assert after["dropped"] <= flows["dropped"] + 1e-9
            if gen.clients == "pods" and fix["kind"] == "add-endpoints":
                continue  # new Pods move the Pod weighting; applying() analyses without Pods
            fresh = after_applying(gen.items, entry["namespace"], entry["name"], fix, gen.options)
            for figure, value in after.items():
                assert fresh[figure] == pytest.approx(value, abs=1e-9), (fix["kind"], figure)


@FIXES
@given(clusters(healthy=True))
def test_the_search_never_changes_the_objects_it_is_given(gen: Generated) -> None:
    """The objects are the snapshot's own (stored right after): edits work on copies."""
    loaded = load_bytes(gen.data)
    objects = [obj for _, _, obj in loaded]
    before = orjson.dumps(objects, option=orjson.OPT_SORT_KEYS)
    report = analyze_cluster(build_cluster(loaded), gen.options)
    add_fixes(report, objects, gen.options)
    assert orjson.dumps(objects, option=orjson.OPT_SORT_KEYS) == before


@FIXES
@given(clusters())
def test_broken_inputs_never_break_the_search(gen: Generated) -> None:
    for entry in _with_fixes(gen)["services"]:
        assert isinstance(entry["fixes"], list)
        for fix in entry["fixes"]:
            assert fix["after"]["dropped"] <= entry["flows"]["dropped"] + 1e-9
