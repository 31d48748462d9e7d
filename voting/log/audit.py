"""A full audit of a stored log: recompute every hash from the leaves' data.

This is the one operation that reads the whole log; it streams the leaves in
index order and holds only O(log n) hashes plus one batch in memory. It checks
that every leaf hash is the hash of its data, that every stored subtree hash
is right and none is missing or extra, that the log row's size and right edge
match, and that every stored checkpoint's root is the recomputed root at its
size. Operators run it after a crash (``flask log audit NAME``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from crypto import merkle
from voting.log import _tree as tree
from voting.log._tree import LogCorrupted
from voting.models.log import LogCheckpoint
from voting.models.log import LogLeaf
from voting.models.log import LogNode
from voting.models.session_types import DbSession

_BATCH = 10_000


@dataclass(frozen=True)
class AuditReport:
    size: int
    nodes: int
    checkpoints: int


def audit_log(session: DbSession, name: str) -> AuditReport:
    """Recompute the whole log and compare it with what is stored.

    Raises:
        LogNotFound: no such log.
        LogCorrupted: the first discrepancy found, described.
    """
    state = tree.read_log(session, name)
    checkpoints = dict(
        session.execute(
            sa.select(LogCheckpoint.size, LogCheckpoint.root_hash).where(
                LogCheckpoint.log_id == state.id
            )
        ).all()
    )
    if 0 in checkpoints:
        _check_root(checkpoints, 0, merkle.EMPTY_ROOT)
    size, edge, node_count = _recompute(session, state.id, checkpoints)
    _check_totals(session, state, size, edge, node_count, checkpoints)
    return AuditReport(size, node_count, len(checkpoints))


def _recompute(
    session: DbSession, log_id: int, checkpoints: dict[int, bytes]
) -> tuple[int, list[bytes], int]:
    """Stream the leaves: return the size, the right edge and the nodes compared."""
    edge: list[bytes] = []
    computed: list[tuple[int, int, bytes]] = []
    size = node_count = 0
    with _stream_leaves(session, log_id) as rows:  # closes the server-side cursor on errors
        for index, leaf_hash, data in rows:
            if index != size:
                raise LogCorrupted(f"leaf {size} is missing (next stored leaf is {index})")
            if merkle.leaf_hash(data) != leaf_hash:
                raise LogCorrupted(f"leaf {index}'s hash is not the hash of its data")
            tree.push_leaf(edge, size, leaf_hash, computed)
            size += 1
            if size in checkpoints:
                _check_root(checkpoints, size, tree.edge_root(edge))
            if len(computed) >= _BATCH:
                node_count += _compare_nodes(session, log_id, computed)
                computed.clear()
    node_count += _compare_nodes(session, log_id, computed)
    return size, edge, node_count


def _stream_leaves(session: DbSession, log_id: int) -> sa.Result:
    stmt = (
        sa.select(LogLeaf.idx, LogLeaf.leaf_hash, LogLeaf.data)
        .where(LogLeaf.log_id == log_id)
        .order_by(LogLeaf.idx)
        .execution_options(yield_per=_BATCH)
    )
    return session.execute(stmt)


def _check_root(checkpoints: dict[int, bytes], size: int, root: bytes) -> None:
    if checkpoints[size] != root:
        raise LogCorrupted(f"the checkpoint at size {size} does not match the recomputed root")


def _compare_nodes(session: DbSession, log_id: int, computed: list[tuple[int, int, bytes]]) -> int:
    if not computed:
        return 0
    stored = tree.fetch_hashes(session, log_id, [(level, i) for level, i, _ in computed])
    for level, i, value in computed:
        if stored[(level, i)] != value:
            raise LogCorrupted(f"stored subtree hash (level {level}, index {i}) is wrong")
    return len(computed)


def _check_totals(
    session: DbSession,
    state: tree.LogState,
    size: int,
    edge: list[bytes],
    node_count: int,
    checkpoints: dict[int, bytes],
) -> None:
    if size != state.size:
        raise LogCorrupted(f"the log row says size {state.size}, {size} leaves are stored")
    if edge != state.right_edge:
        raise LogCorrupted("the log row's right edge does not match the leaves")
    stored_nodes = session.execute(
        sa.select(sa.func.count()).select_from(LogNode).where(LogNode.log_id == state.id)
    ).scalar_one()
    if stored_nodes != node_count:
        raise LogCorrupted(f"{stored_nodes} subtree hashes are stored, {node_count} expected")
    beyond = [s for s in checkpoints if s > size]
    if beyond:
        raise LogCorrupted(f"checkpoints beyond the log's size: {sorted(beyond)}")
