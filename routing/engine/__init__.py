"""Pure routing engine: parse Kubernetes objects, simulate hints and kube-proxy, flows, cost.

Nothing in this package imports Django, reads the clock, the database or the network; every
function is a deterministic transformation of plain data, so the same input always gives the
same report.

Its modules run compiled to C (mypyc) where `make engine` built them, else as plain Python:
native.py chooses, before any of them is imported.
"""

# ruff: noqa: E402 (the other modules are imported after that choice)

from . import native

native.select()

from .errors import InputError
from .loader import load_bytes, load_path
from .model import Cluster
from .options import Options
from .parse import build_cluster
from .report import analyze_cluster

__all__ = [
    "Cluster",
    "InputError",
    "Options",
    "analyze_cluster",
    "build_cluster",
    "load_bytes",
    "load_path",
]
