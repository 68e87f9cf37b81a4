"""Compile routing/engine with mypyc, in place (`make engine`; the Dockerfile's builder stage).

Every module of the engine but those routing/engine/native.py keeps in PURE becomes a C extension
beside its source, plus mypyc's shared library for the group
(routing/engine/compiled__mypyc.*.so), and routing/engine/compiled.json records what was
compiled (routing/engine/native.py reads it and runs plain Python when a source has changed
since). Old extensions and the manifest are removed first, so a compile that fails leaves the
engine running as plain Python, never half compiled.

    python tools/compile_engine.py          # compile (needs mypy and a C compiler)
    python tools/compile_engine.py --clean  # back to plain Python

mypy runs here with the engine's own strict settings but without the Django plugin the project's
configuration loads (the engine imports nothing of Django), from a configuration written to the
build directory.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "routing" / "engine"


def _load_native() -> ModuleType:
    """routing/engine/native.py on its own: importing it the usual way would run the package's
    __init__, which imports (and so maps into this process) the modules being replaced."""
    spec = importlib.util.spec_from_file_location("engine_native", ENGINE / "native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


native = _load_native()
BUILD = ROOT / "build" / "engine"
GROUP = "routing.engine.compiled"  # the shared library: routing/engine/compiled__mypyc.*.so
# The engine's settings in pyproject.toml, where it is fully strict; what it imports from the
# Django side (only the CLI's fix search, lazily) is read for its types, its errors not reported
# here (`make typecheck` reports them).
MYPY_CONFIG = """\
[mypy]
python_version = 3.11
strict = True
follow_imports = silent
"""


def engine_modules() -> list[str]:
    return sorted(p.stem for p in ENGINE.glob("*.py") if p.stem not in native.PURE)


def clean() -> None:
    for path in [*native.extension_files(ENGINE), native.MANIFEST]:
        path.unlink(missing_ok=True)


def compile_engine() -> None:
    from mypyc.build import mypycify
    from setuptools import setup

    clean()
    modules = engine_modules()
    BUILD.mkdir(parents=True, exist_ok=True)
    config = BUILD / "mypy.ini"
    config.write_text(MYPY_CONFIG)
    started = time.perf_counter()
    os.chdir(ROOT)  # mypycify and build_ext --inplace work relative to the project root
    extensions = mypycify(
        ["--config-file", str(config), *(f"routing/engine/{m}.py" for m in modules)],
        opt_level="3",
        group_name=GROUP,
        target_dir=str(BUILD / "c"),
    )
    setup(
        name="trafficlens-engine",
        ext_modules=extensions,
        script_args=["--quiet", "build_ext", "--inplace", "--build-temp", str(BUILD / "temp")],
    )
    manifest = native.manifest_for(ENGINE, modules)
    native.MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    problem = native.why_not_compiled(ENGINE)
    if problem is not None:  # e.g. a source edited while it compiled
        raise SystemExit(f"compile_engine: {problem}")
    print(
        f"compile_engine: {len(modules)} modules of routing/engine compiled in "
        f"{time.perf_counter() - started:.0f} s"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clean", action="store_true", help="remove the compiled modules")
    args = parser.parse_args(argv)
    if args.clean:
        clean()
        print("compile_engine: removed the compiled engine; it runs as plain Python")
        return
    compile_engine()


if __name__ == "__main__":
    main()
