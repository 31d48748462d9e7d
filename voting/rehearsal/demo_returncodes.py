"""The demo's return codes: four demo authorities run by the demo itself (``flask --app app demo``).

A real vote day's return-code authorities are four independent organisations,
each running ``python -m voting.returncodes`` on its own machine
(docs/return-codes.md). The demo plays all four on this machine with the same
tool: ``init`` makes each one's secret and signing key under
``<instance>/demo/return-code-authorities/rca-N/``, ``setup`` answers the
registrar's request, and each serves its HTTP API from a thread on a free
loopback port while the demo server runs (:func:`serve_demo_authorities`);
their addresses are the operator's settings, stored with the vote day, not in
the manifest.

The demo also plays the registrar: it builds the setup request, checks the
four answers, draws every card's codes and stores the server's document. The
cards' codes (choice codes, ballot casting key, vote cast code) are saved in
``return-code-cards.json`` (mode 0600) and printed by the demo, so that a
person trying the demo can compare them with what the voting page shows. The
authorities' names and keys are saved in ``return-code-authorities.json``: the
verifier's ``--return-code-authorities`` file.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from crypto.ballot import QuestionSpec
from crypto.encoding import canonical_json
from crypto.group import Point
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import VotingError
from voting.models.elections import Election
from voting.models.votedays import VoteDay
from voting.registrar import returncodes as registrar
from voting.services import return_code_setup
from voting.services import votedays
from voting.services.jurisdictions import get_unit
from voting.services.lifecycle import planned_manifest_hash
from voting.tools.returncodes.__main__ import main as returncodes_main
from voting.tools.returncodes.core import Authority
from voting.tools.returncodes.server import make_server
from voting.tools.returncodes.state import AuthorityState
from voting.tools.returncodes.state import load_keys

DEMO_AUTHORITIES = ("rca-1", "rca-2", "rca-3", "rca-4")
AUTHORITIES_FOLDER = "return-code-authorities"
CARDS = "return-code-cards.json"
"""Every demo card's codes: voting code → choice codes, ballot casting key, vote cast code."""
TRUST = "return-code-authorities.json"
"""The authorities' names and Ed25519 keys: the verifier's ``--return-code-authorities``."""
PLACEHOLDER_URL = "http://127.0.0.1:1"
"""The authorities' address before they serve (nothing listens there: a cast is refused)."""


class DemoAuthorityFailed(VotingError):
    """A demo authority's tool refused a step (its message is on stderr)."""

    code = "demo_authority_failed"
    status = 500


