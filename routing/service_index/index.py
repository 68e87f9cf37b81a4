"""One snapshot's Services list as columns: the page of any filter and order, with its count.

What the ORM's statement does (service_list.filtered_services, then a window count and a
slice), restated over arrays, to the same keys in the same order:

- text is compared bytewise (COLLATE "C" on PostgreSQL, BINARY on SQLite): Python orders `str`
  by code point, which is the order of their UTF-8 bytes, and numpy orders bytes as bytes;
- a float NaN (PostgreSQL stores one; SQLite cannot) equals itself and is greater than every
  number, in tests and in orders alike, where numpy's comparisons with it are all false;
- NULL (a Service without a recommendation's saving) sorts last in both directions;
- ties, and the order by name itself, go by namespace and name.

An index is built from the snapshot's rows, or from the index of an earlier snapshot of the
cluster and the rows that differ (`changed`): a watcher's write changes ~1% of them.
tests/service_index/ holds the pages equal to the ORM's on every ordering and filter, and a
changed index equal to one built from the rows.
"""

import math
import operator
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from routing.figures.health import Thresholds
from routing.figures.service_list import SORT_COLUMNS, column_tests, diagnostics_digest
from routing.models import SEVERITY_RANK

from .load import COLUMNS, DISPLAY

_COMPARE: dict[str, Callable] = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
TEXT = ("namespace", "policy", "mechanism")
FLOATS = ("cross_zone_fraction", "dropped", "max_overload", "cost_per_gb", "saving_per_gb")
C = TypeVar("C")
# How many orders by health (one per thresholds) an index keeps besides the fixed ones.
_MAX_ORDERS = 64


class _Text:
    """A text column as codes into its distinct values sorted bytewise: a code's order is its
    value's, so the codes sort as the text does. `distinct` may hold values no row has left
    (an index changed from another): they match no row and take no place in an order."""

    __slots__ = ("code_of", "codes", "distinct")

    def __init__(self, distinct: list[str], codes: np.ndarray):
        self.distinct = distinct
        self.code_of = {value: i for i, value in enumerate(distinct)}
        self.codes = codes

    @classmethod
    def of(cls, values: Sequence[str]) -> "_Text":
        text = cls(sorted(set(values)), np.empty(0, dtype=np.int32))
        text.codes = np.fromiter(map(text.code_of.__getitem__, values), np.int32, len(values))
        return text

    def changed(self, keep: np.ndarray, added: "_Text") -> "_Text":
        """This column without the rows `keep` drops, then `added`'s rows."""
        text = _Text(sorted(self.code_of.keys() | added.code_of.keys()), np.empty(0, np.int32))
        ours, theirs = (
            np.fromiter(map(text.code_of.__getitem__, c.distinct), np.int32, len(c.distinct))
            for c in (self, added)
        )
        text.codes = np.concatenate([ours[self.codes[keep]], theirs[added.codes]])
        return text

    def at(self, rows: np.ndarray) -> list[str]:
        """The values of these rows."""
        distinct = self.distinct
        return [distinct[code] for code in self.codes[rows].tolist()]

    def test(self, lookup: str, value: str) -> np.ndarray:
        assert lookup == "exact", lookup  # service_list.column_tests: text is matched only
        code = self.code_of.get(value)
        if code is None:
            return np.zeros(len(self.codes), dtype=bool)
        return self.codes == code

    def ranks(self) -> np.ndarray:
        return self.codes


class _Floats:
    """A float column as PostgreSQL compares it (NaN equal to itself, above every number),
    with the rows where it is NULL (sorted last; only `saving_per_gb` has any)."""

    __slots__ = ("_ranks", "nan", "nulls", "values")

    def __init__(self, values: np.ndarray, nulls: np.ndarray):
        self.values, self.nulls = values, nulls
        self.nan = np.isnan(values)
        self._ranks: np.ndarray | None = None

    @classmethod
    def of(cls, values: Sequence[float | None]) -> "_Floats":
        nulls = np.fromiter((v is None for v in values), bool, len(values))
        known = [0.0 if v is None else v for v in values] if nulls.any() else values
        return cls(np.array(known, dtype=np.float64), nulls)

    def changed(self, keep: np.ndarray, added: "_Floats") -> "_Floats":
        return _Floats(
            np.concatenate([self.values[keep], added.values]),
            np.concatenate([self.nulls[keep], added.nulls]),
        )

    def test(self, lookup: str, value: float) -> np.ndarray:
        # A NULL passes no test; the columns that are tested have none (NOT NULL).
        if math.isnan(value):  # only NaN equals it, every number is below it
            passed = {
                "exact": self.nan,
                "gt": np.zeros_like(self.nan),
                "gte": self.nan,
                "lt": ~self.nan,
                "lte": np.ones_like(self.nan),
            }[lookup].copy()
        else:
            passed = _COMPARE[lookup](self.values, value)  # NaN: False, as for = < <=
            if lookup in ("gt", "gte"):
                passed |= self.nan  # NaN is above every number
        return passed & ~self.nulls

    def ranks(self) -> np.ndarray:
        """Each row's place among the distinct values, NaN last (numpy's unique sorts it so)."""
        if self._ranks is None:
            self._ranks = np.unique(self.values, return_inverse=True)[1].astype(np.int64)
        return self._ranks


