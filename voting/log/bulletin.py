"""The bulletin board: one append-only RFC 9162 Merkle log per vote day (docs/log.md).

Appends are serialized per log across processes (see :func:`locked_log`) and
committed durably before they return. Every read (an entry, a past root, an
inclusion or consistency proof) costs O(log n) rows. Checkpoints are C2SP
tlog-checkpoint notes signed by the log key, issued at most about once per
:data:`CHECKPOINT_INTERVAL` and only from the stored tree, so two
inconsistent checkpoints are never signed. When a checkpoint is due, and the
time it is stored with, is decided by the database's clock
(:mod:`voting.models.clock`), so that every node of a deployment batches
checkpoints by the same clock; ``now`` arguments stand in for it in tests.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from crypto import merkle
from crypto.encoding import canonical_json
from crypto.errors import InvalidEncoding
from crypto.note import Checkpoint
from crypto.note import sign_checkpoint
from crypto.receipt import Receipt
from voting.errors import Conflict
from voting.errors import InvalidRequest
from voting.errors import NotFound
from voting.log import _tree as tree
from voting.log._tree import LogCorrupted
from voting.log._tree import LogNotFound
from voting.log._tree import LogState
from voting.log.keys import DEFAULT_ORIGIN_TEMPLATE
from voting.log.keys import LogSigning
from voting.log.reads import MAX_PAGE
from voting.log.reads import Entry
from voting.log.reads import consistency_proof
from voting.log.reads import find_index
from voting.log.reads import get_entries
from voting.log.reads import get_entry
from voting.log.reads import inclusion_proof
from voting.log.reads import log_origin
from voting.log.reads import log_size
from voting.log.reads import non_negative
from voting.log.reads import root_at
from voting.models import sql as _sql
from voting.models.clock import database_now
from voting.models.log import Log
from voting.models.log import LogCheckpoint
from voting.models.session_types import DbSession
from voting.models.sql import Rows

__all__ = [
    "CHECKPOINT_INTERVAL",
    "COMMIT_IN_DOUBT",
    "MAX_PAGE",
    "MAX_RECORD_BYTES",
    "Appended",
    "Entry",
    "InvalidRecord",
    "LockedLog",
    "LogCorrupted",
    "LogMoved",
    "LogNotFound",
    "LogState",
    "StoredCheckpoint",
    "append",
    "append_many",
    "consistency_proof",
    "create_log",
    "encode_record",
    "find_index",
    "finish_prepared",
    "get_checkpoint",
    "get_entries",
    "get_entry",
    "inclusion_proof",
    "issue_checkpoint",
    "latest_checkpoint_note",
    "locked_log",
    "log_origin",
    "log_size",
    "prepare_appends",
    "read_unlocked",
    "receipt_for",
    "root_at",
]

CHECKPOINT_INTERVAL = dt.timedelta(seconds=1)
COMMIT_IN_DOUBT = "urna_commit_in_doubt"
"""Attribute set to True on an error raised by an append's commit: the append may
have become durable (the database may have committed before the connection broke)."""
MAX_RECORD_BYTES = 1 << 20
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class InvalidRecord(InvalidRequest):
    code = "invalid_record"


class LogMoved(Exception):
    """Appends prepared on a state of the log that the locked log no longer is:
    the caller rolls back and prepares again (never shown to a user)."""


@dataclass
class LockStats:
    """What this process's appends did under logs' locks (for benchmarks)."""

    transactions: int = 0
    appends: int = 0
    held_s: float = 0.0
    """Wall time from the lock's round trip's answer to the commit's, summed."""


LOCK_STATS = LockStats()


