"""The HTTP face of the simulated cluster: discovery, OpenAPI, get, list, watch and can-i.

Stdlib `ThreadingHTTPServer` on the loopback interface, HTTP/1.1 with keep-alive. Resources are
answered as JSON or, when asked, as server-printed Tables (resources.py, tables.py); a client
asking for protobuf gets JSON, which kubectl and the Python client accept. Every error is a
`Status` object, as the real API returns them, never the stdlib's HTML page; every request's
body is read before the answer (bodies.py), so a kept-alive connection stays in step.

GET /metrics is the cluster's byte counters in the Prometheus text format (traffic.py): what
cAdvisor, Istio and Beyla would export, for a Prometheus to scrape. Like /_sim/ it stands
beside the API, so simulated API faults (delay, failures) never touch it.
"""

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from . import kinds, openapi, openapi_v2, reviews
from .bodies import BodyError, read_body
from .errors import HttpError, status
from .faults import Faults
from .rbac import Authorizer, request_verb
from .resources import NO_SUCH_PATH, Resources, locate
from .state import Store

logger = logging.getLogger(__name__)
LOOPBACK = ("127.0.0.1", "::1")
HEALTH = ("/healthz", "/readyz", "/livez")
METRICS = "/metrics"
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ONE_WRITE = 1 << 20  # bodies up to this size leave in the same write as their headers
REASONS = {
    400: "BadRequest",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "RequestEntityTooLarge",
    500: "InternalError",
    501: "NotImplemented",
}
NOT_ALLOWED = "the server does not allow this method on the requested resource"
Headers = Sequence[tuple[str, str]]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "simcluster/1.0"
    timeout = 300  # idle keep-alive connections are closed after this many seconds
    # TCP_NODELAY: with Nagle's algorithm a response written in two segments waits for the
    # client's delayed ACK of the first (~40 ms) before the second leaves.
    disable_nagle_algorithm = True
    server: "ApiHTTPServer"  # the one that serves this handler (Server below)

    def do_GET(self) -> None:
        self.server.api.dispatch(self)

    # Every method gets an answer from the API (a Status), and its body is read first.
    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def response_head(self, code: int, headers: Headers) -> bytes:
        """The status line and headers, as bytes for the caller to write with the body."""
        self.log_request(code)
        phrase = self.responses.get(code, ("",))[0]
        lines = [
            f"{self.protocol_version} {code} {phrase}",
            f"Server: {self.version_string()}",
            f"Date: {self.date_time_string()}",
        ]
        for name, value in headers:
            lines.append(f"{name}: {value}")
            if name.lower() == "connection" and value.lower() == "close":
                self.close_connection = True
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send_body(
        self,
        code: int,
        *parts: bytes,
        content_type: str = "application/json",
        headers: Headers = (),
    ) -> None:
        length = sum(len(p) for p in parts)
        own = [("Content-Type", content_type), ("Content-Length", str(length))]
        head = self.response_head(code, [*own, *headers])
        if self.command == "HEAD":
            parts = ()
        if length <= ONE_WRITE:  # one segment for a small answer: no waiting between writes
            self.wfile.write(b"".join((head, *parts)))
            return
        self.wfile.write(head)
        for part in parts:
            self.wfile.write(part)

    def send_json(self, code: int, obj: Any, headers: Headers = ()) -> None:
        self.send_body(code, orjson.dumps(obj), headers=headers)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A request the stdlib could not take (bad request line, unknown method, headers too
        long): a Status instead of its HTML page, and the connection closes."""
        text = message or self.responses.get(code, ("error",))[0]
        body = status(code, REASONS.get(code, ""), text)
        with contextlib.suppress(OSError):  # the client may be gone already
            self.send_json(code, body, headers=[("Connection", "close")])
        self.close_connection = True


class Api:
    """Routes requests; one instance per running simulation."""

    def __init__(self, store: Store, faults: Faults, bookmark_interval: float = 5.0):
        self.store, self.faults = store, faults
        self.resources = Resources(store, faults, bookmark_interval)
        self.control: Any = None  # callable(method, path, body) for /_sim/ requests
        self.metrics: Callable[[], bytes] | None = None  # the /metrics text (Prometheus format)
        self.authorizer: Authorizer | None = None  # RBAC, off unless a test binds a role (rbac.py)

    def dispatch(self, h: Handler) -> None:
        method = h.command
        url = urlsplit(h.path)
        path = url.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            try:
                body = read_body(h.rfile, h.headers)
            except BodyError:
                h.close_connection = True  # the rest of that body cannot be told from a request
                raise
            self.route(h, method, path, query, body)
        except HttpError as exc:
            closing = [("Connection", "close")] if h.close_connection else []
            h.send_json(exc.code, exc.body, headers=closing)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True
        except Exception:  # a bug answers 500 as the API server would, and is logged
            logger.exception("simulated API: %s %s failed", method, h.path)
            h.close_connection = True  # part of an answer may have been written already
            failed = status(500, "InternalError", "the simulated API server failed")
            h.send_json(500, failed, headers=[("Connection", "close")])

    def route(self, h: Handler, method: str, path: str, query: dict[str, str], body: bytes) -> None:
        if path.startswith("/_sim/"):
            if h.client_address[0] not in LOOPBACK:
                raise HttpError(403, "Forbidden", "the control API is loopback-only")
            h.send_json(*self.control(method, path, body))
            return
        if path == METRICS and self.metrics is not None:
            if method != "GET":
                raise HttpError(405, "MethodNotAllowed", NOT_ALLOWED)
            h.send_body(200, self.metrics(), content_type=METRICS_TYPE)
            return
        if self.authorizer is not None:
            self.check_access(h, method, path, query)
        if self.faults.delay:
            time.sleep(self.faults.delay)
        code = self.faults.take_failure()
        if code is not None:
            raise HttpError(code, "InternalError", "simulated fault: the server failed")
        review = next((k for k in kinds.REVIEWS if path == _collection(k)), None)
        if review is not None:
            if method != "POST":  # reviews are only created, and never stored
                raise HttpError(405, "MethodNotAllowed", NOT_ALLOWED)
            h.send_json(201, reviews.review(review, body))
            return
        if method != "GET":
            raise HttpError(405, "MethodNotAllowed", NOT_ALLOWED)
        if path in HEALTH:
            h.send_body(200, b"ok", content_type="text/plain; charset=utf-8")
            return
        doc = self.discovery(h, path)
        if doc is not None:
            h.send_json(200, doc)
            return
        if path == "/openapi/v2":  # kubectl <= 1.28 explain; protobuf unless JSON is asked for
            protobuf = "protobuf" in (h.headers.get("Accept") or "")
            content_type = openapi_v2.PROTOBUF_TYPE if protobuf else "application/json"
            h.send_body(200, openapi_v2.document(protobuf), content_type=content_type)
            return
        if path.startswith("/openapi/"):
            spec = openapi.document(path)
            if spec is None:
                raise HttpError(404, "NotFound", NO_SUCH_PATH)
            h.send_body(200, spec)
            return
        self.resources.serve(h, path, query)

    def check_access(self, h: Handler, method: str, path: str, query: dict[str, str]) -> None:
        """401 without a bound token; 403 when its role does not allow this resource request."""
        assert self.authorizer is not None
        subject = self.authorizer.authenticate(h.headers.get("Authorization"))
        try:
            kind, namespace, name = locate(path)
        except HttpError:
            return  # a non-resource path (discovery, version, health): open to bound tokens
        verb = request_verb(method, name, query)
        self.authorizer.authorize(subject, verb, kind.group, kind.plural, name, namespace)

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


def _collection(kind: kinds.Kind) -> str:
    return f"/apis/{kind.group}/{kind.version}/{kind.plural}"


class ApiHTTPServer(ThreadingHTTPServer):
    """The stdlib server, with the Api its handlers dispatch to."""

    def __init__(self, address: tuple[str, int], api: Api) -> None:
        super().__init__(address, Handler)
        self.api = api


class Server:
    """The listening socket and its serving thread."""

    def __init__(
        self,
        api: Api,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: tuple[str, str] | None = None,
    ) -> None:
        if host not in LOOPBACK and host != "localhost":
            raise ValueError("the simulated cluster listens on the loopback interface only")
        self.httpd = ApiHTTPServer((host, port), api)
        self.httpd.daemon_threads = True
        self.tls = tls is not None
        if tls is not None:  # (certificate file, key file): https, as in-cluster clients insist on
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
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
