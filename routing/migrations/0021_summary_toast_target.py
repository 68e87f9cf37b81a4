"""Keep the Service summaries' heap narrow on PostgreSQL: their JSON and the compressed report
go out of line (TOAST) once a row is wider than 128 bytes, instead of only past ~2 kB.

Why: a Services list page whose filter matches most of a snapshot's Services scans those rows
(the count and the ordering need every match), and with the report entry, fixes, what-ifs and
diagnostics inline a 10,000-Service snapshot's rows filled 23 MB of pages; out of line, 5 MB
(docs/benchmarks.md, issue 16 target 3). Pages that read those columns (a Service's detail, a
list page's 100 rows) fetch them from the TOAST table instead: ~0.1 ms more for 100 rows.
`what_if` and `matrix` stay in the row (compressed, storage MAIN): the flow map and the top
Services under a policy read them for every Service of a snapshot, 40% slower out of line.

PostgreSQL applies the setting to rows as they are written, and only to a row wider than its
own ~2 kB threshold before compression. The current rows (those without a last seq) are
rewritten here with fresh values, so that the newest snapshots' lists gain at once; older
history keeps its layout until it is pruned.
"""

from django.db import migrations

TABLE = "routing_servicesummary"


def narrow_heap(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite has no such storage choice
    schema_editor.execute(f"ALTER TABLE {TABLE} SET (toast_tuple_target = 128)")
    schema_editor.execute(
        f"ALTER TABLE {TABLE} ALTER COLUMN what_if SET STORAGE MAIN, "
        "ALTER COLUMN matrix SET STORAGE MAIN"
    )
    # New datums (not the stored compressed ones, which an UPDATE would copy as they are), so
    # that the row goes through the toaster at its full width.
    schema_editor.execute(
        f"UPDATE {TABLE} SET diagnostics = diagnostics::text::jsonb, "
        "fixes = fixes::text::jsonb, recommendation = recommendation::text::jsonb, "
        "report = report || ''::bytea WHERE last_seq IS NULL"
    )


def wide_heap(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (toast_tuple_target)")
        schema_editor.execute(
            f"ALTER TABLE {TABLE} ALTER COLUMN what_if SET STORAGE EXTENDED, "
            "ALTER COLUMN matrix SET STORAGE EXTENDED"
        )


class Migration(migrations.Migration):
    # Its own transaction is enough: no index is built here.
    dependencies = [("routing", "0020_summary_list_index_zones")]

    operations = [migrations.RunPython(narrow_heap, wide_heap)]
