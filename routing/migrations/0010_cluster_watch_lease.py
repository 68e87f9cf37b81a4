from django.db import migrations, models


def forget_unleased_watching(apps, schema_editor):
    """Before leases, `watching` was never cleared when a watcher died. A watcher of this version
    writes its lease before it marks a cluster watching, so a `watching` row without one can only
    be left over: make it idle, so the scheduler snapshots it until a watcher takes it again."""
    Cluster = apps.get_model("routing", "Cluster")
    Cluster.objects.filter(status="watching", watch_lease_expires_at__isnull=True).update(
        status="idle", status_message="waiting for a watcher"
    )


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
        migrations.RunPython(forget_unleased_watching, migrations.RunPython.noop),
    ]
