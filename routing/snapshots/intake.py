"""The checks an uploaded dump passes before anything is trimmed, analysed or stored.

Uploads (the API and `manage.py snapshot --from-file`) come from people, not from an API server,
so they are checked here rather than in the store: no denser text than kubectl writes (counted
before parsing, which builds every value), nesting no deeper than Python can walk, no more
objects than the settings allow (counted straight after parsing, before the work that grows with
them), no NUL character where the database would meet it, and names and labels the API server
would accept (routing.engine.names). Objects from a live cluster skip all of this.
"""

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from routing.engine import InputError, load_bytes
from routing.engine.dump_directory import DumpDirectory
from routing.engine.encodings import to_utf8
from routing.engine.loader import Items, label_of, load_directory
from routing.engine.names import check_names, describe
from routing.snapshots.trim import TRIMMERS

# Where JSON or YAML text could spell a NUL: \u0000 (both), \0, \x00 and \U00000000 (YAML). A
# raw NUL byte is refused by the loader as binary. Only a dump that matches is walked.
_MAYBE_NUL = re.compile(rb"\\(?:u0000|0|x00|U00000000)")
# Structure budgets, before parsing. kubectl's JSON spends 13-32 bytes a value and its YAML 8 or
# more (counted as below: a value follows one of these bytes); a far denser dump is a bomb.
_BYTES_PER_JSON_VALUE = 13
_JSON_VALUE_STARTS = (b",", b"{", b"[")
_BYTES_PER_YAML_VALUE = 6
_MIN_VALUES = 1000  # so that a tiny byte limit (in tests, say) still leaves a usable budget
_YAML_VALUE_STARTS = (b",", b"-", b":", b"\n", b"[", b"{", b"?")
# Fields of the trimmed objects whose keys are data, not field names.
_MAPS = {
    "labels",
    "annotations",
    "selector",
    "matchLabels",
    "nodeSelector",
    "allocatable",
    "topology",
    "deprecatedTopology",
}
# What the README tells people to run; the message for a dump without routing objects repeats it.
DUMP_COMMAND = (
    "kubectl get nodes,services,endpointslices,pods,replicasets,deployments,statefulsets,"
    "daemonsets -A -o json"
)


class TooLarge(InputError):
    """More of something than the settings allow; the API answers 413. `rule` says how the
    limit follows from `setting` when it is not the setting's value itself."""

    def __init__(self, what: str, count: int, limit: int, setting: str, rule: str = ""):
        super().__init__(
            f"the dump holds {count:,} {what}, more than the {limit:,} accepted ({rule or setting})"
        )
        self.what, self.count, self.limit, self.setting = what, count, limit, setting


@dataclass(frozen=True)
class UploadLimits:
    """The most of each kind, of endpoints (over all EndpointSlices) and of objects in all."""

    nodes: int
    services: int
    endpoint_slices: int
    pods: int
    replica_sets: int
    deployments: int
    stateful_sets: int
    daemon_sets: int
    endpoints: int
    objects: int
    json_bytes: int
    yaml_bytes: int

    @classmethod
    def from_settings(cls) -> "UploadLimits":
        return cls(
            json_bytes=settings.TRAFFICLENS_UPLOAD_MAX_BYTES,
            yaml_bytes=settings.TRAFFICLENS_UPLOAD_MAX_YAML_BYTES,
            nodes=settings.TRAFFICLENS_UPLOAD_MAX_NODES,
            services=settings.TRAFFICLENS_UPLOAD_MAX_SERVICES,
            endpoint_slices=settings.TRAFFICLENS_UPLOAD_MAX_ENDPOINT_SLICES,
            pods=settings.TRAFFICLENS_UPLOAD_MAX_PODS,
            replica_sets=settings.TRAFFICLENS_UPLOAD_MAX_REPLICA_SETS,
            deployments=settings.TRAFFICLENS_UPLOAD_MAX_DEPLOYMENTS,
            stateful_sets=settings.TRAFFICLENS_UPLOAD_MAX_STATEFUL_SETS,
            daemon_sets=settings.TRAFFICLENS_UPLOAD_MAX_DAEMON_SETS,
            endpoints=settings.TRAFFICLENS_UPLOAD_MAX_ENDPOINTS,
            objects=settings.TRAFFICLENS_UPLOAD_MAX_OBJECTS,
        )


_LIMITED = (  # (kind, limit attribute, setting)
    ("Node", "nodes", "TRAFFICLENS_UPLOAD_MAX_NODES"),
    ("Service", "services", "TRAFFICLENS_UPLOAD_MAX_SERVICES"),
    ("EndpointSlice", "endpoint_slices", "TRAFFICLENS_UPLOAD_MAX_ENDPOINT_SLICES"),
    ("Pod", "pods", "TRAFFICLENS_UPLOAD_MAX_PODS"),
    ("ReplicaSet", "replica_sets", "TRAFFICLENS_UPLOAD_MAX_REPLICA_SETS"),
    ("Deployment", "deployments", "TRAFFICLENS_UPLOAD_MAX_DEPLOYMENTS"),
    ("StatefulSet", "stateful_sets", "TRAFFICLENS_UPLOAD_MAX_STATEFUL_SETS"),
    ("DaemonSet", "daemon_sets", "TRAFFICLENS_UPLOAD_MAX_DAEMON_SETS"),
)


def read_dump(
    data: bytes | DumpDirectory, *, validate: bool = True, limits: UploadLimits | None = None
) -> Items:
    """Parse an uploaded dump (or, from `snapshot --from-file`, a dump directory) and check it;
    InputError (TooLarge for a limit) if it fails.

    `validate=False` skips only the Kubernetes name rules (for tests that store hostile names
    on purpose); the other checks protect the server and the database and always run.
    """
    limits = limits or UploadLimits.from_settings()
    # Checked as the loader will read it: UTF-16 text has a NUL in every other byte and a
    # byte-order mark where the first brace would be.
    if isinstance(data, DumpDirectory):
        data = DumpDirectory(data.path, [(n, _utf8(f, data.where(n))) for n, f in data.files])
        texts = [text for _, text in data.files]
    else:
        data = to_utf8(data)
        texts = [data]
    _check_structure(texts, limits)
    try:
        items = load_directory(data) if isinstance(data, DumpDirectory) else load_bytes(data)
    except RecursionError:
        raise InputError("the input is nested too deeply to be Kubernetes objects") from None
    _check_counts(items, limits)
    _check_nul(texts, items)
    if validate:
        check_names(items)
    return items


def _utf8(data: bytes, source: str) -> bytes:
    try:
        return to_utf8(data)
    except InputError as exc:
        raise exc.with_source(source) from None


def _check_structure(texts: list[bytes], limits: UploadLimits) -> None:
    """Bound what parsing builds, before it runs. However short its text, each parsed value
    costs Python some 100 bytes (`{"a":1},` is 8 bytes and a 184-byte dict), and the YAML loader
    holds a node tree of some 400 bytes a value until the whole document is read
    (docs/benchmarks.md). Counting the bytes that can start a value over-counts, never under.
    The texts of a dump directory count together."""
    json_texts = [t for t in texts if t.lstrip()[:1] in (b"{", b"[")]  # as the loader tells
    if json_texts:
        _check_json(json_texts, limits)
    yaml_texts = [t for t in texts if t.lstrip()[:1] not in (b"{", b"[")]
    if yaml_texts:
        _check_yaml(yaml_texts, limits)


