"""Casting: check a ballot completely, append it to the log, answer with a receipt.

A ballot (docs/spec.md section 6) is accepted only if the vote day is open,
the credential is registered and may vote under the re-vote policy, the
ballot answers exactly the questions of the credential's unit, and the
signature and every proof verify. Cheap checks run first; the expensive proof
verification runs before the log's append lock is taken, so server workers
verify in parallel. Verified ballots are then appended in batches (group
commit, docs/log.md: :data:`SEQUENCER`, :func:`append_batch`): under the
lock, for each ballot of a batch, the re-vote policy is checked again, the
credential's attempt is counted, and the ballot's content (its unsigned
canonical form and every ciphertext, :func:`crypto.ballot.content_keys`) is
looked up in the content index and among the batch's earlier ballots: a
ballot or an audit whose content is already on the log, as a ballot or as an
audit, is refused. The leaves, index rows and content rows of a batch are
written and committed together, before any receipt is given. A refused
ballot raises a :class:`BallotRefused` with a stable code and stores nothing.

Cast and audited ballots are disjoint by construction: a cast ballot is
signed under the cast tag, an audited one under the audit tag
(crypto/ballot.py), and no content is ever logged twice.

Whether the closing time has passed, and the time stored with a cast ballot,
are the database's (:mod:`voting.models.clock`), read in the queries a cast
already sends: a web node whose clock is ahead cannot close the vote day early.

Rate limits (:class:`CastLimits`, docs/security.md): an attempt counts against
its credential only once the credential's signature verified; a refusal
before that counts as junk against the client's hashed address and everyone's
total, whose counters are read in the cast's first query.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from crypto.ballot import Ballot
from crypto.ballot import BallotSecrets
from crypto.ballot import ElectionContext
from crypto.ballot import QuestionSpec
from crypto.ballot import check_ballot_shape
from crypto.ballot import content_keys
from crypto.ballot import verify_audit
from crypto.ballot import verify_proofs
from crypto.ballot import verify_signature
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidProof
from crypto.errors import InvalidSignature
from crypto.errors import MalformedBallot
from crypto.group import Point
from crypto.receipt import Receipt
from voting.errors import InvalidRequest
from voting.errors import NotFound
from voting.errors import TooManyAttempts
from voting.errors import VoteDayNotFound
from voting.errors import VotingError
from voting.log import bulletin
from voting.log.bulletin import LogState
from voting.log.keys import LogSigning
from voting.models import sql
from voting.models.clock import from_db
from voting.models.clock import now_sql
from voting.models.elections import CastBallot
from voting.models.jurisdictions import Jurisdiction
from voting.models.returncodes import ReturnCodeBallot
from voting.models.session_types import DbSession
from voting.models.votedays import VoteDay
from voting.services import throttle
from voting.services.group_commit import Sequencer
from voting.services.group_commit import beside_running
from voting.services.group_commit import hand_on
from voting.services.json_input import BodyTooLarge
from voting.services.json_input import MalformedJson
from voting.services.json_input import parse_json
from voting.services.lifecycle import TransitionRefused
from voting.services.lifecycle import as_utc
from voting.services.lifecycle import close_vote_day
from voting.services.lifecycle import now_utc
from voting.services.votedays import ballot_for_unit

MAX_BALLOT_BYTES = 64 * 1024


class BallotRefused(VotingError):
    """Base of every refusal of a ballot; nothing is stored."""

    code = "ballot_refused"
    status = 400


class VoteDayNotOpen(BallotRefused):
    code = "vote_day_not_open"
    status = 409


class UnknownCredential(BallotRefused):
    code = "unknown_credential"
    status = 403


class DuplicateBallot(BallotRefused):
    """Under ``first-counts`` the first ballot stands; its receipt is returned again."""

    code = "duplicate_ballot"
    status = 409


class MalformedBallotError(BallotRefused):
    code = "malformed_ballot"


class WrongQuestions(BallotRefused):
    code = "wrong_questions"


class BadSignature(BallotRefused):
    code = "bad_signature"


class InvalidBallotProof(BallotRefused):
    code = "invalid_proof"


class BallotAlreadyOnLog(BallotRefused):
    """The ballot's content is already on the log: a replay, or an audit of a cast ballot."""

    code = "ballot_already_on_log"
    status = 409


class BallotTooLarge(BallotRefused):
    code = "ballot_too_large"
    status = 413


JUNK_KEY = "junk:all"
"""Rate-limit key of every refused, unauthenticated cast or audit (all clients together)."""
CREDENTIAL_WHAT = "ballots for this code"
JUNK_WHAT = "refused ballots from your network"


@dataclass(frozen=True)
class CastLimits:
    """The rate limits of one cast or audit (docs/security.md, "Rate limits").

    A credential's attempt counts only once its signature verified: nobody
    without the voting code can use up a voter's attempts. A request refused
    before that (junk) counts against its client's address (``client_key``,
    a keyed hash) and against everyone's junk together; once either is over
    its limit, casts are refused before any work. Reading both counters is
    part of the cast's first query: a valid cast costs no round trip more.
    """

    per_credential: throttle.Limit
    client_key: str
    per_client: throttle.Limit
    everyone: throttle.Limit


@dataclass(frozen=True)
class CastResult:
    """An accepted ballot: its receipt (the checkpoint and proof follow later)."""

    receipt: Receipt


def parse_ballot_body(body: bytes) -> Any:
    """Decode a request body as JSON, refusing oversize or malformed input early."""
    try:
        return parse_json(body, max_bytes=MAX_BALLOT_BYTES)
    except BodyTooLarge as exc:
        raise BallotTooLarge(f"a ballot is at most {MAX_BALLOT_BYTES} bytes") from exc
    except MalformedJson as exc:
        raise MalformedBallotError(f"the ballot is not valid JSON: {exc.message}") from exc


