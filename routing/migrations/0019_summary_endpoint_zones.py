"""The zones of each Service's endpoints as a plain column, for the Services list's `zone` filter.

The filter decompressed and parsed every candidate Service's stored report (zlib JSON) to find
its endpoints' zones, per request. `endpoint_zones` ("|a|b|", written with
each new summary by routing.snapshots.prepare) makes it one substring test per row, answered
from the list's covering index, which takes the column too (0020). Rows written before are filled
from their stored report; those without one (older still) stay null and are read as before.
"""

import zlib

import orjson
from django.db import migrations, models

BATCH = 2000


def _zones(report: bytes) -> str:
    # routing.snapshots.prepare.endpoint_zones, as of this migration
    entry = orjson.loads(zlib.decompress(report))
    zones = sorted({ep.get("zone") or "unknown" for ep in entry.get("endpoints") or ()})
    return f"|{'|'.join(zones)}|" if zones else ""


def fill(apps, schema_editor):
    summaries = apps.get_model("routing", "ServiceSummary")
    rows = summaries.objects.filter(report__isnull=False).values_list("pk", "report")
    batch = []
    for pk, report in rows.iterator(chunk_size=BATCH):
        batch.append(summaries(pk=pk, endpoint_zones=_zones(bytes(report))))
        if len(batch) == BATCH:
            summaries.objects.bulk_update(batch, ["endpoint_zones"])
            batch = []
    summaries.objects.bulk_update(batch, ["endpoint_zones"])


class Migration(migrations.Migration):
    dependencies = [("routing", "0018_summary_list_index_wider")]

    operations = [
        migrations.AddField(
            model_name="servicesummary",
            name="endpoint_zones",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