def _check_json(texts: list[bytes], limits: UploadLimits) -> None:
    values = sum(t.count(c) for t in texts for c in _JSON_VALUE_STARTS)
    size = sum(len(t) for t in texts)
    # The API never passes more than the byte limit; a larger file (`snapshot --from-file`
    # reads whatever it is given) must at least be no denser than kubectl's JSON.
    budget = max(_MIN_VALUES, max(limits.json_bytes, size) // _BYTES_PER_JSON_VALUE)
    if values > budget:
        raise TooLarge(
            "JSON values",
            values,
            budget,
            "TRAFFICLENS_UPLOAD_MAX_BYTES",
            f"one per {_BYTES_PER_JSON_VALUE} bytes of TRAFFICLENS_UPLOAD_MAX_BYTES, or of "
            "the file where it is larger",
        )


def _check_yaml(texts: list[bytes], limits: UploadLimits) -> None:
    size = sum(len(t) for t in texts)
    if size > limits.yaml_bytes:
        raise TooLarge(
            "bytes of YAML",
            size,
            limits.yaml_bytes,
            "TRAFFICLENS_UPLOAD_MAX_YAML_BYTES",
            "TRAFFICLENS_UPLOAD_MAX_YAML_BYTES; kubectl's -o json takes far less memory to read "
            "and may be larger",
        )
    values = sum(t.count(c) for t in texts for c in _YAML_VALUE_STARTS)
    budget = max(_MIN_VALUES, limits.yaml_bytes // _BYTES_PER_YAML_VALUE)
    if values > budget:
        raise TooLarge(
            "YAML values",
            values,
            budget,
            "TRAFFICLENS_UPLOAD_MAX_YAML_BYTES",
            f"one per {_BYTES_PER_YAML_VALUE} bytes of TRAFFICLENS_UPLOAD_MAX_YAML_BYTES",
        )


def _check_counts(items: Items, limits: UploadLimits) -> None:
    if len(items) > limits.objects:
        raise TooLarge("objects", len(items), limits.objects, "TRAFFICLENS_UPLOAD_MAX_OBJECTS")
    kinds = Counter(obj.get("kind") for _, _, obj in items)
    for kind, attribute, setting in _LIMITED:
        if kinds[kind] > getattr(limits, attribute):
            raise TooLarge(f"{kind}s", kinds[kind], getattr(limits, attribute), setting)
    if not kinds.keys() & {"Node", "Service", "EndpointSlice"}:
        # Stored, it would be a snapshot in which every object of the cluster vanished.
        found = ", ".join(sorted(str(k) for k in kinds if k)) or "none"
        raise InputError(
            "the dump holds no Node, Service or EndpointSlice (kinds found: "
            f"{found}); make it with {DUMP_COMMAND}"
        )
    endpoints = sum(
        len(obj["endpoints"])
        for _, _, obj in items
        if obj.get("kind") == "EndpointSlice" and isinstance(obj.get("endpoints"), list)
    )
    if endpoints > limits.endpoints:
        raise TooLarge(
            "endpoints (in all EndpointSlices)",
            endpoints,
            limits.endpoints,
            "TRAFFICLENS_UPLOAD_MAX_ENDPOINTS",
        )


def _check_nul(texts: list[bytes], items: Items) -> None:
    """Refuse a NUL character in anything that is stored: PostgreSQL text cannot hold one."""
    if not any(_MAYBE_NUL.search(text) for text in texts):
        return
    for prefix, index, obj in items:
        trim = TRIMMERS.get(obj.get("kind", ""))
        if trim is None:
            continue  # not stored
        path = next(_paths_with_nul(trim(obj)), None)
        if path is not None:
            raise InputError(
                f"{path or 'a key'} holds a NUL character (\\u0000): Kubernetes never "
                "writes one, and the database cannot store it",
                obj=f"{label_of(prefix, index)} ({describe(obj)})",
            )


def _paths_with_nul(root: Any) -> Iterator[str]:
    """Field paths, as the API server writes them (metadata.labels[zone]), of strings holding
    a NUL; walked without recursion, since a dump may nest deeper than Python's stack."""
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                yield path
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and "\x00" in key:
                    yield path
                if path.rsplit(".", 1)[-1] in _MAPS:
                    stack.append((f"{path}[{key}]", item))
                else:
                    stack.append((f"{path}.{key}" if path else str(key), item))
        elif isinstance(value, list):
            stack += [(f"{path}[{i}]", item) for i, item in enumerate(value)]
