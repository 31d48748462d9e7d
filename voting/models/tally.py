"""Indexes into the log for the tally: totals, decryption shares, clerks' keys and counts.

The log is the record (docs/record.md): every row here points at the leaf it
mirrors (``leaf_index``) so that the services find a unit's encrypted totals,
a trustee's shares or the current channel counts without scanning the log.
Units are referenced as on the log, ``level:code``.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from voting.app.extensions import db


class TallyUnit(db.Model):  # type: ignore[name-defined,misc]
    """A unit with registered credentials: its encrypted totals and, later, its counts."""

    __tablename__ = "tally_units"

    vote_day_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("vote_days.id", ondelete="CASCADE"), primary_key=True
    )
    unit: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    """``level:code``"""
    ballots: so.Mapped[int] = so.mapped_column(sa.Integer)
    """The number of counted ballots summed into the totals."""
    totals_index: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    """Leaf index of the unit's ``encrypted-totals`` record."""
    counts_index: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    """Leaf index of the unit's ``electronic-counts`` record, once combined."""


class DecryptionShareRow(db.Model):  # type: ignore[name-defined,misc]
    """A trustee's verified decryption share of one unit's totals (one per trustee and unit)."""

    __tablename__ = "decryption_shares"

    vote_day_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("vote_days.id", ondelete="CASCADE"), primary_key=True
    )
    unit: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    trustee_index: so.Mapped[int] = so.mapped_column(
        sa.Integer, primary_key=True, autoincrement=False
    )
    trustee: so.Mapped[str] = so.mapped_column(sa.String(64))
    leaf_index: so.Mapped[int] = so.mapped_column(sa.BigInteger)


class ClerkKey(db.Model):  # type: ignore[name-defined,misc]
    """A clerk's Ed25519 public key for a unit; the newest registration is in force."""

    __tablename__ = "clerk_keys"
    __table_args__ = (sa.Index("ix_clerk_keys_clerk_unit", "vote_day_id", "clerk", "unit"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    vote_day_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("vote_days.id", ondelete="CASCADE")
    )
    clerk: so.Mapped[str] = so.mapped_column(sa.String(64))
    """The clerk's official user name."""
    unit: so.Mapped[str] = so.mapped_column(sa.String(64))
    public_key: so.Mapped[str] = so.mapped_column(sa.String(64))
    leaf_index: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    registered_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))


class ChannelCountsRow(db.Model):  # type: ignore[name-defined,misc]
    """A logged ``channel-counts`` record; ``current`` is false once a correction replaced it."""

    __tablename__ = "channel_counts"
    __table_args__ = (
        sa.UniqueConstraint("vote_day_id", "leaf_index", name="uq_channel_counts_leaf"),
        sa.Index("ix_channel_counts_unit", "vote_day_id", "unit", "channel"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    vote_day_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("vote_days.id", ondelete="CASCADE")
    )
    unit: so.Mapped[str] = so.mapped_column(sa.String(64))
    channel: so.Mapped[str] = so.mapped_column(sa.String(24))
    clerk: so.Mapped[str] = so.mapped_column(sa.String(64))
    leaf_index: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    replaces: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    current: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=True)


class ResultRecord(db.Model):  # type: ignore[name-defined,misc]
    """A published ``result`` record (one per question and part)."""

    __tablename__ = "result_records"

    vote_day_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("vote_days.id", ondelete="CASCADE"), primary_key=True
    )
    question: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    part: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    leaf_index: so.Mapped[int] = so.mapped_column(sa.BigInteger)
