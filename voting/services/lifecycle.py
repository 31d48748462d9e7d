"""The vote-day lifecycle: an explicit state machine whose every step is logged.

    draft → key-ceremony → credentials → open → closed → tallied → published

Each transition appends a record to the vote day's log (docs/record.md) in the
same transaction that changes the status, so the log and the database never
disagree. Opening logs the credential lists and the manifest, whose hash binds
every ballot proof, and freezes the questions. A refused transition raises
:class:`TransitionRefused` and changes nothing. Opening and closing may be
scheduled (:func:`apply_schedule`); the schedule is part of the manifest.

One clock: every transition's time (its record's ``at``, and whether a
scheduled time has come) is the database's (:mod:`voting.models.clock`), read
once the log's lock is held, never the web node's. A vote day cannot open
before its scheduled opening time nor close before its scheduled closing
time. The ``now`` arguments stand in for the database's clock in tests; the
application never passes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from crypto.group import Point
from voting.errors import Conflict
from voting.errors import InvalidCredentialList
from voting.errors import InvalidRequest
from voting.errors import VoteDayNotFound
from voting.log import bulletin
from voting.log.keys import LogSigning
from voting.models.clock import database_now
from voting.models.elections import Election
from voting.models.session_types import DbSession
from voting.models.votedays import VoteDay
from voting.services import return_code_setup
from voting.services.credentials import credential_records
from voting.services.manifest import build_manifest
from voting.services.manifest import manifest_hash

TRANSITIONS: dict[str, str] = {
    "draft": "key-ceremony",
    "key-ceremony": "credentials",
    "credentials": "open",
    "open": "closed",
    "closed": "tallied",
    "tallied": "published",
}
MAX_TRUSTEES = 64


class TransitionRefused(Conflict):
    """A lifecycle step that does not apply to the vote day in its present state."""

    code = "transition_refused"


def now_utc() -> dt.datetime:
    """The node's clock: only for what decides nothing (see :mod:`voting.models.clock`)."""
    return dt.datetime.now(dt.UTC)


def _clock(session: DbSession, now: dt.datetime | None) -> dt.datetime:
    """The time of a transition: the database's (``now`` stands in for it in tests)."""
    return as_utc(now) if now is not None else database_now(session)


class TooEarly(TransitionRefused):
    """A scheduled vote day cannot open or close before its scheduled time."""

    code = "too_early"


def _not_before(
    vote_day_id: str, action: str, scheduled: dt.datetime | None, when: dt.datetime
) -> None:
    if scheduled is not None and when < as_utc(scheduled):
        raise TooEarly(
            f"cannot {action} vote day {vote_day_id!r} before its scheduled time "
            f"{as_utc(scheduled).isoformat()}: the database clock says {when.isoformat()}",
            vote_day=vote_day_id,
            scheduled=as_utc(scheduled).isoformat(),
        )


def get_vote_day(session: DbSession, vote_day_id: str) -> VoteDay:
    vote_day = session.get(VoteDay, vote_day_id)
    if vote_day is None:
        raise VoteDayNotFound(f"there is no vote day {vote_day_id!r}", vote_day=vote_day_id)
    return vote_day


def get_election(session: DbSession, vote_day_id: str) -> Election:
    election = session.get(Election, vote_day_id)
    if election is None:
        raise TransitionRefused(f"vote day {vote_day_id!r} has no key ceremony yet")
    return election


def _expect(vote_day: VoteDay, status: str, action: str) -> None:
    if vote_day.status != status:
        raise TransitionRefused(
            f"cannot {action} vote day {vote_day.id!r}: it is {vote_day.status}, "
            f"and this step needs it to be {status}",
            vote_day=vote_day.id,
            status=vote_day.status,
        )


