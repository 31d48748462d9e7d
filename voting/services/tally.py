"""The encrypted tally: per unit, the homomorphic sums of the counted ballots (DESIGN.md 6).

After closing, :func:`start_tally` reads the counted ballots from the log —
the ``cast_ballots`` table only says *which* leaves count under the vote day's
re-vote policy; the ciphertexts come from the leaves themselves — page by page
(:data:`~voting.services.tally_log.PAGE` leaves per query), and sums, for every
unit with registered credentials, each option's ciphertexts of each question
on that unit's ballot. Spoiled ballots are never among the counted leaves.
It logs one ``encrypted-totals`` record per publication group (docs/record.md)
in one transaction, or nothing: a unit with at least the manifest's
``min_electronic_ballots`` counted ballots is its own group; smaller units
are summed into an ancestor (:func:`voting.rules.publication.publication_groups`),
so that no decrypted count covers fewer ballots. A group without counted
ballots gets the trivial encryption of 0 (both points the identity).

Trustees then decrypt the totals (:mod:`voting.services.decryption`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from crypto.elgamal import Ciphertext
from crypto.elgamal import sum_ciphertexts
from crypto.errors import InvalidEncoding
from crypto.group import Point
from voting.log import bulletin
from voting.log.keys import LogSigning
from voting.models.credentials import Credential
from voting.models.jurisdictions import Jurisdiction
from voting.models.session_types import DbSession
from voting.models.tally import TallyUnit
from voting.models.votedays import VoteDay
from voting.rules.publication import minimum_of
from voting.rules.publication import publication_groups
from voting.services.casting import counted_ballot_pages
from voting.services.lifecycle import get_vote_day
from voting.services.tally_log import PAGE
from voting.services.tally_log import Manifest
from voting.services.tally_log import TallyRefused
from voting.services.tally_log import leaves_at
from voting.services.tally_log import read_manifest
from voting.services.tally_log import records_at

__all__ = [
    "TallySummary",
    "counted_with",
    "encrypted_totals",
    "start_tally",
    "tally_started",
]

_POINT_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class TallySummary:
    """What :func:`start_tally` logged."""

    units: int
    ballots: int
    first_index: int
    """Leaf index of the first ``encrypted-totals`` record."""


def tally_started(session: DbSession, vote_day_id: str) -> bool:
    found = session.scalar(
        sa.select(TallyUnit.unit).where(TallyUnit.vote_day_id == vote_day_id).limit(1)
    )
    return found is not None


def start_tally(
    session: DbSession,
    vote_day_id: str,
    *,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> TallySummary:
    """Compute and log every unit's encrypted totals (once, after closing).

    Raises:
        TallyRefused: the vote day is not closed, or its totals are logged already.
        LogCorrupted: a counted ballot is not on the log as a ``ballot`` record.
    """
    _check_may_start(session, vote_day_id)
    manifest = read_manifest(session, vote_day_id)
    units = _credential_units(session, vote_day_id)
    sums, ballots = _sum_counted(session, vote_day_id, manifest, units)
    groups = publication_groups(
        manifest.parents, manifest.questions, ballots, minimum_of(manifest.record)
    )
    records = [
        _totals_record(label, members, ballots, manifest, sums)
        for label, members in sorted(groups.items())
    ]
    with bulletin.locked_log(session, vote_day_id, signing=signing, now=now) as log:
        _check_may_start(session, vote_day_id)  # (again, under the append lock)
        first = log.size
        for record in records:
            appended = log.append(record)
            session.add(
                TallyUnit(
                    vote_day_id=vote_day_id,
                    unit=record["unit"],
                    ballots=record["ballots"],
                    totals_index=appended.index,
                )
            )
    return TallySummary(len(records), sum(ballots.values()), first)


def _check_may_start(session: DbSession, vote_day_id: str) -> None:
    get_vote_day(session, vote_day_id)
    status = session.scalar(sa.select(VoteDay.status).where(VoteDay.id == vote_day_id))
    if status != "closed":
        raise TallyRefused(
            f"vote day {vote_day_id!r} is {status}: the tally starts once it is closed",
            status=status,
        )
    if tally_started(session, vote_day_id):
        raise TallyRefused(f"the encrypted totals of vote day {vote_day_id!r} are logged already")


def _credential_units(session: DbSession, vote_day_id: str) -> set[str]:
    rows = session.execute(
        sa.select(Jurisdiction.level, Jurisdiction.code)
        .join(Credential, Credential.jurisdiction_id == Jurisdiction.id)
        .where(Credential.vote_day_id == vote_day_id)
        .distinct()
    ).all()
    return {f"{level}:{code}" for level, code in rows}


def _units_of(session: DbSession, vote_day_id: str, credentials: set[str]) -> dict[str, str]:
    rows = session.execute(
        sa.select(Credential.public_key, Jurisdiction.level, Jurisdiction.code)
        .join(Jurisdiction, Credential.jurisdiction_id == Jurisdiction.id)
        .where(Credential.vote_day_id == vote_day_id, Credential.public_key.in_(credentials))
    ).all()
    return {key: f"{level}:{code}" for key, level, code in rows}


def _counted_pages(
    session: DbSession, vote_day_id: str
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """The counted ballots' records, a page at a time."""
    vote_day = get_vote_day(session, vote_day_id)
    confirmed_only = vote_day.return_codes is not None  # docs/return-codes.md
    pages = counted_ballot_pages(
        session, vote_day_id, vote_day.revote_policy, size=PAGE, confirmed_only=confirmed_only
    )
    for indexes in pages:
        page = []
        for index, _, data in leaves_at(session, vote_day_id, indexes):
            record = json.loads(data)
            if record.get("type") != "ballot":
                raise bulletin.LogCorrupted(f"counted leaf {index} is not a ballot record")
            page.append((index, record["ballot"]))
        yield page


