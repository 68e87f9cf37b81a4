"""Object versions and Service summaries keep their cluster_id without a foreign-key
constraint in the database.

Why: PostgreSQL checks such a constraint row by row at commit (Django makes it deferred): a
full 10,000-Service snapshot's 131,000 rows cost 0.45-0.75 s of server CPU there, ~10% of the
snapshot's time, to confirm a cluster row the writer holds locked throughout (docs/
benchmarks.md, issue 16 target 2). Deleting a cluster still deletes its rows: Django's
cascade (DELETE ... WHERE cluster_id), after Cluster.delete has taken the row lock that every
writer of these tables holds (routing/models.py). On PostgreSQL this only drops the two
constraints; SQLite rebuilds the two tables.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("routing", "0025_summary_lz4"),
    ]

    operations = [
        migrations.AlterField(
            model_name=model,
            name="cluster",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="routing.cluster",
            ),
        )
        for model in ("objectversion", "servicesummary")
    ]
