""".env.example lists every environment variable the settings read (README: "Every variable is
listed with a comment in .env.example"), found by reading the settings' source, not a list."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIRECT_READS = {"os.environ.get", "os.getenv"}


def variables_read(path: Path) -> set[str]:
    """Names passed as literals to dashboard.env's helpers (env_int("X", ...)), to
    os.environ.get / os.getenv, or looked up as os.environ["X"]."""
    tree = ast.parse(path.read_text(), filename=str(path))
    helpers = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "dashboard.env"
        for alias in node.names
    }
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            called, first = ast.unparse(node.func), node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            called, first = "os.environ.get", node.slice
        else:
            continue
        if called in helpers | DIRECT_READS and isinstance(first, ast.Constant):
            names.add(first.value)
    return names


def listed_in_env_example() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_every_variable_the_settings_read_is_in_env_example():
    read = set().union(*(variables_read(p) for p in sorted((ROOT / "dashboard").rglob("*.py"))))
    # The reader must see the settings at all, or an empty set would pass.
    assert {"DEBUG", "SECRET_KEY", "TRAFFICLENS_UPLOAD_MAX_PODS", "DATABASE_POOL_MAX"} <= read
    missing = sorted(read - listed_in_env_example())
    assert not missing, f".env.example lacks {', '.join(missing)}"


def test_the_reader_finds_each_way_of_reading(tmp_path):
    module = tmp_path / "settings.py"
    module.write_text(
        "import os\n"
        "from dashboard.env import env_int as number, env_str\n"
        'A = number(\n    "MULTI_LINE", default=1\n)\n'
        'B = env_str("PLAIN")\n'
        'C = os.environ.get("DIRECT")\n'
        'D = os.getenv("GETENV")\n'
        'E = os.environ["SUBSCRIPT"]\n'
        'os.environ.setdefault("NOT_A_READ", "x")\n'
    )
    assert variables_read(module) == {"MULTI_LINE", "PLAIN", "DIRECT", "GETENV", "SUBSCRIPT"}
