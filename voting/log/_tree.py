"""Storage helpers of the bulletin board: the append lock, the right edge, node reads.

Private to :mod:`voting.log.bulletin`. Every read here costs O(log n)
rows: a proof or a past root needs the hashes of O(log n) perfect subtrees
(:func:`crypto.merkle.perfect_subtrees`), fetched with one query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from crypto.merkle import EMPTY_ROOT
from crypto.merkle import HASH_SIZE
from crypto.merkle import fold_subtrees
from crypto.merkle import node_hash
from crypto.merkle import perfect_subtrees
from voting.errors import NotFound
from voting.errors import VotingError
from voting.models.clock import from_db
from voting.models.clock import now_sql
from voting.models.log import Log
from voting.models.log import LogLeaf
from voting.models.log import LogNode
from voting.models.session_types import DbSession
from voting.models.sql import Params
from voting.models.sql import Rows
from voting.models.sql import run
from voting.models.sql import run_many

logs = Log.__table__
leaves = LogLeaf.__table__
nodes = LogNode.__table__

Range = tuple[int, int]

# The hot paths (every append, every proof) speak SQL to the driver directly
# (voting/models/sql.py): SQLAlchemy's statement building and execution
# cost more than the queries. Values are always passed as parameters.
_READ_LOG = "SELECT id, origin, size, right_edge FROM logs WHERE name = ?"
# Under the lock, the latest checkpoint's size and time come in the same round
# trip (every append checks whether a new checkpoint is due; checkpoints are
# only written under this lock, so the value cannot change before the commit).
_READ_LOG_LOCKED = (
    "SELECT l.id, l.origin, l.size, l.right_edge, c.size, c.created_at FROM logs l"
    " LEFT OUTER JOIN log_checkpoints c ON c.id = (SELECT id FROM log_checkpoints"
    " WHERE log_id = l.id ORDER BY size DESC LIMIT 1)"
    " WHERE l.name = ?"
)
_INSERT_LEAF = (
    "INSERT INTO log_leaves (log_id, idx, leaf_hash, hash_prefix, data) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_NODE = "INSERT INTO log_nodes (log_id, level, idx, hash) VALUES (?, ?, ?, ?)"
# It returns the database's clock (voting/models/clock.py), read under the lock
# in the round trip the append makes anyway: the time checkpoints are due by.
_UPDATE_LOG = "UPDATE logs SET size = ?, right_edge = ? WHERE id = ? RETURNING {now}"


class LogNotFound(NotFound):
    code = "log_not_found"


class LogCorrupted(VotingError):
    """A stored hash is missing or wrong: an operator must investigate."""

    code = "log_corrupted"
    status = 500


@dataclass
class LogState:
    """The log row as read (and, under the lock, as it will be written)."""

    id: int
    name: str
    origin: str
    size: int
    right_edge: list[bytes]
    latest_checkpoint: tuple[int, Any] | None = None
    """Read under the lock only: the latest checkpoint's size and raw created_at."""


def hash_prefix(leaf_hash: bytes) -> int:
    """The indexed prefix of a leaf hash: its first 8 bytes, signed big-endian."""
    return int.from_bytes(leaf_hash[:8], "big", signed=True)


def split_edge(blob: bytes, size: int) -> list[bytes]:
    """Decode the stored right edge: one hash per binary digit of ``size``."""
    edge = [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]
    if len(edge) != size.bit_count() or len(blob) % HASH_SIZE:
        raise LogCorrupted(f"the right edge of a log of size {size} has {len(edge)} hashes")
    return edge


def edge_root(edge: Sequence[bytes]) -> bytes:
    return fold_subtrees(edge) if edge else EMPTY_ROOT


def push_leaf(
    edge: list[bytes], size: int, leaf: bytes, new_nodes: list[tuple[int, int, bytes]]
) -> None:
    """Add leaf number ``size`` to the right edge, recording completed subtrees."""
    carry, level = leaf, 0
    while size >> level & 1:
        carry = node_hash(edge.pop(), carry)
        level += 1
        new_nodes.append((level, size >> level, carry))
    edge.append(carry)


def read_log(session: DbSession, name: str) -> LogState:
    """Read the log row (no lock: a consistent snapshot of a committed size).

    Raises:
        LogNotFound: no log has that name.
    """
    row = run(session, _READ_LOG, (name,)).one_or_none()
    if row is None:
        raise LogNotFound(f"there is no log named {name!r}")
    log_id, origin, size, edge = row
    return LogState(log_id, name, origin, size, split_edge(bytes(edge), size))


def lock_log(
    session: DbSession, name: str, reads: Sequence[tuple[str, Params]] = ()
) -> tuple[LogState, list[Rows]]:
    """Take the log's append lock, then read the log row (and run the caller's ``reads``).

    On SQLite the lock is the database write lock (``BEGIN IMMEDIATE``, waiting
    up to the busy timeout); on PostgreSQL it is the log row's lock
    (``SELECT ... FOR UPDATE``). Both last until the transaction ends.
    ``reads`` (statements of the caller's, reads or writes) run in order after
    the lock is taken, in the same round trip on PostgreSQL; their rows are
    returned beside the log.

    Raises:
        LogNotFound: no log has that name.
    """
    sql = _READ_LOG_LOCKED
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        _begin_immediate(connection)
    else:
        sql += " FOR UPDATE OF l"  # the log row only (the checkpoint side may be NULL)
    results = run_many(session, [(sql, (name,)), *reads])
    row = results[0].one_or_none()
    if row is None:
        raise LogNotFound(f"there is no log named {name!r}")
    log_id, origin, size, edge, checkpoint_size, checkpoint_time = row
    latest = None if checkpoint_size is None else (int(checkpoint_size), checkpoint_time)
    state = LogState(log_id, name, origin, size, split_edge(bytes(edge), size), latest)
    return state, results[1:]


