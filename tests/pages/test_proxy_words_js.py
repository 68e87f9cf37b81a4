"""The Service page's words for kube-proxy (js/proxy_words.js) and its flow rows
(js/service_flows.js), run in Node on reports the engine writes.

Zones whose nodes get the same outcome are described once ("Every zone (…) falls back …"), nodes
that differ are grouped with their names capped ("… and 12 more"), both report forms (per zone
with the nodes that differ, or one entry a node) give the same sentences, and the reasons follow
docs/kubernetes-semantics.md §4. The flow rows are the matrix, priced as routing/engine/cost.py
prices it: their dollars add up to the report's monthlyCost.
"""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from routing.figures.reports import with_volume
from tests.engine.test_edge_cases import analyze, endpoint, node, service, slice_

JS = Path(__file__).resolve().parents[2] / "dashboard/static/dashboard/js"
MODULES = ["proxy_words.js", "service_flows.js"]


def _node(tmp_path: Path, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each report entry: its sentences, flow rows and their totals, as the page has them."""
    runner = shutil.which("node")
    if runner is None:
        pytest.fail("node is missing: it runs the page's modules for these tests")
    for name in MODULES:  # beside a package.json that makes Node read them as ES modules
        (tmp_path / name).write_text((JS / name).read_text())
    (tmp_path / "package.json").write_text('{"type": "module"}')
    (tmp_path / "input.json").write_text(json.dumps(entries))
    script = (
        "import { readFileSync } from 'node:fs';"
        f"import {{ proxySentences }} from {json.dumps((tmp_path / MODULES[0]).as_uri())};"
        f"import {{ flowRows, flowTotals }} from {json.dumps((tmp_path / MODULES[1]).as_uri())};"
        f"const entries = JSON.parse(readFileSync({json.dumps(str(tmp_path / 'input.json'))}));"
        "console.log(JSON.stringify(entries.map((d) => {"
        " const rows = flowRows(d);"
        " return { sentences: proxySentences(d), rows, totals: flowTotals(rows, d) };"
        "})));"
    )
    result = subprocess.run(
        [runner, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def entry(items: list[dict[str, Any]], name: str = "svc", **options: Any) -> dict[str, Any]:
    """The report entry of Service `name` with the cluster section beside it, as the API has it."""
    report = analyze(items, **options)
    (found,) = [s for s in report["services"] if s["name"] == name]
    return {**found, "cluster": report["cluster"]}


def both_forms(tmp_path: Path, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The page's output for the stored form of the report (per zone, plus the nodes that differ),
    checked to say the same as for the per-node form (`?proxy=nodes`)."""
    zoned, per_node = _node(
        tmp_path, [entry(items, proxy_detail="zones"), entry(items, proxy_detail="nodes")]
    )
    assert [s["text"] for s in per_node["sentences"]] == [s["text"] for s in zoned["sentences"]]
    return zoned


def zones3(per_zone: int = 1, *, unlabelled: int = 0, region_c: str | None = None) -> list[dict]:
    """Nodes a1.., b1.., c1.. in zone-a, zone-b, zone-c (and u1.. without a zone label)."""
    nodes = [node(f"{z}{i}", f"zone-{z}") for z in "abc" for i in range(1, per_zone + 1)]
    if region_c is not None:
        for n in nodes:
            region = region_c if n["metadata"]["name"].startswith("c") else "region-1"
            n["metadata"]["labels"]["topology.kubernetes.io/region"] = region
    return nodes + [node(f"u{i}", None) for i in range(1, unlabelled + 1)]


def texts(result: dict[str, Any]) -> list[str]:
    return [s["text"] for s in result["sentences"]]


def test_every_zone_falling_back_is_one_sentence(tmp_path):
    # One ready endpoint without a hint turns zone filtering off on every node (§4.1).
    eps = [
        endpoint(f"10.0.0.{i}", f"{z}1", f"zone-{z}", for_zones=[f"zone-{z}"])
        for i, z in enumerate("aabc", start=1)
    ]
    eps.append(endpoint("10.0.0.9", "c1", "zone-c"))
    items = [*zones3(), service(td="PreferSameZone"), slice_("s1", *eps)]
    zoned = both_forms(tmp_path, items)
    expected = (
        "Every zone (zone-a, zone-b and zone-c) falls back to all 5 endpoints cluster-wide "
        "(2 in zone-a, 1 in zone-b, 2 in zone-c), because 10.0.0.9 has no zone hint, and one "
        "endpoint without a hint turns zone filtering off everywhere."
    )
    assert texts(zoned) == [expected]
    assert zoned["sentences"][0]["zones"] == ["zone-a", "zone-b", "zone-c"]
    assert zoned["sentences"][0]["kind"] == "zone"


def test_zones_that_differ_get_a_sentence_each(tmp_path):
    # PreferSameZone with no endpoint in zone-c: a and b keep their traffic, c falls back.
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a", for_zones=["zone-a"]),
        endpoint("10.0.0.2", "a1", "zone-a", for_zones=["zone-a"]),
        endpoint("10.0.0.3", "b1", "zone-b", for_zones=["zone-b"]),
    ]
    items = [*zones3(), service(td="PreferSameZone"), slice_("s1", *eps)]
    result = both_forms(tmp_path, items)
    assert texts(result) == [
        "Zones zone-a and zone-b keep traffic in their zone: 2 endpoints in zone-a and 1 in "
        "zone-b.",
        "Nodes in zone-c fall back to all 3 endpoints cluster-wide (2 in zone-a, 1 in zone-b), "
        "because no endpoint is hinted for zone-c.",
    ]
    assert [s["kind"] for s in result["sentences"]] == ["local", "zone"]


def test_nodes_without_a_zone_label_never_use_zone_hints(tmp_path):
    # Every endpoint is hinted, yet a node without a zone label cannot use zone mode (§4.1):
    # the reason must not be "no endpoint is hinted for unknown".
    eps = [
        endpoint(f"10.0.0.{i}", f"{z}1", f"zone-{z}", for_zones=[f"zone-{z}"])
        for i, z in enumerate("abc", start=1)
    ]
    items = [*zones3(unlabelled=1), service(td="PreferSameZone"), slice_("s1", *eps)]
    result = both_forms(tmp_path, items)
    assert texts(result) == [
        "Every zone (zone-a, zone-b and zone-c) keeps traffic in its zone: 1 endpoint each.",
        "Nodes without a zone label fall back to all 3 endpoints cluster-wide (1 in zone-a, "
        "1 in zone-b, 1 in zone-c), because a node without a zone label cannot use zone hints.",
    ]


def test_nodes_without_a_zone_label_join_zones_with_the_same_outcome(tmp_path):
    eps = [endpoint(f"10.0.0.{i}", f"{z}1", f"zone-{z}") for i, z in enumerate("abc", start=1)]
    items = [*zones3(unlabelled=2), service(), slice_("s1", *eps)]
    result = both_forms(tmp_path, items)
    assert texts(result) == [
        "Every zone (zone-a, zone-b and zone-c) and the nodes without a zone label fall back to "
        "all 3 endpoints cluster-wide (1 in zone-a, 1 in zone-b, 1 in zone-c), because the "
        "Service declares no topology policy, so no endpoint carries a hint."
    ]
    assert result["sentences"][0]["zones"] == ["zone-a", "zone-b", "zone-c", "unknown"]


@pytest.mark.parametrize("detail", ["zones", "nodes"])
def test_hundreds_of_nodes_are_not_listed_one_a_line(tmp_path, detail):
    # PreferSameNode on 501 nodes, with an endpoint on 20 of them: those 20 send to their own
    # endpoint, the others stay in their zone. Two sentences, the 20 names cut after 8.
    nodes = zones3(per_zone=167)
    eps = [
        endpoint(
            f"10.1.{i // 250}.{i % 250}",
            n["metadata"]["name"],
            n["metadata"]["labels"]["topology.kubernetes.io/zone"],
            for_zones=[n["metadata"]["labels"]["topology.kubernetes.io/zone"]],
            for_nodes=[n["metadata"]["name"]],
        )
        for i, n in enumerate(nodes[::25])
    ]
    items = [*nodes, service(td="PreferSameNode"), slice_("s1", *eps)]
    (result,) = _node(tmp_path, [entry(items, proxy_detail=detail)])
    zone_words, node_words = texts(result)
    assert zone_words == (
        "Apart from the nodes named below, every zone (zone-a, zone-b and zone-c) keeps traffic "
        "in its zone: 7 endpoints each."
    )
    hosts = sorted(e["nodeName"] for e in eps)
    assert len(hosts) == 21
    assert node_words == (
        f"Nodes {', '.join(hosts[:8])} and 13 more (in zone-a, zone-b and zone-c): each sends "
        "to the endpoint hinted for it (same node)."
    )
    assert result["sentences"][1]["nodes"] == hosts  # every name, for the page's full list


