"""The pages' Python formatter writes every figure exactly as js/format.js does.

Both are run on the same cases: the JS module in Node (the machine's `node`, as the browser
would run it), the Python one here. Regression: the clusters page wrote 0.0000123 USD as
`$1.23e-05` where the JS (and the Services page) wrote `$0.0000123`.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dashboard.pages import format as fmt

FORMAT_JS = Path(__file__).resolve().parents[2] / "dashboard/static/dashboard/js/format.js"

AT = "2026-12-03T14:00:00Z"
NOW = "2026-12-03T14:12:00Z"
CASES = {
    "pct": [[0.2571428], [0], [1], [0.0004], [0.9996], [None], [0.5, 0], [0.12345, 2]],
    "usd": [
        [0.0000123],
        [0.00512],
        [0.5],
        [0.999],
        [0.9996],
        [0],
        [1],
        [1234.5],
        [1234567.891],
        [-0.0042],
        [-12.5],
        [None],
    ],
    "perGb": [[0.0133], [0], [0.02], [0.000012], [None]],
    "times": [[1], [1.3333], [12.5, 1], [None]],
    "count": [[0], [7], [1234], [150000]],
    "gb": [[1234.4], [1234.5], [99.96], [12.5], [0.3], [0], [0.04], [1234567.89], [99.95], [None]],
    "when": [["2026-12-03T14:05:09Z"], ["2026-12-03T15:05:09.123000+01:00"], [None]],
    "ago": [
        [AT, "2026-12-03T14:00:42Z"],
        [AT, "2026-12-03T14:12:29Z"],
        [AT, "2026-12-03T14:12:31Z"],
        [AT, "2026-12-03T17:40:00Z"],
        [AT, "2026-12-05T20:00:00Z"],
        [AT, "2026-12-03T13:59:00Z"],  # a clock a little behind: never "in the future"
        [None, NOW],
    ],
    "sourceWord": [["measured"], ["simulated"], ["manual"], [None]],
    "volumeLabel": [
        ["measured", "Prometheus http://prom:9090, cadvisor preset, rate over 7d", AT, NOW],
        ["measured", "", AT, NOW],
        ["simulated", "the simulation's traffic model", AT, NOW],
        ["manual", "set by hand", AT, NOW],
        ["manual", "finance sheet", AT, NOW],
        ["manual", "", None, NOW],
        [None, None, None, NOW],
    ],
    "volumesSummary": [
        [{"measured": 11, "simulated": 0, "manual": 1, "fetchedAt": AT, "source": "x"}, NOW],
        [{"measured": 1, "simulated": 0, "manual": 0, "fetchedAt": AT, "source": "x"}, NOW],
        [{"measured": 0, "simulated": 0, "manual": 2, "fetchedAt": None, "source": None}, NOW],
        [{"measured": 0, "simulated": 12, "manual": 0, "fetchedAt": AT, "source": "sim"}, NOW],
        [{"measured": 0, "simulated": 0, "manual": 0, "fetchedAt": None, "source": None}, NOW],
        [None, NOW],
    ],
    "staleSince": [
        [{"state": "failing", "staleSince": "2026-12-03T14:00:00Z", "error": "down"}],
        [{"state": "failing", "staleSince": None, "error": "down"}],
        [{"state": "ok", "staleSince": None}],
        [None],
    ],
}
PYTHON = {
    "pct": fmt.pct,
    "usd": fmt.usd,
    "perGb": fmt.per_gb,
    "times": fmt.times,
    "count": fmt.count,
    "gb": fmt.gb,
    "when": fmt.when,
    "ago": fmt.ago,
    "sourceWord": fmt.source_word,
    "volumeLabel": fmt.volume_label,
    "volumesSummary": fmt.volumes_summary,
    "staleSince": fmt.stale_since,
}


def _node_results(tmp_path: Path) -> dict[str, list[str]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: it runs js/format.js for this comparison")
    module = tmp_path / "format.mjs"  # .mjs: Node reads it as an ES module, as browsers do
    module.write_text(FORMAT_JS.read_text())
    script = (
        f"import * as f from {json.dumps(module.as_uri())};"
        f"const cases = {json.dumps(CASES)};"
        "const out = {};"
        "for (const [name, list] of Object.entries(cases))"
        " out[name] = list.map((a) => f[name](...a));"
        "console.log(JSON.stringify(out));"
    )
    result = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_python_and_js_format_every_case_alike(tmp_path):
    js = _node_results(tmp_path)
    for name, cases in CASES.items():
        python = [PYTHON[name](*args) for args in cases]
        assert python == js[name], name


def test_small_dollar_amounts_are_never_written_with_an_exponent():
    assert fmt.usd(0.0000123) == "$0.0000123"


def test_volume_words():
    assert fmt.volume_label("measured", "Prometheus p, cadvisor preset, rate over 7d", AT, NOW) == (
        "measured (Prometheus p, cadvisor preset, rate over 7d, 12 min ago)"
    )
    assert fmt.volume_label("simulated", "x", AT, NOW) == "simulated (demo model, not measured)"
    assert fmt.volume_label("manual", "set by hand", AT, NOW) == "set by hand (12 min ago)"
    assert fmt.volume_label(None, None, None, NOW) == "no traffic measured"
    summary = {"measured": 11, "simulated": 0, "manual": 1, "fetchedAt": AT}
    assert fmt.volumes_summary(summary, NOW) == (
        "from 11 measured / 1 manual Services, fetched 12 min ago"
    )
    assert fmt.gb(1234.4) == "1,234 GB" and fmt.gb(0.3) == "0.3 GB"
