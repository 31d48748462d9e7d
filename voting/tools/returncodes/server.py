"""``serve``: the authority's HTTP JSON API (docs/return-codes.md, "HTTP API of serve").

``GET /v1/identity``, ``POST /v1/choice-codes``, ``POST /v1/confirm``. Bodies
are JSON of at most :data:`MAX_BODY` bytes with a ``Content-Length``; every
refusal is ``{"error": code, "message": text}`` with its status, and changes
nothing but a refusal counter of a known credential.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any

from voting.tools.returncodes.core import Authority
from voting.tools.returncodes.core import Refusal
from voting.tools.returncodes.core import parse_body

MAX_BODY = 1 << 20
"""1 MiB: a ballot of 64 questions of 32 options is about 0.4 MiB of JSON."""
READ_TIMEOUT = 30


def make_server(authority: Authority, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server answering for ``authority`` (call ``serve_forever``)."""
    routes: dict[str, Callable[[Any], dict[str, Any]]] = {
        "/v1/choice-codes": authority.choice_codes,
        "/v1/confirm": authority.confirm,
    }

    class Handler(BaseHTTPRequestHandler):
        timeout = READ_TIMEOUT
        server_version = "urna-returncodes/1"

        def do_GET(self) -> None:
            if self.path == "/v1/identity":
                self._send(200, authority.identity())
            elif self.path in routes:
                self._send(405, _error("method_not_allowed", "use POST"), allow="POST")
            else:
                self._send(404, _error("not_found", f"no such endpoint: {self.path[:100]}"))

        def do_POST(self) -> None:
            handle = routes.get(self.path)
            if handle is None:
                status = 405 if self.path == "/v1/identity" else 404
                self._send(status, _error("not_found", f"no POST endpoint {self.path[:100]}"))
                return
            try:
                self._send(200, handle(parse_body(self._body())))
            except Refusal as refusal:
                self._send(refusal.status, refusal.body())
            except Exception:  # a bug must not kill the thread silently: 500, nothing answered
                self._send(500, _error("internal", "the authority failed; nothing was answered"))
                raise

        def _body(self) -> bytes:
            content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
            if content_type != "application/json":
                raise Refusal(415, "unsupported_media_type", "send Content-Type: application/json")
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit():
                raise Refusal(411, "length_required", "send a Content-Length")
            if int(length) > MAX_BODY:
                self.close_connection = True
                raise Refusal(413, "too_large", f"a request is at most {MAX_BODY} bytes")
            body = self.rfile.read(int(length))
            if len(body) != int(length):
                raise Refusal(400, "malformed", "the body is shorter than its Content-Length")
            return body

        def _send(self, status: int, body: dict[str, Any], allow: str | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if allow:
                self.send_header("Allow", allow)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: requests carry ballots; the answer log is the record."""

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def _error(code: str, message: str) -> dict[str, str]:
    return {"error": code, "message": message}
