"""The HTTP face of the simulated cluster: discovery, get, list (paginated) and watch.

Stdlib `ThreadingHTTPServer` on the loopback interface, HTTP/1.1 with keep-alive; every answer
is JSON (a client asking for protobuf or a Table gets plain JSON, which kubectl and the Python
client accept). Errors are `Status` objects, as the real API returns them.

GET /metrics is the cluster's byte counters in the Prometheus text format (traffic.py): what
cAdvisor, Istio and Beyla would export, for a Prometheus to scrape. Like /_sim/ it stands
beside the API, so simulated API faults (delay, failures) never touch it.
"""

import base64
import binascii
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from . import kinds
from .faults import Faults
from .selectors import SelectorError, field_matcher, label_matcher
from .state import SELECTABLE, Entry, Expired, Store
from .watch import TRUE, WatchStream

logger = logging.getLogger(__name__)
LOOPBACK = ("127.0.0.1", "::1")
HEALTH = ("/healthz", "/readyz", "/livez")
METRICS = "/metrics"
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter."
)


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


class HttpError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.body = status(code, reason, message, details)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "simcluster/1.0"
    timeout = 300  # idle keep-alive connections are closed after this many seconds
    server: "ApiHTTPServer"  # the one that serves this handler (Server below)

    def do_GET(self) -> None:
        self.server.api.dispatch(self, "GET")

    def do_POST(self) -> None:
        self.server.api.dispatch(self, "POST")

    def do_PUT(self) -> None:
        self.server.api.dispatch(self, "PUT")

    do_PATCH = do_DELETE = do_PUT

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def send_body(self, code: int, *parts: bytes, content_type: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(sum(len(p) for p in parts)))
        self.end_headers()
        for part in parts:
            self.wfile.write(part)

    def send_json(self, code: int, obj: Any) -> None:
        self.send_body(code, orjson.dumps(obj))


class Api:
    """Routes requests to the store; one instance per running simulation."""

    def __init__(self, store: Store, faults: Faults, bookmark_interval: float = 5.0):
        self.store, self.faults = store, faults
        self.bookmark_interval = bookmark_interval
        self.control: Any = None  # callable(handler, method, path, body) for /_sim/ requests
        self.metrics: Callable[[], bytes] | None = None  # the /metrics text (Prometheus format)

    def dispatch(self, h: Handler, method: str) -> None:
        url = urlsplit(h.path)
        path = url.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            if path.startswith("/_sim/"):
                if h.client_address[0] not in LOOPBACK:
                    raise HttpError(403, "Forbidden", "the control API is loopback-only")
                length = int(h.headers.get("Content-Length") or 0)
                body = h.rfile.read(length) if length else b""
                h.send_json(*self.control(method, path, body))
                return
            if path == METRICS and self.metrics is not None:
                if method != "GET":
                    raise HttpError(405, "MethodNotAllowed", f"the server does not allow {method}")
                h.send_body(200, self.metrics(), content_type=METRICS_TYPE)
                return
            if self.faults.delay:
                time.sleep(self.faults.delay)
            code = self.faults.take_failure()
            if code is not None:
                raise HttpError(code, "InternalError", "simulated fault: the server failed")
            if method != "GET":
                raise HttpError(405, "MethodNotAllowed", f"the server does not allow {method}")
            self.get(h, path, query)
        except HttpError as exc:
            h.send_json(exc.body["code"], exc.body)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True

    def get(self, h: Handler, path: str, query: dict[str, str]) -> None:
        if path in HEALTH:
            h.send_body(200, b"ok", content_type="text/plain; charset=utf-8")
            return
        doc = self.discovery(h, path)
        if doc is not None:
            h.send_json(200, doc)
            return
        self.resource(h, path, query)

    def discovery(self, h: Handler, path: str) -> dict | None:
        if path == "/version":
            return kinds.SERVER_VERSION
        if path == "/api":
            return kinds.api_versions(f"127.0.0.1:{h.connection.getsockname()[1]}")
        if path == "/apis":
            return kinds.api_group_list()
        parts = path.strip("/").split("/")
        if parts[0] == "apis" and len(parts) == 2 and parts[1] in kinds.GROUPS:
            return kinds.api_group(parts[1])
        if parts[0] == "api" and len(parts) == 2:
            return kinds.resource_list("", parts[1])
        if parts[0] == "apis" and len(parts) == 3:
            return kinds.resource_list(parts[1], parts[2])
        return None

    def resource(self, h: Handler, path: str, query: dict[str, str]) -> None:
        parts = path.strip("/").split("/")
        not_found = HttpError(404, "NotFound", "the server could not find the requested resource")
        if parts[0] == "api" and len(parts) >= 3:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 4:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise not_found
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        kind = kinds.BY_PATH.get((group, version, rest[0]))
        if kind is None or len(rest) > 2 or (namespace is not None and not kind.namespaced):
            raise not_found
        if len(rest) == 2:
            if kind.namespaced and namespace is None:
                raise not_found
            self.get_one(h, kind, namespace or "", rest[1])
            return
        keep = self.filter(kind, namespace, query)
        if query.get("watch", "").lower() in TRUE:
            interval = self.bookmark_interval
            WatchStream(h, self.store, self.faults, kind, keep, query, interval).serve()
            return
        self.list(h, kind, keep, query)

    def get_one(self, h: Handler, kind: kinds.Kind, namespace: str, name: str) -> None:
        entry = self.store.get(kind.plural, namespace, name)
        if entry is None:
            raise HttpError(
                404,
                "NotFound",
                f'{kind.plural}{"." + kind.group if kind.group else ""} "{name}" not found',
                {"name": name, "group": kind.group, "kind": kind.plural},
            )
        h.send_body(200, kind.prefix, entry.body[1:])

    def filter(self, kind: kinds.Kind, namespace: str | None, query: dict[str, str]):
        supported = ("metadata.name", "metadata.namespace") + tuple(
            ".".join(p) for p in SELECTABLE.get(kind.plural, ())
        )
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

    def list(self, h: Handler, kind: kinds.Kind, keep, query: dict[str, str]) -> None:
        limit = _int(query.get("limit"), "limit")
        token = query.get("continue")
        if query.get("resourceVersionMatch") == "Exact" and query.get("resourceVersion"):
            rv = _int(query["resourceVersion"], "resourceVersion")
            if rv < self.store.tables[kind.plural].horizon:
                raise HttpError(410, "Expired", f"too old resource version: {rv}")
        head = b'{"kind":"%s","apiVersion":"%s","metadata":' % (
            kind.list_kind.encode(),
            kind.api_version.encode(),
        )
        if token is None and not limit and keep is None:
            rv, joined, _ = self.store.full_list(kind.plural)
            version = orjson.dumps({"resourceVersion": str(rv)})
            h.send_body(200, head, version, b',"items":[', joined, b"]}")
            return
        offset = 0
        if token:
            sid, offset = _decode_token(token)
            try:
                rv, bodies = self.store.snapshot(sid)
            except Expired:
                raise HttpError(410, "Expired", CONTINUE_EXPIRED) from None
        else:
            rv, entries = self.store.select(kind.plural, keep)
            bodies = [e.body for e in entries]
            sid = ""
        end = offset + limit if limit else len(bodies)
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if end < len(bodies):
            sid = sid or self.store.save_snapshot(rv, bodies)
            meta["continue"] = _encode_token(sid, end)
            meta["remainingItemCount"] = len(bodies) - end
        page = b",".join(bodies[offset:end])
        h.send_body(200, head, orjson.dumps(meta), b',"items":[', page, b"]}")


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


class ApiHTTPServer(ThreadingHTTPServer):
    """The stdlib server, with the Api its handlers dispatch to."""

    def __init__(self, address: tuple[str, int], api: Api) -> None:
        super().__init__(address, Handler)
        self.api = api


class Server:
    """The listening socket and its serving thread."""

    def __init__(self, api: Api, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in LOOPBACK and host != "localhost":
            raise ValueError("the simulated cluster listens on the loopback interface only")
        self.httpd = ApiHTTPServer((host, port), api)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)