def cast_ballot(
    session: DbSession,
    vote_day_id: str,
    data: Any,
    *,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
    limits: CastLimits | None = None,
) -> CastResult:
    """Check and record one ballot (``data`` is the parsed JSON).

    ``now`` stands in for the database's clock in tests.

    Raises:
        BallotRefused: a subclass naming the reason; nothing was stored.
        TooManyAttempts: a rate limit of ``limits`` is exceeded; nothing was stored.
    """
    limit_now = now or now_utc()  # rate-limit windows are the node's (docs/security.md)
    with _Attempt(session, limits, limit_now) as attempt:
        election, registration = _open_election(
            session, vote_day_id, _credential_text(data), now, signing, limits
        )
        attempt.seen = registration.attempts
        ballot = _parse(data)
        credential = ballot.credential.hex()
        unit_id, first = _registered_unit_id(vote_day_id, ballot, registration)
        _check_revote(vote_day_id, first, election.policy)  # (1) cheap refusal
        keys = _content_keys(ballot)
        questions = _questions(session, election, unit_id)
        # (2) expensive checks, no lock held; the credential's attempt counts from the signature
        _verify(ballot, questions, election.context, attempt)
        record = _ballot_record(ballot)
        pending = _Pending(
            "ballot", record, credential, keys, election.policy, attempt.counter(), now
        )
        appended = _submit(session, vote_day_id, pending, attempt, signing, now)
    # The batch's transaction is committed: the ballot is durably on the log.
    return CastResult(Receipt(vote_day_id, appended.index, appended.leaf_hash, None, ()))


def spoil_ballot(
    session: DbSession,
    vote_day_id: str,
    data: Any,
    *,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
    limits: CastLimits | None = None,
) -> CastResult:
    """Log a Benaloh-audited ballot as spoiled; it is never counted.

    ``data`` is ``{"ballot": ..., "secrets": {"selections": ..., "nonces": ...}}``;
    the ballot is signed under the audit tag (a ballot signed to be cast is
    refused), and the secrets reveal exactly its questions and options.

    Raises:
        BallotRefused: the ballot is invalid, the revealed values do not match
            it, or its content is already on the log (it was cast or audited).
        TooManyAttempts: a rate limit of ``limits`` is exceeded; nothing was stored.
    """
    with _Attempt(session, limits, now or now_utc()) as attempt:
        return _spoil(session, vote_day_id, data, signing, now, limits, attempt)


def _spoil(
    session: DbSession,
    vote_day_id: str,
    data: Any,
    signing: LogSigning | None,
    now: dt.datetime | None,
    limits: CastLimits | None,
    attempt: _Attempt,
) -> CastResult:
    ballot_data = data.get("ballot") if isinstance(data, dict) else None
    election, registration = _open_election(
        session, vote_day_id, _credential_text(ballot_data), now, signing, limits
    )
    attempt.seen = registration.attempts
    if not isinstance(data, dict) or set(data) != {"ballot", "secrets"}:
        raise MalformedBallotError('an audit is {"ballot": ..., "secrets": ...}')
    ballot = _parse(ballot_data)
    unit_id, _ = _registered_unit_id(vote_day_id, ballot, registration)
    try:
        secrets = BallotSecrets.from_json(data["secrets"])
    except InvalidEncoding as exc:
        raise MalformedBallotError(str(exc)) from exc
    keys = _content_keys(ballot)
    _verify(
        ballot, _questions(session, election, unit_id), election.context, attempt, purpose="audit"
    )
    try:
        verify_audit(ballot, secrets, election=election.context)
    except InvalidProof as exc:
        raise InvalidBallotProof(f"the audit does not match the ballot: {exc}") from exc
    record = {"type": "spoiled", "ballot": ballot.to_json(), "secrets": secrets.to_json()}
    pending = _Pending(
        "spoiled",
        bulletin.encode_record(record),
        ballot.credential.hex(),
        keys,
        election.policy,
        attempt.counter(),
        now,
    )
    appended = _submit(session, vote_day_id, pending, attempt, signing, now)
    return CastResult(Receipt(vote_day_id, appended.index, appended.leaf_hash, None, ()))


# --- group commit (docs/log.md, "Group commit") ---------------------------------------


@dataclass(frozen=True)
class _Counter:
    """A credential's attempt, counted under the log's lock with its ballot."""

    key: str
    limit: throttle.Limit
    now: int


@dataclass(frozen=True)
class _Pending:
    """A verified ballot (or audit) waiting for its batch: what the lock must still check."""

    kind: str
    """``ballot`` (cast) or ``spoiled`` (audited)"""
    record: bytes
    """the log record, encoded before the lock (:func:`bulletin.encode_record`)"""
    credential: str
    keys: tuple[str, ...]
    policy: str
    counter: _Counter | None
    now: dt.datetime | None
    """the test's stand-in for the database's clock (the ``cast_at`` of the ballot)"""


SEQUENCER: Sequencer[_Pending, bulletin.Appended] = Sequencer(max_batch=256)
"""This process's group commit of casts and audits, one queue per database and vote day."""


def _submit(
    session: DbSession,
    vote_day_id: str,
    pending: _Pending,
    attempt: _Attempt,
    signing: LogSigning | None,
    now: dt.datetime | None,
) -> bulletin.Appended:
    """Append ``pending`` in this process's next batch of the vote day; durable on return.

    Raises:
        BallotRefused: refused under the lock (closed, duplicate, content on the log).
        TooManyAttempts: the credential's attempt, counted under the lock, is over its limit.
    """
    key = key_of(session, vote_day_id)

    def run(batch: Sequence[_Pending]) -> list[bulletin.Appended | VotingError]:
        return append_batch(session, vote_day_id, batch, signing=signing, now=now)

    try:
        appended = SEQUENCER.submit(key, pending, run)
    except (BallotRefused, TooManyAttempts):
        attempt.counted = pending.counter is not None  # counted in the committed batch
        raise
    if pending.counter is not None:
        limits = {"cast:": pending.counter.limit.window}
        throttle.purge_if_due(session, now=pending.counter.now, windows=limits)
    return appended


