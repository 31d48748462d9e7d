"""Results: every question at every tier, per channel and in total, with turnout and outcome.

DESIGN.md section 6. The inputs are log records only: the ``electronic-counts``
of each unit with credentials and the ``channel-counts`` in force (postal,
polling station). For each question, the counts of the units in its
jurisdiction's subtree are summed up the tree with
:func:`voting.rules.aggregate` (one pass per figure: each option, blank,
invalid, ballots cast), turnout is ballots cast over electorate (an exact
fraction shown as a decimal string), and the outcome follows the question's
rule with :mod:`voting.rules`: popular or absolute majority, the double
majority of people and cantons (half-cantons weigh 1/2), the initiative with
a counter-proposal and its tie-break (Art. 139b), the quorums; a consultation
decides nothing and names its leading option.

Electronic ballots are never invalid; their blank count on a single-choice
question is ballots minus the options' sum, and on a multiple-choice question
it cannot be known from the sums (shown as ``null``).

:func:`publish_results` logs the results as ``result`` records (docs/record.md)
and moves the vote day from tallied to published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from crypto.encoding import canonical_json
from voting.log import bulletin
from voting.log.keys import LogSigning
from voting.models.credentials import Credential
from voting.models.elections import CastBallot
from voting.models.jurisdictions import Jurisdiction
from voting.models.returncodes import ReturnCodeBallot
from voting.models.session_types import DbSession
from voting.models.tally import ResultRecord
from voting.models.tally import TallyUnit
from voting.models.votedays import VoteDay
from voting.rules import Counts
from voting.rules import RulesError
from voting.rules import aggregate
from voting.rules import decimal_string
from voting.services import return_codes
from voting.services.channels import current_channel_counts
from voting.services.lifecycle import get_vote_day
from voting.services.lifecycle import mark_published
from voting.services.outcomes import decide_outcomes
from voting.services.tally_log import Manifest
from voting.services.tally_log import TallyRefused
from voting.services.tally_log import read_manifest
from voting.services.tally_log import records_at

UNITS_PER_RECORD = 400
"""At most this many units per ``result`` record."""
UNITS_BYTES_PER_RECORD = 48_000
"""At most this many bytes of units' canonical JSON per ``result`` record, so that a
record fits a C2SP tlog-tiles entry bundle (65,535 bytes; docs/log.md, "Tiles")."""

Vector = list[int]
"""Per question and unit: the options' counts, then blank, invalid, ballots cast."""
OwnCounts = dict[str, dict[str, dict[str, Vector]]]
"""question → unit → channel → vector."""


class ResultsInconsistent(TallyRefused):
    code = "results_inconsistent"


def _electronic(manifest: Manifest, record: dict[str, Any], own: OwnCounts) -> None:
    ballots = record["ballots"]
    for key, options in record["questions"].items():
        single = manifest.question(key)["max_selections"] == 1
        blank = ballots - sum(options) if single else 0
        own[key].setdefault(record["unit"], {})["electronic"] = [*options, blank, 0, ballots]


def _entered(record: dict[str, Any], own: OwnCounts) -> None:
    for key, counts in record["questions"].items():
        vector = [*counts["options"], counts["blank"], counts["invalid"], record["ballots_cast"]]
        own[key].setdefault(record["unit"], {})[record["channel"]] = vector


def own_counts(session: DbSession, vote_day_id: str, manifest: Manifest) -> OwnCounts:
    """Every unit's own counts per question and channel, from the log."""
    own: OwnCounts = {q["id"]: {} for q in manifest.questions}
    indexes = session.scalars(
        sa.select(TallyUnit.counts_index).where(
            TallyUnit.vote_day_id == vote_day_id, TallyUnit.counts_index.is_not(None)
        )
    ).all()
    for _, record in records_at(session, vote_day_id, sorted(i for i in indexes if i is not None)):
        _electronic(manifest, record, own)
    for record in current_channel_counts(session, vote_day_id):
        _entered(record, own)
    return own


def _subtree(manifest: Manifest, root: str) -> dict[str, str | None]:
    return {
        unit: (None if unit == root else manifest.parents[unit])
        for unit in manifest.parents
        if root in manifest.ancestors_or_self(unit)
    }


