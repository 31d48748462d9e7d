"""The spec-written witness (tests/interop/c2sp_witness.py) behind a real HTTP server.

``POST /add-checkpoint`` is answered by :class:`SpecWitness` with the
current time; a 409 carries ``Content-Type: text/x.tlog.size`` as
c2sp.org/tlog-witness says. ``answer`` may be replaced to make the witness
misbehave (the adversary tests), ``delay`` makes it slow to answer and
``drip`` slow to finish its answer. No Urna code.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

from tests.interop.c2sp_witness import SpecWitness

Answer = Callable[[str, int], tuple[int, str]]


class WitnessServer:
    """One spec witness served on 127.0.0.1; ``url`` is its submission prefix."""

    def __init__(self, witness: SpecWitness) -> None:
        self.witness = witness
        self.answer: Answer = witness.add_checkpoint
        self.delay = 0.0
        self.drip = 0.0
        """Seconds between the answer's bytes (a witness answering a byte at a time)."""
        self.requests: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(f"GET {self.path}")
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                if server.delay:
                    time.sleep(server.delay)
                if self.path != "/add-checkpoint":
                    status, text = 404, "not found\n"
                else:
                    with server._lock:  # check-and-persist is atomic (the spec's race)
                        server.requests.append(body)
                        status, text = server.answer(body, int(time.time()))
                data = text.encode()
                kind = "text/x.tlog.size" if status == 409 else "text/plain; charset=utf-8"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(data)))
                    if 300 <= status < 400:
                        self.send_header("Location", "/elsewhere")
                    self.end_headers()
                    if not server.drip:
                        self.wfile.write(data)
                    for byte in data if server.drip else b"":
                        time.sleep(server.drip)
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the log gave up waiting (the slow witness test)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[WitnessServer]:
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()
            thread.join(timeout=5)
