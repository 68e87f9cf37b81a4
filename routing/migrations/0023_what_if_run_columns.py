"""Each what-if run of a Service summary also as JSON text, in a column of its policy's
(routing.models.WHAT_IF_COLUMNS), as the snapshot writer now stores it
(routing.snapshots.prepare).

Why: the flow map and the top Services under a policy read that policy's run for every Service
of a snapshot. Extracted from `what_if`, PostgreSQL decompressed all four runs of each row and
printed one as JSON: 44-59 ms of server time for 10,000 Services, against 8-10 ms for a text
column of its own (docs/benchmarks.md, issue 16 target 4). On PostgreSQL the columns stay in
the row (storage MAIN: out of line, each row's read would be a TOAST fetch), and `what_if`
leaves it (storage EXTENDED, as the other wide columns since migration 0021). Not part of a
row's digest, so filling a row does not reopen it. The current rows are filled here; rows of
older snapshots keep them null, and readers take those runs from `what_if` as before.
"""

import orjson
from django.db import migrations, models

TABLE = "routing_servicesummary"
BATCH = 1000
# routing.models.WHAT_IF_COLUMNS when this was written: a migration keeps its own copy.
COLUMNS = {
    "none": "run_none",
    "Auto": "run_auto",
    "PreferSameZone": "run_prefer_same_zone",
    "PreferSameNode": "run_prefer_same_node",
}


def runs_in_row(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite has no such storage choice
    # The runs' columns in the row; `what_if`, read now only for rows without them, out of
    # it like the other wide columns (migration 0021): the table's scans (a search, the
    # exports, the recommendations) read the heap, and both in it made it 2.4 times as wide.
    storage = ", ".join(f"ALTER COLUMN {c} SET STORAGE MAIN" for c in COLUMNS.values())
    schema_editor.execute(
        f"ALTER TABLE {TABLE} {storage}, ALTER COLUMN what_if SET STORAGE EXTENDED"
    )


def runs_out_of_row(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN what_if SET STORAGE MAIN")


def fill(apps, schema_editor):
    summaries = apps.get_model("routing", "ServiceSummary").objects.using(
        schema_editor.connection.alias
    )
    # Keys first, then rows a batch at a time: no table is written while a cursor reads it.
    pks = list(summaries.filter(last_seq__isnull=True).values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        rows = list(summaries.filter(pk__in=pks[start : start + BATCH]).only("what_if"))
        for row in rows:
            for policy, column in COLUMNS.items():
                run = row.what_if.get(policy)
                setattr(row, column, None if run is None else orjson.dumps(run).decode())
        summaries.bulk_update(rows, list(COLUMNS.values()))


class Migration(migrations.Migration):
    dependencies = [("routing", "0022_what_if_same_routing")]

    operations = [
        *(
            migrations.AddField(
                model_name="servicesummary",
                name=column,
                field=models.TextField(blank=True, null=True),
            )
            for column in COLUMNS.values()
        ),
        migrations.RunPython(runs_in_row, runs_out_of_row),
        # Backwards the columns are dropped with their values (AddField reversed).
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
