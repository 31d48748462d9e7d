"""Fixtures for casting: an open demo vote day with credentials, and a live server.

Registered as a pytest plugin by tests/conftest.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from crypto.ballot import encrypt_ballot
from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.testing import deterministic_rng
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.models.credentials import Credential
from voting.models.elections import Election
from voting.models.jurisdictions import Jurisdiction
from voting.models.votedays import VoteDay
from voting.rehearsal.demo import load_demo
from voting.rehearsal.simulation import LocalTrustees
from voting.rehearsal.simulation import run_local_ceremony
from voting.services import casting
from voting.services.jurisdictions import get_unit
from voting.services.lifecycle import open_vote_day
from voting.services.manifest import election_context

DEMO_VOTE_DAY = "2026-06-14-ch"
TRUSTEES = ("alice", "bob", "carol")


@dataclass
class OpenVoteDay:
    vote_day: str
    trustees: LocalTrustees
    codes: dict[str, list[str]]
    """voting codes by unit ref (e.g. ``municipality:230``)"""

    def code(self, unit: str = "municipality:230", n: int = 0) -> str:
        return self.codes[unit][n]


def register_codes(vote_day: str, voters: dict[str, int], seed: bytes) -> dict[str, list[str]]:
    """Make codes for ``voters`` per unit ref and register their public keys."""
    rng = deterministic_rng(seed)
    codes: dict[str, list[str]] = {}
    for ref, count in voters.items():
        level, code = ref.split(":")
        unit = db.session.scalars(
            sa.select(Jurisdiction).where(Jurisdiction.level == level, Jurisdiction.code == code)
        ).one()
        codes[ref] = [generate_code(rng=rng) for _ in range(count)]
        for voting_code in codes[ref]:
            key = derive_credential(voting_code, vote_day).public_key.hex()
            db.session.add(
                Credential(vote_day_id=vote_day, public_key=key, jurisdiction_id=unit.id)
            )
    db.session.commit()
    return codes


@pytest.fixture()
def prepare_vote_day(app: Flask) -> Callable[..., OpenVoteDay]:
    """Factory: the demo vote day through its ceremony, credentials and (by default) opening."""

    def prepare(
        *,
        voters: dict[str, int] | None = None,
        revote_policy: str = "first-counts",
        open_it: bool = True,
        min_electronic_ballots: int = 0,
    ) -> OpenVoteDay:
        """``min_electronic_ballots`` is 0 here (not the default 10): these vote days have a
        handful of ballots per unit, and most tests check the figures of each unit; the
        minimum publication size has its own tests (tests/adversary/test_record_privacy.py).
        """
        list(load_demo())
        vote_day = DEMO_VOTE_DAY
        day = db.session.get_one(VoteDay, vote_day)
        day.revote_policy = revote_policy
        day.min_electronic_ballots = min_electronic_ballots
        db.session.commit()
        signing = log_signing(app)
        trustees = run_local_ceremony(
            db.session,
            vote_day,
            trustees=TRUSTEES,
            threshold=2,
            signing=signing,
            rng=deterministic_rng(b"ceremony"),
        )
        codes = register_codes(
            vote_day,
            {"municipality:230": 4, "municipality:219": 2} if voters is None else voters,
            b"codes",
        )
        if open_it:
            open_vote_day(db.session, vote_day, signing=signing)
        return OpenVoteDay(vote_day, trustees, codes)

    return prepare


@pytest.fixture()
def live_server(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on 127.0.0.1 (a werkzeug thread)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def blank_ballot(opened: OpenVoteDay, n: int = 0) -> dict[str, Any]:
    """A valid ballot of the ``n``-th code of Winterthur (municipality 230): every option 0."""
    election = election_context(opened.vote_day, db.session.get_one(Election, opened.vote_day))
    questions = casting.questions_for_unit(
        db.session, opened.vote_day, get_unit(db.session, "municipality:230")
    )
    ballot, _ = encrypt_ballot(
        {q.question_id: [0] * q.options for q in questions},
        questions=questions,
        election=election,
        credential=derive_credential(opened.code(n=n), opened.vote_day),
    )
    return ballot.to_json()
