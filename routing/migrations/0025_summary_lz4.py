"""Service summaries' wide columns compressed by PostgreSQL with LZ4, and their report entry
(compressed already, by the writer) stored out of line without a second try.

Why: of a full 10,000-Service snapshot's COPY of summaries, PostgreSQL spent about a third of
its CPU in pglz, its default compressor, on these columns (the table's toast_tuple_target of
128, migration 0021, sends every wide value through it), and pglz also tried, and failed, to
compress each zlib-compressed `report` again. Measured on the same 10,000 rows in binary COPY:
0.98 s of server CPU as before, 0.68 s with LZ4, 0.63 s with `report` EXTERNAL too; the table
the same size (docs/benchmarks.md, issue 16 target 2). Reading a row back (a list page's runs,
a Service's detail) decompresses LZ4 faster as well.

Only new values are written so; older ones stay pglz, which PostgreSQL reads as before. A
server built without LZ4 (it is optional since PostgreSQL 14; the Debian, Ubuntu, Red Hat and
Docker Hub builds have it) keeps pglz; the storage change applies everywhere.
"""

from django.db import migrations

TABLE = "routing_servicesummary"
# The columns that reach TOAST's compressor (jsonb and text; `endpoint_zones` is short).
COMPRESSED = (
    "matrix",
    "diagnostics",
    "recommendation",
    "what_if",
    "fixes",
    "run_none",
    "run_auto",
    "run_prefer_same_zone",
    "run_prefer_same_node",
)


def lz4_supported(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite has no such storage choice
    changes = ["ALTER COLUMN report SET STORAGE EXTERNAL"]
    if lz4_supported(schema_editor):
        changes += [f"ALTER COLUMN {c} SET COMPRESSION lz4" for c in COMPRESSED]
    schema_editor.execute(f"ALTER TABLE {TABLE} {', '.join(changes)}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    changes = ["ALTER COLUMN report SET STORAGE EXTENDED"]
    changes += [f"ALTER COLUMN {c} SET COMPRESSION DEFAULT" for c in COMPRESSED]
    schema_editor.execute(f"ALTER TABLE {TABLE} {', '.join(changes)}")


class Migration(migrations.Migration):
    dependencies = [("routing", "0024_summary_recommended_policy_best_fix")]

    operations = [migrations.RunPython(forwards, backwards)]
