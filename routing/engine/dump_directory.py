"""A directory of dumps, as `kubectl cluster-info dump --output-directory=DIR` writes it.

kubectl (pkg/cmd/clusterinfo/clusterinfo_dump.go) writes DIR/nodes.json and, per namespace,
DIR/NS/{events,replication-controllers,services,daemonsets,deployments,replicasets,pods}.json
(`.yaml` with `-o yaml`), each a typed List whose items carry no kind, and every container's
log in DIR/NS/POD/logs.txt. It writes no EndpointSlices (nor StatefulSets): adding
`kubectl get endpointslices -A -o json > DIR/endpointslices.json` completes it. Every .json
and .yaml file under DIR is read; logs and other files are not.
"""

import os
from dataclasses import dataclass

from .errors import InputError

DUMP_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class DumpDirectory:
    """The dump files under `path`, each (its path relative to `path`, its bytes), in the
    order read: the directory's own files, then each subdirectory's, by name."""

    path: str
    files: list[tuple[str, bytes]]

    def where(self, name: str) -> str:
        """A file's path as the user would type it, for messages."""
        return os.path.join(self.path, name)


def read_directory(path: str) -> DumpDirectory:
    """Read every dump file under `path` (hidden files and directories skipped)."""
    names: list[str] = []

    def refuse(exc: OSError) -> None:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=exc.filename or path)

    for root, dirs, found in os.walk(path, onerror=refuse):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        names += [
            os.path.relpath(os.path.join(root, f), path)
            for f in sorted(found)
            if f.endswith(DUMP_SUFFIXES) and not f.startswith(".")
        ]
    if not names:
        raise InputError(
            "the directory holds no .json or .yaml file (kubectl cluster-info dump "
            "--output-directory=DIR writes them)",
            source=path,
        )
    files: list[tuple[str, bytes]] = []
    for name in names:
        try:
            with open(os.path.join(path, name), "rb") as fh:
                files.append((name, fh.read()))
        except OSError as exc:
            raise InputError(
                f"cannot read: {exc.strerror or exc}", source=os.path.join(path, name)
            ) from None
    return DumpDirectory(path, files)