def test_internal_traffic_policy_local_drops_except_on_the_named_nodes(tmp_path):
    eps = [endpoint("10.0.0.1", "a1", "zone-a"), endpoint("10.0.0.2", "b1", "zone-b")]
    items = [*zones3(per_zone=2), service(itp="Local"), slice_("s1", *eps)]
    # Per node, zones a and b tie (one node forwards, one drops): the cluster's commoner outcome
    # speaks for them, so both forms say the same.
    result = both_forms(tmp_path, items)
    assert texts(result) == [
        "Apart from the nodes named below, every zone (zone-a, zone-b and zone-c) drops the "
        "traffic (internalTrafficPolicy Local: no endpoint of this Service runs on the client's "
        "own node).",
        "Nodes a1 and b1 (in zone-a and zone-b): each forwards only to the endpoint on its own "
        "node (internalTrafficPolicy Local).",
    ]
    assert [s["kind"] for s in result["sentences"]] == ["drop", "local"]


def test_a_service_without_endpoints_is_rejected_everywhere_once(tmp_path):
    items = [*zones3(), service(), slice_("s1")]
    result = both_forms(tmp_path, items)
    assert texts(result) == [
        "Every zone (zone-a, zone-b and zone-c) rejects connections: the Service has no endpoint "
        "that can take traffic."
    ]


# ---------------------------------------------------------------------------- flow rows


def test_flow_rows_are_the_matrix_priced_as_the_engine_prices(tmp_path):
    # zone-c is in another region; an endpoint without a zone is "unknown".
    eps = [
        endpoint("10.0.0.1", "a1", "zone-a"),
        endpoint("10.0.0.2", "b1", "zone-b"),
        endpoint("10.0.0.3", "c1", "zone-c"),
        endpoint("10.0.0.4", None, None),
    ]
    items = [*zones3(region_c="region-2"), service(), slice_("s1", *eps)]
    report = with_volume(entry(items), 1000.0)
    (result,) = _node(tmp_path, [report])
    matrix = report["flows"]["matrix"]
    expected = {(src, dst): share for src, row in matrix.items() for dst, share in row.items()}
    rows = {(r["from"], r["to"]): r for r in result["rows"]}
    assert {k: r["share"] for k, r in rows.items()} == pytest.approx(expected)
    cost = report["cost"]
    assert rows[("zone-a", "zone-a")]["cls"] == "local"
    assert rows[("zone-a", "zone-a")]["perGb"] == 0
    assert rows[("zone-a", "zone-b")]["cls"] == "zone"
    assert rows[("zone-a", "zone-b")]["perGb"] == cost["pricePerGbCrossZone"]
    assert rows[("zone-a", "zone-c")]["cls"] == "region"
    assert rows[("zone-a", "zone-c")]["perGb"] == cost["pricePerGbCrossRegion"]
    assert rows[("zone-a", "unknown")]["cls"] == "unknown"
    assert rows[("zone-a", "unknown")]["perGb"] is None
    # The volume is split over the delivering flows; their dollars are the report's.
    assert result["totals"]["monthlyGb"] == pytest.approx(1000.0)
    assert result["totals"]["monthlyUsd"] == pytest.approx(cost["monthlyCost"])
    assert result["totals"]["share"] == pytest.approx(1.0)
    assert cost["monthlyCost"] > 0


def test_dropped_flows_carry_no_volume_and_without_one_nothing_is_made_up(tmp_path):
    eps = [endpoint("10.0.0.1", "a1", "zone-a"), endpoint("10.0.0.2", "b1", "zone-b")]
    items = [*zones3(per_zone=2, unlabelled=1), service(itp="Local"), slice_("s1", *eps)]
    plain = entry(items)
    with_gb = with_volume(entry(items), 300.0)
    without, measured = _node(tmp_path, [plain, with_gb])
    dropped = [r for r in without["rows"] if r["cls"] == "dropped"]
    assert {r["from"] for r in dropped} == {"zone-a", "zone-b", "zone-c", "unknown"}
    assert all(r["to"] == "dropped" for r in dropped)
    assert sum(r["share"] for r in dropped) == pytest.approx(plain["flows"]["dropped"])
    assert all(r["monthlyGb"] is None and r["monthlyUsd"] is None for r in without["rows"])
    assert without["totals"]["monthlyGb"] is None and without["totals"]["monthlyUsd"] is None
    # With a volume, the delivering flows carry all of it and the dropped ones none.
    assert measured["totals"]["monthlyGb"] == pytest.approx(300.0)
    assert all(r["monthlyGb"] is None for r in measured["rows"] if r["cls"] == "dropped")