@dataclass(frozen=True)
class Appended:
    """Where a record landed: its leaf index and RFC 9162 leaf hash."""

    index: int
    leaf_hash: bytes


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint the log signed: its size, root and note text."""

    log: str
    size: int
    root_hash: bytes
    note: str
    created_at: dt.datetime


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC, and a
    # naive ``now`` from a caller is taken to be UTC as well.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def encode_record(record: Mapping[str, Any]) -> bytes:
    """The canonical JSON (RFC 8785) of a record with a ``type``.

    Raises:
        InvalidRecord: not an object with a non-empty string ``type``, a float,
            or larger than :data:`MAX_RECORD_BYTES`.
    """
    if not isinstance(record, Mapping) or not isinstance(record.get("type"), str):
        raise InvalidRecord("a log record is a JSON object with a string 'type'")
    if not record["type"]:
        raise InvalidRecord("a log record's 'type' must not be empty")
    try:
        data = canonical_json(record if type(record) is dict else dict(record))
    except InvalidEncoding as exc:
        raise InvalidRecord(f"log record cannot be encoded: {exc}") from exc
    if len(data) > MAX_RECORD_BYTES:
        raise InvalidRecord(f"a log record is at most {MAX_RECORD_BYTES} bytes")
    return data


# --- creating and appending -------------------------------------------------------


def create_log(
    session: DbSession, name: str, *, origin: str | None = None, now: dt.datetime | None = None
) -> None:
    """Create an empty log and commit.

    Raises:
        InvalidRequest: the name is not a slug (lowercase letters, digits, ``.-_``).
        Conflict: a log of that name exists.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidRequest(f"a log name is a lowercase slug of at most 64 characters: {name!r}")
    origin = origin or DEFAULT_ORIGIN_TEMPLATE.format(name=name)
    created_at = now or database_now(session)
    session.add(Log(name=name, origin=origin, size=0, right_edge=b"", created_at=created_at))
    try:
        session.commit()
    except sa.exc.IntegrityError as exc:
        session.rollback()
        raise Conflict(f"a log named {name!r} already exists") from exc