def append_batch(
    session: DbSession,
    vote_day_id: str,
    batch: Sequence[_Pending],
    *,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> list[bulletin.Appended | VotingError]:
    """Append a batch of verified ballots in one transaction under the log's lock.

    Every check a single cast makes under the lock is made for each ballot,
    in order, against the database AND the ballots before it in the batch:
    the vote day is still open, the credential's attempt is within its limit
    (counted here, committed with the batch), no ballot or audit holds the
    same content, and under ``first-counts`` the credential has not cast. A
    refused ballot gets its exception (and no leaf); the others are appended.
    Returns one outcome per ballot, after the commit.

    Content already on the log is found by the content rows' primary key
    (docs/log.md, "Replays found by the insert"): the batch writes its rows
    without looking its keys up first, and a replay makes that insert fail,
    which rolls the whole transaction back. The batch is then run again with
    the keys looked up (:data:`LOOKUP_BATCHES_AFTER_REPLAY` batches of the
    vote day in this process do so), and the replay is refused as before.

    Raises:
        Exception: a database error; the transaction is rolled back, nothing is stored.
    """
    key = key_of(session, vote_day_id)
    lookups = _LOOKUP_BATCHES.get(key, 0)
    if lookups:
        _LOOKUP_BATCHES[key] = lookups - 1
    else:
        try:
            busy = len(batch) >= PIPELINE_FROM or beside_running()
            if busy and now is None and _is_postgres(session):
                pipelined = _append_pipelined(session, vote_day_id, batch, signing, key)
                if pipelined is not None:
                    return pipelined
            return _append_batch(session, vote_day_id, batch, signing, now, lookup=False)
        except Exception as exc:
            if not sql.unique_violation(exc, "ballot_contents"):
                raise
            PIPELINE_STATS.replays += 1
            _LOOKUP_BATCHES[key] = LOOKUP_BATCHES_AFTER_REPLAY
    return _append_batch(session, vote_day_id, batch, signing, now, lookup=True)


PIPELINE_FROM = 2
"""Batches of this many ballots or more, or that start beside a running batch, are
pipelined (:func:`_append_pipelined`, on PostgreSQL): a lone ballot on a quiet log
is not worth the extra round trip."""
LOOKUP_BATCHES_AFTER_REPLAY = 64
"""After a replay made a batch's insert fail, the vote day's next batches in this
process look their content keys up first: a stream of replays costs a run of
each batch twice at most once per this many batches (docs/threat-model.md)."""
_LOOKUP_BATCHES: dict[tuple[int, str], int] = {}
"""Per (database, vote day): how many more batches look their content keys up."""


def _is_postgres(session: DbSession) -> bool:
    return bool(session.get_bind().dialect.name == "postgresql")


def _append_batch(
    session: DbSession,
    vote_day_id: str,
    batch: Sequence[_Pending],
    signing: LogSigning | None,
    now: dt.datetime | None,
    *,
    lookup: bool,
) -> list[bulletin.Appended | VotingError]:
    """:func:`append_batch`, with the content keys looked up under the lock or not."""
    credentials = sorted({p.credential for p in batch})
    reads: list[tuple[str, Any]] = [(_BATCH_STATUS, (vote_day_id,))]
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:  # one array parameter each
        reads.append((_PG_FIRSTS, (credentials, vote_day_id)))
    else:
        reads.append((_in_list(_BATCH_FIRSTS, len(credentials)), (vote_day_id, *credentials)))
    if lookup:
        keys = sorted({key for p in batch for key in p.keys})
        if postgres:
            reads.append((_PG_CONTENTS, (keys, vote_day_id)))
        else:
            reads.append((_in_list(_BATCH_CONTENTS, len(keys)), (vote_day_id, *keys)))
    counters, upserts = _count_attempts(batch, postgres)
    reads += upserts
    first_counter = 3 if lookup else 2
    outcomes: list[bulletin.Appended | VotingError] = []
    with bulletin.locked_log(session, vote_day_id, signing=signing, now=now, reads=reads) as log:
        status_rows, first_rows = log.reads[:2]
        content_found = log.reads[2] if lookup else ()
        attempts = _attempts(counters, log.reads[first_counter:])
        status_row = status_rows.first()
        status = None if status_row is None else status_row[0]
        db_firsts: dict[str, FirstBallot] = {}
        for credential, leaf, leaf_hash in sorted(first_rows, key=lambda row: int(row[1])):
            db_firsts.setdefault(credential, FirstBallot(int(leaf), leaf_hash))
        db_contents = {digest: (int(leaf), kind) for digest, leaf, kind in content_found}
        batch_firsts: dict[str, FirstBallot] = {}
        batch_contents: dict[str, tuple[int, str]] = {}
        cast_rows: dict[str, list[tuple[Any, ...]]] = {}
        content_rows: list[tuple[Any, ...]] = []
        for pending in batch:
            try:
                _check_counted(pending, attempts)
                if status != "open":
                    raise VoteDayNotOpen(
                        f"vote day {vote_day_id!r} closed while the ballot was checked",
                        status=status,
                    )
                # the earliest leaf holding any of its content, stored or in this batch
                earlier = [db_contents[k] for k in pending.keys if k in db_contents]
                earlier += [batch_contents[k] for k in pending.keys if k in batch_contents]
                if earlier:
                    raise _already_on_log(*min(earlier), _PURPOSE[pending.kind])
                if pending.kind == "ballot":
                    first = db_firsts.get(pending.credential)
                    _check_revote(
                        vote_day_id, first or batch_firsts.get(pending.credential), pending.policy
                    )
            except (BallotRefused, TooManyAttempts) as exc:
                outcomes.append(exc)
                continue
            appended = log.append_encoded(pending.record)
            outcomes.append(appended)
            for key in pending.keys:
                batch_contents[key] = (appended.index, pending.kind)
            content_rows += _content_rows(vote_day_id, pending.keys, appended, pending.kind)[1]
            if pending.kind == "ballot":
                first_here = FirstBallot(appended.index, appended.leaf_hash.hex())
                batch_firsts.setdefault(pending.credential, first_here)
                sql_text, params = _cast_ballot_row(
                    session, vote_day_id, pending.credential, appended, pending.now
                )
                cast_rows.setdefault(sql_text, []).append(params)
        for sql_text, rows_params in cast_rows.items():
            log.write_with(sql_text, rows_params)
        if content_rows and postgres:
            log.write_with(*_pg_content_rows(vote_day_id, content_rows))
        elif content_rows:
            log.write_with(_INSERT_CONTENT, content_rows)
        if postgres:  # the next batch may prepare on this one (as after a pipelined lock)
            _publish_tail(key_of(session, vote_day_id), log, batch_contents, batch_firsts)
    return outcomes


def _count_attempts(
    batch: Sequence[_Pending], postgres: bool
) -> tuple[dict[str, list[_Counter]], list[tuple[str, Any]]]:
    """The batch's attempts per counter key, and the upserts counting them under the lock.

    One upsert per key in key order: every batch locks counters in one order,
    so two batches (of two vote days) never wait for each other's counters.
    """
    counters: dict[str, list[_Counter]] = {}
    for pending in batch:
        if pending.counter is not None:
            counters.setdefault(pending.counter.key, []).append(pending.counter)
    tallies = [(k, cs[0].limit, cs[-1].now, len(cs)) for k, cs in sorted(counters.items())]
    return counters, throttle.upsert_many(tallies, arrays=postgres)


def _attempts(
    counters: dict[str, list[_Counter]], results: Sequence[sql.Rows]
) -> dict[str, list[tuple[int, int]]]:
    """Each attempt's count and window start, from the upserts' rows, in batch order."""
    attempts: dict[str, list[tuple[int, int]]] = {}
    for key, total, window_start in (row for rows in results for row in rows):
        times = len(counters[key])  # the i-th of n attempts saw total - (n - 1 - i)
        attempts[key] = [(int(total) - times + 1 + i, int(window_start)) for i in range(times)]
    return attempts


# --- pipelined batches (PostgreSQL; docs/log.md, "Pipelined batches") -----------------


@dataclass(frozen=True)
class _Tail:
    """A batch of this process that holds the log's lock: what the next batch builds on.

    Published once its lock is confirmed, before its writes and commit; the
    next batch, preparing meanwhile, reads the database without the lock and
    adds what this one appends (not yet visible to it). Whether the batch
    committed is checked by the next one under the lock (:meth:`LockedLog.take_lock`).
    """

    start: tuple[int, bytes]
    """the log's size and right edge before the batch"""
    end: LogState
    """the log after the batch"""
    contents: dict[str, tuple[int, str]]
    """the batch's content keys: leaf and kind"""
    firsts: dict[str, FirstBallot]
    """the first ballot of each credential that cast in the batch"""


@dataclass
class PipelineStats:
    """How this process's batches went (for benchmarks and tests)."""

    pipelined: int = 0
    """batches appended as prepared before the lock"""
    moved: int = 0
    """batches whose prepared state the locked log no longer was (run again under the lock)"""
    replays: int = 0
    """batches whose content insert found a replay (run again with lookups)"""


PIPELINE_STATS = PipelineStats()


def _publish_tail(
    key: tuple[int, str],
    log: bulletin.LockedLog,
    contents: dict[str, tuple[int, str]],
    firsts: dict[str, FirstBallot],
) -> None:
    """Leave what a batch holding the lock appends for the next batch, and hand the lead on."""
    end = LogState(log.log_id, log.name, log.origin, log.size, list(log.edge))
    _TAILS[key] = _Tail(log.start, end, contents, firsts)
    hand_on()


def key_of(session: DbSession, vote_day_id: str) -> tuple[int, str]:
    """The sequencer's key of a vote day's appends: the engine (one database) and the vote day."""
    return (id(session.get_bind()), vote_day_id)


_TAILS: dict[tuple[int, str], _Tail] = {}
"""Per (database, vote day): the latest batch of this process confirmed under the lock."""


def _append_pipelined(
    session: DbSession,
    vote_day_id: str,
    batch: Sequence[_Pending],
    signing: LogSigning | None,
    key: tuple[int, str],
) -> list[bulletin.Appended | VotingError] | None:
    """:func:`append_batch` prepared before the lock, the lock holding only writes and commit.

    (1) Without the lock, in one round trip: the log's state and the first
    ballots of the batch's credentials. If the log is where this process's
    previous batch (its :class:`_Tail`, which holds the lock) started, the
    batch builds on that batch's end and knows its contents and credentials.
    (2) The checks, leaves and rows of the batch, in Python. (3) The lock and
    every write, in one round trip with the status and the attempts' upserts
    (:meth:`LockedLog.lock_and_write`): the stored log must be the state (1)
    built on, the vote day open and every attempt within its limit. (4) The
    next batch may prepare (:func:`hand_on`). (5) A checkpoint if due, and the
    commit. Returns None, with the transaction rolled back and nothing
    committed, when (3) finds anything else: the caller runs the batch with
    every check under the lock. A replay is found by the content insert, as
    in :func:`append_batch`.
    """
    credentials = sorted({p.credential for p in batch})
    state, (first_rows,) = bulletin.read_unlocked(
        session, vote_day_id, [(_PG_FIRSTS, (credentials, vote_day_id))]
    )
    firsts: dict[str, FirstBallot] = {}
    contents: dict[str, tuple[int, str]] = {}
    tail = _TAILS.get(key)
    if tail is not None and (state.size, b"".join(state.right_edge)) == tail.start:
        state, contents, firsts = tail.end, dict(tail.contents), dict(tail.firsts)
    for credential, leaf, leaf_hash in sorted(first_rows, key=lambda row: int(row[1])):
        firsts[credential] = FirstBallot(int(leaf), leaf_hash)  # stored: before any tail's
    log = bulletin.prepare_appends(session, state)
    outcomes: list[bulletin.Appended | VotingError] = []
    batch_contents: dict[str, tuple[int, str]] = {}
    batch_firsts: dict[str, FirstBallot] = {}
    cast_rows: dict[str, list[tuple[Any, ...]]] = {}
    content_rows: list[tuple[Any, ...]] = []
    for pending in batch:  # (2)
        earlier = [contents[k] for k in pending.keys if k in contents]
        earlier += [batch_contents[k] for k in pending.keys if k in batch_contents]
        try:
            if earlier:
                raise _already_on_log(*min(earlier), _PURPOSE[pending.kind])
            if pending.kind == "ballot":
                first = firsts.get(pending.credential) or batch_firsts.get(pending.credential)
                _check_revote(vote_day_id, first, pending.policy)
        except BallotRefused as exc:
            outcomes.append(exc)
            continue
        appended = log.append_encoded(pending.record)
        outcomes.append(appended)
        for content in pending.keys:
            batch_contents[content] = (appended.index, pending.kind)
        content_rows += [(vote_day_id, k, appended.index, pending.kind) for k in pending.keys]
        if pending.kind == "ballot":
            batch_firsts.setdefault(
                pending.credential, FirstBallot(appended.index, appended.leaf_hash.hex())
            )
            sql_text, params = _cast_ballot_row(
                session, vote_day_id, pending.credential, appended, None
            )
            cast_rows.setdefault(sql_text, []).append(params)
    for sql_text, rows_params in cast_rows.items():
        log.write_with(sql_text, rows_params)
    if content_rows:
        log.write_with(*_pg_content_rows(vote_day_id, content_rows))
    counters, upserts = _count_attempts(batch, True)
    try:  # (3)
        status_rows, *counted = log.lock_and_write([(_BATCH_STATUS, (vote_day_id,)), *upserts])
        status = status_rows.first()
        if status is None or status[0] != "open":
            raise bulletin.LogMoved(f"vote day {vote_day_id!r} is not open")
        attempts = _attempts(counters, counted)
        for pending in batch:
            _check_counted(pending, attempts)
    except (bulletin.LogMoved, TooManyAttempts):
        session.rollback()
        PIPELINE_STATS.moved += 1
        return None
    except BaseException:
        session.rollback()
        raise
    _publish_tail(key, log, batch_contents, batch_firsts)  # (4)
    bulletin.finish_prepared(session, log, signing=signing)  # (5)
    PIPELINE_STATS.pipelined += 1
    return outcomes


_PURPOSE = {"ballot": "ballot", "spoiled": "audit"}


def _check_counted(pending: _Pending, attempts: dict[str, list[tuple[int, int]]]) -> None:
    """The credential's attempt, counted under the lock: refuse it if over the limit."""
    counter = pending.counter
    if counter is None:
        return
    count, window_start = attempts[counter.key].pop(0)
    throttle.check(count, window_start, counter.limit, what=CREDENTIAL_WHAT, now=counter.now)


@dataclass(frozen=True)
class BallotStanding:
    """Whether the ballot at a leaf counts, as the server's index says (the verifier proves it)."""

    kind: str
    """``ballot`` (cast) or ``spoiled`` (audited: never counted)"""
    counted: bool
    counted_index: int | None
    """the leaf of the ballot counted for the same credential (None for an audit)"""
    policy: str
    """the vote day's re-vote policy"""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "counted": self.counted,
            "counted_index": self.counted_index,
            "revote_policy": self.policy,
        }


