"""Election parameters of a vote day and the index of its cast ballots.

The log is the record: every row here is also (or derives from) a leaf of the
vote day's log. The rows exist so that the server answers in O(1) whether a
credential has voted and what its receipt was.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from voting.app.extensions import db


class Election(db.Model):  # type: ignore[name-defined,misc]
    """The cryptographic set-up and schedule of one vote day."""

    __tablename__ = "elections"

    vote_day_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("vote_days.id", ondelete="CASCADE"), primary_key=True
    )
    threshold: so.Mapped[int] = so.mapped_column(sa.Integer)
    trustees: so.Mapped[list[dict[str, Any]]] = so.mapped_column(sa.JSON)
    """``[{"index": 1, "name": "..."}, ...]`` as logged at the ceremony's start."""
    public_key: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    """The joint election key h (hex), once the key ceremony is complete."""
    manifest_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    """SHA-256 of the canonical manifest (hex), once the vote day is open."""
    manifest_index: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    """The manifest's leaf index on the vote day's log."""
    opens_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    closes_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))


class CastBallot(db.Model):  # type: ignore[name-defined,misc]
    """A ballot accepted onto the log (spoiled ballots are on the log only)."""

    __tablename__ = "cast_ballots"
    __table_args__ = (
        sa.UniqueConstraint("vote_day_id", "leaf_index", name="uq_cast_ballots_leaf"),
        sa.Index("ix_cast_ballots_credential", "vote_day_id", "credential"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    vote_day_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    """No foreign key (migration 0012): written only by appends to the vote day's
    log, after its status was read under the log's lock; vote days are never deleted."""
    credential: so.Mapped[str] = so.mapped_column(sa.String(64))
    leaf_index: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    leaf_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    cast_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))


class BallotContent(db.Model):  # type: ignore[name-defined,misc]
    """What a logged ballot or audit is made of: one row per content key.

    The keys of a ``ballot`` or ``spoiled`` record are the digest of its
    unsigned canonical ballot and of each of its ciphertexts
    (:func:`crypto.ballot.content_keys`). The primary key makes every
    content appear once per vote day: a ballot whose content is already on
    the log, as a ballot or as an audit, is refused before it is logged
    (voting/services/casting.py), and a row is written in the same
    transaction as its leaf.
    """

    __tablename__ = "ballot_contents"

    vote_day_id: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    """As :attr:`CastBallot.vote_day_id`: no foreign key. Only the primary key is
    indexed: seven rows per ballot, each index entry costs every append."""
    digest: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    leaf_index: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    kind: so.Mapped[str] = so.mapped_column(sa.String(8))
    """``ballot`` or ``spoiled``: the type of the record at ``leaf_index``."""
