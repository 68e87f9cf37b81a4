"""The live events' TypedDicts (routing.live.events) describe what is really sent, key by key and
in order, and docs/dashboard.md's table of events names the same payload keys.

mypy checks that each function builds its TypedDict; these check the run-time side it cannot:
the order of the JSON keys, the `type` each Literal names, and the documentation.
"""

import re
from datetime import UTC, datetime
from typing import get_args, get_type_hints

import pytest

from routing.kube.state import ClusterState, WatchChange
from routing.live import events
from routing.live.consumers import _clusters
from routing.models import Cluster, Snapshot
from tests.factories import user_with_role

COMMON = ("type", "cluster", "sentAt")  # every published event has these (the docs say so once)


def _keys(typed_dict: type) -> list[str]:
    return list(get_type_hints(typed_dict))


def _type_literal(typed_dict: type) -> str:
    [value] = get_args(get_type_hints(typed_dict)["type"])
    return value


def _watch_change() -> WatchChange:
    state = ClusterState(("Pod",))
    state.apply("ADDED", {"kind": "Pod", "metadata": {"namespace": "shop", "name": "web-1"}})
    [change], more = state.drain_changes()
    assert more == 0
    return change


def _published() -> list[tuple[type, dict]]:
    snapshot = Snapshot(
        cluster=Cluster(name="shop"),
        seq=3,
        taken_at=datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
        source=Snapshot.Source.UPLOAD,
        services=12,
        changed_objects=40,
        cross_zone_fraction=0.25,
        cost_per_gb_mean=None,
    )
    return [
        (events.SnapshotCommitted, events.snapshot_committed(snapshot)),
        (events.ClusterStatus, events.cluster_status("shop", "stale", "watch failed")),
        (events.ClusterChanged, events.cluster_changed("shop", [_watch_change()], more=2)),
    ]


def test_each_published_event_has_its_typed_dicts_keys_in_order_and_its_literal_type():
    for typed_dict, event in _published():
        assert list(event) == _keys(typed_dict), typed_dict.__name__
        assert event["type"] == _type_literal(typed_dict)
        assert set(COMMON) <= set(event)
    assert get_args(events.LiveEvent) == tuple(t for t, _ in _published())


def test_a_watch_change_has_the_keys_of_its_typed_dict_in_order():
    assert list(_watch_change()) == _keys(WatchChange)


@pytest.mark.django_db
def test_hello_has_its_typed_dicts_keys_in_order():
    shop = Cluster.objects.create(name="shop", source=Cluster.Source.UPLOAD)
    taken_at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    Snapshot.objects.create(cluster=shop, seq=1, taken_at=taken_at, source="upload")
    empty = Cluster.objects.create(name="empty", source=Cluster.Source.UPLOAD)
    followed = _clusters(user_with_role("vera", "viewer"), None)
    assert [(cluster_id, c["name"], c["seq"]) for cluster_id, c in followed] == [
        (empty.pk, "empty", None),
        (shop.pk, "shop", 1),
    ]
    hello = events.hello([c for _, c in followed])
    assert list(hello) == _keys(events.Hello) and hello["type"] == _type_literal(events.Hello)
    for entry in hello["clusters"]:
        assert list(entry) == _keys(events.HelloCluster)


def _documented_payloads(project_dir) -> dict[str, str]:
    """docs/dashboard.md's table of events: event type -> its payload cell."""
    text = (project_dir / "docs" / "dashboard.md").read_text()
    rows = re.findall(r"^\| `([a-z]+\.[a-z]+)` \|[^|]*\| (.*) \|$", text, re.MULTILINE)
    return dict(rows)


def test_the_docs_table_names_each_events_payload_keys(project_dir):
    documented = _documented_payloads(project_dir)
    assert sorted(documented) == sorted(_type_literal(t) for t, _ in _published())
    for typed_dict, _ in _published():
        cell = documented[_type_literal(typed_dict)]
        nested = re.findall(r"\(([^)]*)\)", cell)
        top_level = re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", cell))
        # Values in parentheses describe a key (its items, or the values it takes).
        assert top_level == [k for k in _keys(typed_dict) if k not in COMMON], cell
        if typed_dict is events.ClusterChanged:
            [items] = nested
            assert re.findall(r"`(\w+)`", items) == _keys(WatchChange)