Sums = dict[str, dict[str, list[Ciphertext]]]


def _sum_counted(
    session: DbSession, vote_day_id: str, manifest: Manifest, units: set[str]
) -> tuple[Sums, dict[str, int]]:
    sums: Sums = {unit: {} for unit in units}
    ballots = dict.fromkeys(units, 0)
    expected = {unit: [q["id"] for q in manifest.questions_for(unit)] for unit in units}
    for page in _counted_pages(session, vote_day_id):
        homes = _units_of(session, vote_day_id, {b["credential"] for _, b in page})
        for index, ballot in page:
            unit = homes.get(ballot["credential"])
            if unit is None or unit not in sums:
                raise bulletin.LogCorrupted(f"ballot {index}: its credential is not registered")
            _add_ballot(sums[unit], index, ballot, expected[unit])
            ballots[unit] += 1
    return sums, ballots


def _add_ballot(
    sums: dict[str, list[Ciphertext]], index: int, ballot: dict[str, Any], expected: list[str]
) -> None:
    answers = {a["question"]: a["ciphertexts"] for a in ballot["answers"]}
    if sorted(answers) != sorted(expected):
        raise bulletin.LogCorrupted(f"ballot {index} does not answer its unit's questions")
    try:
        for question, cts in answers.items():
            parsed = [_logged_ciphertext(ct) for ct in cts]
            # start from the identity so that libsodium's addition sees every point
            total = sums.get(question) or [sum_ciphertexts([]) for _ in parsed]
            sums[question] = [a + b for a, b in zip(total, parsed, strict=True)]
    except (TypeError, ValueError, RuntimeError) as exc:  # RuntimeError: libsodium refused a point
        raise bulletin.LogCorrupted(f"ballot {index}: {exc}") from exc


def _logged_ciphertext(value: Any) -> Ciphertext:
    """A ciphertext of a logged ballot: its shape is checked, its points are not re-validated.

    Every point was validated (canonical, prime-order subgroup) when the ballot
    was cast and verified; re-validating costs 2.7 times the addition itself.
    libsodium's point addition still refuses a point off the curve, and the
    verifier recomputes the totals with full validation.
    """
    if not isinstance(value, dict) or set(value) != {"pad", "data"}:
        raise InvalidEncoding('a ciphertext is {"pad": hex, "data": hex}')
    pad, data = value["pad"], value["data"]
    if not (isinstance(pad, str) and _POINT_HEX.fullmatch(pad)):
        raise InvalidEncoding("a point is 64 lowercase hex digits")
    if not (isinstance(data, str) and _POINT_HEX.fullmatch(data)):
        raise InvalidEncoding("a point is 64 lowercase hex digits")
    return Ciphertext(pad=Point(bytes.fromhex(pad)), data=Point(bytes.fromhex(data)))


def _totals_record(
    label: str, members: list[str], ballots: dict[str, int], manifest: Manifest, sums: Sums
) -> dict[str, Any]:
    """The totals of the group ``label``: the sums of its ``members``' ballots."""
    questions = []
    for q in manifest.questions_for(label):
        cts = [sum_ciphertexts([]) for _ in q["options"]]  # the identity: libsodium adds it
        for member in members:
            if own := sums[member].get(q["id"]):
                cts = [a + b for a, b in zip(cts, own, strict=True)]
        questions.append({"question": q["id"], "ciphertexts": [ct.to_json() for ct in cts]})
    return {
        "type": "encrypted-totals",
        "unit": label,
        "units": members,
        "ballots": sum(ballots[m] for m in members),
        "questions": questions,
    }


def encrypted_totals(
    session: DbSession, vote_day_id: str, units: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The logged ``encrypted-totals`` records (of ``units``, or all), each with its ``index``.

    Raises:
        TallyRefused: the tally has not started.
    """
    query = sa.select(TallyUnit.totals_index).where(TallyUnit.vote_day_id == vote_day_id)
    if units is not None:
        query = query.where(TallyUnit.unit.in_(list(units)))
    indexes = sorted(session.scalars(query.order_by(TallyUnit.totals_index)).all())
    if not indexes and not tally_started(session, vote_day_id):
        raise TallyRefused(f"vote day {vote_day_id!r} has no encrypted totals yet")
    return [{"index": i, **record} for i, record in records_at(session, vote_day_id, indexes)]


def counted_with(session: DbSession, vote_day_id: str) -> dict[str, str]:
    """Each unit whose electronic ballots are counted with an ancestor → that ancestor.

    Read from the logged ``encrypted-totals`` (their ``units``); empty before the tally.
    """
    try:
        records = encrypted_totals(session, vote_day_id)
    except TallyRefused:
        return {}
    return {
        member: record["unit"]
        for record in records
        for member in record.get("units", [])
        if member != record["unit"]
    }
