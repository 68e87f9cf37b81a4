"""js/shell.js quotes command lines exactly as routing/engine/shell.py (shlex) does.

The what-if panel builds its `kubectl patch` line in the browser from names out of the cluster,
which are hostile: run in Node (the machine's `node`, as the browser would run the module), every
line must equal the server's for the same arguments and split back into exactly those arguments.
"""

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from routing.engine.shell import command_line, kubectl_patch_service
from tests.web import hostile

SHELL_JS = Path(__file__).resolve().parents[2] / "dashboard/static/dashboard/js/shell.js"

ARGS = [
    "shop",
    "catalog",
    "",
    "a b",
    "it's",
    "'",
    "''",
    '"',
    "shop;id;#",
    "$(rm -rf /)",
    "`id`",
    "a\nb",
    "tab\there",
    "back\\slash",
    "*",
    "~user",
    "x=1",
    "-p",
    "--type=merge",
    "@%+=:,./-_",
    "héllo",
    "日本",
    "!event",
    "{a,b}",
    *hostile.ZONES.values(),
    *hostile.NAMESPACES.values(),
    *hostile.SERVICES.values(),
]
PATCHES = [
    {"spec": {"trafficDistribution": "PreferSameZone"}},
    {
        "metadata": {
            "annotations": {
                "service.kubernetes.io/topology-mode": None,
                "service.kubernetes.io/topology-aware-hints": None,
            }
        },
        "spec": {"trafficDistribution": "PreferSameZone", "internalTrafficPolicy": "Local"},
    },
    {"metadata": {"annotations": {"service.kubernetes.io/topology-mode": "Auto"}}},
]


def _node(tmp_path: Path, cases: dict) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: it runs js/shell.js for this comparison")
    module = tmp_path / "shell.mjs"  # .mjs: Node reads it as an ES module, as browsers do
    module.write_text(SHELL_JS.read_text())
    script = (
        f"import * as s from {json.dumps(module.as_uri())};"
        f"const c = {json.dumps(cases)};"
        "console.log(JSON.stringify({"
        " quoted: c.args.map((a) => s.shellQuote(a)),"
        " line: s.commandLine(c.args),"
        " patches: c.patches.map(([ns, name, p]) => s.kubectlPatchService(ns, name, p)),"
        "}));"
    )
    result = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_js_quotes_every_argument_as_shlex_does(tmp_path):
    patches = [[ns, name, p] for ns in ARGS[:9] for name in ARGS[-3:] for p in PATCHES]
    js = _node(tmp_path, {"args": ARGS, "patches": patches})
    assert js["quoted"] == [shlex.quote(a) for a in ARGS]
    assert js["line"] == command_line(ARGS)
    assert shlex.split(js["line"]) == ARGS  # one argument each, whatever it holds
    for (namespace, name, patch), line in zip(patches, js["patches"], strict=True):
        compact = json.dumps(patch, separators=(",", ":"))
        assert line == kubectl_patch_service(namespace, name, compact)
        assert shlex.split(line)[2] == namespace and shlex.split(line)[5] == name
        assert json.loads(shlex.split(line)[-1]) == patch