class _Ints:
    __slots__ = ("values",)

    def __init__(self, values: np.ndarray):
        self.values = values

    def changed(self, keep: np.ndarray, added: "_Ints") -> "_Ints":
        return _Ints(np.concatenate([self.values[keep], added.values]))

    def test(self, lookup: str, value: int) -> np.ndarray:
        return _COMPARE[lookup](self.values, value)

    def ranks(self) -> np.ndarray:
        return self.values


class _Shown:
    """What a page's rows show besides the columns tested and sorted: per row, the internal
    traffic policy, the cross-region share, the diagnostics' digest (their counts and the
    first, as JSON: service_list.diagnostics_digest), the recommended policy and the best fix.
    Object arrays of the values as read, equal strings shared (a page takes its rows' values
    as they are; nothing compares them)."""

    __slots__ = ("columns",)

    def __init__(self, columns: list[np.ndarray]):
        self.columns = columns

    @classmethod
    def of(cls, itp, cross_region, diagnostics, recommended, best_fix) -> "_Shown":
        shared: dict = {}
        return cls(
            [
                _objects([shared.setdefault(v, v) for v in itp]),
                np.array(cross_region, dtype=np.float64),
                _objects([diagnostics_digest(text) for text in diagnostics]),
                _objects([shared.setdefault(v, v) for v in recommended]),
                _objects([shared.setdefault(v, v) for v in best_fix]),
            ]
        )

    def changed(self, keep: np.ndarray, added: "_Shown") -> "_Shown":
        return _Shown(
            [
                np.concatenate([mine[keep], theirs])
                for mine, theirs in zip(self.columns, added.columns, strict=True)
            ]
        )


