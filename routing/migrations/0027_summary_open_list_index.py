"""A covering index of the open Service summaries for the Services list (PostgreSQL).

routing_ss_list_cover (0008, 0018, 0020) keys rows by (cluster, first_seq): the latest
snapshot's list scanned every row the cluster ever had, closed ones included, and a watcher
that writes every few seconds keeps 30 days of them. The latest snapshot's keys are read from
this one instead (now routing.service_index.load): its open rows only, the same columns.
"""

from django.db import migrations

INDEX = "routing_ss_open_list_cover"
COLUMNS = (
    "namespace, name, policy, mechanism, cost_per_gb, cross_zone_fraction, max_overload, id, "
    "dropped, severity, saving_per_gb, endpoint_zones"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON routing_servicesummary (cluster_id) "
            f"INCLUDE ({COLUMNS}) WHERE last_seq IS NULL"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("routing", "0026_interval_tables_no_fk_constraint")]

    operations = [migrations.RunPython(create, drop)]
