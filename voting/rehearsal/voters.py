"""Scripted voters for a rehearsal: who votes where, what they answer, their ballots.

Ballots are encrypted, proved and signed on the voter's side exactly as the
voting client does (:func:`crypto.ballot.encrypt_ballot`), in a pool of
worker processes so that a thousand voters take seconds, and cast through
the HTTP API by :class:`voting.tools.client.VotingClient`. With a seed, every code,
answer and nonce is reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import encrypt_ballot
from crypto.credentials import derive_credential
from crypto.group import Point
from crypto.group import RandomBytes
from crypto.group import secure_random
from crypto.testing import deterministic_rng
from voting.tools.client import BallotForm

__all__ = ["VOTER_UNITS", "Voter", "prepare_ballot", "rng_for", "script_voters"]

VOTER_UNITS = (
    "quarter:10230",
    "quarter:20230",
    "municipality:219",
    "municipality:351",
    "municipality:355",
    "municipality:3101",
    "municipality:227",
    "quarter:30230",
    "municipality:3111",
    "municipality:3746",
)
"""Leaf units of the demo tree (voting/data/demo_ch.json) that get voters, in turn:
three quarters of Winterthur and two other municipalities of the canton of
Zurich, two of Bern, two of the half-canton Appenzell Innerrhoden and one of
Graubünden (whose voters get only the federal questions)."""

AUDIT_EVERY = 10
"""Every tenth voter audits a ballot (Benaloh challenge) before casting another."""
REVOTE_EVERY = 8
"""Every eighth voter tries to vote twice; under first-counts the second is refused."""


@dataclass(frozen=True)
class Voter:
    """A scripted voter: its code, unit and what it does."""

    number: int
    code: str
    unit: str
    audits: bool
    votes_twice: bool


def rng_for(seed: bytes | None, *labels: object) -> RandomBytes:
    """A reproducible stream for ``labels`` under ``seed``, else the secure source."""
    if seed is None:
        return secure_random
    return deterministic_rng(seed + b"/" + "/".join(str(x) for x in labels).encode())


def script_voters(codes: Sequence[tuple[str, str]]) -> list[Voter]:
    """Voters for ``(code, unit)`` pairs: some audit, some try to vote twice."""
    return [
        Voter(
            number=i,
            code=code,
            unit=unit,
            audits=i % AUDIT_EVERY == 3,
            votes_twice=i % REVOTE_EVERY == 5,
        )
        for i, (code, unit) in enumerate(codes)
    ]


def choose_answers(form: BallotForm, rnd: random.Random) -> dict[str, list[int]]:
    """Random 0/1 selections within each question's limits (yes leads a little)."""
    selections: dict[str, list[int]] = {}
    for q in form.questions:
        weights = [1.3 if i == 0 else 1.0 for i in range(q.options)]
        count = rnd.choices(
            range(q.min_selections, q.max_selections + 1),
            weights=[0.1 if n == 0 else 1.0 for n in range(q.min_selections, q.max_selections + 1)],
        )[0]
        chosen: set[int] = set()
        while len(chosen) < count:
            chosen.add(rnd.choices(range(q.options), weights=weights)[0])
        selections[q.question_id] = [1 if i in chosen else 0 for i in range(q.options)]
    return selections


def form_data(form: BallotForm) -> dict[str, Any]:
    """A picklable form for the worker processes."""
    return {
        "vote_day": form.vote_day,
        "manifest_hash": form.election.manifest_hash,
        "public_key": form.election.public_key.encoded,
        "questions": [
            (q.question_id, q.options, q.min_selections, q.max_selections) for q in form.questions
        ],
    }


def prepare_ballot(
    job: tuple[str, str, dict[str, Any], dict[str, list[int]], bytes | None, str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Worker: ``(code, vote day, form data, selections, seed, label)`` → (ballot, secrets) JSON."""
    code, vote_day, form, selections, seed, label = job
    election = ElectionContext(
        vote_day_id=vote_day,
        manifest_hash=form["manifest_hash"],
        public_key=Point.from_bytes(form["public_key"]),
    )
    ballot, secrets = encrypt_ballot(
        selections,
        questions=[QuestionSpec(*q) for q in form["questions"]],
        election=election,
        credential=derive_credential(code, vote_day),
        rng=rng_for(seed, "ballot", label),
        purpose="audit" if label.endswith("/audit") else "cast",
    )
    return ballot.to_json(), secrets.to_json()
