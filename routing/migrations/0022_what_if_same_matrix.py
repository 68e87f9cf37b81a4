"""Mark, in the current Service summaries, each what-if run whose zone matrix is the observed one
(`sameMatrix`), as the snapshot writer now does (routing.snapshots.prepare.mark_same_matrices).

Why: the top table under a policy counts the Services the policy would change; it compared every
row's two matrices in the database for that, a fifth of the what-if topology page's read on
10,000 Services (docs/benchmarks.md, issue 16 target 4). The flag is not part of a row's digest,
so marking a row does not reopen it. Rows of older snapshots keep their runs as they were: the
top table compares their matrices as before.
"""

from django.db import migrations

BATCH = 1000


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
        if "matrix" in run and "sameMatrix" not in run:
            run["sameMatrix"] = run["matrix"] == observed
            changed = True
    return changed


class Migration(migrations.Migration):
    dependencies = [("routing", "0021_summary_toast_target")]

    # Backwards: the flag stays (readers without it ignore it).
    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
