"""routing.service_index.index on rows made here: the orders and tests the ORM's statement has
(text bytewise, NaN above every number, NULL last), and an index changed from another's equal
to one built from the rows. The comparison with the ORM itself, on a written snapshot, is
tests/api/test_service_keys.py (SQLite and PostgreSQL) and test_against_postgresql.py (NaN)."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.figures.health import Thresholds
from routing.figures.service_list import ORDERINGS, diagnostics_digest
from routing.service_index.index import ServiceIndex
from routing.service_index.load import COLUMNS

LIMITS = Thresholds(1.5, 0.5)
COLUMN_ORDERINGS = [o for o in ORDERINGS if o.lstrip("-") != "monthly_cost"]
NAN = float("nan")


def row(key: int, namespace: str = "ns", name: str = "", **figures) -> tuple:
    """A row of load.COLUMNS: figures by column name, the rest plain."""
    values = {
        "id": key,
        "namespace": namespace,
        "name": name or f"svc-{key}",
        "policy": "none",
        "mechanism": "none",
        "severity": 0,
        "cross_zone_fraction": 0.0,
        "dropped": 0.0,
        "max_overload": 1.0,
        "cost_per_gb": 0.0,
        "saving_per_gb": None,
        "internal_traffic_policy": "Cluster",
        "cross_region_fraction": 0.0,
        "diagnostics": "[]",
        "recommended_policy": None,
        "best_fix": None,
        **figures,
    }
    assert values.keys() == set(COLUMNS)
    return tuple(values[c] for c in COLUMNS)


def keys(index: ServiceIndex, ordering: str, **filters) -> list[int]:
    page = index.page({"ordering": ordering, **filters}, LIMITS, 0, 10_000)
    assert all(total == len(page) for _, total in page)
    return [key for key, _ in page]


def test_text_is_ordered_bytewise_and_ties_go_by_namespace_and_name_ascending():
    # Code point order (PostgreSQL's "C", SQLite's BINARY): upper case before lower, é after z.
    names = [("b", "x"), ("B", "x"), ("a", "é"), ("a", "z"), ("a", "Z"), ("é", "a"), ("a-b", "a")]
    index = ServiceIndex.from_rows(
        [row(i, ns, name, policy="P" if i % 2 else "p") for i, (ns, name) in enumerate(names)]
    )
    by_name = sorted(range(len(names)), key=lambda i: names[i])
    assert keys(index, "name") == by_name
    assert keys(index, "-name") == by_name[::-1]
    p_upper = [i for i in by_name if i % 2]  # "P" < "p"
    p_lower = [i for i in by_name if not i % 2]
    assert keys(index, "policy") == p_upper + p_lower
    assert keys(index, "-policy") == p_lower + p_upper  # ties still by name, ascending


def test_nan_equals_itself_and_is_above_every_number_as_in_postgresql():
    values = [0.1, NAN, 0.5, NAN, 0.0, math.inf]
    index = ServiceIndex.from_rows(
        [row(i, cross_zone_fraction=v, max_overload=v) for i, v in enumerate(values)]
    )
    assert keys(index, "cross_zone") == [4, 0, 2, 5, 1, 3]
    assert keys(index, "-cross_zone") == [1, 3, 5, 2, 0, 4]  # NaN first, ties by name
    assert keys(index, "name", min_cross_zone=0.2) == [1, 2, 3, 5]
    assert sorted(keys(index, "name", overloaded=True)) == [1, 3, 5]
    assert sorted(keys(index, "name", overloaded=False)) == [0, 2, 4]
    # NaN as the tested value: only NaN equals it, everything else is below it.
    cross_zone = index.columns["cross_zone_fraction"]
    assert cross_zone.test("gte", NAN).tolist() == [False, True, False, True, False, False]
    assert cross_zone.test("lt", NAN).tolist() == [True, False, True, False, True, True]
    assert not cross_zone.test("gt", NAN).any() and cross_zone.test("lte", NAN).all()


def test_health_reads_nan_as_above_the_thresholds():
    index = ServiceIndex.from_rows(
        [
            row(0),
            row(1, dropped=NAN),  # dropped > 0: critical
            row(2, max_overload=NAN),  # above the overload limit: warning
            row(3, severity=1),  # info
            row(4, severity=3),  # error: critical
        ]
    )
    assert index.health_ranks(LIMITS).tolist() == [0, 3, 2, 1, 3]
    assert keys(index, "-health") == [1, 4, 2, 3, 0]


def test_services_without_a_saving_come_last_in_both_directions():
    savings = [None, 0.02, None, 0.01, 0.03]
    index = ServiceIndex.from_rows([row(i, saving_per_gb=s) for i, s in enumerate(savings)])
    assert keys(index, "recommendation") == [3, 1, 4, 0, 2]
    assert keys(index, "-recommendation") == [4, 1, 3, 0, 2]


def test_pages_counts_and_filters_that_match_nothing():
    index = ServiceIndex.from_rows([row(i, "shop" if i < 7 else "bank") for i in range(10)])
    query = {"ordering": "name", "namespace": "shop"}
    assert index.page(query, LIMITS, 2, 3) == [(2, 7), (3, 7), (4, 7)]
    assert index.page(query, LIMITS, 7, 3) == []  # past the end
    assert index.page({**query, "namespace": "nowhere"}, LIMITS, 0, 5) == []
    assert ServiceIndex.from_rows([]).page({"ordering": "-cost"}, LIMITS, 0, 5) == []


# Small alphabets, so that values repeat (ties), and NaN and NULL turn up.
texts = st.sampled_from(["a", "b", "B", "é", "a-b", "z"])
floats = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.5, 2.0, NAN]), st.floats(0, 3))
figures = st.fixed_dictionaries(
    {
        "policy": texts,
        "mechanism": st.sampled_from(["none", "topologyAuto", "trafficDistribution"]),
        "severity": st.integers(0, 3),
        "cross_zone_fraction": floats,
        "dropped": floats,
        "max_overload": floats,
        "cost_per_gb": floats,
        "saving_per_gb": st.one_of(st.none(), floats),
        # What the rows show besides
        "internal_traffic_policy": st.sampled_from(["Cluster", "Local"]),
        "cross_region_fraction": floats,
        "diagnostics": st.sampled_from(
            [
                "[]",
                '[{"code": "x", "severity": "warning", "message": "m\\u00e9"}]',
                '[{"code": "a", "severity": "error", "message": "1"}, '
                '{"code": "b", "severity": "info", "message": "2"}]',
            ]
        ),
        "recommended_policy": st.one_of(st.none(), texts),
        "best_fix": st.one_of(st.none(), st.sampled_from(["set-policy", "add-endpoints"])),
    }
)
FILTERS = [
    {},
    {"namespace": "a"},
    {"namespace": "new"},
    {"policy": "B", "min_cross_zone": 0.25},
    {"overloaded": True, "has_diagnostics": True},
    {"overloaded": False, "mechanism": "none"},
]


@st.composite
def two_snapshots(draw):
    """A snapshot's rows, and a later one's: some rows gone, some added (with new keys, maybe
    the same namespace and name as a row gone, maybe a namespace the first had not)."""
    names = draw(st.lists(st.tuples(texts, texts), unique=True, max_size=25))
    before = [row(i, ns, name, **draw(figures)) for i, (ns, name) in enumerate(names)]
    gone = draw(st.sets(st.sampled_from(range(len(before))))) if before else set()
    left = {(r[1], r[2]) for i, r in enumerate(before) if i not in gone}
    added_names = draw(
        st.lists(st.tuples(st.sampled_from(["a", "new", "é"]), texts), unique=True, max_size=10)
    )
    added = [
        row(100 + i, ns, name, **draw(figures))
        for i, (ns, name) in enumerate(added_names)
        if (ns, name) not in left
    ]
    after = [r for i, r in enumerate(before) if i not in gone] + added
    return before, sorted(gone), added, after


@settings(max_examples=150, deadline=None)
@given(two_snapshots(), st.booleans())
def test_an_index_changed_from_an_earlier_one_equals_one_built_from_its_rows(case, ordered):
    before, gone, added, after = case
    earlier = ServiceIndex.from_rows(before)
    if ordered:  # orders worked out on the earlier index are not carried over wrongly
        for ordering in COLUMN_ORDERINGS:
            earlier.order(ordering, LIMITS)
    changed = earlier.changed(gone, added)
    built = ServiceIndex.from_rows(after)
    assert changed.size == built.size == len(after)
    for ordering in COLUMN_ORDERINGS:
        for filters in FILTERS:
            query = {"ordering": ordering, **filters}
            assert changed.page(query, LIMITS, 0, 100) == built.page(query, LIMITS, 0, 100)
    keys = [r[0] for r in after]  # and their rows, as read from the database
    # (repr: a NaN is equal to itself there, as the rows' test needs)
    assert repr(changed.rows(keys)) == repr(built.rows(keys)) == repr([_as_read(r) for r in after])


def _as_read(row: tuple) -> tuple:
    """A row of load.COLUMNS as service_list.summary_values gives it (diagnostics digested)."""
    values = dict(zip(COLUMNS, row, strict=True))
    return (
        *(values[c] for c in ("namespace", "name", "policy", "mechanism")),
        values["internal_traffic_policy"],
        values["cross_zone_fraction"],
        values["cross_region_fraction"],
        *(values[c] for c in ("dropped", "max_overload", "cost_per_gb")),
        diagnostics_digest(values["diagnostics"]),
        values["recommended_policy"],
        values["best_fix"],
    )
