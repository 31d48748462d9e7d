"""Vote days: create them, store their status, and compute a voter's ballot.

The status is only stored here (draft, key-ceremony, credentials, open,
closed, tallied, published); the state machine that moves it belongs to the
casting service. Questions are edited through :mod:`voting.services.questions`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from voting.errors import DuplicateKey
from voting.errors import InvalidVoteDay
from voting.errors import VoteDayNotFound
from voting.errors import VoteDayNotOpen
from voting.errors import VotingError
from voting.models.jurisdictions import LANGUAGES
from voting.models.jurisdictions import Jurisdiction
from voting.models.session_types import DbSession
from voting.models.votedays import REVOTE_POLICIES
from voting.models.votedays import STATUSES
from voting.models.votedays import Question
from voting.models.votedays import VoteDay
from voting.rules.publication import DEFAULT_MINIMUM
from voting.services.jurisdictions import ancestors_or_self

MAX_MINIMUM = 10_000
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
"""A vote day id, e.g. ``2026-03-08-ch``: it also names the vote day's log."""


@dataclass(frozen=True)
class QuestionSpec:
    """What the crypto layer needs of a question to build and check ballot proofs."""

    question_id: str
    options: int
    min_selections: int
    max_selections: int


@dataclass(frozen=True)
class BallotTier:
    """The questions one unit puts on a voter's ballot."""

    unit: Jurisdiction
    questions: list[Question]


def check_texts(
    texts: object,
    field: str,
    *,
    required: bool = True,
    error: type[VotingError] = InvalidVoteDay,
) -> dict[str, str]:
    """Texts per language: ``{"de": "...", "fr": "..."}`` in known languages, non-empty.

    Raises:
        error: unknown language, empty text, or no text where one is required.
    """
    if not isinstance(texts, Mapping) or (required and not texts):
        raise error(f"{field} must map languages ({', '.join(LANGUAGES)}) to texts")
    for language, text in texts.items():
        if language not in LANGUAGES:
            raise error(f"{field}: unknown language {language!r} ({', '.join(LANGUAGES)})")
        if not isinstance(text, str) or not text.strip():
            raise error(f"{field}.{language} must be a non-empty text")
    return {language: text.strip() for language, text in texts.items()}


def create_vote_day(
    session: DbSession,
    *,
    vote_day_id: str,
    date: dt.date,
    titles: Mapping[str, str],
    revote_policy: str = "first-counts",
    min_electronic_ballots: int = DEFAULT_MINIMUM,
) -> VoteDay:
    """Create a vote day in status ``draft``.

    ``min_electronic_ballots``: a unit's electronic counts are published only
    if they cover this many ballots; smaller units are counted with their
    parent (:mod:`voting.rules.publication`).

    Raises:
        InvalidVoteDay: malformed id, date, titles, re-vote policy or minimum.
        DuplicateKey: the id is taken.
    """
    if not isinstance(vote_day_id, str) or not SLUG_RE.match(vote_day_id):
        raise InvalidVoteDay(
            f"vote day id {vote_day_id!r} must be 3-64 lowercase letters, digits and hyphens"
        )
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise InvalidVoteDay(f"date must be a calendar date, got {date!r}")
    if revote_policy not in REVOTE_POLICIES:
        allowed = ", ".join(REVOTE_POLICIES)
        raise InvalidVoteDay(f"revote_policy must be one of {allowed}, got {revote_policy!r}")
    if (
        isinstance(min_electronic_ballots, bool)
        or not isinstance(min_electronic_ballots, int)
        or not 0 <= min_electronic_ballots <= MAX_MINIMUM
    ):
        raise InvalidVoteDay(
            f"the minimum of electronic ballots per published count is 0 to {MAX_MINIMUM}, "
            f"got {min_electronic_ballots!r}"
        )
    clean_titles = check_texts(titles, "titles")
    if session.get(VoteDay, vote_day_id) is not None:
        raise DuplicateKey(f"vote day {vote_day_id!r} already exists")
    vote_day = VoteDay(
        id=vote_day_id,
        date=date,
        titles=clean_titles,
        status="draft",
        revote_policy=revote_policy,
        min_electronic_ballots=min_electronic_ballots,
    )
    session.add(vote_day)
    session.commit()
    return vote_day


def get_vote_day(session: DbSession, vote_day_id: str) -> VoteDay:
    vote_day = session.get(VoteDay, vote_day_id)
    if vote_day is None:
        raise VoteDayNotFound(f"no vote day {vote_day_id!r}")
    return vote_day


def set_status(session: DbSession, vote_day_id: str, status: str) -> VoteDay:
    """Store a status (no transition rules here: the casting service owns them)."""
    if status not in STATUSES:
        raise InvalidVoteDay(f"status must be one of {STATUSES}, got {status!r}")
    vote_day = get_vote_day(session, vote_day_id)
    vote_day.status = status
    session.commit()
    return vote_day


def _questions(session: DbSession, vote_day_id: str) -> list[Question]:
    return list(
        session.scalars(
            sa.select(Question)
            .where(Question.vote_day_id == vote_day_id)
            .order_by(Question.position, Question.key)
        )
    )


def ballot_for_unit(
    session: DbSession, vote_day_id: str, unit: Jurisdiction, *, require_open: bool = True
) -> list[BallotTier]:
    """A voter's ballot: the questions of every ancestor-or-self of ``unit``, grouped
    by tier from the nation down (tiers without questions are left out).

    Raises:
        VoteDayNotOpen: ``require_open`` and the vote day is not open (pass False
            for a sample ballot before opening).
    """
    vote_day = get_vote_day(session, vote_day_id)
    if require_open and vote_day.status != "open":
        raise VoteDayNotOpen(f"vote day {vote_day_id!r} is {vote_day.status}, not open")
    questions = _questions(session, vote_day_id)
    tiers = []
    for tier in ancestors_or_self(session, unit):
        own = [q for q in questions if q.jurisdiction_id == tier.id]
        if own:
            tiers.append(BallotTier(unit=tier, questions=own))
    return tiers


def question_specs(session: DbSession, vote_day_id: str) -> list[QuestionSpec]:
    """Every question's (id, number of options, min and max selections), in ballot order.

    A referendum is 2 options (yes, no) with 0..1 selections (none is blank);
    a tie-break is 2 options (initiative, counter) with 0..1.
    """
    get_vote_day(session, vote_day_id)
    return [
        QuestionSpec(q.key, len(q.options), q.min_selections, q.max_selections)
        for q in _questions(session, vote_day_id)
    ]