class LockedLog:
    """A log whose append lock the current transaction holds."""

    _FLUSH_ROWS = 5000

    def __init__(self, session: DbSession, state: tree.LogState, reads: list[Rows]) -> None:
        self._session = session
        self._state = state
        self.reads = reads
        """The rows of each of the caller's ``reads`` statements, run under the lock."""
        self.read_with = reads[0] if reads else None
        """The rows of the caller's ``read_with`` query (its first read), read under the lock."""
        self._leaves: list[tuple[int, int, bytes, int, bytes]] = []
        self._nodes: list[tuple[int, int, bytes]] = []
        self._also: list[tuple[str, _sql.Params]] = []
        self.flushed_at: dt.datetime | None = None
        """The database's time at the latest :meth:`flush` (read under the lock)."""
        self._start = (state.size, b"".join(state.right_edge))
        self._locked_at = time.perf_counter()
        """The size and right edge the appends start from (checked by :meth:`take_lock`)."""

    @property
    def name(self) -> str:
        return self._state.name

    @property
    def log_id(self) -> int:
        return self._state.id

    @property
    def origin(self) -> str:
        return self._state.origin

    @property
    def latest_checkpoint(self) -> tuple[int, Any] | None:
        """The latest checkpoint's size and stored time, as read with the lock."""
        return self._state.latest_checkpoint

    @property
    def size(self) -> int:
        """The size including the appends of this transaction."""
        return self._state.size

    @property
    def start(self) -> tuple[int, bytes]:
        """The size and right edge (joined) of the log before this transaction's appends."""
        return self._start

    @property
    def edge(self) -> tuple[bytes, ...]:
        """The right edge at :attr:`size` (the hashes of its perfect subtrees, largest first)."""
        return tuple(self._state.right_edge)

    def root(self) -> bytes:
        """The root hash at :attr:`size`."""
        return tree.edge_root(self._state.right_edge)

    def append(self, record: Mapping[str, Any]) -> Appended:
        """Append one record (written at :meth:`flush` or when the context ends)."""
        return self.append_encoded(encode_record(record))

    def append_encoded(self, data: bytes) -> Appended:
        """Append a record already encoded by :func:`encode_record` (by the caller, before
        the lock was taken: the encoding is the costly part of an append)."""
        leaf = merkle.leaf_hash(data)
        index = self._state.size
        tree.push_leaf(self._state.right_edge, index, leaf, self._nodes)
        self._leaves.append((self._state.id, index, leaf, tree.hash_prefix(leaf), data))
        self._state.size = index + 1
        if len(self._leaves) >= self._FLUSH_ROWS:
            self.flush()
        return Appended(index, leaf)

    def append_many(self, records: Iterable[Mapping[str, Any]]) -> list[Appended]:
        return [self.append(record) for record in records]

    def write_with(self, sql: str, params: _sql.Params) -> None:
        """Run the caller's own write (driver-level SQL, ``?`` placeholders) with the next flush.

        It goes to the database in the same batch as the log's rows: one
        round trip for both on PostgreSQL. Values are always parameters; a
        list of parameter rows writes several rows.
        """
        self._also.append((sql, params))

    def take_lock(self, reads: Sequence[tuple[str, _sql.Params]] = ()) -> list[Rows]:
        """Take the lock of a log prepared without it (:func:`prepare_appends`).

        Checks that the stored log is still the state the appends were
        prepared on (its size and right edge, which fix every leaf); runs
        ``reads`` under the lock in the same round trip and returns their rows.

        Raises:
            LogMoved: the log is not at that state (it was appended to, or a
                batch the state was predicted from did not commit).
        """
        state, rows = tree.lock_log(self._session, self.name, reads)
        stored = (state.size, b"".join(state.right_edge))
        if stored != self._start:
            raise LogMoved(
                f"log {self.name!r} is at size {state.size}, not {self._start[0]} as prepared"
            )
        self._state.latest_checkpoint = state.latest_checkpoint
        self._locked_at = time.perf_counter()
        return rows

    def lock_and_write(self, reads: Sequence[tuple[str, _sql.Params]] = ()) -> list[Rows]:
        """Take the lock of a log prepared without it and write its appends: one round trip.

        As :meth:`take_lock` followed by :meth:`flush` (the caller's writes
        included), sent together (PostgreSQL's pipeline): the lock is taken
        first, the writes follow under it. If the stored log is not the state
        the appends were prepared on, the writes are void: :class:`LogMoved`
        is raised and the caller rolls back (nothing is committed before).

        Raises:
            LogMoved: the log is not at the prepared state, or already holds a
                leaf at a prepared index.
        """
        try:
            stored, rows, self.flushed_at = tree.lock_and_write(
                self._session, self._state, reads, self._leaves, self._nodes, self._also
            )
        except Exception as exc:
            if _sql.unique_violation(exc, "log_leaves"):
                raise LogMoved(f"log {self.name!r} holds a leaf at a prepared index") from exc
            raise
        self._locked_at = time.perf_counter()
        if (stored.size, b"".join(stored.right_edge)) != self._start:
            raise LogMoved(
                f"log {self.name!r} is at size {stored.size}, not {self._start[0]} as prepared"
            )
        self._state.latest_checkpoint = stored.latest_checkpoint
        self._leaves.clear()
        self._nodes.clear()
        self._also.clear()
        return rows

    def flush(self) -> None:
        """Write the pending leaves, subtree hashes, the log row and the caller's writes."""
        if self.flushed_at is not None and not (self._leaves or self._nodes or self._also):
            return  # written (by :meth:`lock_and_write`) and nothing new
        self.flushed_at = tree.write(
            self._session, self._state, self._leaves, self._nodes, self._also
        )
        self._leaves.clear()
        self._nodes.clear()
        self._also.clear()


@contextmanager
def locked_log(
    session: DbSession,
    name: str,
    *,
    commit: bool = True,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
    read_with: tuple[str, tuple[Any, ...]] | None = None,
    reads: Sequence[tuple[str, _sql.Params]] = (),
) -> Iterator[LockedLog]:
    """Hold the log's append lock for the rest of the transaction.

    Use it to append together with your own checks and rows, atomically::

        with bulletin.locked_log(session, "2026-03-08-ch") as log:
            ...  # check, session.add(...), log.append(record)

    ``read_with`` is a query of the caller's (driver-level SQL, ``?``
    placeholders), run once the lock is held, in the same round trip as the
    log row on PostgreSQL; its rows are :attr:`LockedLog.read_with`. ``reads``
    are more such statements, run in order after it (a group commit reads for
    each ballot of its batch, and counts their attempts): their rows are
    :attr:`LockedLog.reads`.

    On leaving, the appends are written and (with ``commit``, the default) the
    transaction is committed: when the block returns, the records are durable.
    With ``signing``, a checkpoint is issued in the same transaction if the
    latest is older than :data:`CHECKPOINT_INTERVAL`. On an exception the
    transaction is rolled back.

    Raises:
        LogNotFound: no log has that name.
    """
    try:
        statements = [*([read_with] if read_with else []), *reads]
        log = LockedLog(session, *tree.lock_log(session, name, statements))
        yield log
        _finish(session, log, signing, now, commit=commit)
    except BaseException:
        _rollback(session)
        raise