def _tool(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = returncodes_main(argv)
    if status != 0:
        raise DemoAuthorityFailed(f"python -m voting.returncodes {argv[0]}: {err.getvalue()}")


def authority_folder(folder: Path, name: str) -> Path:
    return folder / AUTHORITIES_FOLDER / name


def _entries(folder: Path, url: str = PLACEHOLDER_URL) -> list[dict[str, str]]:
    return [
        {"name": n, "key": load_keys(authority_folder(folder, n)).public_key.hex(), "url": url}
        for n in DEMO_AUTHORITIES
    ]


def set_up_demo_return_codes(
    app: Flask, vote_day: str, codes: Sequence[tuple[str, str]], folder: Path, write: Any
) -> Iterator[str]:
    """Before opening: choose return codes, play the registrar with the four demo authorities.

    ``codes`` are (unit, voting code) pairs, registered already; ``write(path, document)``
    saves a private file. Yields progress lines.
    """
    for name in DEMO_AUTHORITIES:
        directory = authority_folder(folder, name)
        if not (directory / "secret.json").exists():
            directory.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _tool(["init", "--state", str(directory), "--name", name])
    day = db.session.get_one(VoteDay, vote_day)
    day.return_codes = {"authorities": votedays.check_authorities(_entries(folder))}
    db.session.commit()
    pinned = planned_manifest_hash(db.session, vote_day, signing=log_signing(app))
    specs = [
        QuestionSpec(q.question_id, q.options, q.min_selections, q.max_selections)
        for q in votedays.question_specs(db.session, vote_day)
    ]
    voters = []
    for unit, code in codes:
        tiers = votedays.ballot_for_unit(
            db.session, vote_day, get_unit(db.session, unit), require_open=False
        )
        voters.append(registrar.Voter(code, tuple(q.key for t in tiers for q in t.questions)))
    election = db.session.get_one(Election, vote_day)
    if election.public_key is None:
        raise DemoAuthorityFailed("the demo's key ceremony has not finished: no election key")
    election_key = election.public_key
    pending = registrar.build_requests(
        vote_day=vote_day,
        voters=voters,
        questions=specs,
        election_key=Point.from_hex(election_key),
        manifest_hash=bytes.fromhex(pinned),
    )
    request = folder / AUTHORITIES_FOLDER / "setup-request.jsonl"
    request.write_bytes(b"".join(canonical_json(line) + b"\n" for line in pending.request_lines()))
    answers = {}
    for name in DEMO_AUTHORITIES:
        answer = folder / AUTHORITIES_FOLDER / f"{name}-answer.jsonl"
        argv = ["setup", "--state", str(authority_folder(folder, name)), "--request", str(request)]
        argv += ["--answer", str(answer), "--manifest-hash", pinned]
        _tool([*argv, "--election-key", election_key])
        answers[name] = [json.loads(line) for line in answer.read_text().splitlines()]
    trusted = [{"name": e["name"], "key": e["key"]} for e in _entries(folder)]
    finished = registrar.finish(pending, answers, trusted)
    return_code_setup.store_setup(db.session, vote_day, finished.server_document)
    write(folder / CARDS, {"vote_day": vote_day, "cards": [vars(c) for c in finished.cards]})
    (folder / TRUST).write_text(json.dumps({"authorities": trusted}, indent=1) + "\n")
    yield (
        f"Return codes: {len(DEMO_AUTHORITIES)} demo return-code authorities answered the "
        f"registrar's setup for {len(voters)} cards."
    )


@dataclass
class RunningAuthorities:
    """The demo authorities' servers (threads): :meth:`stop` ends them."""

    servers: list[Any]
    states: list[AuthorityState]

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for state in self.states:
            state.close()


def serve_demo_authorities(folder: Path, vote_day: str) -> RunningAuthorities:
    """Serve the four demo authorities on free loopback ports; store their addresses."""
    servers, states, urls = [], [], {}
    for name in DEMO_AUTHORITIES:
        directory = authority_folder(folder, name)
        state = AuthorityState(directory)
        state.recover()
        server = make_server(Authority(load_keys(directory), state), "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True, name=f"demo-{name}").start()
        servers.append(server)
        states.append(state)
        urls[name] = f"http://127.0.0.1:{server.server_port}"
    store_authority_urls(vote_day, urls)
    return RunningAuthorities(servers, states)


def store_authority_urls(vote_day: str, urls: dict[str, str]) -> None:
    """Where the server reaches each authority (the operator's setting, not in the manifest)."""
    day = db.session.get_one(VoteDay, vote_day)
    chosen = day.return_codes or {}
    entries = [{**e, "url": urls[e["name"]]} for e in chosen.get("authorities", [])]
    day.return_codes = {**chosen, "authorities": entries}
    db.session.commit()


def demo_cards(folder: Path) -> dict[str, dict[str, Any]]:
    """Voting code → that card's return codes (empty without a demo setup)."""
    path = folder / CARDS
    if not path.exists():
        return {}
    return {card["code"]: card for card in json.loads(path.read_text())["cards"]}


def card_lines(card: dict[str, Any], labels: dict[str, tuple[str, list[str]]]) -> Iterator[str]:
    """One card's codes as the demo prints them: per question, each answer with its code."""
    for question, choices in card["choice_codes"].items():
        title, options = labels.get(question, (question, []))
        shown = [
            f"{options[int(c)] if c.isdigit() and int(c) < len(options) else 'blank'} {code}"
            for c, code in choices.items()
        ]
        yield f"      {title}: " + ", ".join(shown)
    yield f"      ballot casting key {card['bck']}, vote cast code {card['vcc']}"
