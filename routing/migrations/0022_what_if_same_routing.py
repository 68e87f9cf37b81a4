"""Mark, in the current Service summaries, each what-if run whose zone matrix routes as the
observed one does (`sameRouting`), as the snapshot writer now does
(routing.snapshots.prepare.mark_same_routing).

Why: the top table under a policy counts the Services the policy would change; it compared every
row's two matrices in the database for that, a fifth of the what-if topology page's read on
10,000 Services, then read again the rows whose matrices differed only in float noise
(docs/benchmarks.md, issue 16 target 4). The mark is not part of a row's digest, so marking a
row does not reopen it. Rows of older snapshots keep their runs as they were: the top table
compares their matrices as before.
"""

from django.db import migrations

BATCH = 1000
SAME_SHARE = 1e-9  # routing.engine.flows.SAME_SHARE when this was written


def mark(apps, schema_editor):
    summaries = apps.get_model("routing", "ServiceSummary").objects.using(
        schema_editor.connection.alias
    )
    # Keys first, then rows a batch at a time: no table is written while a cursor reads it.
    pks = list(summaries.filter(last_seq__isnull=True).values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        rows = summaries.filter(pk__in=pks[start : start + BATCH]).only("matrix", "what_if")
        marked = [row for row in rows if _marked(row.what_if, row.matrix)]
        summaries.bulk_update(marked, ["what_if"])


def _marked(runs: dict, observed: dict) -> bool:
    """Mark the runs that carry a matrix; whether anything changed."""
    changed = False
    for run in runs.values():
        if "matrix" in run and "sameRouting" not in run:
            run["sameRouting"] = _same(run["matrix"], observed)
            changed = True
    return changed


def _same(a: dict, b: dict) -> bool:
    """routing.engine.flows.same_routing as it was written: a migration keeps its own copy, so
    that what it did does not change when the engine's does."""
    for src in a.keys() | b.keys():
        row_a, row_b = a.get(src, {}), b.get(src, {})
        for dst in row_a.keys() | row_b.keys():
            if abs(row_a.get(dst, 0.0) - row_b.get(dst, 0.0)) > SAME_SHARE:
                return False
    return True


class Migration(migrations.Migration):
    dependencies = [("routing", "0021_summary_toast_target")]

    # Backwards: the marks stay (readers without them ignore them).
    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