def ballot_standing(session: DbSession, vote_day_id: str, index: int) -> BallotStanding | None:
    """What the entry at ``index`` is for its voter: the counted ballot, a superseded
    one, or an audited ballot that is never counted. None for any other entry.
    """
    policy = session.scalar(sa.select(VoteDay.revote_policy).where(VoteDay.id == vote_day_id))
    if policy is None:
        return None
    credential = session.scalar(
        sa.select(CastBallot.credential).where(
            CastBallot.vote_day_id == vote_day_id, CastBallot.leaf_index == index
        )
    )
    if credential is not None:
        order = CastBallot.leaf_index if policy == "first-counts" else CastBallot.leaf_index.desc()
        counted = session.scalars(
            sa.select(CastBallot.leaf_index)
            .where(CastBallot.vote_day_id == vote_day_id, CastBallot.credential == credential)
            .order_by(order)
            .limit(1)
        ).one()
        return BallotStanding("ballot", counted == index, int(counted), policy)
    try:  # an audit has no cast-ballot row: the log says what the entry is
        entry = bulletin.get_entry(session, vote_day_id, index)
    except (NotFound, InvalidRequest):  # no such entry
        return None
    if entry.record.get("type") == "spoiled":
        return BallotStanding("spoiled", False, None, policy)
    return None


