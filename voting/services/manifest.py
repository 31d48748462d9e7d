"""The vote-day manifest: the public description every ballot proof is bound to.

The manifest is logged when the vote day opens (record type ``manifest``,
docs/record.md). Its hash — SHA-256 of its canonical JSON — enters every
ballot proof's transcript (docs/spec.md section 6.2), so a ballot made for
another set of questions, another key or another vote day does not verify.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from crypto.ballot import ElectionContext
from crypto.encoding import canonical_json
from crypto.encoding import sha256_hex
from crypto.group import Point
from voting.models.elections import Election
from voting.models.jurisdictions import Jurisdiction
from voting.models.session_types import DbSession
from voting.models.votedays import Question
from voting.models.votedays import VoteDay

MANIFEST_VERSION = 1


def build_manifest(
    session: DbSession, vote_day: VoteDay, election: Election, *, log_origin: str, log_key: str
) -> dict[str, Any]:
    """The manifest record of a vote day that is about to open.

    A scheduled vote day's manifest carries its ``schedule`` (times in UTC, or
    null), against which the verifier checks the logged opening and closing.
    """
    questions = sorted(vote_day.questions, key=lambda q: (q.position, q.key))
    manifest = {
        "type": "manifest",
        "version": MANIFEST_VERSION,
        "vote_day": vote_day.id,
        "date": vote_day.date.isoformat(),
        "titles": vote_day.titles,
        "revote_policy": vote_day.revote_policy,
        "min_electronic_ballots": vote_day.min_electronic_ballots,
        "election_key": election.public_key,
        "threshold": election.threshold,
        "trustees": election.trustees,
        "log": {"origin": log_origin, "key": log_key},
        "jurisdictions": _jurisdictions(session, questions),
        "questions": [_question(q) for q in questions],
    }
    if vote_day.return_codes is not None:
        manifest["return_codes"] = {
            "authorities": [
                {"name": a["name"], "key": a["key"]} for a in vote_day.return_codes["authorities"]
            ]
        }
    if election.opens_at is not None or election.closes_at is not None:
        manifest["schedule"] = {
            "opens_at": _time(election.opens_at),
            "closes_at": _time(election.closes_at),
        }
    return manifest


def _time(value: dt.datetime | None) -> str | None:
    """A scheduled time as ISO 8601 in UTC (SQLite hands back naive UTC datetimes)."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()


def manifest_hash(manifest: dict[str, Any]) -> str:
    """SHA-256 of the manifest's canonical JSON, hex."""
    return sha256_hex(canonical_json(manifest))


def election_context(vote_day_id: str, election: Election) -> ElectionContext:
    """What ballot proofs are bound to (only once the vote day has opened)."""
    if election.public_key is None or election.manifest_hash is None:
        raise ValueError(f"vote day {vote_day_id} has no manifest yet")
    return ElectionContext(
        vote_day_id=vote_day_id,
        manifest_hash=bytes.fromhex(election.manifest_hash),
        public_key=Point.from_hex(election.public_key),
    )


def _question(q: Question) -> dict[str, Any]:
    return {
        "id": q.key,
        "jurisdiction": q.jurisdiction.ref,
        "kind": q.kind,
        "rule": q.rule,
        "options": q.option_ids,
        "min_selections": q.min_selections,
        "max_selections": q.max_selections,
        "titles": q.titles,
        "recommendation": q.recommendation,
        "turnout_quorum": q.turnout_quorum,
        "approval_quorum": q.approval_quorum,
        "group": q.group_key,
        "position": q.position,
    }


def _jurisdictions(session: DbSession, questions: list[Question]) -> list[dict[str, Any]]:
    """Every unit below the questions' jurisdictions, with its ancestors (the tally tree)."""
    roots = {q.jurisdiction_id for q in questions}
    units: dict[int, Jurisdiction] = {}
    frontier = set(roots)
    while frontier:  # (1) the subtrees under the questions
        rows = session.scalars(sa.select(Jurisdiction).where(Jurisdiction.id.in_(frontier))).all()
        frontier = set()
        for unit in rows:
            units[unit.id] = unit
        children = session.scalars(
            sa.select(Jurisdiction).where(Jurisdiction.parent_id.in_([u.id for u in rows]))
        ).all()
        frontier = {c.id for c in children if c.id not in units}
    for unit in list(units.values()):  # (2) and the ancestors of those subtrees
        parent = unit.parent
        while parent is not None and parent.id not in units:
            units[parent.id] = parent
            parent = parent.parent
    ordered = sorted(units.values(), key=lambda u: (u.level, u.code))
    return [
        {
            "ref": u.ref,
            "parent": u.parent.ref if u.parent is not None else None,
            "names": u.names,
            "electorate": u.electorate,
            "weight": u.vote_weight,
        }
        for u in ordered
    ]
