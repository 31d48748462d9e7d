"""Return-code authorities for the server's tests: the real tool, over real HTTP.

Each :class:`AuthorityServer` is ``python -m voting.returncodes`` run
in-process: ``init`` makes its directory (its own secret and Ed25519 key),
``setup`` answers the registrar's request file, and the tool's own HTTP server
(:func:`voting.tools.returncodes.server.make_server`) serves ``/v1/choice-codes``
and ``/v1/confirm`` on a free port of 127.0.0.1, with the tool's state and
checks (once per credential, 5 confirmations). ``mode`` makes it misbehave
for the attack tests: ``wrong-exponent`` answers with another key (a signed
answer whose proof cannot verify against its published V_{j,c}), ``dead``
does not answer in time.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crypto import returncode_messages as rcm
from crypto import returncodes as rc
from crypto.credentials import derive_credential
from crypto.encoding import canonical_json
from crypto.returncode_status import sign_status_request
from crypto.testing import deterministic_rng
from voting.tools.returncodes.__main__ import main as returncodes_main
from voting.tools.returncodes.core import Authority
from voting.tools.returncodes.core import Refusal
from voting.tools.returncodes.server import make_server
from voting.tools.returncodes.state import AuthorityState
from voting.tools.returncodes.state import load_keys

MODES = ("honest", "wrong-exponent", "dead")
SLOW_MACHINE_TIMEOUT = 30.0
"""The authorities' timeout in the server's tests: a shared CI machine can be slow."""
DEAD_SECONDS = 10.0


class MisbehavingAuthority(Authority):
    """The tool's authority, which the attack tests can make answer wrongly or not at all."""

    mode = "honest"

    def choice_codes(self, body: Any) -> dict[str, Any]:
        self._maybe_dead()
        answer = super().choice_codes(body)
        if self.mode != "wrong-exponent":
            return answer
        request = rcm.ChoiceCodesRequest.from_json(body)
        return rcm.make_choice_answer(
            request,
            authority=self.keys.name,
            key=_wrong_key(request.ballot.vote_day_id, request.ballot.credential),
            signing_key=self.keys.signing_key,
        )

    def confirm(self, body: Any) -> dict[str, Any]:
        self._maybe_dead()
        answer = super().confirm(body)
        if self.mode != "wrong-exponent":
            return answer
        request = rcm.ConfirmRequest.from_json(body)
        return rcm.make_confirm_answer(
            request,
            attempt=answer["attempt"],
            authority=self.keys.name,
            key=_wrong_key(request.vote_day_id, request.credential),
            signing_key=self.keys.signing_key,
        )

    def _maybe_dead(self) -> None:
        if self.mode == "dead":
            time.sleep(DEAD_SECONDS)
            raise Refusal(503, "unavailable", "this authority is down")


def _wrong_key(vote_day: str, credential: bytes) -> Any:
    return rc.derive_authority_key(bytes(31) + b"\x07", vote_day, credential)