def questions_for_unit(
    session: DbSession, vote_day_id: str, unit: Jurisdiction
) -> list[QuestionSpec]:
    """The ballot's questions for a voter of ``unit``, in ballot order."""
    tiers = ballot_for_unit(session, vote_day_id, unit)
    return [
        QuestionSpec(q.key, len(q.options), q.min_selections, q.max_selections)
        for tier in tiers
        for q in tier.questions
    ]


@dataclass(frozen=True)
class OpenElection:
    """What casting needs of an open vote day, read in one query."""

    vote_day_id: str
    manifest_hash: str
    context: ElectionContext
    policy: str


@dataclass(frozen=True)
class Registration:
    """What the database holds of the credential a ballot names (read with the vote day)."""

    credential: str
    unit_id: int | None
    """The credential's unit; None when it is not registered for the vote day."""
    first: FirstBallot | None
    """The credential's first ballot, if it has cast one."""
    attempts: tuple[str, Any, Any]
    """The credential's rate counter: its key, count and window start (None, None if none)."""


def _credential_text(data: Any) -> str:
    """The credential a ballot's JSON names, as given (checked when the ballot is parsed)."""
    credential = data.get("credential") if isinstance(data, dict) else None
    return credential if isinstance(credential, str) and len(credential) == 64 else ""


def _open_election(
    session: DbSession,
    vote_day_id: str,
    credential: str,
    now: dt.datetime | None,
    signing: LogSigning | None,
    limits: CastLimits | None = None,
) -> tuple[OpenElection, Registration]:
    """The open vote day's election parameters and the credential's registration (one query).

    A closing time passed by the database's clock (read in the same query;
    ``now`` stands in for it in tests) closes the vote day. The same query
    reads the junk counters of ``limits``.

    Raises:
        TooManyAttempts: the client's, or everyone's, junk is over its limit.
        VoteDayNotFound: there is no such vote day.
        VoteDayNotOpen: the vote day is not open (or has just closed).
    """
    client_key = "" if limits is None else limits.client_key
    counter_key = f"cast:{credential}"
    params = (client_key, JUNK_KEY, counter_key, credential, vote_day_id, credential, vote_day_id)
    row = _run(session, _open_election_sql(session), params).first()
    if row is None:
        raise VoteDayNotFound(f"there is no vote day {vote_day_id!r}", vote_day=vote_day_id)
    status, policy, digest, public_key, closes_at, unit_id, first_index, first_hash = row[:8]
    clock = row[8]
    if limits is not None:
        seconds = int((now or now_utc()).timestamp())
        _check_junk(row[9], row[10], limits.per_client, seconds)
        _check_junk(row[11], row[12], limits.everyone, seconds)
    closes_at = sql.timestamp_from_db(session, closes_at)
    when = as_utc(now) if now is not None else from_db(clock)
    if status == "open" and closes_at is not None and as_utc(closes_at) <= when:
        try:
            close_vote_day(session, vote_day_id, signing=signing, now=now)  # scheduled close
        except TransitionRefused:
            pass  # another request closed it first (its transaction is rolled back)
        status = "closed"
    if status != "open" or digest is None or public_key is None:
        raise VoteDayNotOpen(
            f"vote day {vote_day_id!r} is {status}: ballots are accepted only while open",
            status=status,
        )
    election = OpenElection(vote_day_id, digest, _context(vote_day_id, digest, public_key), policy)
    first = None if first_index is None else FirstBallot(int(first_index), first_hash)
    unit = None if unit_id is None else int(unit_id)
    attempts = (counter_key, row[13], row[14])
    return election, Registration(credential, unit, first, attempts)


