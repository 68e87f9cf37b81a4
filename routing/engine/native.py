"""Which form of the engine runs: its modules compiled to C by mypyc, or plain Python.

`make engine` (tools/compile_engine.py) compiles every module of this package except those in
PURE, each beside its source, and writes MANIFEST: the sha256 of each compiled source and the
interpreter's extension suffix. Python imports an extension module in preference to the source
beside it, so a source edited after the compile would silently not run. `select()`, called by
the package's `__init__` before any other module of the package is imported, therefore keeps the
compiled modules only while every compiled source is byte for byte the one the manifest names
(and the interpreter the one they were built for); otherwise, and when TRAFFICLENS_ENGINE=python
asks for it, every module of the package is imported from its source (TRAFFICLENS_ENGINE=compiled
makes a missing or stale compile an ImportError instead). Both forms give the same
reports (tests/engine/test_native.py compares them); the compiled one is faster
(docs/benchmarks.md). Nothing here reads a cluster: only this package's own files.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

PACKAGE = __name__.rpartition(".")[0]  # "routing.engine"
HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "compiled.json"
# Never compiled: __init__ and native choose the form before the other modules load; errors'
# InputError is subclassed outside the engine (routing.snapshots.intake.TooLarge), which a class
# compiled by mypyc does not allow.
PURE = frozenset({"__init__", "native", "errors"})
ENV = "TRAFFICLENS_ENGINE"
# This interpreter's suffix for extension modules, e.g. ".cpython-311-x86_64-linux-gnu.so".
EXTENSION_SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]

COMPILED = "compiled"
PYTHON = "python"

# What select() chose and why: read by the benchmarks and the tests.
form = PYTHON
reason = "not selected yet"


def extension_files(directory: Path = HERE) -> list[Path]:
    """The compiled modules (and mypyc's shared library) in `directory`."""
    return sorted(
        p for suffix in importlib.machinery.EXTENSION_SUFFIXES for p in directory.glob(f"*{suffix}")
    )


def source_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_for(directory: Path, modules: list[str]) -> dict[str, object]:
    """What MANIFEST records after compiling `modules` (names without .py) of `directory`."""
    return {
        "extensionSuffix": EXTENSION_SUFFIX,
        "sources": {name: source_digest(directory / f"{name}.py") for name in sorted(modules)},
    }


def why_not_compiled(directory: Path = HERE) -> str | None:
    """None when the compiled modules of `directory` may run; else why they may not."""
    manifest = directory / MANIFEST.name
    if not extension_files(directory):
        return "not compiled (`make engine` compiles it)"
    try:
        recorded = json.loads(manifest.read_text())
        suffix, sources = recorded["extensionSuffix"], recorded["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"compiled modules without a readable {manifest.name}: run `make engine`"
    if suffix != EXTENSION_SUFFIX:
        return f"compiled for another interpreter ({suffix}): run `make engine`"
    on_disk = {
        p.stem for p in directory.glob("*.py") if p.stem not in PURE and not p.stem.startswith(".")
    }
    if on_disk != set(sources):
        return "modules added or removed since the compile: run `make engine`"
    changed = sorted(
        name
        for name, digest in sources.items()
        if source_digest(directory / f"{name}.py") != digest
    )
    if changed:
        return f"{', '.join(changed)} changed since the compile: run `make engine`"
    return None


class _SourceOnly(MetaPathFinder):
    """Imports this package's modules from their .py files, whatever is compiled beside them."""

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != PACKAGE:
            return None
        source = HERE / f"{name}.py"
        if not source.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def select() -> None:
    """Choose the form (once per process); see the module's docstring."""
    global form, reason
    if any(isinstance(f, _SourceOnly) for f in sys.meta_path) or form == COMPILED:
        return
    asked = os.environ.get(ENV, "").strip().lower()
    if asked not in ("", PYTHON, COMPILED):
        warnings.warn(f"{ENV}={asked!r} is neither 'python' nor 'compiled'; ignored", stacklevel=2)
    if asked == PYTHON:  # nothing compiled will run, so the sources need not be read
        problem: str | None = f"{ENV}=python"
    else:
        problem = why_not_compiled()
        if problem is not None and asked == COMPILED:
            raise ImportError(f"{ENV}=compiled, but routing.engine is {problem}")
        if problem is not None and extension_files():
            # Compiled modules that do not match their source must not run: say so once.
            warnings.warn(f"routing.engine runs as plain Python: {problem}", stacklevel=2)
    if problem is None:
        form, reason = COMPILED, "compiled with mypyc (`make engine`)"
        return
    form, reason = PYTHON, problem
    sys.meta_path.insert(0, _SourceOnly())
