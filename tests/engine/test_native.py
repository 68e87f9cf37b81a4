"""The engine compiled by mypyc (`make engine`) and as plain Python: the same reports, byte for
byte; the compiled form runs only while it matches its sources (routing/engine/native.py)."""

import copy
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from benchmarks.gen_cluster import generate
from routing.engine import native
from tests.engine.test_fuzz_input import _paths

ROOT = Path(__file__).resolve().parents[2]
VECTORS = Path(__file__).parent / "vectors"
SUFFIX = native.EXTENSION_SUFFIX


def _analyze(form: str, *args: str, root: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, native.ENV: form}
    return subprocess.run(
        [sys.executable, "manage.py", "analyze", *args],
        cwd=root,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_the_checkout_runs_the_compiled_engine():
    # `make test` compiles it first (the Makefile's engine target); a plain `pytest` after an
    # edit of the engine runs it as Python and fails here, saying why.
    assert native.form == native.COMPILED, f"the engine runs as plain Python: {native.reason}"
    from routing.engine import flows

    assert flows.__file__.endswith(SUFFIX)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("inputs")
    paths = {}
    for name, doc in {
        "generated": generate(300, 2500, 60, 3, 7, True, "eu-west-1"),
        "one-zone": generate(40, 200, 9, 1, 3, False, "us-east-1"),
        "five-zones": generate(120, 900, 25, 5, 11, True, "us-west-2"),
    }.items():
        paths[name] = tmp / f"{name}.json"
        paths[name].write_bytes(orjson.dumps(doc))
    for case in ("flows-007", "auto-022", "proxy-012"):
        paths[case] = tmp / f"{case}.json"
        paths[case].write_text(
            json.dumps(json.loads((VECTORS / f"{case}.json").read_text())["input"])
        )
    # Hostile input: a Service whose ports are not a list, an EndpointSlice with a bad address.
    paths["bad"] = tmp / "bad.json"
    paths["bad"].write_text(
        json.dumps(
            {
                "kind": "List",
                "items": [
                    {
                        "kind": "Service",
                        "apiVersion": "v1",
                        "metadata": {"name": "s", "namespace": "<b>x</b>"},
                        "spec": {"ports": "80"},
                    }
                ],
            }
        )
    )
    return paths


@pytest.mark.parametrize(
    "args",
    [
        ("generated",),
        ("generated", "--clients", "pods", "--proxy-detail", "nodes", "--monthly-gb", "1000"),
        ("one-zone", "--clients", "uniform", "--overload-limit", "1.1"),
        ("five-zones", "--no-fixes", "--proxy-detail", "zones"),
        ("flows-007", "auto-022", "proxy-012"),
        ("bad",),
    ],
    ids=lambda a: "-".join(a).replace("--", ""),
)
def test_compiled_and_plain_python_print_the_same_bytes(inputs, args):
    argv = [str(inputs[a]) if a in inputs else a for a in args]
    for fmt in ("json", "table"):
        compiled = _analyze(native.COMPILED, "--format", fmt, *argv)
        plain = _analyze(native.PYTHON, "--format", fmt, *argv)
        assert compiled.returncode == plain.returncode
        assert compiled.stdout == plain.stdout
        assert compiled.stderr == plain.stderr
        if args == ("bad",):
            assert compiled.returncode != 0 and b"Traceback" not in compiled.stderr
        else:
            assert compiled.returncode == 0, compiled.stderr


def _copy_of_the_engine(tmp_path: Path) -> Path:
    """The engine package, compiled modules included, under a root of its own."""
    engine = tmp_path / "routing" / "engine"
    shutil.copytree(
        ROOT / "routing" / "engine", engine, ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / "routing" / "__init__.py").write_text("")
    return engine


_PROBE = (
    "import warnings; warnings.simplefilter('always')\n"
    "import routing.engine as e, routing.engine.flows as f\n"
    "print(e.native.form, f.__file__.endswith('.py'))\n"
)


def _probe(root: Path, form: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root), native.ENV: form}
    return subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=root, env=env, capture_output=True, text=True
    )


def test_an_edited_source_runs_as_python_and_says_why(tmp_path):
    engine = _copy_of_the_engine(tmp_path)
    fresh = _probe(tmp_path)
    assert fresh.stdout == "compiled False\n" and fresh.stderr == ""
    with (engine / "flows.py").open("a") as f:
        f.write("\n# edited after the compile\n")
    stale = _probe(tmp_path)
    assert stale.stdout == "python True\n"
    assert "flows changed since the compile: run `make engine`" in stale.stderr
    strict = _probe(tmp_path, native.COMPILED)
    assert strict.returncode != 0 and "TRAFFICLENS_ENGINE=compiled" in strict.stderr