def _figures(vector: Vector, width: int, blank_known: bool) -> dict[str, Any]:
    return {
        "ballots_cast": vector[width + 2],
        "options": vector[:width],
        "blank": vector[width] if blank_known else None,
        "invalid": vector[width + 1],
    }


def question_result(
    manifest: Manifest, question: Mapping[str, Any], own: Mapping[str, dict[str, Vector]]
) -> dict[str, Any]:
    """One question's figures at every unit of its jurisdiction's subtree (no outcome yet).

    Raises:
        ResultsInconsistent: more ballots than electors somewhere, or a broken tree.
    """
    parents = _subtree(manifest, question["jurisdiction"])
    units = manifest.units()
    electorate = {u: units[u]["electorate"] for u in parents if units[u]["electorate"] is not None}
    width = len(question["options"])
    sums: list[dict[str, Any]] = []
    try:
        for position in range(width + 3):
            counts = {
                unit: {ch: Counts(yes=vector[position]) for ch, vector in by_channel.items()}
                for unit, by_channel in own.items()
                if unit in parents
            }
            sums.append(aggregate(parents, electorate, counts))
    except RulesError as exc:
        raise ResultsInconsistent(f"question {question['id']}: {exc}") from exc
    multiple = question["max_selections"] != 1
    rows = []
    for unit in sorted(parents, key=lambda u: (len(manifest.ancestors_or_self(u)), u)):
        channels = {
            ch: _figures(
                [s[unit].channels[ch].yes for s in sums],
                width,
                not (multiple and ch == "electronic"),
            )
            for ch in sums[-1][unit].channels
        }
        blank_known = not (multiple and "electronic" in channels)
        total = _figures([s[unit].total.yes for s in sums], width, blank_known)
        size = sums[-1][unit].electorate
        rows.append(
            {
                "unit": unit,
                "electorate": size,
                "turnout_percent": _percent(total["ballots_cast"], size),
                "total": total,
                "channels": channels,
            }
        )
    return {
        "question": question["id"],
        "jurisdiction": question["jurisdiction"],
        "kind": question["kind"],
        "rule": question["rule"],
        "options": list(question["options"]),
        "units": rows,
    }


def _percent(part: int, whole: int) -> str | None:
    return None if whole == 0 else decimal_string(Fraction(part * 100, whole))


def compute_results(session: DbSession, vote_day_id: str) -> list[dict[str, Any]]:
    """Every question's result (figures and outcome), in manifest order."""
    manifest = read_manifest(session, vote_day_id)
    own = own_counts(session, vote_day_id, manifest)
    results = [question_result(manifest, q, own[q["id"]]) for q in manifest.questions]
    outcomes = decide_outcomes(manifest, {r["question"]: r for r in results})
    return [{**r, "outcome": outcomes[r["question"]]} for r in results]


