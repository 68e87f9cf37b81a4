from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("routing", "0009_snapshot_ready_endpoints"),
    ]

    operations = [
        migrations.AddField(
            model_name="cluster",
            name="watch_lease_expires_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="until when the watcher holding this cluster has renewed its lease",
                null=True,
            ),
        ),
    ]