def _check_junk(count: Any, window_start: Any, limit: throttle.Limit, now: int) -> None:
    """Refuse when a junk counter read with the vote day is over its limit (in its window)."""
    _check_over(count, window_start, limit, now, JUNK_WHAT)


def _check_over(
    count: Any, window_start: Any, limit: throttle.Limit, now: int, what: str = CREDENTIAL_WHAT
) -> None:
    """Refuse when a counter read earlier is already at its limit (in its window)."""
    if count is None or int(window_start) <= now - limit.window:
        return
    if int(count) >= limit.attempts:
        wait = max(1, int(window_start) + limit.window - now)
        raise TooManyAttempts(
            f"too many {what}; try again in {-(-wait // 60)} minute(s)", retry_after=wait
        )


class _Attempt:
    """Counts one cast or audit where it belongs (:class:`CastLimits`).

    Used as a context manager around the whole cast: :meth:`authenticated` is
    called once the credential's signature verified. A refusal before that
    counts as junk; a refusal after it counts against the credential, in a
    transaction of its own since the cast's own is rolled back.
    """

    def __init__(self, session: DbSession, limits: CastLimits | None, now: dt.datetime) -> None:
        self.session = session
        self.limits = limits
        self.now = int(now.timestamp())
        self.credential_key: str | None = None
        self.counted = False
        self.seen: tuple[str, Any, Any] | None = None
        """A credential's counter as read with the vote day: key, count, window start."""

    def __enter__(self) -> _Attempt:
        return self

    def authenticated(self, credential: str) -> None:
        """The signature verified: the credential's attempt will count.

        It is counted under the log's lock, with the ballot
        (:func:`append_batch`), or by :meth:`__exit__` if the ballot is refused
        before. Here the count read with the vote day (:attr:`seen`) refuses a
        credential already over its limit before its proofs are verified.

        Raises:
            TooManyAttempts: the credential is over its limit.
        """
        if self.limits is None:
            return
        self.credential_key = f"cast:{credential}"
        if self.seen is not None and self.seen[0] == self.credential_key:
            _check_over(self.seen[1], self.seen[2], self.limits.per_credential, self.now)

    def counter(self) -> _Counter | None:
        """The credential's attempt, to be counted with its ballot under the log's lock."""
        if self.limits is None or self.credential_key is None:
            return None
        return _Counter(self.credential_key, self.limits.per_credential, self.now)

    def __exit__(self, kind: Any, exc: Any, traceback: Any) -> None:
        if self.limits is None or not isinstance(exc, VotingError):
            return
        if isinstance(exc, TooManyAttempts) and self.credential_key is None:
            return  # refused before any work by the junk limits: counted no further
        self.session.rollback()
        limits = self.limits
        with contextlib.suppress(TooManyAttempts):  # the refusal stands as it is
            if self.credential_key is None:  # junk: nobody proved to hold the code
                throttle.hit(self.session, limits.client_key, limits.per_client, what=JUNK_WHAT)
                throttle.hit(self.session, JUNK_KEY, limits.everyone, what=JUNK_WHAT)
            elif not self.counted:
                limit = limits.per_credential
                throttle.hit(self.session, self.credential_key, limit, what=CREDENTIAL_WHAT)


@lru_cache(maxsize=64)
def _context(vote_day_id: str, manifest_hash: str, public_key: str) -> ElectionContext:
    # A manifest hash fixes the key and the questions for good: safe to keep.
    return ElectionContext(vote_day_id, bytes.fromhex(manifest_hash), Point.from_hex(public_key))


def _already_on_log(leaf: int, kind: str, purpose: str) -> BallotAlreadyOnLog:
    if purpose == "ballot" and kind == "spoiled":
        message = (
            f"this ballot was audited (leaf {leaf}): its secrets are public, so it can never "
            "be cast; encrypt a fresh ballot"
        )
    elif purpose == "ballot":
        message = (
            f"this ballot, or a ciphertext of it, is already on the log as leaf {leaf}: a "
            "ballot is cast once; to vote again, encrypt a fresh ballot"
        )
    elif kind == "ballot":
        message = (
            f"this ballot was cast (leaf {leaf}): a cast ballot cannot be audited, its "
            "secrets stay with the voter"
        )
    else:
        message = f"this ballot was already audited (leaf {leaf})"
    return BallotAlreadyOnLog(message, leaf=leaf, on_log_as=kind)


def _content_keys(ballot: Ballot) -> tuple[str, ...]:
    """The ballot's content keys; a ballot repeating a ciphertext is refused.

    Raises:
        MalformedBallotError: two of the ballot's ciphertexts are equal.
    """
    keys = content_keys(ballot)
    if len(set(keys)) != len(keys):
        raise MalformedBallotError("a ciphertext appears twice in this ballot")
    return keys


def _in_list(sql_text: str, count: int) -> str:
    """``sql_text`` with its ``{marks}`` replaced by ``count`` placeholders."""
    return _IN_LISTS.get((sql_text, count)) or _IN_LISTS.setdefault(
        (sql_text, count), sql_text.replace("{marks}", ", ".join("?" * count))
    )


_IN_LISTS: dict[tuple[str, int], str] = {}


def _content_rows(
    vote_day_id: str, keys: Sequence[str], appended: bulletin.Appended, kind: str
) -> tuple[str, list[tuple[Any, ...]]]:
    """The statement indexing the content of the record just appended."""
    return _INSERT_CONTENT, [(vote_day_id, key, appended.index, kind) for key in keys]


