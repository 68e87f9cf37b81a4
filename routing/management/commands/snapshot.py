"""`manage.py snapshot`: take one snapshot of clusters now, or import a kubectl dump as one."""

import os
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing.engine import InputError
from routing.engine.dump_directory import DumpDirectory, read_directory
from routing.jobs.ingest import LIVE_SOURCES
from routing.models import Cluster, Snapshot
from routing.snapshots import import_dump
from routing.tasks import snapshot_cluster


class Command(BaseCommand):
    help = "Snapshot live clusters now (all, or those named), or import a dump with --from-file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", metavar="CLUSTER")
        parser.add_argument(
            "--from-file",
            metavar="PATH",
            help="kubectl get -o json|yaml output, or a kubectl cluster-info dump directory",
        )

    def handle(
        self, *args: str, names: Sequence[str] = (), from_file: str | None = None, **options: Any
    ) -> None:
        if from_file:
            if len(names) != 1:
                raise CommandError("--from-file needs exactly one CLUSTER")
            self._import(names[0], from_file)
            return
        clusters = Cluster.objects.filter(source__in=LIVE_SOURCES)
        if names:
            clusters = clusters.filter(name__in=names)
            missing = set(names) - set(clusters.values_list("name", flat=True))
            if missing:
                raise CommandError(f"no live cluster named {', '.join(sorted(missing))}")
        failed = 0
        for cluster in clusters.order_by("name"):
            snapshot_id = snapshot_cluster(cluster.pk, source=Snapshot.Source.MANUAL)
            if snapshot_id is None:
                failed += 1
                cluster.refresh_from_db()
                self.stderr.write(f"{cluster.name}: failed: {cluster.status_message}")
            else:
                self.stdout.write(f"{cluster.name}: snapshot {snapshot_id}")
        if failed:
            raise CommandError(f"{failed} cluster(s) could not be snapshotted")

    def _import(self, name: str, path: str) -> None:
        cluster, _ = Cluster.objects.get_or_create(
            name=name,
            defaults={"source": Cluster.Source.UPLOAD, "status": Cluster.Status.UPLOAD_ONLY},
        )
        try:
            snapshot = import_dump(cluster, _read(path), source=Snapshot.Source.IMPORT)
        except InputError as exc:
            raise CommandError(str(exc.with_source(path))) from None
        self.stdout.write(
            f"{cluster.name}: snapshot {snapshot.pk} (seq {snapshot.seq}) from {path}"
        )


def _read(path: str) -> bytes | DumpDirectory:
    """The file's bytes, or every dump file of a directory (`kubectl cluster-info dump`)."""
    if os.path.isdir(path):
        return read_directory(path)
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=path) from None
