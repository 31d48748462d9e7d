"""A return-code authority set up for tests: its directory, cards, and a live server.

The registrar's side is played with crypto/ alone (tests/crypto/returncode_protocol.py);
the authority is the real tool (``python -m voting.returncodes`` through ``main``)
and, for HTTP, its real server on a loopback port.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crypto.ballot import ElectionContext
from crypto.elgamal import generate_keypair
from crypto.encoding import canonical_json
from crypto.returncode_setup import SetupVoter
from crypto.testing import deterministic_rng
from tests.crypto.returncode_protocol import Card
from tests.crypto.returncode_protocol import Registrar
from tests.crypto.returncode_protocol import make_card
from tests.crypto.returncode_protocol import registrar_for
from voting.tools.returncodes.__main__ import main
from voting.tools.returncodes.core import Authority
from voting.tools.returncodes.server import make_server
from voting.tools.returncodes.state import AuthorityState
from voting.tools.returncodes.state import load_keys

VOTERS = 3


@dataclass
class AuthoritySetup:
    """One authority directory after init and setup, with the registrar's view."""

    state: Path
    request: Path
    answer: Path
    election: ElectionContext
    registrar: Registrar
    cards: list[Card]
    lines: list[SetupVoter]

    def setup_args(self, **override: str) -> list[str]:
        values = {
            "--state": str(self.state),
            "--request": str(self.request),
            "--answer": str(self.answer),
            "--manifest-hash": self.election.manifest_hash.hex(),
            "--election-key": self.election.public_key.hex(),
            **override,
        }
        return ["setup", *[item for pair in values.items() for item in pair]]


def write_request(path: Path, registrar: Registrar, lines: list[SetupVoter]) -> None:
    rows = [registrar.header.to_json(), *(line.to_json() for line in lines)]
    path.write_bytes(b"".join(canonical_json(row) + b"\n" for row in rows))


def make_setup(tmp_path: Path, *, name: str = "rca-1", seed: bytes = b"rc-tool") -> AuthoritySetup:
    """Init an authority in ``tmp_path`` and prepare (not run) the registrar's request."""
    rng = deterministic_rng(seed)
    key = generate_keypair(rng=rng)
    election = ElectionContext("2026-03-08-ch", bytes(range(32)), key.public)
    registrar = registrar_for(election, rng, voters=VOTERS)
    cards = [make_card(rng) for _ in range(VOTERS)]
    lines = [registrar.voter_line(card.code, card.bck)[0] for card in cards]
    request = tmp_path / "request.jsonl"
    write_request(request, registrar, lines)
    state = tmp_path / name
    assert main(["init", "--state", str(state), "--name", name]) == 0
    return AuthoritySetup(
        state, request, tmp_path / f"{name}-answer.jsonl", election, registrar, cards, lines
    )


@dataclass
class LiveAuthority:
    """A running ``serve`` on loopback."""

    authority: Authority
    port: int

    def post(
        self, path: str, body: Any, *, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.request("POST", path, data, headers=headers)

    def request(
        self, method: str, path: str, data: bytes = b"", *, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            sent = {"Content-Type": "application/json", **(headers or {})}
            connection.request(method, path, body=data if method == "POST" else None, headers=sent)
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()


@contextmanager
def serving(setup: AuthoritySetup) -> Iterator[LiveAuthority]:
    """Serve the set-up authority on a free loopback port for the block."""
    state = AuthorityState(setup.state)
    state.recover()
    authority = Authority(load_keys(setup.state), state)
    server = make_server(authority, "127.0.0.1", 0)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield LiveAuthority(authority, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        state.close()


def log_lines(setup: AuthoritySetup) -> list[dict[str, Any]]:
    path = setup.state / "answers.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def another_authority(setup: AuthoritySetup, name: str) -> AuthoritySetup:
    """A second authority directory (its own init) for the same registrar request."""
    state = setup.state.parent / name
    assert main(["init", "--state", str(state), "--name", name]) == 0
    answer = setup.state.parent / f"{name}-answer.jsonl"
    return AuthoritySetup(
        state, setup.request, answer, setup.election, setup.registrar, setup.cards, setup.lines
    )
