"""Vote days: create them, store their status, and compute a voter's ballot.

The status is only stored here (draft, key-ceremony, credentials, open,
closed, tallied, published); the state machine that moves it belongs to the
casting service. Questions are edited through :mod:`voting.services.questions`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from collections.abc import Sequence
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
MIN_RETURN_CODE_AUTHORITIES = 4
"""DESIGN.md section 8: m >= 4 return-code authorities."""
AUTHORITY_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
KEY_RE = re.compile(r"^[0-9a-f]{64}$")
URL_RE = re.compile(r"^https?://[^\s]{1,200}$")
AUTHORITY_FIELDS = frozenset({"name", "key", "url"})
"""An authority as the officials enter it; the url (where the server reaches it) is not
part of the manifest."""
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
    return_code_authorities: Sequence[Mapping[str, str]] | None = None,
) -> VoteDay:
    """Create a vote day in status ``draft``.

    ``return_code_authorities``: with return codes (docs/return-codes.md), the
    authorities as the officials entered them, ``[{"name", "key": hex, "url"}]``
    (at least :data:`MIN_RETURN_CODE_AUTHORITIES`); return codes need the
    ``first-counts`` policy.

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
    return_codes = None
    if return_code_authorities is not None:
        if revote_policy != "first-counts":
            raise InvalidVoteDay(
                "return codes need the first-counts policy: a voter confirms one ballot, "
                f"which a later ballot cannot replace (got {revote_policy!r})"
            )
        return_codes = {"authorities": check_authorities(return_code_authorities)}
    if session.get(VoteDay, vote_day_id) is not None:
        raise DuplicateKey(f"vote day {vote_day_id!r} already exists")
    vote_day = VoteDay(
        id=vote_day_id,
        date=date,
        titles=clean_titles,
        status="draft",
        revote_policy=revote_policy,
        min_electronic_ballots=min_electronic_ballots,
        return_codes=return_codes,
    )
    session.add(vote_day)
    session.commit()
    return vote_day


def check_authorities(authorities: object) -> list[dict[str, str]]:
    """The return-code authorities, each ``{"name", "key": 64 hex digits, "url"}``.

    Raises:
        InvalidVoteDay: fewer than four, a malformed or repeated name or key.
    """
    if not isinstance(authorities, Sequence) or isinstance(authorities, str):
        raise InvalidVoteDay("return-code authorities must be a list of {name, key}")
    if len(authorities) < MIN_RETURN_CODE_AUTHORITIES:
        raise InvalidVoteDay(
            f"return codes need at least {MIN_RETURN_CODE_AUTHORITIES} authorities, "
            f"got {len(authorities)}"
        )
    clean: list[dict[str, str]] = []
    for number, entry in enumerate(authorities, 1):
        if not isinstance(entry, Mapping) or not {"name", "key"} <= set(entry) <= AUTHORITY_FIELDS:
            raise InvalidVoteDay(
                f"return-code authority {number}: expected name, key and (optionally) url"
            )
        name, key, url = entry["name"], entry["key"], entry.get("url", "")
        if not isinstance(name, str) or not AUTHORITY_NAME_RE.match(name):
            raise InvalidVoteDay(
                f"return-code authority {number}: the name {name!r} must be 1-64 letters, "
                "digits, dots, hyphens or underscores"
            )
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise InvalidVoteDay(
                f"return-code authority {name}: the key must be 64 lowercase hex digits"
            )
        if not isinstance(url, str) or (url and not URL_RE.match(url)):
            raise InvalidVoteDay(
                f"return-code authority {name}: the url must start with http:// or https://"
            )
        clean.append({"name": name, "key": key, "url": url.rstrip("/")})
    for field in ("name", "key"):
        values = [a[field] for a in clean]
        if len(set(values)) != len(values):
            raise InvalidVoteDay(f"two return-code authorities have the same {field}")
    return clean


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
