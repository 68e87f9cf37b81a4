"""One read of a snapshot's Service rows for the figures that set a policy's run beside the
observed one: the flow map (routing.figures.traffic.flow_map) and the top table
(routing.figures.policy_services).

Nothing is simulated here. The engine ran every policy for every Service when the snapshot was
analysed, and each summary row stores those runs (`what_if`: crossZoneFraction, dropped,
maxOverload, costPerGb, the zone matrix and whether that matrix routes as the observed one
does, `sameRouting`; each run also as JSON text in its policy's own column,
routing.models.WHAT_IF_COLUMNS, which is what is read here). The topology page shows both
figures of the same runs, so it reads the rows once (dashboard/pages/topology.py).

JSON leaves the database as text and is parsed with orjson: Django's JSONField parses each value
with the standard library's json module, which was half of the read on 10,000 Services
(docs/benchmarks.md, "What-if topology page in one read").
"""

import zlib
from operator import itemgetter
from typing import Any, NamedTuple

import orjson
from django.db.models import TextField
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Cast, Coalesce

from routing.models import WHAT_IF_COLUMNS, ServiceSummary, Snapshot
from routing.snapshots.write import gc_paused

OBSERVED = "observed"  # as the cluster routes now; the other policies are the engine's what-ifs
FIGURES = ("crossZoneFraction", "dropped", "maxOverload", "costPerGb")
COLUMNS = ("cross_zone_fraction", "dropped", "max_overload", "cost_per_gb")  # the same, stored
KEY = ("pk", "namespace", "name", "policy")  # a Run's first fields, then COLUMNS
OBSERVED_AT = slice(len(KEY), len(KEY) + len(COLUMNS))  # where a row's observed figures are
AFTER = OBSERVED_AT.stop  # a row's first column past them
DROPPED = FIGURES.index("dropped")
COST = FIGURES.index("costPerGb")
Matrix = dict[str, dict[str, float]]


class Run(NamedTuple):
    """One Service of the snapshot: its observed figures and those under the policy read."""

    pk: int
    namespace: str
    name: str
    declared: str  # the trafficDistribution (or topology mode) the Service declares
    observed: tuple[float, ...]  # FIGURES as the cluster routes now
    under: tuple[float, ...]  # FIGURES under the policy (observed: the same tuple)
    # The policy's zone matrix routes as the observed one does (the run's `sameRouting`, set
    # when the row was written: the same shares up to float noise); None for a row written
    # before runs carried it: the top table then compares that row's matrices itself.
    same_routing: bool | None
    matrix: Matrix | None  # the zone matrix under the policy, when read with matrices=True


def read_runs(snapshot: Snapshot, policy: str, *, matrices: bool) -> list[Run]:
    """Every Service row of the snapshot, with its figures under `policy` ("observed" or one of
    the engine's what-if policies) and, if `matrices`, its zone matrix under it.

    A caller that keeps the runs while it computes should hold the collector off too
    (routing.snapshots.write.gc_paused) until it has freed them: let back on while 10,000 runs
    live, its next full collections scan them all, twice the time of a figure on the median
    (docs/benchmarks.md)."""
    with gc_paused():  # a parsed run per Service, all kept: collections would scan in vain
        return _read(snapshot, policy, matrices)


def _read(snapshot: Snapshot, policy: str, matrices: bool) -> list[Run]:
    summaries = ServiceSummary.objects.at(snapshot.cluster_id, snapshot.seq)
    if policy == OBSERVED:
        fields = [*KEY, *COLUMNS]
        if matrices:
            summaries = summaries.annotate(matrix_text=Cast("matrix", TextField()))
            fields.append("matrix_text")
        return [
            Run(
                row[0],
                row[1],
                row[2],
                row[3],
                row[OBSERVED_AT],
                row[OBSERVED_AT],
                True,
                orjson.loads(row[AFTER]) if matrices else None,
            )
            for row in summaries.values_list(*fields)
        ]
    # The policy's own column; a row written before those columns existed has its run in
    # `what_if` alone (COALESCE reads that only for such a row).
    run: Any = Cast(KeyTransform(policy, "what_if"), TextField())
    if policy in WHAT_IF_COLUMNS:
        run = Coalesce(WHAT_IF_COLUMNS[policy], run, output_field=TextField())
    rows = summaries.annotate(run_text=run)
    out = []
    loads, under = orjson.loads, itemgetter(*FIGURES)
    for row in rows.values_list(*KEY, *COLUMNS, "run_text"):
        figures = loads(row[AFTER])
        cells = figures.get("matrix")
        if cells is None and matrices:
            cells = _report_matrix(row[0], policy)
        same = figures.get("sameRouting")
        out.append(
            Run(row[0], row[1], row[2], row[3], row[OBSERVED_AT], under(figures), same, cells)
        )
    return out


def _report_matrix(pk: int, policy: str) -> Matrix:
    """A row written before what-if matrices were stored: its run's matrix from the report."""
    report = ServiceSummary.objects.filter(pk=pk).values_list("report", flat=True).first()
    return orjson.loads(zlib.decompress(report))["whatIf"][policy]["matrix"] if report else {}