@dataclass
class AuthorityServer:
    """One authority: its directory (the tool's state), and once set up, its live server."""

    name: str
    directory: Path
    authority: MisbehavingAuthority | None = None
    url: str = ""

    @property
    def public_key(self) -> str:
        return load_keys(self.directory).public_key.hex()

    @property
    def mode(self) -> str:
        return self.authority.mode if self.authority else "honest"

    @mode.setter
    def mode(self, value: str) -> None:
        assert value in MODES and self.authority is not None
        self.authority.mode = value

    def entry(self) -> dict[str, str]:
        return {"name": self.name, "key": self.public_key, "url": self.url}

    def answer_setup(
        self, lines: list[dict[str, Any]], *, manifest_hash: str, election_key: str
    ) -> list[dict[str, Any]]:
        """``python -m voting.returncodes setup`` on the registrar's request; its answer lines."""
        request = self.directory.parent / f"{self.name}-request.jsonl"
        answer = self.directory.parent / f"{self.name}-answer.jsonl"
        request.write_bytes(b"".join(canonical_json(line) + b"\n" for line in lines))
        argv = ["setup", "--state", str(self.directory), "--request", str(request)]
        argv += ["--answer", str(answer), "--manifest-hash", manifest_hash]
        assert returncodes_main([*argv, "--election-key", election_key]) == 0
        return [json.loads(line) for line in answer.read_text().splitlines()]

    def start(self) -> Any:
        """Serve on a free loopback port (the tool's server); returns the server."""
        state = AuthorityState(self.directory)
        state.recover()
        self.authority = MisbehavingAuthority(load_keys(self.directory), state)
        server = make_server(self.authority, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{server.server_port}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


def make_authorities(root: Path, count: int = 4) -> list[AuthorityServer]:
    """``python -m voting.returncodes init`` for ``count`` authorities under ``root``."""
    out = []
    for n in range(1, count + 1):
        directory = root / f"rca-{n}"
        assert returncodes_main(["init", "--state", str(directory), "--name", f"rca-{n}"]) == 0
        out.append(AuthorityServer(f"rca-{n}", directory))
    return out


def serve(authorities: list[AuthorityServer]) -> Iterator[None]:
    """Serve every (set-up) authority until the generator is closed."""
    servers = [a.start() for a in authorities]
    try:
        yield
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        for authority in authorities:
            if authority.authority is not None:
                authority.authority.state.close()


# --- a vote day with return codes, set up with the authorities -------------------


@dataclass
class CodedVoteDay:
    """An open vote day with return codes: its voters' codes and their cards' codes."""

    opened: Any
    """the :class:`tests.fixtures_casting.OpenVoteDay`"""
    authorities: list[AuthorityServer]
    cards: dict[str, Any]
    """voting code → :class:`voting.registrar.returncodes.CardCodes`"""
    running: Iterator[None]
    """the authorities' servers: close it to stop them"""

    @property
    def vote_day(self) -> str:
        return str(self.opened.vote_day)

    def trust_file(self, path: Any) -> Any:
        """The authorities' names and keys as a verifier's user would keep them."""
        entries = [{"name": a.name, "key": a.public_key} for a in self.authorities]
        path.write_text(json.dumps({"authorities": entries}))
        return path


def set_up_return_codes(
    app: Any, opened: Any, authorities: list[AuthorityServer], *, open_it: bool = True
) -> CodedVoteDay:
    """Choose return codes, run the registrar's setup with the authorities, and open
    (unless ``open_it`` is False: then the authorities are not served either)."""
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
    placeholder = [
        {"name": a.name, "key": a.public_key, "url": "http://127.0.0.1:1"} for a in authorities
    ]
    day.return_codes = {"authorities": votedays.check_authorities(placeholder)}
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
    answers = {
        a.name: a.answer_setup(lines, manifest_hash=pinned, election_key=election.public_key)
        for a in authorities
    }
    entries = [{"name": a.name, "key": a.public_key} for a in authorities]
    finished = registrar.finish(pending, answers, entries, rng=deterministic_rng(b"codes"))
    return_code_setup.store_setup(db.session, vote_day, finished.server_document)
    cards = {card.code: card for card in finished.cards}
    if not open_it:
        return CodedVoteDay(opened, authorities, cards, iter(()))
    open_vote_day(db.session, vote_day, signing=signing)
    running = serve(authorities)  # the addresses are the operator's, not in the manifest
    next(running)
    day = db.session.get_one(VoteDay, vote_day)
    day.return_codes = {**day.return_codes, "authorities": [a.entry() for a in authorities]}
    db.session.commit()
    return CodedVoteDay(opened, authorities, cards, running)


@contextmanager
def coded_vote_day(
    app: Any,
    prepare_vote_day: Any,
    folder: Path,
    *,
    voters: Mapping[str, int],
    timeout: float = SLOW_MACHINE_TIMEOUT,
) -> Iterator[CodedVoteDay]:
    """The set-up the return-code tests share: four authorities (``init`` each, under
    ``folder``), a vote day with ``voters`` per unit, the registrar's setup with them, opened,
    the authorities serving until the block ends."""
    opened = prepare_vote_day(open_it=False, voters=dict(voters))
    app.config["URNA_RETURN_CODE_TIMEOUT"] = timeout
    coded = set_up_return_codes(app, opened, make_authorities(folder, 4))
    try:
        yield coded
    finally:
        coded.running.close()  # type: ignore[attr-defined]


WINTERTHUR = "municipality:230"


@pytest.fixture()
def coded(app: Any, prepare_vote_day: Any, tmp_path: Path) -> Iterator[CodedVoteDay]:
    """Three Winterthur voters on a vote day with return codes, four authorities serving
    (a plugin of tests/conftest.py: a module may define its own `coded`)."""
    with coded_vote_day(
        app, prepare_vote_day, tmp_path / "authorities", voters={WINTERTHUR: 3}
    ) as coded:
        yield coded


def signed_status(coded: CodedVoteDay, code: str, vote_day: str | None = None) -> dict[str, str]:
    """A status request for the voting code's ballot, signed by its credential."""
    credential = derive_credential(code, coded.vote_day)
    signature = sign_status_request(vote_day or coded.vote_day, credential)
    return {"credential": credential.public_key.hex(), "signature": signature.hex()}
