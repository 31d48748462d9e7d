"""Helpers for the tally tests: cast ballots directly through the casting service, decrypt.

Ballots are made with :func:`crypto.ballot.encrypt_ballot` and handed to
:func:`voting.services.casting.cast_ballot` (no HTTP: faster than the client).
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from flask import Flask

from crypto.ballot import encrypt_ballot
from crypto.credentials import derive_credential
from crypto.testing import deterministic_rng
from tests.fixtures_casting import OpenVoteDay
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.models.elections import Election
from voting.services import casting
from voting.services import decryption
from voting.services.jurisdictions import get_unit
from voting.services.lifecycle import close_vote_day
from voting.services.manifest import election_context
from voting.services.tally import start_tally

WINTERTHUR = "municipality:230"
ELSAU = "municipality:219"


def make_ballot(
    vote_day: str,
    code: str,
    unit: str,
    answers: Mapping[str, Sequence[str]],
    seed: bytes,
    purpose: str = "cast",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A ballot signed for ``purpose`` (JSON) and its secrets, for a voter of ``unit``."""
    questions = casting.questions_for_unit(db.session, vote_day, get_unit(db.session, unit))
    election = db.session.get_one(Election, vote_day)
    options = {q.key: q.option_ids for q in election_questions(vote_day)}
    selections = {
        q.question_id: [
            1 if o in answers.get(q.question_id, ()) else 0 for o in options[q.question_id]
        ]
        for q in questions
    }
    ballot, secrets = encrypt_ballot(
        selections,
        questions=questions,
        election=election_context(vote_day, election),
        credential=derive_credential(code, vote_day),
        rng=deterministic_rng(seed),
        purpose=purpose,
    )
    return ballot.to_json(), secrets.to_json()


def election_questions(vote_day: str) -> list[Any]:
    from voting.models.votedays import VoteDay

    return list(db.session.get_one(VoteDay, vote_day).questions)


def vote(
    app: Flask,
    prepared: OpenVoteDay,
    unit: str,
    n: int,
    answers: Mapping[str, Sequence[str]],
) -> int:
    """Cast voter ``n`` of ``unit``'s ballot; return its leaf index."""
    ballot, _ = make_ballot(
        prepared.vote_day, prepared.code(unit, n), unit, answers, f"{unit}/{n}/{answers}".encode()
    )
    result = casting.cast_ballot(db.session, prepared.vote_day, ballot, signing=log_signing(app))
    return result.receipt.index


def spoil(
    app: Flask, prepared: OpenVoteDay, unit: str, n: int, answers: Mapping[str, Sequence[str]]
) -> int:
    ballot, secrets = make_ballot(
        prepared.vote_day,
        prepared.code(unit, n),
        unit,
        answers,
        f"audit/{unit}/{n}".encode(),
        purpose="audit",
    )
    result = casting.spoil_ballot(
        db.session,
        prepared.vote_day,
        {"ballot": ballot, "secrets": secrets},
        signing=log_signing(app),
    )
    return result.receipt.index


def close_and_start(app: Flask, prepared: OpenVoteDay) -> None:
    close_vote_day(db.session, prepared.vote_day, signing=log_signing(app))
    start_tally(db.session, prepared.vote_day, signing=log_signing(app))


def decrypt_as(app: Flask, prepared: OpenVoteDay, *names: str) -> list[decryption.SharesAccepted]:
    """Each named trustee decrypts every unit and submits its shares."""
    outcomes = []
    for share in prepared.trustees.key_shares:
        if share.trustee in names:
            submission = decryption.trustee_shares(
                db.session, prepared.vote_day, share, rng=deterministic_rng(share.trustee.encode())
            )
            outcomes.append(
                decryption.submit_decryption_shares(
                    db.session,
                    prepared.vote_day,
                    share.trustee,
                    submission,
                    signing=log_signing(app),
                )
            )
    return outcomes
