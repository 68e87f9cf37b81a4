"""Read `kubectl get -o json|yaml` output into a flat list of Kubernetes object dicts.

Besides one List or object: YAML documents and JSON texts one after another, watch streams
(routing/engine/replay.py), UTF-16 and UTF-32 with a byte-order mark (routing/engine/encodings.py)
and `kubectl cluster-info dump` directories (routing/engine/dump_directory.py).
"""

import os
import re
import sys
from typing import Any

import orjson
import yaml

from .dump_directory import DumpDirectory, read_directory
from .encodings import binary_data_message, to_utf8
from .errors import InputError
from .json_stream import json_documents
from .replay import is_watch_event, latest_states

try:  # libyaml is an order of magnitude faster; the pure-Python loader is the fallback
    _YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _YamlLoader = yaml.SafeLoader

_MAYBE_ALIAS = re.compile(r"(?:^|[\s\[{,:-])[&*][^\s,\]}]+", re.MULTILINE)


class _NoAliasLoader(yaml.SafeLoader):
    """A SafeLoader that refuses YAML aliases (and so alias-expansion bombs)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            # types-PyYAML leaves Parser.peek_event unannotated (it returns the Event).
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise InputError(
                f"YAML aliases are not accepted (line {event.start_mark.line + 1}): "
                "kubectl output never uses them"
            )
        return super().compose_node(parent, index)


# Objects with where they were found, e.g. ("items", 3, {...}); see label_of().
Items = list[tuple[str, int, dict[str, Any]]]


def load_path(path: str) -> Items:
    """Read a file ("-" for standard input) or a dump directory (DumpDirectory) and return its
    Kubernetes objects."""
    if path != "-" and os.path.isdir(path):
        return load_directory(read_directory(path))
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=path) from None
    try:
        return load_bytes(data)
    except InputError as exc:
        raise exc.with_source(path) from None


def load_directory(directory: DumpDirectory) -> Items:
    """The objects of every file of a dump directory, each labelled with its file."""
    items: Items = []
    for name, data in directory.files:
        try:
            loaded = load_bytes(data)
        except InputError as exc:
            raise exc.with_source(directory.where(name)) from None
        items += [
            (name if prefix == "top level" else f"{name} {prefix}", index, obj)
            for prefix, index, obj in loaded
        ]
    return items


def load_bytes(data: bytes) -> Items:
    """Parse JSON or YAML bytes holding a List, one object, several YAML documents or JSON
    texts, or watch events; UTF-8, or UTF-16 or UTF-32 with a byte-order mark."""
    data = to_utf8(data)
    start = _first_significant_byte(data)
    if start is None:
        raise InputError("the input is empty")
    if data[start] in b"{[":
        # A NUL byte is refused first, below; one JSON text that parses holds none (JSON has no
        # raw NUL), so a large dump is not scanned for one before it is parsed.
        docs, error = _load_json(data)
        if error:  # several texts, or a broken one
            if b"\x00" in data:
                raise InputError(binary_data_message(data))
            docs = json_documents(data, error)
    else:
        if b"\x00" in data:
            raise InputError(binary_data_message(data))
        docs = _load_yaml(data, start)
    if len(docs) == 1 and not is_watch_event(docs[0]):
        items: Items = []
        _collect(docs[0], "top level", items)
    else:
        # Appended dumps or a watch stream: each object's last state (routing/engine/replay.py).
        items = latest_states(docs, _collected)
    if not items and not any(_is_list(d) or is_watch_event(d) for d in docs):
        raise InputError("no Kubernetes objects found")
    return items


def _collected(doc: Any, label: str) -> Items:
    out: Items = []
    _collect(doc, label, out)
    return out


def _load_json(data: bytes) -> tuple[list[Any], str]:
    """The one JSON text in `data`, or orjson's message. The message, not the exception, is
    returned: the exception holds the whole input as a str."""
    try:
        return [orjson.loads(data)], ""
    except orjson.JSONDecodeError as exc:
        return [], f"not valid JSON: {exc}"


def _first_significant_byte(data: bytes) -> int | None:
    stripped = data.lstrip()
    if not stripped:
        return None
    return len(data) - len(stripped)


def _load_yaml(data: bytes, start: int) -> list[Any]:
    # kubectl's YAML always starts with a mapping key, "---" or "- "; anything else is not
    # Kubernetes YAML, and refusing early avoids scanning hundreds of MB of garbage.
    first_line = data[start : start + 200].split(b"\n", 1)[0].strip()
    looks_yaml = (
        first_line.startswith((b"---", b"%YAML", b"- ", b"#"))
        or b": " in first_line
        or first_line.endswith(b":")
    )
    if not looks_yaml:
        raise InputError("not JSON or YAML Kubernetes objects (the first line is not a YAML key)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})") from None
    # kubectl never writes anchors or aliases; refusing them stops "billion laughs" inputs from
    # expanding into gigabytes. The check is a cheap scan; only suspicious text takes the slower
    # loader that rejects aliases precisely.
    loader = _NoAliasLoader if _MAYBE_ALIAS.search(text) else _YamlLoader
    try:
        return [d for d in yaml.load_all(text, Loader=loader) if d is not None]
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {_one_line_yaml_error(exc)}") from None


def _one_line_yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return str(problem)


def _is_list(doc: Any) -> bool:
    return isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List")


def label_of(prefix: str, index: int) -> str:
    """The human name of a loaded object's position, e.g. "items[3]" or "document 2"."""
    return prefix if index < 0 else f"{prefix}[{index}]"


