"""``serve``: the C2SP tlog-witness ``add-checkpoint`` endpoint.

``POST /add-checkpoint`` with the body::

    old <size>\\n
    <base64 consistency proof hash>\\n      (zero to 63 lines)
    \\n
    <signed checkpoint note>

Answers (C2SP tlog-witness): 200 with the cosignature lines (this witness's
BLS line and its Ed25519 ``cosignature/v1`` line); 400 for a malformed body
or an old size above the checkpoint's; 403 when no trusted signature
verifies; 404 for an unknown origin; 409 with ``text/x.tlog.size`` (the last
cosigned size) when the old size does not match (every 409 carries that
body); 422 when the checkpoint is inconsistent with the last cosigned one: a
consistency proof that does not verify, another root at the same size, or a
size-0 checkpoint whose root is not ``SHA-256("")`` (C2SP tlog-witness as
amended by C2SP/C2SP#280, which moved the same-size fork from 409 to 422).
The state is written before the 200 is sent; the directory lock makes check-and-persist atomic. Any
other method on ``/add-checkpoint`` answers 405 (``Allow: POST``).

On the monitoring prefix (the same as the submission prefix here) the
witness serves ``GET /<origin hash>/checkpoint``, ``origin hash`` being the
lowercase hex SHA-256 of the log's origin as in C2SP tlog-mirror (the
monitoring API of C2SP/C2SP#273 uses tlog-mirror's prefixing): the last
checkpoint it cosigned for that origin with its cosignature lines, or 404.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

from voting.tools.witness.core import BadRequest
from voting.tools.witness.core import OldSizeMismatch
from voting.tools.witness.core import Refusal
from voting.tools.witness.core import UnknownLog
from voting.tools.witness.core import Witness

MAX_BODY = 1 << 16
_MONITOR_PATH = re.compile(r"/([0-9a-f]{64})/checkpoint")
MAX_PROOF_LINES = 63


def parse_add_checkpoint(body: bytes) -> tuple[int, list[bytes], str]:
    """Split an ``add-checkpoint`` body into old size, proof hashes and the note.

    Raises:
        BadRequest: not UTF-8, no ``old`` line, a non-canonical size, a proof
            line that is not 32 bytes of base64, more than 63 lines, no blank line.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("request body is not UTF-8") from exc
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise BadRequest("request body needs a blank line before the checkpoint")
    lines = head.split("\n")
    size_text = lines[0].removeprefix("old ")
    if lines[0] == size_text or not size_text.isdigit() or str(int(size_text)) != size_text:
        raise BadRequest("the first line must be 'old <size>' in canonical decimal")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise BadRequest(f"at most {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for line in lines[1:]:
        try:
            node = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest("a consistency proof line is not base64") from exc
        if len(node) != 32:
            raise BadRequest("a consistency proof line must encode 32 bytes")
        proof.append(node)
    return int(size_text), proof, note


def answer(witness: Witness, body: bytes) -> tuple[int, str, bytes]:
    """The (status, content type, body) of an ``add-checkpoint`` request."""
    try:
        old, proof, note = parse_add_checkpoint(body)
        cosigned = witness.add_checkpoint(note, old, proof)
    except OldSizeMismatch as exc:
        return 409, "text/x.tlog.size", f"{exc.size}\n".encode()
    except Refusal as exc:
        return exc.status, "text/plain; charset=utf-8", f"{exc}\n".encode()
    return 200, "text/plain; charset=utf-8", "".join(cosigned.lines).encode()


def answer_get(witness: Witness, path: str) -> tuple[int, str, bytes]:
    """The (status, content type, body) of a ``GET`` on the monitoring prefix."""
    route = urllib.parse.urlsplit(path).path
    if route.rstrip("/") == "/add-checkpoint":
        return 405, "text/plain; charset=utf-8", b"add-checkpoint is POST only\n"
    match = _MONITOR_PATH.fullmatch(route)
    if match is None:
        return 404, "text/plain; charset=utf-8", b"only GET /<origin hash>/checkpoint\n"
    try:
        note = witness.latest_by_hash(match.group(1))
    except UnknownLog as exc:
        return 404, "text/plain; charset=utf-8", f"{exc}\n".encode()
    return 200, "text/plain; charset=utf-8", note.encode()


def make_server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server: ``POST /add-checkpoint`` and ``GET /<origin hash>/checkpoint``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            if _MONITOR_PATH.fullmatch(urllib.parse.urlsplit(self.path).path):
                self._send(405, "text/plain; charset=utf-8", b"GET only\n", allow="GET")
                return
            if self.path.rstrip("/") != "/add-checkpoint":
                self._send(404, "text/plain; charset=utf-8", b"only POST /add-checkpoint\n")
                return
            length_text = self.headers.get("Content-Length") or "0"
            length = int(length_text) if length_text.isdigit() else 0
            if not 0 < length <= MAX_BODY:
                self._send(400, "text/plain; charset=utf-8", b"body missing or too large\n")
                return
            self._send(*answer(witness, self.rfile.read(length)))

        def do_GET(self) -> None:
            status, content_type, body = answer_get(witness, self.path)
            self._send(status, content_type, body, allow="POST" if status == 405 else None)

        def _send(
            self, status: int, content_type: str, body: bytes, *, allow: str | None = None
        ) -> None:
            self.send_response(status)
            if allow is not None:
                self.send_header("Allow", allow)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # requests are not logged: a witness keeps no log of who asked

    return ThreadingHTTPServer((host, port), Handler)
