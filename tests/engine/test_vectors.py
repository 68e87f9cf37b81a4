"""Every upstream-derived case in tests/engine/vectors, via the engine and `manage.py analyze`."""

import json
import pathlib
import subprocess
import sys

import orjson
import pytest

from routing.engine import analyze_cluster, build_cluster, load_bytes
from routing.engine.cli import build_parser, options_from

VECTORS = pathlib.Path(__file__).parent / "vectors"
CASES = sorted(VECTORS.glob("*.json"))
ROOT = pathlib.Path(__file__).resolve().parents[2]


def _case(path: pathlib.Path) -> dict:
    return json.loads(path.read_text())


def _report(case: dict) -> dict:
    args = build_parser().parse_args([*(case.get("args") or []), "-"])
    return analyze_cluster(
        build_cluster(load_bytes(orjson.dumps(case["input"]))), options_from(args)
    )


def _service(report: dict, ns: str = "default", name: str = "svc") -> dict:
    matches = [s for s in report["services"] if (s["namespace"], s["name"]) == (ns, name)]
    assert matches, f"{ns}/{name} missing from the report"
    return matches[0]


def _hint(hint: dict | None) -> dict | None:
    if not hint or not (hint["forZones"] or hint["forNodes"]):
        return None
    return {"forZones": sorted(hint["forZones"]), "forNodes": sorted(hint["forNodes"])}


def _zone_counts(hints: list[dict | None]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for hint in hints:
        for zone in (hint or {}).get("forZones", []):
            counts[zone] = counts.get(zone, 0) + 1
    return counts


def check_proxy(check: dict, svc: dict) -> None:
    entry = svc["proxy"][check["node"]]
    assert entry["action"] == check["action"]
    if check["action"] == "forward":
        assert sorted(entry["endpoints"]) == check["endpoints"]
    if check["mode"] != "<skip>":
        assert entry["mode"] == check["mode"]


def check_hints(check: dict, svc: dict) -> None:
    controller = svc["controller"]
    hints = {ip: _hint(h) for ip, h in controller["hints"].items()}
    events = controller["events"]
    want_event = check["event"]
    if want_event is None:
        assert not [e for e in events if e["type"] == "Warning"], events
    elif want_event != "<skip>":
        assert any(
            e["type"] == want_event["type"]
            and e["reason"] == want_event["reason"]
            and e["message"].startswith(want_event["messagePrefix"])
            for e in events
        ), events
    for ip, want in check["hints"].items():
        assert hints.get(ip) == want, ip
    for group in check["groups"]:
        assert _zone_counts([hints.get(ip) for ip in group["ips"]]) == group["forZonesCounts"]
    if check.get("hintCountsByZone"):
        assert _zone_counts(list(hints.values())) == check["hintCountsByZone"]
    if check.get("mechanism"):
        assert svc["policy"]["mechanism"] == check["mechanism"]


def check_flows(check: dict, report: dict) -> None:
    svc = _service(report, *check["service"])
    flows, want = svc["flows"], check["flows"]
    for key in ("crossZoneFraction", "crossRegionFraction", "dropped", "maxOverload"):
        assert flows[key] == pytest.approx(want[key], abs=1e-6), key
    assert svc["cost"]["costPerGb"] == pytest.approx(want["costPerGb"], abs=1e-7)

    def nonzero(matrix: dict) -> dict:
        return {(s, d): v for s, row in matrix.items() for d, v in row.items() if abs(v) > 1e-12}

    got_m, want_m = nonzero(flows["matrix"]), nonzero(want["matrix"])
    assert set(got_m) == set(want_m)
    for key, value in want_m.items():
        assert got_m[key] == pytest.approx(value, abs=1e-6)
    for ip, value in want["endpointLoad"].items():
        assert flows["endpointLoad"].get(ip, 0.0) == pytest.approx(value, abs=1e-6)
    for policy, values in check["whatIf"].items():
        for key, value in values.items():
            assert svc["whatIf"][policy][key] == pytest.approx(value, abs=1e-6), (policy, key)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_vector(path: pathlib.Path) -> None:
    case = _case(path)
    report = _report(case)
    check_case(case["check"], report)


def check_case(check: dict, report: dict) -> None:
    if check["kind"] == "flows":
        check_flows(check, report)
    elif check["kind"] == "proxy":
        check_proxy(check, _service(report))
    else:
        check_hints(check, _service(report))


def test_vector_count_is_not_silently_empty() -> None:
    kinds = {_case(p)["check"]["kind"] for p in CASES}
    assert len(CASES) >= 50 and kinds == {"proxy", "hints", "flows"}


def test_vectors_through_manage_py(tmp_path: pathlib.Path) -> None:
    """The same cases through the real command line, several files in one run (a JSON array)."""
    groups: dict[tuple, list[tuple[dict, pathlib.Path]]] = {}
    for path in CASES:
        case = _case(path)
        target = tmp_path / path.name
        target.write_text(json.dumps(case["input"]))
        groups.setdefault(tuple(case.get("args") or []), []).append((case, target))
    for args, group in groups.items():
        cmd = [
            sys.executable,
            "manage.py",
            "analyze",
            "--format",
            "json",
            *args,
            *[str(p) for _, p in group],
        ]
        result = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr.decode()
        reports = json.loads(result.stdout)
        if len(group) == 1:
            reports = [reports]
        assert len(reports) == len(group)
        for (case, _), report in zip(group, reports, strict=True):
            check_case(case["check"], report)
