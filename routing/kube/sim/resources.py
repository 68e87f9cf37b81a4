"""GET of the served resources: one object, a list (paginated, filtered) or a watch.

Each answer is the objects as JSON or, when the client asks for it in Accept, a meta.k8s.io
Table of them (tables.py). A list at a resourceVersion the store has not reached waits a little
for it, then answers 504 as the API server does ("Too large resource version").
"""

import base64
import binascii
from collections.abc import Callable
from typing import Any

import orjson

from . import kinds
from .errors import HttpError, not_found
from .events import as_events_v1
from .selectors import SelectorError, field_matcher, label_matcher
from .state import SELECTABLE, Entry, Expired, Store
from .tables import Printing, negotiate, table
from .watch import TRUE, WatchStream

Obj = dict[str, Any]
# Kinds served from another kind's table, and how their objects look there.
VIEWS: dict[kinds.Kind, Callable[[Obj], Obj]] = {kinds.EVENTS_V1: as_events_v1}
CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter."
)
NO_SUCH_PATH = "the server could not find the requested resource"


class Resources:
    """Answers GET requests for the resource paths of one simulation's store."""

    def __init__(self, store: Store, faults: Any, bookmark_interval: float) -> None:
        self.store, self.faults, self.bookmark_interval = store, faults, bookmark_interval
        # How long a list at a future resourceVersion waits for the store to get there (the
        # API server's watch cache waits 3 s before it answers 504).
        self.fresh_wait = 3.0

    def serve(self, h: Any, path: str, query: dict[str, str]) -> None:
        kind, namespace, name = locate(path)
        printing = negotiate(h.headers.get("Accept"), query)
        headers = [("Warning", f'299 - "{kind.warning}"')] if kind.warning else []
        if name is not None:
            self.get_one(h, kind, printing, namespace or "", name, headers)
            return
        keep = self.filter(kind, namespace, query)
        if query.get("watch", "").lower() in TRUE:
            encode = self.encoder(kind, printing)
            interval = self.bookmark_interval
            WatchStream(
                h, self.store, self.faults, kind, keep, query, interval, encode, headers
            ).serve()
            return
        self.list(h, kind, printing, keep, query, headers)

    # -- one object ---------------------------------------------------------------------------

    def shown(self, kind: kinds.Kind, stored: Obj) -> Obj:
        """A stored object as this kind serves it: its own fields, kind and apiVersion first."""
        view = VIEWS.get(kind)
        return {"kind": kind.kind, "apiVersion": kind.api_version, **(view or dict)(stored)}

    def encoder(self, kind: kinds.Kind, printing: Printing) -> Callable[[Entry], bytes]:
        """How each object of a watch is written; a Table's columns go with the first only."""
        if printing.table:
            first = [True]

            def as_table(entry: Entry) -> bytes:
                stored = orjson.loads(entry.body)
                meta = {"resourceVersion": stored["metadata"].get("resourceVersion", "")}
                rows = [(stored, self.shown(kind, stored))]
                out = orjson.dumps(table(kind, printing, rows, meta, columns=first[0]))
                first[0] = False
                return out

            return as_table
        if kind in VIEWS:
            return lambda entry: orjson.dumps(self.shown(kind, orjson.loads(entry.body)))
        return lambda entry: kind.prefix + entry.body[1:]

    def get_one(
        self,
        h: Any,
        kind: kinds.Kind,
        printing: Printing,
        namespace: str,
        name: str,
        headers: list[tuple[str, str]],
    ) -> None:
        entry = self.store.get(kind.table, namespace, name)
        if entry is None:
            raise not_found(kind.plural, kind.group, name)
        if printing.table:
            stored = orjson.loads(entry.body)
            meta = {"resourceVersion": stored["metadata"].get("resourceVersion", "")}
            body = table(kind, printing, [(stored, self.shown(kind, stored))], meta)
            h.send_json(200, body, headers=headers)
            return
        h.send_body(200, self.encoder(kind, printing)(entry), headers=headers)

    # -- lists --------------------------------------------------------------------------------

    def filter(self, kind: kinds.Kind, namespace: str | None, query: dict[str, str]):
        supported = ("metadata.name", "metadata.namespace", *SELECTABLE.get(kind.table, {}))
        try:
            labels = label_matcher(query.get("labelSelector"))
            fields = field_matcher(query.get("fieldSelector"), supported)
        except SelectorError as exc:
            raise HttpError(400, "BadRequest", str(exc)) from None
        if namespace is None and labels is None and fields is None:
            return None

        def keep(entry: Entry) -> bool:
            return (
                (namespace is None or entry.namespace == namespace)
                and (labels is None or labels(entry.labels))
                and (fields is None or fields(entry.fields))
            )

        return keep

    def wait_until_fresh(self, wanted: int) -> None:
        """Wait for the store to reach resourceVersion `wanted`, or answer 504 Timeout."""
        store = self.store
        with store.cond:
            store.cond.wait_for(lambda: store.rv >= wanted or store.closed, self.fresh_wait)
            current = store.rv
        if current < wanted:
            message = f"Timeout: Too large resource version: {wanted}, current: {current}"
            cause = {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
            raise HttpError(504, "Timeout", message, {"causes": [cause], "retryAfterSeconds": 1})

    def list(
        self,
        h: Any,
        kind: kinds.Kind,
        printing: Printing,
        keep,
        query: dict[str, str],
        headers: list[tuple[str, str]],
    ) -> None:
        limit = _int(query.get("limit"), "limit")
        token = query.get("continue")
        version = query.get("resourceVersion", "")
        if version not in ("", "0") and not token:
            wanted = _int(version, "resourceVersion")
            exact = query.get("resourceVersionMatch") == "Exact"
            if exact and wanted < self.store.tables[kind.table].horizon:
                raise HttpError(410, "Expired", f"too old resource version: {wanted}")
            if wanted > self.store.rv:
                self.wait_until_fresh(wanted)
        plain = not printing.table and kind not in VIEWS
        head = b'{"kind":"%s","apiVersion":"%s","metadata":' % (
            kind.list_kind.encode(),
            kind.api_version.encode(),
        )
        if plain and token is None and not limit and keep is None:
            rv, joined, _ = self.store.full_list(kind.table)
            meta = orjson.dumps({"resourceVersion": str(rv)})
            h.send_body(200, head, meta, b',"items":[', joined, b"]}", headers=headers)
            return
        offset = 0
        if token:
            sid, offset = _decode_token(token)
            try:
                rv, bodies = self.store.snapshot(sid)
            except Expired:
                raise HttpError(410, "Expired", CONTINUE_EXPIRED) from None
        else:
            rv, entries = self.store.select(kind.table, keep)
            bodies = [e.body for e in entries]
            sid = ""
        end = offset + limit if limit else len(bodies)
        list_meta: Obj = {"resourceVersion": str(rv)}
        if end < len(bodies):
            sid = sid or self.store.save_snapshot(rv, bodies)
            list_meta["continue"] = _encode_token(sid, end)
            list_meta["remainingItemCount"] = len(bodies) - end
        page = bodies[offset:end]
        if printing.table:
            stored = [orjson.loads(b) for b in page]
            rows = [(obj, self.shown(kind, obj)) for obj in stored]
            h.send_json(200, table(kind, printing, rows, list_meta), headers=headers)
            return
        if not plain:  # a view: each item converted, without kind and apiVersion as in lists
            view = VIEWS[kind]
            page = [orjson.dumps(view(orjson.loads(b))) for b in page]
        meta = orjson.dumps(list_meta)
        h.send_body(200, head, meta, b',"items":[', b",".join(page), b"]}", headers=headers)


def locate(path: str) -> tuple[kinds.Kind, str | None, str | None]:
    """(kind, namespace, name) of a resource path; 404 for any other path."""
    parts = path.strip("/").split("/")
    not_found_path = HttpError(404, "NotFound", NO_SUCH_PATH)
    if parts[0] == "api" and len(parts) >= 3:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise not_found_path
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    kind = kinds.BY_PATH.get((group, version, rest[0]))
    if kind is None or len(rest) > 2 or (namespace is not None and not kind.namespaced):
        raise not_found_path
    if len(rest) == 2:
        if kind.namespaced and namespace is None:
            raise not_found_path
        return kind, namespace, rest[1]
    return kind, namespace, None


def _int(value: str | None, name: str) -> int:
    if not value:
        return 0
    try:
        return max(0, int(value))
    except ValueError:
        raise HttpError(400, "BadRequest", f"{name}: invalid integer {value!r}") from None


def _encode_token(sid: str, offset: int) -> str:
    raw = orjson.dumps({"v": "meta.k8s.io/v1", "s": sid, "o": offset})
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: str) -> tuple[str, int]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        return str(data["s"]), int(data["o"])
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise HttpError(400, "BadRequest", "continue key is not valid") from None