def _objects(values: list) -> np.ndarray:
    """`values` as a one-dimensional object array (np.array would nest a list of tuples)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _name_keys(namespaces: Sequence[str], names: Sequence[str]) -> np.ndarray:
    """Namespace, a NUL, name, as UTF-8: bytes that sort as (namespace, name) bytewise, since
    neither holds a NUL (no PostgreSQL text can). numpy compares them as bytes."""
    joined = [f"{ns}\0{n}".encode() for ns, n in zip(namespaces, names, strict=True)]
    return np.array(joined, dtype=np.bytes_) if joined else np.empty(0, dtype="S1")


class ServiceIndex:
    """The Services of one snapshot (`from_rows`, or `changed` from another's)."""

    def __init__(
        self,
        keys: np.ndarray,
        text: dict[str, _Text],
        floats: dict[str, _Floats],
        severity: _Ints,
        name_keys: np.ndarray,
        by_name: np.ndarray,
        shown: _Shown,
    ):
        self.size = len(keys)
        self.shown = shown
        # The order that sorts `keys`, and the keys so sorted: a page's rows found by key.
        self._key_order: tuple[np.ndarray, np.ndarray] | None = None
        self.keys, self.name_keys, self.by_name = keys, name_keys, by_name
        self.columns: dict[str, _Text | _Floats | _Ints] = {
            **text,
            **floats,
            "severity": severity,
        }
        self.name_rank = np.empty(self.size, dtype=np.int64)
        self.name_rank[by_name] = np.arange(self.size)
        self._orders: dict[tuple[str, Thresholds | None], np.ndarray] = {}

    @classmethod
    def from_rows(cls, rows: Sequence[tuple]) -> "ServiceIndex":
        """From rows of load.COLUMNS, in any order."""
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(COLUMNS)
        by = dict(zip(COLUMNS, columns, strict=True))
        name_keys = _name_keys(by["namespace"], by["name"])
        return cls(
            np.array(by["id"], dtype=np.int64),
            {name: _Text.of(by[name]) for name in TEXT},
            {name: _Floats.of(by[name]) for name in FLOATS},
            _Ints(np.array(by["severity"], dtype=np.int64)),
            name_keys,
            np.argsort(name_keys, kind="stable"),
            _Shown.of(*(by[name] for name in DISPLAY)),
        )

    def changed(self, removed: Sequence[int], added_rows: Sequence[tuple]) -> "ServiceIndex":
        """This index without the rows keyed `removed`, with `added_rows` (load.COLUMNS): the
        index of a later snapshot, from the rows that differ."""
        keep = ~np.isin(self.keys, np.array(removed, dtype=np.int64))
        added = ServiceIndex.from_rows(added_rows)
        kept = int(keep.sum())
        # The kept rows stay in name order; the added ones are merged in.
        renumbered = np.cumsum(keep) - 1
        kept_by_name = renumbered[self.by_name[keep[self.by_name]]]
        name_keys = np.concatenate([self.name_keys[keep], added.name_keys])
        places = np.searchsorted(name_keys[kept_by_name], added.name_keys[added.by_name])
        by_name = np.insert(kept_by_name, places, kept + added.by_name)
        mine, theirs = self.columns, added.columns
        return ServiceIndex(
            np.concatenate([self.keys[keep], added.keys]),
            {n: _as(mine[n], _Text).changed(keep, _as(theirs[n], _Text)) for n in TEXT},
            {n: _as(mine[n], _Floats).changed(keep, _as(theirs[n], _Floats)) for n in FLOATS},
            _as(mine["severity"], _Ints).changed(keep, _as(theirs["severity"], _Ints)),
            name_keys,
            by_name,
            self.shown.changed(keep, added.shown),
        )

    def rows(self, keys: Sequence[int]) -> list[tuple]:
        """The rows of these keys (all of this index), in their order, as
        service_list.summary_values reads them from the database: the page of `page()`
        without a query."""
        if self._key_order is None:
            order = np.argsort(self.keys, kind="stable")
            self._key_order = (order, self.keys[order])
        order, sorted_keys = self._key_order
        wanted = np.array(keys, dtype=np.int64)
        at = order[np.searchsorted(sorted_keys, wanted)]
        assert np.array_equal(self.keys[at], wanted), "a key not of this snapshot"
        text = {c: _as(self.columns[c], _Text).at(at) for c in ("namespace", "policy", "mechanism")}
        figures = [
            _as(self.columns[c], _Floats).values[at].tolist()
            for c in ("cross_zone_fraction", "dropped", "max_overload", "cost_per_gb")
        ]
        itp, cross_region, digest, recommended, best_fix = (c[at] for c in self.shown.columns)
        names = (key.partition(b"\0")[2].decode() for key in self.name_keys[at].tolist())
        return list(
            zip(
                text["namespace"],
                names,
                text["policy"],
                text["mechanism"],
                itp.tolist(),
                figures[0],
                cross_region.tolist(),
                *figures[1:],
                digest.tolist(),
                recommended.tolist(),
                best_fix.tolist(),
                strict=True,
            )
        )

    def page(
        self, query: dict, limits: Thresholds, offset: int, size: int
    ) -> list[tuple[int, int]]:
        """The keys of rows offset..offset+size of the Services that pass `query`'s column
        tests, in its `ordering`, each with the count of all that pass."""
        order = self.order(query["ordering"], limits)
        passed = self.passing(query)
        chosen = order if passed is None else order[passed[order]]
        total = int(chosen.size)
        return [(key, total) for key in self.keys[chosen[offset : offset + size]].tolist()]

    def passing(self, query: dict) -> np.ndarray | None:
        """Which rows pass the query's column tests (None: no test, all of them)."""
        passed = None
        for column, lookup, value in column_tests(query):
            test = self.columns[column].test(lookup, value)
            passed = test if passed is None else passed & test
        return passed

    def order(self, ordering: str, limits: Thresholds) -> np.ndarray:
        """The rows in `ordering` (a key of SORT_COLUMNS, `-` first for descending)."""
        name = ordering.lstrip("-")
        key = (ordering, limits if name == "health" else None)
        found = self._orders.get(key)
        if found is None:
            if len(self._orders) >= _MAX_ORDERS:
                self._orders.clear()
            found = self._orders[key] = self._sorted(name, ordering.startswith("-"), limits)
        return found

    def _sorted(self, name: str, descending: bool, limits: Thresholds) -> np.ndarray:
        if name == "name":  # namespace and name both in the asked direction
            return self.by_name[::-1] if descending else self.by_name
        nulls = None
        if name == "health":
            primary = self.health_ranks(limits)
        else:
            sort = SORT_COLUMNS[name]
            assert sort is not None and sort in self.columns, f"not a column order: {name}"
            column = self.columns[sort]
            primary = column.ranks()
            nulls = column.nulls if isinstance(column, _Floats) else None
        # lexsort's last key sorts first: NULLs last, then the key, then namespace and name
        # ascending whatever the direction.
        keys = [self.name_rank, -primary if descending else primary]
        if nulls is not None:
            keys.append(nulls)
        return np.lexsort(keys)

    def health_ranks(self, limits: Thresholds) -> np.ndarray:
        """health.health_rank's CASE over the columns: 3 critical ... 0 ok."""
        severity = _as(self.columns["severity"], _Ints)
        dropped = _as(self.columns["dropped"], _Floats)
        overload = _as(self.columns["max_overload"], _Floats)
        cross_zone = _as(self.columns["cross_zone_fraction"], _Floats)
        critical = dropped.test("gt", 0) | severity.test("exact", SEVERITY_RANK["error"])
        warning = (
            overload.test("gt", limits.overload_limit)
            | cross_zone.test("gt", limits.cross_zone_alert)
            | severity.test("exact", SEVERITY_RANK["warning"])
        )
        info = severity.test("exact", SEVERITY_RANK["info"])
        return np.select([critical, warning, info], [3, 2, 1], default=0).astype(np.int64)


def _as(column: object, kind: type[C]) -> C:
    """`column`, as the kind of column it is (for the type checker; asserted)."""
    assert isinstance(column, kind), (column, kind)
    return column
