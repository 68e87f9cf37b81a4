"""`manage.py volumes CLUSTER`: pull measured traffic volumes once and say what was found."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing.models import Cluster
from routing.volumes.models import TrafficSource
from routing.volumes.presets import duration, parse_duration
from routing.volumes.refresh import Refreshed, RefreshError, measure, refresh

SHOWN = 20  # Services listed, largest first


class Command(BaseCommand):
    help = (
        "Query the cluster's Prometheus once (its traffic source's preset and window unless "
        "given) and store the volumes, or only print them with --dry-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("cluster", metavar="CLUSTER")
        parser.add_argument(
            "--preset", choices=[p.value for p in TrafficSource.Preset], help="override the preset"
        )
        parser.add_argument("--window", help="rate window, e.g. 7d, 12h, 30m (default: source's)")
        parser.add_argument("--dry-run", action="store_true", help="print, store nothing")

    def handle(
        self,
        *args: str,
        cluster: str,
        preset: str | None = None,
        window: str | None = None,
        dry_run: bool = False,
        **options: Any,
    ) -> None:
        found_cluster = Cluster.objects.filter(name=cluster).first()
        if found_cluster is None:
            raise CommandError(f"no cluster named {cluster}")
        try:
            seconds = parse_duration(window) if window else None
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        pull = measure if dry_run else refresh
        try:
            found = pull(found_cluster, preset_name=preset, window_seconds=seconds)
        except RefreshError as exc:
            raise CommandError(f"{cluster}: volumes not refreshed: {exc}") from exc
        self._report(found, dry_run)

    def _report(self, found: Refreshed, dry_run: bool) -> None:
        out = self.stdout.write
        out(f"source: {found.source}")
        if found.query:
            out(f"query ({duration(found.window_seconds)} window): {found.query}")
        out(
            f"series: {found.series}; Services matched: {len(found.volumes)}; "
            f"unmatched series: {found.attribution.unmatched_count}; "
            f"total: {found.total_gb:,.3f} GB a month; took {found.duration:.2f} s"
        )
        for note in found.attribution.notes:
            out(f"note: {note}")
        for labels in found.attribution.unmatched:
            out("unmatched: " + ", ".join(f"{k}={v}" for k, v in sorted(labels.items())))
        largest = sorted(found.volumes.items(), key=lambda item: (-item[1], item[0]))[:SHOWN]
        for (namespace, name), gb in largest:
            out(f"  {namespace}/{name}: {gb:,.3f} GB a month")
        if len(found.volumes) > SHOWN:
            out(f"  ... and {len(found.volumes) - SHOWN} more")
        if found.fetch is None:
            out("dry run: nothing stored")
        else:
            at = found.fetch.fetched_at
            out(f"stored as fetch {found.fetch.pk} at {at:%Y-%m-%d %H:%M:%S} UTC")
