"""What a Services list row shows of the recommendation and the fixes, as plain columns (issue
16, target 3).

A list page's 100 rows read the recommended policy and the best verified fix's kind out of the
`recommendation` and `fixes` JSON, both stored out of line (0021): detoasting them was half of
the rows' PostgreSQL time (docs/benchmarks.md). Filled in here from the JSON; written with
each new summary from now on (routing.snapshots.prepare). Like `severity`, not part of a row's
digest, so no row reopens.
"""

from django.db import migrations, models
from django.db.models.fields.json import KT


def fill(apps, schema_editor):
    summaries = apps.get_model("routing", "ServiceSummary").objects
    summaries.filter(recommendation__has_key="policy").update(
        recommended_policy=KT("recommendation__policy")
    )
    summaries.filter(fixes__0__has_key="kind").update(best_fix=KT("fixes__0__kind"))


class Migration(migrations.Migration):
    dependencies = [("routing", "0023_what_if_run_columns")]

    operations = [
        migrations.AddField(
            model_name="servicesummary",
            name="best_fix",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="servicesummary",
            name="recommended_policy",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
