"""A load-test vote day: the reference three-question ballot, open, with N credentials.

Shared by the cast benchmark (benchmarks/cast_bench.py) and the production
tests (tests/production/: concurrency, crash). Nation, canton and
municipality each ask one referendum (yes/no, blank allowed), so a voter of
Winterthur gets exactly the reference ballot. Ballots are prepared in the
load generator (:func:`make_ballot`, picklable for worker processes) before
anything is timed. Not used by the web application.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import encrypt_ballot
from crypto.credentials import derive_credential
from crypto.credentials import generate_code
from crypto.group import Point
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.models.credentials import Credential
from voting.models.elections import Election
from voting.models.jurisdictions import Jurisdiction
from voting.rehearsal.demo import load_demo_tree
from voting.rehearsal.simulation import run_local_ceremony
from voting.services.lifecycle import open_vote_day
from voting.services.questions import QuestionDraft
from voting.services.questions import add_question
from voting.services.votedays import create_vote_day

VOTE_DAY = "2026-09-27-bench"
UNIT = ("municipality", "230")
QUESTIONS = (
    ("federal-1", "nation:CH"),
    ("canton-zh-1", "canton:ZH"),
    ("winterthur-1", "municipality:230"),
)


@dataclass(frozen=True)
class PreparedVoteDay:
    vote_day: str
    election: dict[str, Any]
    """vote_day, manifest_hash and public_key as hex: picklable for worker processes"""
    questions: tuple[tuple[str, int, int, int], ...]
    codes: tuple[str, ...]


def prepare(
    app: Flask,
    voters: int,
    *,
    migrate: bool = True,
    before_open: Callable[[str, tuple[str, ...]], None] | None = None,
) -> PreparedVoteDay:
    """Migrate (unless ``migrate`` is false), load the demo tree, create and open the vote day.

    ``before_open(vote_day, codes)`` runs in the app context once the codes are
    registered, just before opening (the return codes' setup: cast_bench --return-codes).

    Returns what a load generator needs to make ballots: the election's
    public parameters, the question shapes and one voting code per voter.
    """
    with app.app_context():
        if migrate:
            upgrade()
        list(load_demo_tree())
        create_vote_day(
            db.session,
            vote_day_id=VOTE_DAY,
            date=dt.date(2026, 9, 27),
            titles={"en": "Benchmark vote day"},
        )
        for key, unit in QUESTIONS:
            add_question(
                db.session,
                VOTE_DAY,
                QuestionDraft(
                    key=key,
                    jurisdiction=unit,
                    kind="referendum",
                    rule="popular-majority",
                    titles={"en": key},
                ),
            )
        signing = log_signing(app)
        run_local_ceremony(
            db.session, VOTE_DAY, trustees=("a", "b", "c"), threshold=2, signing=signing
        )
        codes = tuple(generate_code() for _ in range(voters))
        unit_id = db.session.scalars(
            sa.select(Jurisdiction.id).where(
                Jurisdiction.level == UNIT[0], Jurisdiction.code == UNIT[1]
            )
        ).one()
        rows = [
            {
                "vote_day_id": VOTE_DAY,
                "public_key": derive_credential(code, VOTE_DAY).public_key.hex(),
                "jurisdiction_id": unit_id,
            }
            for code in codes
        ]
        db.session.execute(sa.insert(Credential), rows)
        db.session.commit()
        if before_open is not None:
            before_open(VOTE_DAY, codes)
        open_vote_day(db.session, VOTE_DAY, signing=signing)
        election = db.session.get_one(Election, VOTE_DAY)
        context = {
            "vote_day": VOTE_DAY,
            "manifest_hash": election.manifest_hash,
            "public_key": election.public_key,
        }
        db.session.remove()  # return the connection before closing the pool
        db.engine.dispose()
    questions = tuple((key, 2, 0, 1) for key, _ in QUESTIONS)
    return PreparedVoteDay(VOTE_DAY, context, questions, codes)


def make_ballot(args: tuple[dict[str, Any], tuple[tuple[str, int, int, int], ...], str]) -> bytes:
    """Encrypt one ballot for ``code`` (runs in a worker process); returns the JSON body."""
    import json

    election, questions, code = args
    context = ElectionContext(
        election["vote_day"],
        bytes.fromhex(election["manifest_hash"]),
        Point.from_hex(election["public_key"]),
    )
    specs = [QuestionSpec(*q) for q in questions]
    selections = {q.question_id: [1, 0] for q in specs}
    ballot, _ = encrypt_ballot(
        selections,
        questions=specs,
        election=context,
        credential=derive_credential(code, election["vote_day"]),
    )
    return json.dumps(ballot.to_json()).encode()
