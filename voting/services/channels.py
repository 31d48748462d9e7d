"""Other channels: postal and polling-station counts entered by clerks, signed and logged.

A clerk (an official holding the role ``clerk`` for the unit or an ancestor)
registers an Ed25519 public key for a unit (``clerk-key`` record), signs its
counts offline (``python -m voting.clerk sign``, :mod:`crypto.clerk_signature`)
and uploads them; the server checks them and logs a ``channel-counts`` record
(docs/record.md). A correction is a new record whose ``replaces`` names the
leaf index of the record in force for the same unit and channel; nothing is
ever edited. The consistency rules (docs/record.md, "channel-counts"):

1. the questions are exactly those on the unit's ballot (its own and its
   ancestors' questions in the manifest), each with one count per option;
2. every count is a non-negative integer;
3. a single-choice question (at most one selection): options + blank +
   invalid = ballots_cast (each ballot counts once per question);
   a multiple-choice question: blank + invalid <= ballots_cast, and each
   option and the options' sum divided by max_selections are at most the
   ballots that are neither blank nor invalid;
4. ballots_cast is at most the unit's electorate.

Counts are accepted once the vote day is closed (early postal counts must not
leak while voting is open) until it is published.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from crypto.clerk_signature import check_clerk_key
from crypto.clerk_signature import verify_counts
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidSignature
from voting.errors import Conflict
from voting.errors import InvalidRequest
from voting.log import bulletin
from voting.log.keys import LogSigning
from voting.models.officials import Official
from voting.models.session_types import DbSession
from voting.models.tally import ChannelCountsRow
from voting.models.tally import ClerkKey
from voting.models.votedays import VoteDay
from voting.services import officials
from voting.services.jurisdictions import get_unit
from voting.services.lifecycle import get_vote_day
from voting.services.lifecycle import now_utc
from voting.services.tally_log import Manifest
from voting.services.tally_log import read_manifest
from voting.services.tally_log import records_at

ENTERED_CHANNELS = ("postal", "polling-station")
RECORD_KEYS = frozenset(
    {
        "type",
        "vote_day",
        "unit",
        "channel",
        "clerk",
        "ballots_cast",
        "questions",
        "replaces",
        "signature",
    }
)
KEY_STATUSES = frozenset({"key-ceremony", "credentials"})
"""Clerks' keys are fixed before the vote day opens: opening freezes them (issue 13).
A key logged later could be the server's own, made to sign any count."""
COUNT_STATUSES = frozenset({"closed", "tallied"})


class ChannelCountsRefused(InvalidRequest):
    """Counts that are malformed, inconsistent or wrongly signed; nothing is logged."""

    code = "channel_counts_refused"


class BadCountsSignature(ChannelCountsRefused):
    code = "bad_signature"


class ClerkKeyRefused(InvalidRequest):
    code = "clerk_key_refused"


class ChannelClosed(Conflict):
    """Counts or keys outside the period in which they are taken."""

    code = "channel_closed"


def _status(session: DbSession, vote_day_id: str, allowed: frozenset[str], what: str) -> None:
    get_vote_day(session, vote_day_id)
    status = session.scalar(sa.select(VoteDay.status).where(VoteDay.id == vote_day_id))
    if status not in allowed:
        raise ChannelClosed(
            f"vote day {vote_day_id!r} is {status}: {what} are taken while it is "
            + " or ".join(sorted(allowed)),
            status=status,
        )


