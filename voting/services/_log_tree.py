"""Storage helpers of the bulletin board: the append lock, the right edge, node reads.

Private to :mod:`voting.services.bulletin`. Every read here costs O(log n)
rows: a proof or a past root needs the hashes of O(log n) perfect subtrees
(:func:`crypto.merkle.perfect_subtrees`), fetched with at most two queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from crypto.merkle import EMPTY_ROOT
from crypto.merkle import HASH_SIZE
from crypto.merkle import fold_subtrees
from crypto.merkle import node_hash
from crypto.merkle import perfect_subtrees
from voting.errors import NotFound
from voting.errors import VotingError
from voting.models.log import Log
from voting.models.log import LogLeaf
from voting.models.log import LogNode

logs = Log.__table__
leaves = LogLeaf.__table__
nodes = LogNode.__table__

Range = tuple[int, int]


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


def read_log(session: so.Session, name: str, *, lock: bool = False) -> LogState:
    """Read the log row; with ``lock``, first take the log's append lock.

    On SQLite the lock is the database write lock (``BEGIN IMMEDIATE``, waiting
    up to the busy timeout); on PostgreSQL it is the log row's lock
    (``SELECT ... FOR UPDATE``). Both last until the transaction ends.

    Raises:
        LogNotFound: no log has that name.
    """
    stmt = sa.select(logs.c.id, logs.c.origin, logs.c.size, logs.c.right_edge).where(
        logs.c.name == name
    )
    if lock:
        connection = session.connection()
        if connection.dialect.name == "sqlite":
            _begin_immediate(connection)
        else:
            stmt = stmt.with_for_update()
    row = session.execute(stmt).one_or_none()
    if row is None:
        raise LogNotFound(f"there is no log named {name!r}")
    return LogState(row.id, name, row.origin, row.size, split_edge(row.right_edge, row.size))


def _begin_immediate(connection: sa.Connection) -> None:
    # pysqlite opens a transaction only before the first write; until then
    # nothing is locked and no snapshot is held. Start a write transaction now
    # so that the size we read cannot change before we write.
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def fetch_hashes(
    session: so.Session, log_id: int, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    """The hashes of the perfect subtrees ``(level, index)``; leaves are level 0."""
    found: dict[tuple[int, int], bytes] = {}
    leaf_ids = sorted({i for level, i in keys if level == 0})
    node_keys = sorted({(level, i) for level, i in keys if level > 0})
    if leaf_ids:
        stmt = sa.select(leaves.c.idx, leaves.c.leaf_hash).where(
            leaves.c.log_id == log_id, leaves.c.idx.in_(leaf_ids)
        )
        found.update(((0, row.idx), row.leaf_hash) for row in session.execute(stmt))
    if node_keys:
        stmt = sa.select(nodes.c.level, nodes.c.idx, nodes.c.hash).where(
            nodes.c.log_id == log_id, sa.tuple_(nodes.c.level, nodes.c.idx).in_(node_keys)
        )
        found.update(((row.level, row.idx), row.hash) for row in session.execute(stmt))
    missing = [key for key in keys if key not in found]
    if missing:
        raise LogCorrupted(f"stored subtree hashes are missing: (level, index) {missing[:5]}")
    return found


def range_hashes(session: so.Session, log_id: int, ranges: Sequence[Range]) -> list[bytes]:
    """MTH of each leaf range, read from the stored perfect subtrees."""
    parts = [perfect_subtrees(start, end) for start, end in ranges]
    found = fetch_hashes(session, log_id, [key for part in parts for key in part])
    return [fold_subtrees([found[key] for key in part]) for part in parts]


def root_at(session: so.Session, log_id: int, size: int) -> bytes:
    """MTH of the first ``size`` leaves."""
    if size == 0:
        return EMPTY_ROOT
    return range_hashes(session, log_id, [(0, size)])[0]


def write_rows(
    session: so.Session,
    log_id: int,
    new_leaves: list[tuple[int, bytes, bytes]],
    new_nodes: list[tuple[int, int, bytes]],
) -> None:
    """Insert leaves ``(index, leaf hash, data)`` and nodes ``(level, index, hash)``."""
    if new_leaves:
        session.execute(
            leaves.insert(),
            [{"log_id": log_id, "idx": i, "leaf_hash": h, "data": d} for i, h, d in new_leaves],
        )
    if new_nodes:
        session.execute(
            nodes.insert(),
            [{"log_id": log_id, "level": lv, "idx": i, "hash": h} for lv, i, h in new_nodes],
        )


def write_state(session: so.Session, state: LogState) -> None:
    session.execute(
        logs.update()
        .where(logs.c.id == state.id)
        .values(size=state.size, right_edge=b"".join(state.right_edge))
    )
