"""Return-code authorities for the server's tests: real keys, real proofs, real HTTP.

Each :class:`AuthorityServer` holds its own 32-byte secret and Ed25519
signing key, answers the registrar's setup lines (``answer_voter``) and
serves ``/v1/choice-codes`` and ``/v1/confirm`` on a free port of 127.0.0.1
as docs/return-codes.md describes: at most one choice-codes request per
credential (the identical request gets the identical answer), at most 5
confirmation answers per credential. It checks what it answers with the
same crypto as ``python -m voting.returncodes serve`` (the ballot's signature
and every partial code's proof against X_c). ``mode`` makes it misbehave:
``wrong-exponent`` answers with another key (a valid-looking, signed answer
whose proof cannot verify against V_{j,c}), ``dead`` never answers in time.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any

from nacl.signing import SigningKey

from crypto import returncode_messages as rcm
from crypto import returncode_setup as setup
from crypto import returncodes as rc
from crypto.ballot import verify_signature
from crypto.errors import CryptoError
from crypto.group import Scalar
from crypto.testing import deterministic_rng

MODES = ("honest", "wrong-exponent", "dead")


@dataclass
class AuthorityServer:
    name: str
    secret: bytes
    signing_key: SigningKey
    mode: str = "honest"
    voter_keys: dict[str, Any] = field(default_factory=dict)
    choice_answers: dict[str, tuple[bytes, dict[str, Any]]] = field(default_factory=dict)
    confirm_answers: dict[str, dict[bytes, dict[str, Any]]] = field(default_factory=dict)
    requests: int = 0
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def public_key(self) -> str:
        return self.signing_key.verify_key.encode().hex()

    def entry(self) -> dict[str, str]:
        return {"name": self.name, "key": self.public_key, "url": self.url}

    def key_for(self, vote_day: str, credential: bytes) -> Scalar:
        secret = self.secret
        if self.mode == "wrong-exponent":
            secret = bytes(31) + b"\x07"  # not the key its V_{j,c} was published for
        return rc.derive_authority_key(secret, vote_day, credential)

    # --- setup --------------------------------------------------------------

    def answer_setup(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        header = setup.SetupHeader.from_json(lines[0])
        out = []
        for line in lines[1:]:
            voter = setup.SetupVoter.from_json(line, header)
            self.voter_keys[voter.credential.hex()] = voter.voter_key
            out.append(
                setup.answer_voter(
                    voter,
                    header,
                    authority=self.name,
                    authority_secret=self.secret,
                    signing_key=self.signing_key,
                    rng=deterministic_rng(self.name.encode() + voter.credential),
                )
            )
        return out

    # --- HTTP -------------------------------------------------------------------

    def handle(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        self.requests += 1
        if self.mode == "dead":
            time.sleep(3)
            return 503, {"error": "dead", "message": "this authority is down"}
        try:
            data = json.loads(body)
            if path == "/v1/choice-codes":
                return self._choice(data, body)
            if path == "/v1/confirm":
                return self._confirm(data, body)
        except (ValueError, CryptoError) as exc:
            return 422, {"error": "invalid", "message": str(exc)}
        return 404, {"error": "not_found", "message": path}

    def _choice(self, data: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        request = rcm.ChoiceCodesRequest.from_json(data)
        credential = request.ballot.credential.hex()
        verify_signature(request.ballot)
        if credential not in self.voter_keys:
            return 403, {"error": "unknown_credential", "message": credential}
        with self.lock:
            if credential in self.choice_answers:
                previous, answer = self.choice_answers[credential]
                if previous == body:
                    return 200, answer
                return 409, {"error": "already_answered", "message": "one request per voter"}
            answer = rcm.make_choice_answer(
                request,
                authority=self.name,
                key=self.key_for(request.ballot.vote_day_id, request.ballot.credential),
                signing_key=self.signing_key,
            )
            self.choice_answers[credential] = (body, answer)
        return 200, answer

    def _confirm(self, data: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        request = rcm.ConfirmRequest.from_json(data)
        credential = request.credential.hex()
        if credential not in self.choice_answers:
            return 409, {"error": "no_choice_codes", "message": "no choice codes yet"}
        rc.verify_confirmation(
            request.proof,
            vote_day_id=request.vote_day_id,
            credential=request.credential,
            voter_key=self.voter_keys[credential],
            pbck=request.pbck,
        )
        with self.lock:
            seen = self.confirm_answers.setdefault(credential, {})
            key = request.pbck.encoded
            if key not in seen:
                if len(seen) >= 5:
                    return 429, {"error": "too_many_attempts", "message": "5 tries"}
                seen[key] = rcm.make_confirm_answer(
                    request,
                    attempt=len(seen) + 1,
                    authority=self.name,
                    key=self.key_for(request.vote_day_id, request.credential),
                    signing_key=self.signing_key,
                )
        return 200, seen[key]


def _handler(authority: AuthorityServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            status, answer = authority.handle(self.path, self.rfile.read(length))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            return

    return Handler


def make_authorities(count: int = 4) -> list[AuthorityServer]:
    out = []
    for n in range(1, count + 1):
        rng = deterministic_rng(f"rca-{n}".encode())
        out.append(AuthorityServer(f"rca-{n}", rng(32), SigningKey(rng(32))))
    return out


def serve(authorities: list[AuthorityServer]) -> Iterator[None]:
    """Serve every authority on its own free port until the generator is closed."""
    servers = []
    for authority in authorities:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(authority))
        server.daemon_threads = True
        authority.url = f"http://127.0.0.1:{server.server_port}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    try:
        yield
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


# --- a vote day with return codes, set up with the authorities -------------------


@dataclass
class CodedVoteDay:
    """An open vote day with return codes: its voters' codes and their cards' codes."""

    opened: Any
    """the :class:`tests.fixtures_casting.OpenVoteDay`"""
    authorities: list[AuthorityServer]
    cards: dict[str, Any]
    """voting code → :class:`voting.registrar.returncodes.CardCodes`"""

    @property
    def vote_day(self) -> str:
        return str(self.opened.vote_day)

    def trust_file(self, path: Any) -> Any:
        """The authorities' names and keys as a verifier's user would keep them."""
        entries = [{"name": a.name, "key": a.public_key} for a in self.authorities]
        path.write_text(json.dumps({"authorities": entries}))
        return path


def set_up_return_codes(app: Any, opened: Any, authorities: list[AuthorityServer]) -> CodedVoteDay:
    """Choose return codes, run the registrar's setup with the authorities, and open."""
    from crypto.ballot import QuestionSpec
    from crypto.group import Point
    from voting.app.extensions import db
    from voting.app.log_signing import log_signing
    from voting.models.elections import Election
    from voting.models.votedays import VoteDay
    from voting.registrar import returncodes as registrar
    from voting.services import return_code_setup
    from voting.services import votedays
    from voting.services.jurisdictions import get_unit
    from voting.services.lifecycle import open_vote_day
    from voting.services.lifecycle import planned_manifest_hash

    vote_day = opened.vote_day
    day = db.session.get_one(VoteDay, vote_day)
    day.return_codes = {"authorities": votedays.check_authorities([a.entry() for a in authorities])}
    db.session.commit()
    signing = log_signing(app)
    pinned = planned_manifest_hash(db.session, vote_day, signing=signing)
    specs = [
        QuestionSpec(q.question_id, q.options, q.min_selections, q.max_selections)
        for q in votedays.question_specs(db.session, vote_day)
    ]
    voters = []
    for unit, codes in opened.codes.items():
        tiers = votedays.ballot_for_unit(
            db.session, vote_day, get_unit(db.session, unit), require_open=False
        )
        ids = tuple(q.key for tier in tiers for q in tier.questions)
        voters += [registrar.Voter(code, ids) for code in codes]
    election = db.session.get_one(Election, vote_day)
    pending = registrar.build_requests(
        vote_day=vote_day,
        voters=voters,
        questions=specs,
        election_key=Point.from_hex(election.public_key),
        manifest_hash=bytes.fromhex(pinned),
        rng=deterministic_rng(b"registrar"),
    )
    lines = pending.request_lines()
    answers = {a.name: a.answer_setup(lines) for a in authorities}
    entries = [{"name": a.name, "key": a.public_key} for a in authorities]
    finished = registrar.finish(pending, answers, entries, rng=deterministic_rng(b"codes"))
    return_code_setup.store_setup(db.session, vote_day, finished.server_document)
    open_vote_day(db.session, vote_day, signing=signing)
    return CodedVoteDay(opened, authorities, {card.code: card for card in finished.cards})
