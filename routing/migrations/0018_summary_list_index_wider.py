"""The Services list's covering index (0008) with the columns 0017 added and `dropped`, so that
every filter and sort of the list (has_diagnostics, dropped, health, diagnostics, recommendation)
is answered by an index-only scan on PostgreSQL. SQLite has no INCLUDE and goes without."""

from django.db import migrations

INDEX = "routing_ss_list_cover"
OLD_COLUMNS = (
    "last_seq, namespace, name, policy, mechanism, cost_per_gb, cross_zone_fraction, "
    "max_overload, id"
)
COLUMNS = f"{OLD_COLUMNS}, dropped, severity, saving_per_gb"


def _index(schema_editor, columns: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON routing_servicesummary (cluster_id, first_seq) "
            f"INCLUDE ({columns})"
        )


def widen(apps, schema_editor):
    _index(schema_editor, COLUMNS)


def narrow(apps, schema_editor):
    _index(schema_editor, OLD_COLUMNS)


class Migration(migrations.Migration):
    dependencies = [("routing", "0017_summary_severity_saving")]

    operations = [migrations.RunPython(widen, narrow)]
