"""A small HTTPS server for the sandboxes, on the standard library.

``ThreadingHTTPServer`` with the TLS handshake done in each request's thread, so a
slow client never blocks the others. A sandbox is an object with ``handle(Request) ->
Response`` (see ``SandboxApp``); this module turns HTTP into those two plain values
and back, and serves the admin endpoints every sandbox shares::

    GET  /__sandbox__/health     no auth; readiness check
    GET  /__sandbox__/stats      request counts and fault state   (admin token)
    POST /__sandbox__/faults     inject a fault, JSON FaultSpec    (admin token)
    POST /__sandbox__/reset      clear faults and counts           (admin token)

The admin token goes in the ``X-Sandbox-Admin-Token`` header.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import socket
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from sandbox.common.control import FaultSpec

__all__ = ["ADMIN_PREFIX", "Request", "Response", "SandboxApp", "SandboxControl", "SandboxServer"]

ADMIN_PREFIX = "/__sandbox__/"
ADMIN_HEADER = "X-Sandbox-Admin-Token"


@dataclass(frozen=True)
class Request:
    """One HTTP request, already read.

    Attributes:
        method: ``GET``, ``POST``...
        target: The raw request target (path and query string), for URL-length checks.
        path: The path, percent-decoding left to the app.
        query: Query-string parameters.
        headers: Header names lower-cased.
        body: The request body.
    """

    method: str
    target: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None."""
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        """Header ``name`` (any case), or None."""
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` when it is not JSON)."""
        return json.loads(self.body.decode("utf-8") or "null")


@dataclass
class Response:
    """One HTTP response to send."""

    status: int
    body: bytes = b""
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, value: Any, *, headers: dict[str, str] | None = None) -> Response:
        """A JSON response."""
        return cls(status=status, body=json.dumps(value).encode("utf-8"), headers=dict(headers or {}))

    @classmethod
    def text(cls, status: int, text: str, *, content_type: str, headers: dict[str, str] | None = None) -> Response:
        """A text response (CSV, XML) in UTF-8."""
        return cls(status=status, body=text.encode("utf-8"), content_type=content_type, headers=dict(headers or {}))

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        """A response without a body."""
        return cls(status=status, content_type="")


class SandboxControl(Protocol):
    """The control handle a sandbox exposes to tests and to the admin endpoint."""

    def inject(self, spec: FaultSpec) -> None:
        """Inject one fault (raises ``ConfigError`` for an unknown kind)."""

    def stats(self) -> dict[str, Any]:
        """Request counts and the faults still pending."""

    def reset(self) -> None:
        """Clear every fault and count."""


class SandboxApp(Protocol):
    """What a vendor sandbox provides: a request handler, its credentials and a control."""

    control: SandboxControl

    def handle(self, request: Request) -> Response:
        """Answer one request."""

    def credentials(self) -> dict[str, str]:
        """The credentials the sandbox accepts, for ``sandbox up`` to print."""

    def connector_settings(self, running: Any) -> dict[str, Any]:
        """Settings of this system's Contactpoint connector that reach the sandbox ``running`` serves.

        ``running`` is the ``RunningSandbox`` (base URL, CA file, credentials); the result is
        plain data for the connector's config model, so a demo or a project file can use it.
        """


class SandboxServer(ThreadingHTTPServer):
    """A threading HTTPS server bound to 127.0.0.1 that hands requests to a ``SandboxApp``."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, *, port: int, context: ssl.SSLContext, admin_token: str) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.context = context
        self.admin_token = admin_token
        self.app: SandboxApp | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually bound (useful when 0 was asked for)."""
        return int(self.server_address[1])

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Do the TLS handshake in the request's own thread, then serve it."""
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a client that fails the handshake gets nothing more
        try:
            self.RequestHandlerClass(tls, client_address, self)  # type: ignore[arg-type]
        finally:
            with contextlib.suppress(OSError):  # the client may already have closed its side
                tls.shutdown(socket.SHUT_RDWR)
            tls.close()

    def start_background(self) -> None:
        """Serve forever in a daemon thread."""
        self._thread = threading.Thread(target=self.serve_forever, name="sandbox-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def admin(self, request: Request) -> Response:
        """Answer an ``/__sandbox__/`` request."""
        name = request.path[len(ADMIN_PREFIX) :].strip("/")
        if name == "health":
            return Response.json(200, {"status": "ok"})
        token = request.header(ADMIN_HEADER) or ""
        if not hmac.compare_digest(token.encode(), self.admin_token.encode()):
            return Response.json(401, {"error": "admin token missing or wrong", "header": ADMIN_HEADER})
        if self.app is None:
            return Response.json(503, {"error": "sandbox still starting"})
        return _admin_action(self.app.control, name, request)


def _admin_action(control: SandboxControl, name: str, request: Request) -> Response:
    from core.errors import ConfigError  # the admin endpoint reports bad faults as 400

    if name == "stats" and request.method == "GET":
        return Response.json(200, control.stats())
    if name == "reset" and request.method == "POST":
        control.reset()
        return Response.json(200, {"status": "reset"})
    if name == "faults" and request.method == "POST":
        try:
            body = request.json()
            specs = body if isinstance(body, list) else [body]
            for spec in specs:
                control.inject(FaultSpec.from_json(spec))
        except (ValueError, TypeError, AttributeError, ConfigError) as err:
            return Response.json(400, {"error": str(err)})
        return Response.json(200, control.stats())
    return Response.json(404, {"error": f"no admin action {request.method} {name!r}"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SandboxServer

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: requests are counted by the control, not logged to stderr."""

    def _body(self) -> bytes:
        """The request body, sent with ``Content-Length`` or ``Transfer-Encoding: chunked`` (streamed uploads)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # the CRLF closing each chunk
            while self.rfile.readline().strip():  # trailer fields, up to the empty line
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        try:
            body = self._body()
        except ValueError:  # a chunk size that is not hexadecimal
            self.close_connection = True
            self._send(Response.json(400, {"error": "malformed chunked request body"}))
            return
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            target=self.path,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        if request.path.startswith(ADMIN_PREFIX):
            response = self.server.admin(request)
        elif self.server.app is None:
            response = Response.json(503, {"error": "sandbox still starting"})
        else:
            response = self.server.app.handle(request)
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body and self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve
