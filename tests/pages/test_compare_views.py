"""The comparison page (/clusters/<c>/compare/?from=&to=) and the cluster bar's "Compare with":
the data handed to the page is the API's answer; a missing, malformed or unknown seq is the page
with a message (400 or 404), never a traceback; `from` after `to` is turned round."""

import json
import re

import pytest
from django.urls import reverse

from routing.models import Cluster
from routing.snapshots import import_dump
from tests.factories import DEMO_DUMP
from tests.teams import two_teams

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    """Cluster `shop` with three snapshots: the demo, cart switched to PreferSameNode, back."""
    cluster = Cluster.objects.create(name="shop", display_name="Demo shop", source="upload")
    import_dump(cluster, DEMO_DUMP.read_bytes())
    changed = DEMO_DUMP.read_text().replace('"PreferClose"', '"PreferSameNode"', 1)
    import_dump(cluster, changed.encode())
    import_dump(cluster, DEMO_DUMP.read_bytes())
    return cluster


def _url(**query) -> str:
    base = reverse("compare", args=["shop"])
    return f"{base}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else base


def _page_data(response) -> dict:
    found = re.search(
        r'<script id="compare-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert found, "no compare-data"
    return json.loads(found.group(1))


def test_the_page_holds_the_apis_answer(client, api, shop):
    response = client.get(_url(**{"from": 1, "to": 2}))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'src="/static/dashboard/js/compare.js"' in page
    shown = _page_data(response)["comparison"]
    answered = api.get("/api/v1/clusters/shop/compare/", {"from": 1, "to": 2}).json()
    assert shown == answered
    assert shown["diff"]["policyChanges"][0]["name"] == "cart"
    # The chooser is preset to the pair shown.
    assert re.search(r'<select id="compare-from"[^>]*>.*?<option value="1" selected', page, re.S)
    assert re.search(r'<select id="compare-to"[^>]*>.*?<option value="2" selected', page, re.S)


def test_to_defaults_to_the_newest(client, shop):
    shown = _page_data(client.get(_url(**{"from": 1})))["comparison"]
    assert (shown["from"]["seq"], shown["to"]["seq"]) == (1, 3)


def test_from_after_to_is_turned_round(client, shop):
    response = client.get(_url(**{"from": 3, "to": 1}))
    assert response.status_code == 302
    assert response["Location"] == _url(**{"from": 1, "to": 3})


def test_without_a_query_the_chooser_is_preset_to_the_last_change(client, shop):
    response = client.get(_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert _page_data(response)["comparison"] is None
    assert 'id="compare-hint"' in page and 'id="compare-problem"' not in page
    assert "compare.js" not in page  # nothing to draw
    assert re.search(r'<select id="compare-from"[^>]*>.*?<option value="2" selected', page, re.S)
    assert re.search(r'<select id="compare-to"[^>]*>\s*<option value="3" selected', page, re.S)


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ({"from": "abc"}, 400, "“abc” is not a snapshot number"),
        ({"from": "1", "to": "-2"}, 400, "“-2” is not a snapshot number"),
        ({"from": "9999999999"}, 400, "is not a snapshot number"),
        ({"to": "2"}, 400, "Choose the snapshot to compare from"),
        ({"from": "2", "to": "2"}, 400, "Both sides are snapshot 2"),
        ({"from": "3"}, 400, "Both sides are snapshot 3"),  # `to`: the newest, 3 itself
        ({"from": "99"}, 404, "There is no snapshot 99 of Demo shop"),
        ({"from": "1", "to": "42"}, 404, "There is no snapshot 42 of Demo shop"),
    ],
)
def test_a_bad_seq_is_a_message_on_the_page(client, shop, query, status, words):
    response = client.get(_url(**query))
    assert response.status_code == status
    assert [t.name for t in response.templates][0] == "pages/compare.html"
    page = response.content.decode()
    problem = re.search(
        r'<p class="banner banner--warning" id="compare-problem" role="alert">(.*?)</p>', page, re.S
    )
    assert problem and words in problem.group(1).replace("&#x27;", "'"), page
    assert "Traceback" not in page
    assert 'id="compare-chooser"' in page  # the way on


def test_a_cluster_without_two_snapshots_says_so(client, db):
    Cluster.objects.create(name="empty", source="upload")
    response = client.get(reverse("compare", args=["empty"]) + "?from=1")
    assert response.status_code == 404
    page = response.content.decode()
    assert "has no snapshot yet" in page
    assert "a comparison needs two" in page


def test_the_other_teams_cluster_is_the_404_page(db):
    from django.test import Client

    teams = two_teams("viewer", "user")
    alice = Client()
    alice.force_login(teams.alice)
    assert alice.get(reverse("compare", args=["a"])).status_code == 200
    hidden = alice.get(reverse("compare", args=["b"]) + "?from=1")
    assert hidden.status_code == 404
    assert hidden.templates[0].name == "404.html"


def _compare_picker(page: str) -> str | None:
    found = re.search(r'<form class="snapshot-picker" id="compare-picker".*?</form>', page, re.S)
    return found.group(0) if found else None


def test_the_cluster_bar_offers_compare_with_the_snapshot_before(client, shop):
    for name, args in (("services", []), ("cluster", []), ("recommendations", [])):
        picker = _compare_picker(client.get(reverse(name, args=["shop", *args])).content.decode())
        assert picker is not None, name
        assert 'action="/clusters/shop/compare/"' in picker
        assert '<input type="hidden" name="to" value="3">' in picker
        options = re.findall(r'<option value="(\d+)"( selected)?', picker)
        assert [seq for seq, _ in options] == ["2", "1"]  # every other snapshot, newest first
        assert [seq for seq, selected in options if selected] == ["2"]
    # A pinned page compares its own snapshot; the oldest has none before it: the newest.
    picker = _compare_picker(
        client.get(reverse("services", args=["shop"]) + "?snapshot=1").content.decode()
    )
    assert '<input type="hidden" name="to" value="1">' in picker
    assert re.findall(r'<option value="(\d+)" selected', picker) == ["3"]
    page = client.get(
        reverse("service", args=["shop", "shop", "cart"]) + "?snapshot=2"
    ).content.decode()
    assert '<input type="hidden" name="to" value="2">' in _compare_picker(page)
    for name in ("timeline", "settings", "compare"):
        assert _compare_picker(client.get(reverse(name, args=["shop"])).content.decode()) is None


def test_no_compare_with_before_a_second_snapshot(client, db):
    cluster = Cluster.objects.create(name="one", source="upload")
    import_dump(cluster, DEMO_DUMP.read_bytes())
    assert _compare_picker(client.get(reverse("services", args=["one"])).content.decode()) is None