def _finish(
    session: DbSession,
    log: LockedLog,
    signing: LogSigning | None,
    now: dt.datetime | None,
    *,
    commit: bool,
) -> None:
    """Write a locked log's appends, sign a checkpoint if due, commit."""
    log.flush()
    if signing is not None:
        when = now or log.flushed_at or database_now(session)
        _checkpoint_if_due(session, log, signing, when, CHECKPOINT_INTERVAL)
    if commit:
        try:
            session.commit()
        except Exception as exc:  # the connection broke with the COMMIT on its way
            setattr(exc, COMMIT_IN_DOUBT, True)
            raise
        LOCK_STATS.transactions += 1  # (not atomic: figures for benchmarks)
        LOCK_STATS.appends += log.size - log._start[0]
        LOCK_STATS.held_s += time.perf_counter() - log._locked_at


def read_unlocked(
    session: DbSession, name: str, reads: Sequence[tuple[str, _sql.Params]] = ()
) -> tuple[tree.LogState, list[Rows]]:
    """The log's committed state without its lock, and the rows of ``reads`` (one round trip).

    ``reads`` run after the log row is read: they see at least what it saw.

    Raises:
        LogNotFound: no log has that name.
    """
    results = _sql.run_many(session, [(tree._READ_LOG, (name,)), *reads])
    row = results[0].one_or_none()
    if row is None:
        raise LogNotFound(f"there is no log named {name!r}")
    log_id, origin, size, edge = row
    return tree.LogState(log_id, name, origin, size, tree.split_edge(bytes(edge), size)), results[
        1:
    ]


def prepare_appends(session: DbSession, state: tree.LogState) -> LockedLog:
    """Appends to be made on ``state`` (a copy is kept), before the log's lock is taken.

    Append to the result as to a locked log, then :meth:`LockedLog.take_lock`
    (which checks the stored log is still at ``state``) and
    :func:`finish_prepared`. Nothing is written before the lock is held.
    """
    copy = tree.LogState(state.id, state.name, state.origin, state.size, list(state.right_edge))
    return LockedLog(session, copy, [])


def finish_prepared(
    session: DbSession, log: LockedLog, *, signing: LogSigning | None = None
) -> None:
    """Write a prepared log's appends (its lock taken), sign a checkpoint if due, commit.

    On an exception the transaction is rolled back and the exception raised.
    """
    try:
        _finish(session, log, signing, None, commit=True)
    except BaseException:
        _rollback(session)
        raise


def _rollback(session: DbSession) -> None:
    """Roll back; if the connection is gone, discard it so that the first error stands."""
    try:
        session.rollback()
    except Exception:
        (session if isinstance(session, so.Session) else session()).invalidate()


def append(
    session: DbSession, name: str, record: Mapping[str, Any], *, signing: LogSigning | None = None
) -> Appended:
    """Append one record and commit (durable on return)."""
    with locked_log(session, name, signing=signing) as log:
        return log.append(record)


def append_many(
    session: DbSession,
    name: str,
    records: Iterable[Mapping[str, Any]],
    *,
    signing: LogSigning | None = None,
) -> list[Appended]:
    """Append records in one transaction and commit (durable on return)."""
    with locked_log(session, name, signing=signing) as log:
        return log.append_many(records)


# --- checkpoints --------------------------------------------------------------------


def _stored(name: str, row: LogCheckpoint) -> StoredCheckpoint:
    return StoredCheckpoint(name, row.size, row.root_hash, row.note, _utc(row.created_at))


