"""Finding Services in the list: `search`, every column's ordering, and refused filter values."""

import pytest

from routing.figures.health import LEVELS, Thresholds, health_level
from routing.figures.service_list import ORDERINGS
from routing.models import TrafficVolume
from routing.snapshots import summaries_at

from .conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/clusters/demo/services/"
SEVERITY = {"error": 3, "warning": 2, "info": 1}


def _names(body) -> list[str]:
    return [f"{s['namespace']}/{s['name']}" for s in body["results"]]


def _all(client, **query) -> list[str]:
    return _names(client.get(URL, {"page_size": 1000, **query}).json())


def _health(s, limits: Thresholds) -> int:
    top = s.diagnostics[0]["severity"] if s.diagnostics else None
    return LEVELS.index(health_level(s.dropped, s.max_overload, s.cross_zone_fraction, top, limits))


def _sort_key(column: str, volumes: dict, limits: Thresholds):
    """What each ordering sorts by, from the stored summaries; None sorts last."""
    return {
        "health": lambda s: _health(s, limits),
        "policy": lambda s: s.policy.encode(),
        "cross_zone": lambda s: s.cross_zone_fraction,
        "dropped": lambda s: s.dropped,
        "overload": lambda s: s.max_overload,
        "cost": lambda s: s.cost_per_gb,
        "monthly_cost": lambda s: (
            s.cost_per_gb * volumes[(s.namespace, s.name)]
            if (s.namespace, s.name) in volumes
            else None
        ),
        "diagnostics": lambda s: SEVERITY[s.diagnostics[0]["severity"]] if s.diagnostics else 0,
        "recommendation": lambda s: (s.recommendation or {}).get("costPerGbSaved"),
    }[column]


def _expected(cluster, ordering: str, volumes: dict) -> list[str]:
    rows = sorted(
        summaries_at(cluster.snapshots.order_by("-seq")[0]),
        key=lambda s: (s.namespace.encode(), s.name.encode()),
    )
    column = ordering.lstrip("-")
    descending = ordering.startswith("-")
    if column == "name":
        rows.reverse() if descending else None
    else:
        key = _sort_key(column, volumes, Thresholds.of(cluster))
        known = [s for s in rows if key(s) is not None]
        known.sort(key=key, reverse=descending)  # stable: ties stay A to Z
        rows = known + [s for s in rows if key(s) is None]
    return [f"{s.namespace}/{s.name}" for s in rows]


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_every_column_sorts_both_ways(demo_cluster, token_client, ordering):
    # Volumes for a few Services only, so that monthly cost has nulls to put last.
    volumes = {("shop", "catalog"): 300.0, ("shop", "checkout"): 50.0, ("shop", "payments"): 7.0}
    for (ns, name), gb in volumes.items():
        TrafficVolume.objects.create(cluster=demo_cluster, namespace=ns, name=name, monthly_gb=gb)
    got = _all(token_client("viewer"), ordering=ordering)
    assert got == _expected(demo_cluster, ordering, volumes)


def test_the_demo_has_what_the_new_orderings_sort(demo_cluster):
    rows = summaries_at(demo_cluster.snapshots.order_by("-seq")[0])
    assert len({s.dropped for s in rows}) > 1
    assert any(s.recommendation for s in rows) and not all(s.recommendation for s in rows)
    assert len({s.diagnostics[0]["severity"] if s.diagnostics else None for s in rows}) > 2


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("CHECK", {"shop/checkout"}),
        ("shop/check", {"shop/checkout"}),
        ("hop/", "every shop Service"),
        ("no-such-service", set()),
        ("%", set()),  # a LIKE wildcard is a character to find, not a pattern
        ("_", "every name with an underscore"),
    ],
)
def test_search_finds_a_substring_of_namespace_and_name(
    demo_cluster, token_client, search, expected
):
    everything = _all(token_client("viewer"))
    if expected == "every shop Service":
        expected = {k for k in everything if k.startswith("shop/")}
    elif expected == "every name with an underscore":
        expected = {k for k in everything if "_" in k}
    got = _all(token_client("viewer"), search=search)
    assert set(got) == expected
    assert got == [k for k in everything if k in expected]  # in the list's own order


def test_search_combines_with_the_other_filters_and_names_the_page_links(
    demo_cluster, token_client
):
    body = token_client("viewer").get(URL, {"search": "S", "page_size": 2, "x": "1"}).json()
    assert body["count"] > 2
    assert "search=S" in body["next"] and "x=1" not in body["next"]
    narrowed = _all(token_client("viewer"), search="s", policy="Auto")
    assert narrowed == _all(token_client("viewer"), policy="Auto")


def test_search_is_part_of_the_cache_key(demo_cluster, token_client, settings):
    settings.API_CACHE_SECONDS = 60
    client = token_client("viewer")
    first = client.get(URL, {"search": "checkout"}).json()
    second = client.get(URL, {"search": "payments"}).json()
    assert _names(first) == ["shop/checkout"] and _names(second) == ["shop/payments"]


@pytest.mark.parametrize(
    "query",
    [
        {"policy": "bogus"},
        {"policy": "preferSameZone"},  # as written: case matters
        {"search": "x" * 254},
        {"namespace": "n" * 254},
        {"format": "xml"},
        {"ordering": "-price"},
    ],
)
def test_unknown_values_are_400_naming_the_field(demo_cluster, token_client, query):
    error = assert_error(token_client("viewer").get(URL, query), 400, "invalid")
    assert set(error["details"]) == set(query)
    assert error["message"].startswith(f"{next(iter(query))}: ")


def test_a_policy_kubernetes_defines_is_valid_even_where_no_service_declares_it(
    demo_cluster, token_client
):
    from routing.models import ServiceSummary

    ServiceSummary.objects.filter(policy="PreferSameNode").update(policy="none")
    body = token_client("viewer").get(URL, {"policy": "PreferSameNode"}).json()
    assert body["count"] == 0


def test_a_policy_only_the_snapshot_declares_is_valid(demo_cluster, token_client):
    from routing.models import ServiceSummary

    row = ServiceSummary.objects.filter(cluster=demo_cluster, name="catalog").latest("first_seq")
    ServiceSummary.objects.filter(pk=row.pk).update(policy="PreferSomewhereNew")
    body = token_client("viewer").get(URL, {"policy": "PreferSomewhereNew"}).json()
    assert _names(body) == ["shop/catalog"]