def _advance(
    session: DbSession,
    vote_day: VoteDay,
    record: dict[str, Any],
    *,
    signing: LogSigning | None,
    extra: Sequence[dict[str, Any]] = (),
    on_logged: Callable[[list[bulletin.Appended]], None] = lambda _: None,
    now: dt.datetime | None = None,
    not_before: dt.datetime | None = None,
) -> list[bulletin.Appended]:
    """Log ``extra`` records and the transition record, set the next status, commit.

    The record's ``at`` is the database's time once the lock is held; the step
    is refused if that is before ``not_before`` (a scheduled time).

    Every transition appends under the log's lock, so the status is read
    again once the lock is held: of two requests making the same step at
    once (two workers closing a vote day whose closing time has passed), the
    second finds the step made and is refused.

    Returns where the ``extra`` records landed.

    Raises:
        TransitionRefused: another request changed the status first.
        TooEarly: the database's time is before ``not_before``.
    """
    source = vote_day.status
    target = TRANSITIONS[source]
    with bulletin.locked_log(session, vote_day.id, signing=signing, now=now) as log:
        current = session.execute(
            sa.select(VoteDay.status).where(VoteDay.id == vote_day.id)
        ).scalar_one()
        if current != source:
            raise TransitionRefused(
                f"vote day {vote_day.id!r} is {current} now: another request moved it on",
                vote_day=vote_day.id,
                status=current,
            )
        when = _clock(session, now)
        _not_before(vote_day.id, f"move to {target}", not_before, when)
        appended = log.append_many(extra)
        log.append({**record, "vote_day": vote_day.id, "status": target, "at": when.isoformat()})
        vote_day.status = target
        on_logged(appended)
    return appended