# Lists in Lists: kubectl nests one level at most (a List of typed Lists). The limit is counted
# rather than left to Python's recursion limit, which the compiled engine does not apply (its
# frames are C frames): both forms refuse the same inputs, with the same words.
MAX_LIST_NESTING = 100
TOO_DEEP = "the input is nested too deeply to be Kubernetes objects"


def _collect(
    doc: Any, label: str, out: Items, implied_kind: str | None = None, depth: int = 0
) -> None:
    if isinstance(doc, list):
        _collect_items(doc, label, out, implied_kind, depth)
        return
    if not isinstance(doc, dict):
        raise InputError(f"is {_type_name(doc)}, not a Kubernetes object or List", obj=label)
    kind = doc.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in doc:
        items = doc["items"]
        if items is None:
            return
        if not isinstance(items, list):
            raise InputError(f"items is {_type_name(items)}, not a list", obj=label)
        if depth >= MAX_LIST_NESTING:
            raise InputError(f"{TOO_DEEP} (Lists more than {MAX_LIST_NESTING} deep)")
        sub = "items" if label == "top level" else f"{label} items"
        # A typed list's items carry no kind when a typed client read it (kubectl's
        # cluster-info dump): NodeList's are Nodes, EventList's Events.
        _collect_items(items, sub, out, kind[: -len("List")] or None, depth + 1)
        return
    _collect_object(doc, label, -1, out, implied_kind, depth)


def _collect_items(
    items: list[Any], prefix: str, out: Items, implied_kind: str | None, depth: int
) -> None:
    append = out.append
    for i, item in enumerate(items):
        # Fast path for the common case; labels stay (prefix, index) until an error needs one.
        if type(item) is dict:
            kind = item.get("kind")
            if type(kind) is str and not (kind[-4:] == "List" and "items" in item):
                append((prefix, i, item))
                continue
        _collect_object(item, prefix, i, out, implied_kind, depth)


def _collect_object(
    item: Any, prefix: str, index: int, out: Items, implied_kind: str | None, depth: int
) -> None:
    label = label_of(prefix, index)
    if not isinstance(item, dict):
        raise InputError(f"is {_type_name(item)}, not a Kubernetes object", obj=label)
    kind = item.get("kind", implied_kind)
    if kind is None:
        raise InputError("has no kind", obj=label)
    if not isinstance(kind, str):
        raise InputError(f"kind is {_type_name(kind)}, not a string", obj=label)
    if kind.endswith("List") and "items" in item:
        _collect(item, label, out, None, depth)
        return
    if implied_kind is not None and "kind" not in item:
        item = {**item, "kind": implied_kind}
    out.append((prefix, index, item))


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