def result_records(vote_day_id: str, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``result`` records: per question, its units in parts; part 1 carries the outcome."""
    records = []
    for result in results:
        units = result["units"]
        chunks = _unit_chunks(units)
        head = {k: v for k, v in result.items() if k not in ("units", "outcome")}
        for part, chunk in enumerate(chunks, start=1):
            record = {"type": "result", "vote_day": vote_day_id, **head}
            record |= {"part": part, "parts": len(chunks), "units": chunk}
            if part == 1:
                record["outcome"] = result["outcome"]
            records.append(record)
    return records


def _unit_chunks(units: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Units in order, in parts within UNITS_PER_RECORD units and UNITS_BYTES_PER_RECORD bytes."""
    chunks: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for unit in units:
        length = len(canonical_json(unit)) + 1
        if current and (len(current) == UNITS_PER_RECORD or size + length > UNITS_BYTES_PER_RECORD):
            chunks.append(current)
            current, size = [], 0
        current.append(unit)
        size += length
    if current:
        chunks.append(current)
    return chunks


def publish_results(
    session: DbSession,
    vote_day_id: str,
    *,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> int:
    """tallied → published: log the ``result`` records; return how many.

    Raises:
        TransitionRefused: the vote day is not tallied.
        ResultsInconsistent: the counts do not fit the electorate.
    """
    vote_day = get_vote_day(session, vote_day_id)
    if vote_day.status != "tallied":
        raise TallyRefused(
            f"vote day {vote_day_id!r} is {vote_day.status}: results are published once tallied",
            status=vote_day.status,
        )
    records = result_records(vote_day_id, compute_results(session, vote_day_id))

    def remember(appended: list[bulletin.Appended]) -> None:
        for record, where in zip(records, appended, strict=True):
            session.add(
                ResultRecord(
                    vote_day_id=vote_day_id,
                    question=record["question"],
                    part=record["part"],
                    leaf_index=where.index,
                )
            )

    mark_published(
        session, vote_day_id, records=records, signing=signing, now=now, on_logged=remember
    )
    return len(records)


def published_results(session: DbSession, vote_day_id: str) -> list[dict[str, Any]]:
    """The results as logged at publication (parts joined), in manifest order."""
    rows = session.execute(
        sa.select(ResultRecord.question, ResultRecord.leaf_index)
        .where(ResultRecord.vote_day_id == vote_day_id)
        .order_by(ResultRecord.leaf_index)
    ).all()
    joined: dict[str, dict[str, Any]] = {}
    for _, record in records_at(session, vote_day_id, [int(r.leaf_index) for r in rows]):
        key = record["question"]
        head = {k: v for k, v in record.items() if k not in ("type", "vote_day", "part", "parts")}
        if key in joined:
            joined[key]["units"].extend(record["units"])
        else:
            joined[key] = {**head, "units": list(record["units"])}
    return [{**r, "outcome": r.pop("outcome")} for r in joined.values()]


def results(session: DbSession, vote_day_id: str) -> dict[str, Any]:
    """The results as served: the logged ones once published, else computed (tallied).

    Raises:
        TallyRefused: the vote day is not tallied yet.
    """
    status = session.scalar(sa.select(VoteDay.status).where(VoteDay.id == vote_day_id))
    get_vote_day(session, vote_day_id)
    if status == "published":
        questions = published_results(session, vote_day_id)
    elif status == "tallied":
        questions = compute_results(session, vote_day_id)
    else:
        raise TallyRefused(
            f"vote day {vote_day_id!r} is {status}: results exist once it is tallied",
            status=status,
        )
    served = {"vote_day": vote_day_id, "published": status == "published", "questions": questions}
    figures = return_codes.confirmation_figures(session, vote_day_id)
    if figures is not None:  # only confirmed ballots are counted (docs/return-codes.md)
        by_unit = unconfirmed_by_unit(session, vote_day_id, read_manifest(session, vote_day_id))
        served["return_codes"] = {**figures, "unconfirmed_by_unit": by_unit}
    return served


def unconfirmed_by_unit(session: DbSession, vote_day_id: str, manifest: Manifest) -> dict[str, int]:
    """Cast ballots never confirmed with the ballot casting key (listed, not counted), per unit:
    each counts in its voter's home unit and every unit above it (docs/return-codes.md,
    "What observers see"). Units without one are left out."""
    confirmed = sa.select(ReturnCodeBallot.credential).where(
        ReturnCodeBallot.vote_day_id == vote_day_id, ReturnCodeBallot.confirmed_index.is_not(None)
    )
    rows = session.execute(
        sa.select(Jurisdiction.level, Jurisdiction.code, sa.func.count())
        .select_from(CastBallot)
        .join(
            Credential,
            sa.and_(
                Credential.vote_day_id == CastBallot.vote_day_id,
                Credential.public_key == CastBallot.credential,
            ),
        )
        .join(Jurisdiction, Jurisdiction.id == Credential.jurisdiction_id)
        .where(CastBallot.vote_day_id == vote_day_id, CastBallot.credential.not_in(confirmed))
        .group_by(Jurisdiction.level, Jurisdiction.code)
    )
    counts: dict[str, int] = {}
    for level, code, count in rows:
        for unit in manifest.ancestors_or_self(f"{level}:{code}"):
            counts[unit] = counts.get(unit, 0) + int(count)
    return counts
