"""The Services list's covering index (0008, 0018) with `endpoint_zones` (0019), so that the zone
filter, too, is answered from the index on PostgreSQL; its own transaction, after 0019's
updates (PostgreSQL will not build an index on a table with updates pending in the same one)."""

from django.db import migrations

INDEX = "routing_ss_list_cover"
BEFORE = (
    "last_seq, namespace, name, policy, mechanism, cost_per_gb, cross_zone_fraction, "
    "max_overload, id, dropped, severity, saving_per_gb"
)
AFTER = f"{BEFORE}, endpoint_zones"


def _index(schema_editor, columns: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON routing_servicesummary (cluster_id, first_seq) "
            f"INCLUDE ({columns})"
        )


def widen(apps, schema_editor):
    _index(schema_editor, AFTER)


def narrow(apps, schema_editor):
    _index(schema_editor, BEFORE)


class Migration(migrations.Migration):
    dependencies = [("routing", "0019_summary_endpoint_zones")]

    operations = [migrations.RunPython(widen, narrow)]