def begin_key_ceremony(
    session: DbSession,
    vote_day_id: str,
    *,
    trustees: Sequence[str],
    threshold: int,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> None:
    """draft → key-ceremony: create the vote day's log and name the trustees.

    Raises:
        TransitionRefused: the vote day is not a draft.
        InvalidRequest: bad trustee names or threshold (need 1 <= t <= n).
    """
    vote_day = get_vote_day(session, vote_day_id)
    _expect(vote_day, "draft", "start the key ceremony of")
    names = list(trustees)
    if not 1 <= len(names) <= MAX_TRUSTEES or len(set(names)) != len(names):
        raise InvalidRequest(f"name 1 to {MAX_TRUSTEES} distinct trustees")
    if any(not isinstance(n, str) or not 1 <= len(n) <= 64 for n in names):
        raise InvalidRequest("a trustee name is 1 to 64 characters")
    if not 1 <= threshold <= len(names):
        raise InvalidRequest(f"the threshold must be between 1 and {len(names)}, got {threshold}")
    roster = [{"index": i, "name": n} for i, n in enumerate(names, start=1)]
    session.add(Election(vote_day_id=vote_day_id, threshold=threshold, trustees=roster))
    session.flush()
    origin = signing.origin_for(vote_day_id) if signing is not None else None
    bulletin.create_log(session, vote_day_id, origin=origin, now=now)  # commits the election too
    _advance(
        session,
        vote_day,
        {"type": "key-ceremony", "trustees": roster, "threshold": threshold},
        signing=signing,
        now=now,
    )


def publish_election_key(
    session: DbSession,
    vote_day_id: str,
    *,
    public_key: Point,
    verification_keys: dict[int, Point],
    disqualified: Sequence[str] = (),
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> None:
    """key-ceremony → credentials: log the joint election key.

    The key and the trustees' verification keys are derived from the logged
    commitments by :mod:`voting.services.ceremony`, which calls this.
    """
    vote_day = get_vote_day(session, vote_day_id)
    _expect(vote_day, "key-ceremony", "publish the election key of")
    election = get_election(session, vote_day_id)
    election.public_key = public_key.hex()
    record = {
        "type": "election-key",
        "public_key": public_key.hex(),
        "verification_keys": {str(i): k.hex() for i, k in sorted(verification_keys.items())},
        "disqualified": list(disqualified),
    }
    _advance(session, vote_day, record, signing=signing, now=now)


def schedule(
    session: DbSession,
    vote_day_id: str,
    *,
    opens_at: dt.datetime | None,
    closes_at: dt.datetime | None,
) -> None:
    """Set (or clear) the times at which :func:`apply_schedule` opens and closes the vote day.

    The times are stored in UTC and written into the manifest when the vote
    day opens, so they cannot change once it is open (the verifier checks the
    logged opening and closing against them).

    Raises:
        InvalidRequest: naive datetimes, or closing before opening.
        TransitionRefused: the vote day is already open (or further).
    """
    get_vote_day(session, vote_day_id)
    election = get_election(session, vote_day_id)
    # the row lock open_vote_day takes: the manifest and the stored schedule agree
    vote_day = session.get_one(VoteDay, vote_day_id, with_for_update=True, populate_existing=True)
    if vote_day.status not in ("key-ceremony", "credentials"):
        raise TransitionRefused(
            f"vote day {vote_day_id!r} is {vote_day.status}: its schedule is in the manifest "
            "and cannot change once it has opened",
            vote_day=vote_day_id,
            status=vote_day.status,
        )
    for value in (opens_at, closes_at):
        if value is not None and value.tzinfo is None:
            raise InvalidRequest("scheduled times must carry a time zone")
    if opens_at and closes_at and closes_at <= opens_at:
        raise InvalidRequest("a vote day must close after it opens")
    election.opens_at = None if opens_at is None else opens_at.astimezone(dt.UTC)
    election.closes_at = None if closes_at is None else closes_at.astimezone(dt.UTC)
    session.commit()


def planned_manifest_hash(
    session: DbSession, vote_day_id: str, *, signing: LogSigning, log_key: str | None = None
) -> str:
    """The hash of the manifest the vote day would open with now (hex).

    The return-code authorities pin it at setup (docs/return-codes.md): any
    change to the questions or keys before opening changes it, and opening
    then refuses until the setup is redone.

    Raises:
        TransitionRefused: the key ceremony is not complete.
    """
    vote_day = get_vote_day(session, vote_day_id)
    election = get_election(session, vote_day_id)
    if election.public_key is None:
        raise TransitionRefused(f"vote day {vote_day_id!r} has no election key yet")
    origin = bulletin.log_origin(session, vote_day_id)
    key = log_key or str(signing.verifier_key(origin))
    return manifest_hash(
        build_manifest(session, vote_day, election, log_origin=origin, log_key=key)
    )


def open_vote_day(
    session: DbSession,
    vote_day_id: str,
    *,
    log_key: str | None = None,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> str:
    """credentials → open: log the credential lists and the manifest; freeze the questions.

    Everything is read under the log's append lock and the vote day's row lock
    (which a credential upload also takes), so the logged lists are exactly the
    registered credentials.

    Args:
        log_key: the log's verifier key, named in the manifest; by default
            the key of ``signing`` under the log's origin (the one that signs
            its checkpoints).

    Returns:
        The manifest hash (hex).

    Raises:
        TransitionRefused: not in the credentials state, no question, or no credential.
        TooEarly: the vote day is scheduled to open later (by the database's clock).
    """
    get_vote_day(session, vote_day_id)
    with bulletin.locked_log(session, vote_day_id, signing=signing, now=now) as log:
        vote_day = session.get_one(
            VoteDay, vote_day_id, with_for_update=True, populate_existing=True
        )
        _expect(vote_day, "credentials", "open")
        if not vote_day.questions:
            raise TransitionRefused(f"vote day {vote_day_id!r} has no questions to open with")
        records = credential_records(session, vote_day_id)
        if not records:
            raise TransitionRefused(f"vote day {vote_day_id!r} has no voting credentials yet")
        if vote_day.return_codes is not None:
            try:
                records += return_code_setup.opening_records(session, vote_day_id)
            except InvalidCredentialList as exc:
                raise TransitionRefused(str(exc)) from exc
        election = get_election(session, vote_day_id)
        when = _clock(session, now)
        _not_before(vote_day_id, "open", election.opens_at, when)
        if log_key is None:
            if signing is None:
                raise TypeError("open_vote_day needs the log key or the log's signing key")
            log_key = str(signing.verifier_key(log.origin))
        manifest = build_manifest(
            session, vote_day, election, log_origin=log.origin, log_key=log_key
        )
        digest = manifest_hash(manifest)
        if vote_day.return_codes is not None:
            pinned = return_code_setup.pinned_manifest_hash(session, vote_day_id)
            if pinned != digest:
                raise TransitionRefused(
                    f"the return-code setup was made for manifest {pinned}, but the vote day "
                    f"would open with manifest {digest}: something changed after the setup "
                    "(questions, keys); redo the return-code setup"
                )
        appended = log.append_many([*records, manifest])
        log.append(
            {"type": "open", "vote_day": vote_day_id, "status": "open", "manifest_hash": digest,
             "at": when.isoformat()}
        )  # fmt: skip
        election.manifest_hash = digest
        election.manifest_index = appended[-1].index
        vote_day.status = "open"
    return digest


def close_vote_day(
    session: DbSession,
    vote_day_id: str,
    *,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> None:
    """open → closed: no ballot is accepted after the close record.

    Raises:
        TransitionRefused: the vote day is not open.
        TooEarly: its scheduled closing time has not come (by the database's clock).
    """
    vote_day = get_vote_day(session, vote_day_id)
    _expect(vote_day, "open", "close")
    closes_at = get_election(session, vote_day_id).closes_at
    _advance(session, vote_day, {"type": "close"}, signing=signing, now=now, not_before=closes_at)


def apply_schedule(
    session: DbSession,
    *,
    open_vote_day_with: Any,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> list[str]:
    """Open and close the vote days whose scheduled time has come by the database's clock.

    ``open_vote_day_with(session, vote_day_id)`` opens one vote day (it knows
    where the credential lists and the log key come from). Each transition
    checks the time again under the log's lock.

    Returns:
        One line per transition made.
    """
    done: list[str] = []
    when = _clock(session, now)
    due = session.execute(
        sa.select(VoteDay.id, VoteDay.status, Election.opens_at, Election.closes_at).join(
            Election, Election.vote_day_id == VoteDay.id
        )
    ).all()
    for vote_day_id, status, opens_at, closes_at in due:
        if status == "credentials" and opens_at is not None and as_utc(opens_at) <= when:
            open_vote_day_with(session, vote_day_id)
            done.append(f"opened {vote_day_id}")
        elif status == "open" and closes_at is not None and as_utc(closes_at) <= when:
            close_vote_day(session, vote_day_id, signing=signing, now=now)
            done.append(f"closed {vote_day_id}")
    return done


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC datetime (SQLite hands back naive ones)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def mark_tallied(
    session: DbSession,
    vote_day_id: str,
    *,
    records: Sequence[dict[str, Any]],
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
    on_logged: Callable[[list[bulletin.Appended]], None] = lambda _: None,
) -> list[bulletin.Appended]:
    """closed → tallied: log the ``electronic-counts`` ``records`` and the ``tallied`` record.

    Called by :mod:`voting.services.decryption` once every unit is decrypted;
    ``on_logged`` runs in the same transaction. Returns where the ``records`` landed.
    """
    vote_day = get_vote_day(session, vote_day_id)
    _expect(vote_day, "closed", "mark as tallied")
    return _advance(
        session, vote_day, {"type": "tallied"}, signing=signing, extra=records,
        on_logged=on_logged, now=now,
    )  # fmt: skip


def mark_published(
    session: DbSession,
    vote_day_id: str,
    *,
    records: Sequence[dict[str, Any]],
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
    on_logged: Callable[[list[bulletin.Appended]], None] = lambda _: None,
) -> list[bulletin.Appended]:
    """tallied → published: log the ``result`` ``records`` and the ``published`` record.

    Called by :mod:`voting.services.results`. Returns where the ``records`` landed.
    """
    vote_day = get_vote_day(session, vote_day_id)
    _expect(vote_day, "tallied", "publish the results of")
    return _advance(
        session, vote_day, {"type": "published"}, signing=signing, extra=records,
        on_logged=on_logged, now=now,
    )  # fmt: skip