def _latest_row(session: DbSession, log_id: int) -> LogCheckpoint | None:
    stmt = (
        sa.select(LogCheckpoint)
        .where(LogCheckpoint.log_id == log_id)
        .order_by(LogCheckpoint.size.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def _checkpoint_if_due(
    session: DbSession,
    log: LockedLog,
    signing: LogSigning,
    now: dt.datetime,
    interval: dt.timedelta,
) -> None:
    """Every append's check: sign only when due.

    The latest checkpoint was read with the lock (no checkpoint is written
    without it, so it is still the latest).
    """
    latest = log.latest_checkpoint
    if latest is not None:
        size, created_at = latest[0], _sql.timestamp_from_db(session, latest[1])
        if size == log.size or _utc(now) - _utc(created_at) < interval:
            return
    _checkpoint_locked(session, log, signing, now, interval)


def _checkpoint_locked(
    session: DbSession,
    log: LockedLog,
    signing: LogSigning,
    now: dt.datetime,
    interval: dt.timedelta,
) -> StoredCheckpoint:
    """Sign the current tree if the latest checkpoint is older than ``interval``."""
    now = _utc(now)
    latest = _latest_row(session, log.log_id)
    if latest is not None and (latest.size == log.size or now - _utc(latest.created_at) < interval):
        return _stored(log.name, latest)
    root = log.root()
    note = sign_checkpoint(Checkpoint(log.origin, log.size, root), signing.signer(log.origin))
    row = LogCheckpoint(log_id=log.log_id, size=log.size, root_hash=root, note=note)
    row.created_at = now
    session.add(row)
    session.flush()
    return _stored(log.name, row)


def issue_checkpoint(
    session: DbSession,
    name: str,
    signing: LogSigning,
    *,
    interval: dt.timedelta = CHECKPOINT_INTERVAL,
    now: dt.datetime | None = None,
) -> StoredCheckpoint:
    """Sign a checkpoint of the whole log unless the latest is recent; commit.

    Returns the new checkpoint, or the latest one if it already covers the
    whole log or is younger than ``interval``.
    """
    with locked_log(session, name) as log:
        return _checkpoint_locked(session, log, signing, now or database_now(session), interval)


def get_checkpoint(session: DbSession, name: str, size: int | None = None) -> StoredCheckpoint:
    """The latest checkpoint, or the one at ``size``.

    Raises:
        NotFound: the log has no (such) checkpoint yet.
    """
    state = tree.read_log(session, name)
    if size is None:
        row = _latest_row(session, state.id)
    else:
        stmt = sa.select(LogCheckpoint).where(
            LogCheckpoint.log_id == state.id, LogCheckpoint.size == non_negative(size, "size")
        )
        row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"log {name!r} has no checkpoint" + ("" if size is None else f" at {size}"))
    return _stored(name, row)


def latest_checkpoint_note(
    session: DbSession,
    name: str,
    *,
    signing: LogSigning | None = None,
    now: dt.datetime | None = None,
) -> str:
    """The note of the latest checkpoint, as the ``checkpoint`` endpoint serves it.

    With ``signing``, first issue a new checkpoint if the tree has grown and
    the latest is older than :data:`CHECKPOINT_INTERVAL` (lazy batching).
    """
    if signing is not None and _checkpoint_due(session, name, now):
        issue_checkpoint(session, name, signing, now=now)
    return get_checkpoint(session, name).note


def _checkpoint_due(session: DbSession, name: str, now: dt.datetime | None) -> bool:
    state = tree.read_log(session, name)
    latest = _latest_row(session, state.id)
    if latest is None:
        return True
    if latest.size >= state.size:
        return False
    when = _utc(now) if now is not None else database_now(session)
    return when - _utc(latest.created_at) >= CHECKPOINT_INTERVAL


def receipt_for(session: DbSession, name: str, index: int) -> Receipt:
    """The receipt of entry ``index``, with the latest checkpoint if it covers it."""
    entry = get_entry(session, name, index)
    try:
        latest: StoredCheckpoint | None = get_checkpoint(session, name)
    except NotFound:
        latest = None
    if latest is None or latest.size <= index:
        return Receipt(name, index, entry.leaf_hash, None, ())
    proof = inclusion_proof(session, name, index, latest.size)
    return Receipt(name, index, entry.leaf_hash, latest.note, tuple(proof))
