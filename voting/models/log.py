"""The bulletin board's tables: logs, their leaves, stored subtree hashes, checkpoints.

A log is an RFC 9162 Merkle tree (docs/log.md). Besides its leaves, every
*perfect* aligned subtree of two or more leaves that is complete is stored in
``log_nodes`` as ``(level, index)``: the subtree over leaves
``[index * 2**level, (index + 1) * 2**level)``. The log row keeps the "right
edge" of the tree (the hashes of the perfect subtrees that make up its current
size, largest first) so that an append reads nothing but that row.

The ``leaves`` and ``nodes`` tables are clustered on their primary keys on
SQLite (``WITHOUT ROWID``), so a range of entries is a contiguous read.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from voting.app import dbtune  # noqa: F401  (WAL, busy timeout and synchronous on SQLite)
from voting.app.extensions import db


class Log(db.Model):  # type: ignore[name-defined,misc]
    """One append-only log (one per vote day), identified by ``name``."""

    __tablename__ = "logs"

    id: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    origin: so.Mapped[str] = so.mapped_column(sa.String(200))
    """The checkpoint origin line, which is also the log key's name."""
    size: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    right_edge: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary, default=b"")
    """Hashes of the perfect subtrees that make up ``size`` leaves, largest first."""
    created_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))


class LogLeaf(db.Model):  # type: ignore[name-defined,misc]
    """One entry: its index, RFC 9162 leaf hash and canonical JSON bytes."""

    __tablename__ = "log_leaves"
    __table_args__ = (
        sa.Index("ix_log_leaves_prefix", "log_id", "hash_prefix"),
        {"sqlite_with_rowid": False},
    )

    log_id: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    """The log's id: no foreign key (migration 0012): leaves are written only by
    appends holding the lock of this log's row, and logs are never deleted."""
    idx: so.Mapped[int] = so.mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    leaf_hash: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(32))
    hash_prefix: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    """The leaf hash's first 8 bytes as a signed big-endian integer, for lookups by hash.

    Indexed instead of the whole hash: the index is less than half the size,
    and every append inserts into it at a random place, so a smaller index
    means fewer pages written per commit.
    """
    data: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)


class LogNode(db.Model):  # type: ignore[name-defined,misc]
    """The hash of a complete perfect subtree of ``2**level`` leaves (``level >= 1``)."""

    __tablename__ = "log_nodes"
    __table_args__ = ({"sqlite_with_rowid": False},)

    log_id: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    """As :attr:`LogLeaf.log_id`: no foreign key."""
    level: so.Mapped[int] = so.mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    idx: so.Mapped[int] = so.mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    hash: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(32))


class LogCheckpoint(db.Model):  # type: ignore[name-defined,misc]
    """A signed checkpoint (C2SP tlog-checkpoint note) of the log at ``size``."""

    __tablename__ = "log_checkpoints"
    __table_args__ = (sa.UniqueConstraint("log_id", "size", name="uq_log_checkpoints_size"),)

    id: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    log_id: so.Mapped[int] = so.mapped_column(
        sa.Integer, sa.ForeignKey("logs.id", ondelete="CASCADE")
    )
    size: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    root_hash: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(32))
    note: so.Mapped[str] = so.mapped_column(sa.Text)
    """The signed note, exactly as served (the log's signature only)."""
    created_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))
