"""The overview for many clusters (issue 13 item 8), in a browser: from five clusters on, one
sortable table (status, monthly cost, cross-zone with a sparkline, overloaded and dropping
Services, last snapshot) instead of a stack of cards, its figures the API's."""

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from routing.models import Cluster
from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP
from tests.web.conftest import screenshot, sign_in
from tests.web.flashes import RECORD_FLASHES

NAMES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]


@pytest.fixture
def many(transactional_db):
    dump = DEMO_DUMP.read_bytes()
    for i, name in enumerate(NAMES):
        cluster = Cluster.objects.create(name=name, source="upload")
        if name == "foxtrot":
            continue  # one without a snapshot yet
        for _ in range(1 + i % 3):  # a few snapshots each, for the sparklines
            import_dump(cluster, dump)


def _api(user, path: str, **params) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    return client.get(path, params).json()


def _column(page, index: int) -> list[str]:
    return page.locator("#cluster-rows tr").evaluate_all(
        f"rows => rows.map(r => r.children[{index}].dataset.value)"
    )


def test_many_clusters_are_one_sortable_table(page, web_server, admin_user, many):
    sign_in(page, web_server, admin_user, "/")
    expect(page.locator("#clusters-table")).to_be_visible()
    expect(page.locator("#cluster-list")).to_have_count(0)
    rows = page.locator("#cluster-rows tr")
    expect(rows).to_have_count(len(NAMES))
    assert page.locator("#cluster-rows tr").evaluate_all(
        "rows => rows.map(r => r.dataset.cluster)"
    ) == sorted(NAMES)

    for name in NAMES[:-1]:
        flows = _api(admin_user, f"/api/v1/clusters/{name}/flowmap/")
        services = _api(admin_user, f"/api/v1/clusters/{name}/services/", page_size=100)
        row = page.locator(f'#cluster-rows tr[data-cluster="{name}"]')
        assert (
            float(row.locator("td").nth(2).get_attribute("data-value"))
            == flows["crossZoneFraction"]
        )
        dropping = sum(1 for r in services["results"] if r["dropped"] > 0)
        overloaded = sum(1 for r in services["results"] if r["maxOverload"] > 1.5)
        assert row.locator("td").nth(5).get_attribute("data-value") == str(dropping)
        assert row.locator("td").nth(4).get_attribute("data-value") == str(overloaded)
        spark = row.locator("svg.spark")
        expect(spark).to_have_attribute("aria-label", __import__("re").compile("over the last"))
    expect(page.locator('#cluster-rows tr[data-cluster="foxtrot"]')).to_contain_text(
        "waiting for the first snapshot"
    )

    # Sorting: text A-Z first, figures largest first; a second click turns it round; rows
    # without a figure last either way.
    page.get_by_role("button", name="Last snapshot").click()
    times = _column(page, 7)
    known = [int(t) for t in times if t]
    assert known == sorted(known, reverse=True) and times[-1] == ""
    page.get_by_role("button", name="Cluster").click()
    assert _column(page, 0) == sorted(NAMES)
    page.get_by_role("button", name="Cluster").click()
    assert _column(page, 0) == sorted(NAMES, reverse=True)
    head = page.locator("#clusters-table thead th").first
    expect(head).to_have_attribute("aria-sort", "descending")
    screenshot(page, "clusters-table-1440")


def test_a_snapshot_refreshes_its_row(page, web_server, admin_user, many, live_relay):
    sign_in(page, web_server, admin_user, "/")
    row = page.locator('#cluster-rows tr[data-cluster="alpha"]')
    expect(row).to_contain_text("#1")
    expect(page.locator("body")).to_have_attribute("data-live-hello", "true")
    page.evaluate(RECORD_FLASHES)
    import_dump(Cluster.objects.get(name="alpha"), DEMO_DUMP.read_bytes())
    live_relay.written()
    expect(row).to_contain_text("#2", timeout=10_000)
    # The cells the snapshot changed flashed (the last snapshot's number), the others did not.
    flashed = page.evaluate("window.__flashed")
    assert any(text.startswith("#2") for text in flashed), flashed
    assert not any("alpha" in text for text in flashed), flashed
