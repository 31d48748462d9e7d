"""Reading a log: entries, past roots, inclusion and consistency proofs (docs/log.md).

Every function here costs O(log n) rows (or the rows of the page asked for)
and needs no lock: the log is append-only, so a size read once and the hashes
of subtrees within it stay consistent whatever is appended meanwhile. The
names are re-exported by :mod:`voting.log.bulletin`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from crypto import merkle
from voting.errors import InvalidRequest
from voting.errors import NotFound
from voting.log import _tree as tree
from voting.log._tree import LogCorrupted
from voting.models.log import LogLeaf
from voting.models.session_types import DbSession

MAX_PAGE = 1000


@dataclass(frozen=True)
class Entry:
    """A stored leaf: index, leaf hash and the canonical JSON bytes."""

    index: int
    leaf_hash: bytes
    data: bytes

    @property
    def record(self) -> dict[str, Any]:
        return json.loads(self.data)


def log_size(session: DbSession, name: str) -> int:
    return tree.read_log(session, name).size


def log_origin(session: DbSession, name: str) -> str:
    """The log's origin line, which is also its key name."""
    return tree.read_log(session, name).origin


def non_negative(value: object, what: str) -> int:
    """``value`` if it is an int >= 0 (not a bool); else :class:`InvalidRequest`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequest(f"{what} must be a non-negative integer, got {value!r}")
    return value


def _check_size(state: tree.LogState, size: int, what: str = "size") -> int:
    non_negative(size, what)
    if size > state.size:
        raise InvalidRequest(f"{what} {size} is beyond the log's size {state.size}")
    return size


def get_entries(session: DbSession, name: str, start: int, end: int) -> list[Entry]:
    """Entries ``start <= index < end`` (at most :data:`MAX_PAGE`)."""
    state = tree.read_log(session, name)
    _check_size(state, start, "start")
    _check_size(state, end, "end")
    if start > end or end - start > MAX_PAGE:
        raise InvalidRequest(f"an entry range is start <= end with at most {MAX_PAGE} entries")
    stmt = (
        sa.select(LogLeaf.idx, LogLeaf.leaf_hash, LogLeaf.data)
        .where(LogLeaf.log_id == state.id, LogLeaf.idx >= start, LogLeaf.idx < end)
        .order_by(LogLeaf.idx)
    )
    entries = [Entry(row.idx, row.leaf_hash, row.data) for row in session.execute(stmt)]
    if len(entries) != end - start:
        raise LogCorrupted(f"entries {start}..{end} of log {name!r} are incomplete")
    return entries


def get_entry(session: DbSession, name: str, index: int) -> Entry:
    state = tree.read_log(session, name)
    non_negative(index, "index")
    if index >= state.size:
        raise NotFound(f"log {name!r} has {state.size} entries; there is no entry {index}")
    return get_entries(session, name, index, index + 1)[0]


def find_index(session: DbSession, name: str, leaf_hash: bytes) -> int:
    """The first index whose leaf hash is ``leaf_hash``."""
    state = tree.read_log(session, name)
    stmt = sa.select(sa.func.min(LogLeaf.idx)).where(
        LogLeaf.log_id == state.id,
        LogLeaf.hash_prefix == tree.hash_prefix(leaf_hash),
        LogLeaf.leaf_hash == leaf_hash,
    )
    index = session.execute(stmt).scalar()
    if index is None:
        raise NotFound(f"log {name!r} has no entry with leaf hash {leaf_hash.hex()}")
    return int(index)


def root_at(session: DbSession, name: str, size: int) -> bytes:
    """The root hash of the first ``size`` leaves."""
    state = tree.read_log(session, name)
    return tree.root_at(session, state.id, _check_size(state, size))


def inclusion_proof(session: DbSession, name: str, index: int, size: int) -> list[bytes]:
    """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    state = tree.read_log(session, name)
    _check_size(state, size)
    if non_negative(index, "index") >= size:
        raise InvalidRequest(f"index {index} is not below size {size}")
    return tree.range_hashes(session, state.id, merkle.inclusion_proof_ranges(index, size))


def consistency_proof(session: DbSession, name: str, old_size: int, new_size: int) -> list[bytes]:
    """RFC 9162 consistency proof from ``old_size`` to ``new_size``."""
    state = tree.read_log(session, name)
    _check_size(state, new_size, "new size")
    if non_negative(old_size, "old size") > new_size:
        raise InvalidRequest(f"old size {old_size} is larger than new size {new_size}")
    ranges = merkle.consistency_proof_ranges(old_size, new_size)
    return tree.range_hashes(session, state.id, ranges)
