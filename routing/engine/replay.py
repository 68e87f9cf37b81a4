"""Several documents in one input: a watch stream replayed, appended dumps merged.

`kubectl get --watch --output-watch-events -o json|yaml` and the API's raw watch stream write
events, `{"type": "ADDED", "object": {...}}`; `kubectl get --watch -o json` without
`--output-watch-events`, and dumps appended to one file, write an object again each time it
changed. Either way the input describes one moment: the last state of each object.
"""

from collections.abc import Callable, Hashable
from itertools import count
from typing import Any

from .errors import InputError

Item = tuple[str, int, dict[str, Any]]
# Loads one document (or an event's object) under a label, e.g. "document 3", into items.
Collect = Callable[[Any, str], list[Item]]

_EVENT_TYPES = frozenset({"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"})


def is_watch_event(doc: Any) -> bool:
    """A watch event: a type and an object, and no kind of its own (or metav1's WatchEvent)."""
    return (
        isinstance(doc, dict)
        and doc.get("type") in _EVENT_TYPES
        and "object" in doc
        and doc.get("kind", "WatchEvent") == "WatchEvent"
    )


def latest_states(docs: list[Any], collect: Collect) -> list[Item]:
    """The objects of `docs` in order, each object's last state winning; watch events apply.

    Objects are told apart by kind, namespace and name; one without a name is kept as it is
    (parsing then says what is wrong with it). An object keeps the place it first had.
    """
    states: dict[Hashable, Item] = {}
    serials = count()  # keys for objects without a name
    for number, doc in enumerate(docs, 1):
        label = f"document {number}"
        if not is_watch_event(doc):
            for item in collect(doc, label):
                states[_identity(item, next(serials))] = item
            continue
        event = doc["type"]
        if event == "BOOKMARK":  # only carries a resourceVersion to resume from
            continue
        if event == "ERROR":
            raise InputError(
                f"the watch stream reports an error: {_status_message(doc['object'])}",
                obj=f"{label} (ERROR)",
            )
        for item in collect(doc["object"], f"{label} ({event})"):
            if event == "DELETED":
                states.pop(_identity(item, -1), None)
            else:
                states[_identity(item, next(serials))] = item
    return list(states.values())


def _identity(item: Item, serial: int) -> Hashable:
    obj = item[2]
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str):
        return ("unnamed", serial)  # never replaces, and is never deleted by, another
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    return (obj.get("kind"), namespace if isinstance(namespace, str) else "", name)


def _status_message(obj: Any) -> str:
    """An ERROR event's object is a metav1 Status, e.g. "too old resource version" (410)."""
    if not isinstance(obj, dict):
        return "(no Status object)"
    message = str(obj.get("message") or obj.get("reason") or "(no message)")
    code = obj.get("code")
    return f"{message} (code {code})" if isinstance(code, int) else message