def _begin_immediate(connection: sa.Connection) -> None:
    # pysqlite opens a transaction only before the first write; until then
    # nothing is locked and no snapshot is held. Start a write transaction now
    # so that the size we read cannot change before we write.
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def fetch_hashes(
    session: DbSession, log_id: int, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    """The hashes of the perfect subtrees ``(level, index)``; leaves are level 0.

    One statement: a ``UNION ALL`` of one primary-key lookup per level, so
    that every branch is an index search on SQLite and PostgreSQL alike (a
    row-value ``IN`` scans all of a log's nodes on SQLite). It is written in
    SQL with driver placeholders because it is the hot path of every proof:
    building it with SQLAlchemy's expression language cost more than the
    query (its shape varies, so it is compiled afresh each time).
    """
    by_level: dict[int, set[int]] = {}
    for level, i in keys:
        by_level.setdefault(level, set()).add(i)
    if not by_level:
        return {}
    mark = "?"
    parts: list[str] = []
    params: list[int] = []
    for level, ids in sorted(by_level.items()):
        # Only placeholders are interpolated into the SQL text, never a value.
        marks = ", ".join([mark] * len(ids))
        if level == 0:
            parts.append(f"SELECT 0, idx, leaf_hash FROM log_leaves WHERE log_id = {mark}")  # noqa: S608
            params.append(log_id)
        else:
            parts.append(f"SELECT level, idx, hash FROM log_nodes WHERE log_id = {mark}")  # noqa: S608
            parts[-1] += f" AND level = {mark}"
            params += [log_id, level]
        parts[-1] += f" AND idx IN ({marks})"
        params += sorted(ids)
    sql = " UNION ALL ".join(parts)
    rows = run(session, sql, tuple(params))
    found = {(row[0], row[1]): bytes(row[2]) for row in rows}
    missing = [key for key in keys if key not in found]
    if missing:
        raise LogCorrupted(f"stored subtree hashes are missing: (level, index) {missing[:5]}")
    return found


def range_hashes(session: DbSession, log_id: int, ranges: Sequence[Range]) -> list[bytes]:
    """MTH of each leaf range, read from the stored perfect subtrees."""
    parts = [perfect_subtrees(start, end) for start, end in ranges]
    found = fetch_hashes(session, log_id, [key for part in parts for key in part])
    return [fold_subtrees([found[key] for key in part]) for part in parts]


def root_at(session: DbSession, log_id: int, size: int) -> bytes:
    """MTH of the first ``size`` leaves."""
    if size == 0:
        return EMPTY_ROOT
    return range_hashes(session, log_id, [(0, size)])[0]


def write(
    session: DbSession,
    state: LogState,
    new_leaves: list[tuple[int, int, bytes, int, bytes]],
    new_nodes: list[tuple[int, int, bytes]],
    also: Sequence[tuple[str, Params]] = (),
) -> dt.datetime:
    """Write leaves ``(log id, index, leaf hash, hash prefix, data)``, nodes and the log row.

    ``also`` are the caller's own writes, sent in the same batch (one round
    trip on PostgreSQL). Returns the database's time, read with the log row's
    update (under the append lock).
    """
    statements = _writes(session, state, new_leaves, new_nodes)
    results = run_many(session, [*statements, *also])
    return from_db(results[len(statements) - 1].one()[0])


def _writes(
    session: DbSession,
    state: LogState,
    new_leaves: list[tuple[int, int, bytes, int, bytes]],
    new_nodes: list[tuple[int, int, bytes]],
) -> list[tuple[str, Params]]:
    """The statements of :func:`write`; the last one updates the log row (returning the time)."""
    statements: list[tuple[str, Params]] = []
    if new_leaves:
        statements.append((_INSERT_LEAF, new_leaves))
    if new_nodes:
        statements.append((_INSERT_NODE, [(state.id, lv, i, h) for lv, i, h in new_nodes]))
    update = _UPDATE_LOG.replace("{now}", now_sql(session.get_bind().dialect.name))
    statements.append((update, (state.size, b"".join(state.right_edge), state.id)))
    return statements


def lock_and_write(
    session: DbSession,
    state: LogState,
    reads: Sequence[tuple[str, Params]],
    new_leaves: list[tuple[int, int, bytes, int, bytes]],
    new_nodes: list[tuple[int, int, bytes]],
    also: Sequence[tuple[str, Params]] = (),
) -> tuple[LogState, list[Rows], dt.datetime]:
    """Take the log's lock and write appends prepared on ``state``, in one round trip (PostgreSQL).

    The lock comes first, so the writes hold it as :func:`write`'s do; runs
    ``reads`` after it and ``also`` after the log's rows. Returns the stored log
    as the lock found it (the caller must check that it is the state the
    appends were prepared on, and roll back if not), the rows of ``reads``
    and the database's time. A leaf already stored at a prepared index raises
    the driver's unique violation.
    """
    lock = (_READ_LOG_LOCKED + " FOR UPDATE OF l", (state.name,))
    writes = _writes(session, state, new_leaves, new_nodes)
    results = run_many(session, [lock, *reads, *writes, *also])
    row = results[0].one_or_none()
    if row is None:
        raise LogNotFound(f"there is no log named {state.name!r}")
    log_id, origin, size, edge, checkpoint_size, checkpoint_time = row
    latest = None if checkpoint_size is None else (int(checkpoint_size), checkpoint_time)
    stored = LogState(log_id, state.name, origin, size, split_edge(bytes(edge), size), latest)
    update = 1 + len(reads) + len(writes) - 1
    return stored, results[1 : 1 + len(reads)], from_db(results[update].one()[0])