def register_clerk_key(
    session: DbSession,
    vote_day_id: str,
    official: Official,
    unit: str,
    public_key: Any,
    *,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Log ``official``'s public key for ``unit`` (a ``clerk-key`` record); return its index.

    A later registration (still before opening) for the same clerk and unit
    replaces the key for counts logged after it.

    Raises:
        RoleRequired: the official is not a clerk for the unit.
        ClerkKeyRefused: not a valid Ed25519 public key.
        ChannelClosed: the vote day has no log yet, or has opened (clerks'
            keys are fixed before opening; the verifier refuses counts signed
            by a key logged after the ``open`` record).
    """
    _status(session, vote_day_id, KEY_STATUSES, "clerks' keys")
    jurisdiction = get_unit(session, unit)
    officials.require(official, "clerk", jurisdiction)
    try:
        key = check_clerk_key(public_key).hex()
    except InvalidEncoding as exc:
        raise ClerkKeyRefused(f"not a usable Ed25519 public key: {exc}") from exc
    record = {
        "type": "clerk-key",
        "clerk": official.username,
        "unit": jurisdiction.ref,
        "public_key": key,
    }
    with bulletin.locked_log(session, vote_day_id, signing=signing, now=now) as log:
        _status(session, vote_day_id, KEY_STATUSES, "clerks' keys")  # again, under the lock
        appended = log.append(record)
        session.add(
            ClerkKey(
                vote_day_id=vote_day_id,
                clerk=official.username,
                unit=jurisdiction.ref,
                public_key=key,
                leaf_index=appended.index,
                registered_at=now or now_utc(),
            )
        )
    return appended.index


def submit_channel_counts(
    session: DbSession,
    vote_day_id: str,
    official: Official,
    data: Any,
    *,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Check and log a clerk's signed ``channel-counts`` record; return its leaf index.

    Raises:
        ChannelClosed: the vote day is not closed or tallied.
        RoleRequired: the official is not a clerk for the record's unit.
        ChannelCountsRefused: malformed or inconsistent counts, a wrong
            ``replaces`` (:class:`BadCountsSignature` for a bad signature).
    """
    _status(session, vote_day_id, COUNT_STATUSES, "channel counts")
    record = _shape(data, vote_day_id, official)
    jurisdiction = get_unit(session, record["unit"])
    officials.require(official, "clerk", jurisdiction)
    manifest = read_manifest(session, vote_day_id)
    check_counts(manifest, record)
    _check_signature(session, vote_day_id, record)
    with bulletin.locked_log(session, vote_day_id, signing=signing, now=now) as log:
        _status(session, vote_day_id, COUNT_STATUSES, "channel counts")
        replaced = _check_replaces(session, vote_day_id, record)
        appended = log.append(record)
        if replaced is not None:
            replaced.current = False
        session.add(
            ChannelCountsRow(
                vote_day_id=vote_day_id,
                unit=record["unit"],
                channel=record["channel"],
                clerk=record["clerk"],
                leaf_index=appended.index,
                replaces=record["replaces"],
                current=True,
            )
        )
    return appended.index


def _shape(data: Any, vote_day_id: str, official: Official) -> dict[str, Any]:
    if not isinstance(data, dict) or set(data) != RECORD_KEYS:
        raise ChannelCountsRefused(
            f"channel counts are an object with exactly {sorted(RECORD_KEYS)}"
        )
    if data["type"] != "channel-counts" or data["vote_day"] != vote_day_id:
        raise ChannelCountsRefused(
            f'type must be "channel-counts" and vote_day {vote_day_id!r}, got '
            f"{data['type']!r} and {data['vote_day']!r}"
        )
    if data["channel"] not in ENTERED_CHANNELS:
        raise ChannelCountsRefused(f"channel must be one of {ENTERED_CHANNELS}")
    if data["clerk"] != official.username:
        raise ChannelCountsRefused(
            f"the counts are signed as {data['clerk']!r}; log in as that clerk to upload them"
        )
    if not isinstance(data["unit"], str):
        raise ChannelCountsRefused("unit is a string level:code")
    replaces = data["replaces"]
    if replaces is not None and not _count(replaces):
        raise ChannelCountsRefused("replaces is null or the leaf index of the record it corrects")
    return dict(data)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_counts(manifest: Manifest, record: dict[str, Any]) -> None:
    """Rules 1 to 4 of the module docstring (pure; the verifier applies the same).

    Raises:
        ChannelCountsRefused: the rule broken, naming the question.
    """
    unit = record["unit"]
    if unit not in manifest.parents:
        raise ChannelCountsRefused(f"{unit} is not in the vote day's jurisdiction tree")
    cast = record["ballots_cast"]
    if not _count(cast):
        raise ChannelCountsRefused("ballots_cast must be a non-negative integer")
    electorate = manifest.electorate_of(unit)
    if cast > electorate:
        raise ChannelCountsRefused(f"{cast} ballots cast exceed {unit}'s electorate {electorate}")
    expected = {q["id"]: q for q in manifest.questions_for(unit)}
    given = record["questions"]
    if not isinstance(given, dict) or set(given) != set(expected):
        raise ChannelCountsRefused(
            f"counts for {unit} answer exactly the questions on its ballot: {sorted(expected)}",
            unexpected=sorted(set(given) - set(expected)) if isinstance(given, dict) else None,
        )
    for key, counts in given.items():
        _check_question(expected[key], counts, cast)


def _check_question(question: dict[str, Any], counts: Any, cast: int) -> None:
    key = question["id"]
    if not isinstance(counts, dict) or set(counts) != {"options", "blank", "invalid"}:
        raise ChannelCountsRefused(f'{key}: counts are {{"options": [...], "blank", "invalid"}}')
    options, blank, invalid = counts["options"], counts["blank"], counts["invalid"]
    width = len(question["options"])
    if not isinstance(options, list) or len(options) != width:
        raise ChannelCountsRefused(f"{key}: one count per option ({width})")
    if not all(_count(v) for v in [*options, blank, invalid]):
        raise ChannelCountsRefused(f"{key}: every count is a non-negative integer")
    if question["max_selections"] == 1:
        if sum(options) + blank + invalid != cast:
            raise ChannelCountsRefused(
                f"{key}: options {sum(options)} + blank {blank} + invalid {invalid} must equal "
                f"the {cast} ballots cast"
            )
        return
    answered = cast - blank - invalid
    limit = question["max_selections"] * answered
    if answered < 0 or max(options) > answered or sum(options) > limit:
        raise ChannelCountsRefused(
            f"{key}: {cast} ballots with {blank} blank and {invalid} invalid cannot hold "
            f"these option counts"
        )


def _check_signature(session: DbSession, vote_day_id: str, record: dict[str, Any]) -> None:
    key = session.scalars(
        sa.select(ClerkKey.public_key)
        .where(
            ClerkKey.vote_day_id == vote_day_id,
            ClerkKey.clerk == record["clerk"],
            ClerkKey.unit == record["unit"],
        )
        .order_by(ClerkKey.leaf_index.desc())
        .limit(1)
    ).first()
    if key is None:
        raise ChannelCountsRefused(
            f"{record['clerk']!r} has no key registered for {record['unit']}: register one first"
        )
    try:
        verify_counts(record, bytes.fromhex(key))
    except (InvalidEncoding, InvalidSignature) as exc:
        raise BadCountsSignature(
            f"the counts are not signed by {record['clerk']!r}'s registered key for "
            f"{record['unit']}: {exc}"
        ) from exc


def _check_replaces(
    session: DbSession, vote_day_id: str, record: dict[str, Any]
) -> ChannelCountsRow | None:
    current = session.scalars(
        sa.select(ChannelCountsRow).where(
            ChannelCountsRow.vote_day_id == vote_day_id,
            ChannelCountsRow.unit == record["unit"],
            ChannelCountsRow.channel == record["channel"],
            ChannelCountsRow.current.is_(True),
        )
    ).first()
    in_force = None if current is None else current.leaf_index
    if record["replaces"] != in_force:
        if in_force is None:
            message = f"there are no {record['channel']} counts for {record['unit']} to replace"
        else:
            message = (
                f"the {record['channel']} counts of {record['unit']} in force are entry "
                f'{in_force}: a correction must say "replaces": {in_force}'
            )
        raise ChannelCountsRefused(message, in_force=in_force)
    return current


def current_channel_counts(session: DbSession, vote_day_id: str) -> list[dict[str, Any]]:
    """The ``channel-counts`` records in force (not replaced), each with its ``index``."""
    indexes = session.scalars(
        sa.select(ChannelCountsRow.leaf_index)
        .where(ChannelCountsRow.vote_day_id == vote_day_id, ChannelCountsRow.current.is_(True))
        .order_by(ChannelCountsRow.leaf_index)
    ).all()
    return [{"index": i, **record} for i, record in records_at(session, vote_day_id, indexes)]