def _pg_content_rows(
    vote_day_id: str, rows: Sequence[tuple[Any, ...]]
) -> tuple[str, tuple[Any, ...]]:
    """:data:`_PG_INSERT_CONTENT` writing ``rows`` (vote day, digest, leaf, kind), in leaf order."""
    leaves: list[int] = []
    kinds: list[str] = []
    firsts: list[int] = []
    counts: list[int] = []
    for n, (_, _, leaf, kind) in enumerate(rows):
        if leaves and leaves[-1] == leaf:
            counts[-1] += 1
            continue
        leaves.append(leaf)
        kinds.append(kind)
        firsts.append(n)
        counts.append(1)
    digests = bytes.fromhex("".join(row[1] for row in rows))
    return _PG_INSERT_CONTENT, (vote_day_id, digests, leaves, kinds, firsts, counts)


def _questions(session: DbSession, election: OpenElection, unit_id: int) -> list[QuestionSpec]:
    key = (election.vote_day_id, election.manifest_hash, unit_id)
    cached = _QUESTIONS.get(key)
    if cached is None:
        unit = session.get_one(Jurisdiction, unit_id)
        cached = questions_for_unit(session, election.vote_day_id, unit)
        if len(_QUESTIONS) > 10_000:
            _QUESTIONS.clear()
        _QUESTIONS[key] = cached
    return cached


_QUESTIONS: dict[tuple[str, str, int], list[QuestionSpec]] = {}
"""Questions per (vote day, manifest hash, unit): frozen once the vote day is open."""


# Every cast runs the statements below, so they are written in SQL for the
# driver (as the log's hot paths are, voting/log/_tree.py): building
# them with SQLAlchemy's expression language cost more CPU than running them.
# Values are always parameters ("?" placeholders, voting/models/sql.py).
# The vote day, its election, the credential's registration and its first
# ballot: one round trip before any ballot is parsed.
# It also reads the database's clock (voting/models/clock.py).
_OPEN_ELECTION = (
    "SELECT v.status, v.revote_policy, e.manifest_hash, e.public_key, e.closes_at,"
    " c.jurisdiction_id, b.leaf_index, b.leaf_hash, {now},"
    " jc.count, jc.window_start, ja.count, ja.window_start, cc.count, cc.window_start"
    " FROM vote_days v LEFT OUTER JOIN rate_counters jc ON jc.key = ?"
    " LEFT OUTER JOIN rate_counters ja ON ja.key = ?"
    " LEFT OUTER JOIN rate_counters cc ON cc.key = ?"
    " LEFT OUTER JOIN elections e ON e.vote_day_id = v.id"
    " LEFT OUTER JOIN credentials c ON c.vote_day_id = v.id AND c.public_key = ?"
    " LEFT OUTER JOIN cast_ballots b ON b.id = (SELECT id FROM cast_ballots"
    " WHERE vote_day_id = ? AND credential = ? ORDER BY leaf_index + 0 LIMIT 1)"
    " WHERE v.id = ?"
)
# "leaf_index + 0" keeps SQLite's planner off the (vote_day_id, leaf_index)
# index, which it chose to walk in order: a scan of every ballot of the vote
# day per cast (measured: 14 ms per cast at 4,000 ballots). The rows wanted
# are the few of one credential.
# Under the lock, for a whole batch (one round trip with the lock on PostgreSQL):
# the status, the first ballots of the batch's credentials and the leaves
# already holding any of its content keys (index lookups on
# (vote_day_id, credential) and on the primary key (vote_day_id, digest)).
_BATCH_STATUS = "SELECT status FROM vote_days WHERE id = ?"
_BATCH_FIRSTS = (
    "SELECT credential, leaf_index, leaf_hash FROM cast_ballots"
    " WHERE vote_day_id = ? AND credential IN ({marks})"
)
_BATCH_CONTENTS = (
    "SELECT digest, leaf_index, kind FROM ballot_contents"
    " WHERE vote_day_id = ? AND digest IN ({marks})"
)
# On PostgreSQL the same from an array parameter (one statement text whatever
# the batch, so it is prepared once), as one LATERAL lookup per value: an
# index search each, whatever the planner's statistics say of a young table
# (a plain join or IN list, with few rows counted, scanned all the vote day's
# rows through the leaf index: 7 ms at 9,000 content rows, growing).
_PG_FIRSTS = (
    "SELECT k.credential, b.leaf_index, b.leaf_hash FROM unnest(%b::text[]) AS k (credential),"
    " LATERAL (SELECT leaf_index, leaf_hash FROM cast_ballots WHERE vote_day_id = ?"
    " AND credential = k.credential ORDER BY leaf_index + 0 LIMIT 1) AS b"
)
_PG_CONTENTS = (
    "SELECT c.digest, c.leaf_index, c.kind FROM unnest(%b::text[]) AS k (digest),"
    " LATERAL (SELECT digest, leaf_index, kind FROM ballot_contents WHERE vote_day_id = ?"
    " AND digest = k.digest LIMIT 1) AS c"
)
_INSERT_CONTENT = (
    "INSERT INTO ballot_contents (vote_day_id, digest, leaf_index, kind) VALUES (?, ?, ?, ?)"
)
# On PostgreSQL a batch's content rows go as one byte string of their digests
# and one row per ballot (its leaf, kind, first key and number of keys), split
# by the server: the driver dumps array elements one by one in Python, and a
# batch of 32 reference ballots has 224 content rows of four columns.
_PG_INSERT_CONTENT = (
    "INSERT INTO ballot_contents (vote_day_id, digest, leaf_index, kind)"
    " SELECT ?, encode(substring(%b::bytea FROM 32 * (b.first + g.i) + 1 FOR 32), 'hex'),"
    " b.leaf, b.kind FROM unnest(%b::int8[], %b::text[], %b::int4[], %b::int4[])"
    " AS b (leaf, kind, first, n), LATERAL generate_series(0, b.n - 1) AS g (i)"
)
_INSERT_CAST_BALLOT = (
    "INSERT INTO cast_ballots (vote_day_id, credential, leaf_index, leaf_hash, cast_at)"
    " VALUES (?, ?, ?, ?, {now})"
)
_INSERT_CAST_BALLOT_AT = _INSERT_CAST_BALLOT.replace("{now}", "?")
_run = sql.run


def _open_election_sql(session: DbSession) -> str:
    return _OPEN_ELECTION.replace("{now}", now_sql(session.get_bind().dialect.name))