def test_asked_for_python_it_imports_every_module_from_its_source(tmp_path):
    _copy_of_the_engine(tmp_path)
    result = _probe(tmp_path, native.PYTHON)
    assert result.stdout == "python True\n" and result.stderr == ""


def _fake_compile(directory: Path, modules: list[str]) -> None:
    for name in modules:
        (directory / f"{name}.py").write_text(f"X = {name!r}\n")
        (directory / f"{name}{SUFFIX}").write_bytes(b"")
    manifest = native.manifest_for(directory, modules)
    (directory / native.MANIFEST.name).write_text(json.dumps(manifest))


def test_why_not_compiled_names_each_reason(tmp_path):
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "native.py").write_text("")
    (tmp_path / "a.py").write_text("A = 1\n")
    assert native.why_not_compiled(tmp_path) == "not compiled (`make engine` compiles it)"
    _fake_compile(tmp_path, ["a", "b"])
    assert native.why_not_compiled(tmp_path) is None
    (tmp_path / "b.py").write_text("X = 'edited'\n")
    assert native.why_not_compiled(tmp_path) == "b changed since the compile: run `make engine`"
    _fake_compile(tmp_path, ["a", "b"])
    (tmp_path / "c.py").write_text("")
    assert "modules added or removed" in (native.why_not_compiled(tmp_path) or "")
    (tmp_path / "c.py").unlink()
    manifest = tmp_path / native.MANIFEST.name
    manifest.write_text(
        json.dumps({**json.loads(manifest.read_text()), "extensionSuffix": ".x.so"})
    )
    assert "compiled for another interpreter (.x.so)" in (native.why_not_compiled(tmp_path) or "")
    manifest.write_text("{not json")
    assert "without a readable compiled.json" in (native.why_not_compiled(tmp_path) or "")
    manifest.unlink()
    assert "without a readable compiled.json" in (native.why_not_compiled(tmp_path) or "")


# Each form analyses the same mutated dumps in a process of its own and prints, per dump, the
# report's sha256 or the InputError's words; another exception is a crash either way.
_BATCH = """
import hashlib, sys
import orjson
from routing.engine import InputError, Options, analyze_cluster, build_cluster, load_bytes, native
assert native.form == sys.argv[1], (native.form, native.reason)
for path in sys.argv[2:]:
    try:
        report = analyze_cluster(build_cluster(load_bytes(open(path, "rb").read())), Options())
        print(hashlib.sha256(orjson.dumps(report, option=orjson.OPT_SORT_KEYS)).hexdigest())
    except InputError as exc:
        print("InputError", exc)
    except Exception as exc:
        print("CRASH", type(exc).__name__, exc)
"""
_JUNK = [None, True, False, 0, -1, 7, 1.5, 2**70, "", "x", "é\\u0000", [], [1, "a"], {}, {"a": 1}]


def _mutated(doc: dict, rng: random.Random) -> dict:
    """`doc` with one value, anywhere in it, replaced by junk of another shape."""
    doc = copy.deepcopy(doc)
    path = rng.choice(list(_paths(doc))[1:])
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = rng.choice(_JUNK)
    return doc


def test_both_forms_agree_on_hostile_inputs(tmp_path):
    rng = random.Random(16)
    sources = [json.loads(p.read_text())["input"] for p in sorted(VECTORS.glob("*.json"))[::4]]
    sources.append(json.loads((ROOT / "examples" / "demo-shop.json").read_text()))
    paths = []
    for n in range(240):
        path = tmp_path / f"{n}.json"
        path.write_text(json.dumps(_mutated(rng.choice(sources), rng)))
        paths.append(str(path))
    outcomes = {}
    for form in (native.COMPILED, native.PYTHON):
        result = subprocess.run(
            [sys.executable, "-c", _BATCH, form, *paths],
            cwd=ROOT,
            env={**os.environ, native.ENV: form},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        outcomes[form] = result.stdout.splitlines()
    compiled, plain = outcomes[native.COMPILED], outcomes[native.PYTHON]
    assert len(compiled) == len(paths)
    assert [line for line in compiled if line.startswith("CRASH")] == []
    assert compiled == plain
    # The mutations reach both outcomes: reports and refusals.
    assert 20 < sum(line.startswith("InputError") for line in compiled) < len(paths) - 20
