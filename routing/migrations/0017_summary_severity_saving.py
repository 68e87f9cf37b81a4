"""What the Services list filters and sorts by, as plain columns (issue 16, target 3).

`has_diagnostics`, the diagnostics and health orderings read the first diagnostic's severity
out of each row's JSON, and the recommendation ordering its `costPerGbSaved`: on a 10,000-Service
snapshot that is 10,000 JSON documents fetched and parsed per uncached request, and none of it
in the covering index (0008). `severity` (the most severe diagnostic's rank: 0 none, 1 info, 2
warning, 3 error) and `saving_per_gb` are filled in here from the JSON, written with each new
summary from now on (routing.snapshots.prepare), and added with `dropped` to the covering index
by 0018 (its own transaction: PostgreSQL will not build an index on a table with this one's
updates pending), so every filter and sort of the list is answered from the index.
"""

from django.db import migrations, models
from django.db.models import FloatField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

RANKS = {"info": 1, "warning": 2, "error": 3}  # routing.models.SEVERITY_RANK, as of this migration


def fill(apps, schema_editor):
    summaries = apps.get_model("routing", "ServiceSummary").objects
    # Diagnostics are stored most severe first: the first one's severity is the row's.
    for severity, rank in RANKS.items():
        summaries.filter(diagnostics__0__severity=severity).update(severity=rank)
    summaries.filter(recommendation__has_key="costPerGbSaved").update(
        saving_per_gb=Cast(KeyTextTransform("costPerGbSaved", "recommendation"), FloatField())
    )


class Migration(migrations.Migration):
    dependencies = [("routing", "0016_cluster_cross_zone_alert")]

    operations = [
        migrations.AddField(
            model_name="servicesummary",
            name="saving_per_gb",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="servicesummary",
            name="severity",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