@dataclass(frozen=True)
class FirstBallot:
    """The first ballot a credential cast: where it is on the log."""

    leaf_index: int
    leaf_hash: str


def _cast_ballot_row(
    session: DbSession,
    vote_day_id: str,
    credential: str,
    appended: bulletin.Appended,
    now: dt.datetime | None,
) -> tuple[str, tuple[Any, ...]]:
    """The statement recording where a credential's ballot landed (at the database's time)."""
    params = (vote_day_id, credential, appended.index, appended.leaf_hash.hex())
    if now is not None:  # a test's stand-in for the database's clock
        return _INSERT_CAST_BALLOT_AT, (*params, sql.timestamp_to_db(session, now))
    return _INSERT_CAST_BALLOT.replace("{now}", now_sql(session.get_bind().dialect.name)), params


_BEFORE_BALLOT, _AFTER_BALLOT = bulletin.encode_record({"type": "ballot", "ballot": 0}).split(b"0")
"""A cast ballot's record with 0 in the ballot's place: the canonical bytes around the ballot."""


def _ballot_record(ballot: Ballot) -> bytes:
    """The log record of a cast ballot: ``bulletin.encode_record({"type": "ballot", "ballot": …})``.

    Built from the ballot's canonical JSON, already made for its signature and
    content key: RFC 8785 encodes each member's value on its own, so the
    ballot's bytes go where the 0 was. A ballot body is at most
    :data:`MAX_BALLOT_BYTES`, far below a record's limit.
    """
    return _BEFORE_BALLOT + ballot.canonical() + _AFTER_BALLOT


def _parse(data: Any) -> Ballot:
    try:
        return Ballot.from_json(data)
    except InvalidEncoding as exc:
        raise MalformedBallotError(str(exc)) from exc


def _registered_unit_id(
    vote_day_id: str, ballot: Ballot, registration: Registration
) -> tuple[int, FirstBallot | None]:
    """The credential's unit, and its first ballot if it has cast one.

    Raises:
        WrongQuestions: the ballot names another vote day.
        UnknownCredential: the credential is not registered for the vote day.
    """
    if ballot.vote_day_id != vote_day_id:
        raise WrongQuestions(f"the ballot is for vote day {ballot.vote_day_id!r}")
    if registration.unit_id is None or registration.credential != ballot.credential.hex():
        raise UnknownCredential("this voting credential is not registered for the vote day")
    return registration.unit_id, registration.first


def _check_revote(vote_day_id: str, first: FirstBallot | None, policy: str) -> None:
    if policy != "first-counts" or first is None:
        return
    receipt = Receipt(vote_day_id, first.leaf_index, bytes.fromhex(first.leaf_hash), None, ())
    raise DuplicateBallot(
        "a ballot was already cast with this credential; the first ballot counts",
        receipt=receipt.to_json(),
    )


def _verify(
    ballot: Ballot,
    questions: Sequence[QuestionSpec],
    context: ElectionContext,
    attempt: _Attempt | None = None,
    *,
    purpose: str = "cast",
) -> None:
    """Verify the ballot; once its signature holds, the credential's attempt counts."""
    try:
        check_ballot_shape(ballot, questions=questions, election=context)
    except MalformedBallot as exc:
        raise WrongQuestions(str(exc)) from exc
    try:
        verify_signature(ballot, purpose)
    except InvalidSignature as exc:
        raise BadSignature(str(exc)) from exc
    if attempt is not None:
        attempt.authenticated(ballot.credential.hex())
    try:
        verify_proofs(ballot, questions=questions, election=context)
    except InvalidProof as exc:
        raise InvalidBallotProof(str(exc)) from exc


COUNTED_PAGE = 5000
"""Counted ballots read per query by :func:`counted_ballot_pages`."""


def counted_ballot_pages(
    session: DbSession,
    vote_day_id: str,
    policy: str,
    *,
    size: int = COUNTED_PAGE,
    confirmed_only: bool = False,
) -> Iterator[list[int]]:
    """Leaf indexes of the ballots that count under the re-vote policy, in log order, by pages.

    A ballot counts unless another ballot of its credential comes before it
    (``first-counts``) or after it (``last-counts``). Each page is one query,
    resumed after the last index of the page before (keyset paging on the
    unique ``(vote_day_id, leaf_index)``; the other ballots of a credential
    are found through ``(vote_day_id, credential)``): memory is bounded by
    ``size``, not by the number of ballots. With ``confirmed_only`` (a vote
    day with return codes, docs/return-codes.md) a ballot counts only once
    its voter confirmed it with the ballot casting key.
    """
    if size < 1:
        raise ValueError("a page holds at least one ballot")
    other = so.aliased(CastBallot)
    # "+ 0" keeps the planner off (vote_day_id, leaf_index) for the other
    # ballots, which would scan the whole vote day per row (SQLite chose it):
    # the credential's ballots are the few rows of (vote_day_id, credential).
    theirs = other.leaf_index + 0
    if policy == "last-counts":
        replaced_by = theirs > CastBallot.leaf_index
    else:
        replaced_by = theirs < CastBallot.leaf_index
    superseded = sa.exists().where(
        other.vote_day_id == CastBallot.vote_day_id,
        other.credential == CastBallot.credential,
        replaced_by,
    )
    conditions = [CastBallot.vote_day_id == vote_day_id, ~superseded]
    if confirmed_only:
        conditions.append(
            sa.exists().where(
                ReturnCodeBallot.vote_day_id == CastBallot.vote_day_id,
                ReturnCodeBallot.ballot_index == CastBallot.leaf_index,
                ReturnCodeBallot.confirmed_index.is_not(None),
            )
        )
    after = -1
    while True:
        page = list(
            session.scalars(
                sa.select(CastBallot.leaf_index)
                .where(CastBallot.leaf_index > after, *conditions)
                .order_by(CastBallot.leaf_index)
                .limit(size)
            )
        )
        if page:
            yield page
        if len(page) < size:
            return
        after = page[-1]


def counted_ballots(
    session: DbSession, vote_day_id: str, policy: str, *, confirmed_only: bool = False
) -> list[int]:
    """Every counted ballot's leaf index, in log order (:func:`counted_ballot_pages`, joined)."""
    pages = counted_ballot_pages(session, vote_day_id, policy, confirmed_only=confirmed_only)
    return [i for page in pages for i in page]
