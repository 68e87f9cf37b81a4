"""A covering index for the Services list on PostgreSQL.

The list filters one snapshot's summaries (an interval test on first_seq/last_seq) by
namespace, policy, mechanism or cross-zone share, counts them and orders them by cost, overload
or cross-zone share. With every column it reads in the index, PostgreSQL answers the count and
picks the page with an index-only scan instead of reading each wide row (summaries carry their
JSON and stored report): about 3x less work for a 10,000-Service snapshot. SQLite has no
INCLUDE; its embedded use is small, so it goes without.
"""

from django.db import migrations

INDEX = "routing_ss_list_cover"
COLUMNS = (
    "last_seq, namespace, name, policy, mechanism, cost_per_gb, cross_zone_fraction, "
    "max_overload, id"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON routing_servicesummary (cluster_id, first_seq) "
            f"INCLUDE ({COLUMNS})"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("routing", "0007_job_stats")]

    operations = [migrations.RunPython(create, drop)]
