"""Recommendations page: each card says how long its advice has held, as the API computes it
(routing/figures/stability.py), so a flapping recommendation is visible before anyone acts on it."""

import orjson

from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP
from tests.web.conftest import api_json, screenshot, sign_in

PATH = "/clusters/shop/recommendations/"


def _lines(page) -> dict[str, dict]:
    return {
        card["service"]: card
        for card in page.locator("article.rec").evaluate_all(
            """els => els.map(e => {
              const line = e.querySelector('.rec__stable');
              return { service: e.dataset.service, text: line && line.textContent,
                       isNew: Boolean(line && line.classList.contains('rec__stable--new')),
                       seconds: line && line.dataset.stableSeconds };
            })"""
        )
    }


def test_each_card_says_since_when_its_advice_holds(page, web_server, viewer, shop):
    doc = orjson.loads(DEMO_DUMP.read_bytes())
    catalog = next(
        o for o in doc["items"] if o["kind"] == "Service" and o["metadata"]["name"] == "catalog"
    )
    catalog["spec"]["trafficDistribution"] = "PreferSameZone"  # its advice changes (API tests)
    import_dump(shop, orjson.dumps(doc))  # snapshot 3
    sign_in(page, web_server, viewer, PATH)
    ranked = api_json(viewer, "/api/v1/clusters/shop/recommendations/")["results"]
    lines = _lines(page)
    assert set(lines) == {f"{r['namespace']}/{r['name']}" for r in ranked}
    changed = 0
    for rec in ranked:
        line = lines[f"{rec['namespace']}/{rec['name']}"]
        since = rec["stableSince"]
        if since["changedHere"]:
            changed += 1
            assert rec["name"] == "catalog" and since["seq"] == 3
            assert line["isNew"] and line["text"].startswith("New in this snapshot")
        else:
            assert since["seq"] == 1 and not line["isNew"]
            assert line["text"].startswith("Stable for ")
            assert f"since snapshot {since['seq']}" in line["text"]
            assert float(line["seconds"]) == since["seconds"]
    assert changed == 1 and len(ranked) > 3
    screenshot(page, "recommendations-stability")


def test_the_first_snapshot_has_nothing_to_be_stable_against(page, web_server, viewer, shop):
    sign_in(page, web_server, viewer, f"{PATH}?snapshot=1")
    lines = _lines(page)
    assert lines
    for line in lines.values():
        assert line["text"] == "Seen in this snapshot only: no earlier one kept"
        assert not line["isNew"]
