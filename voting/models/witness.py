"""Witness tables: each log's roster, the cosignatures received, their aggregates.

See docs/witnesses.md. The roster is append-only: a witness's ``position`` is
its bit in the aggregate line's bitmap and never changes. A witness joins it
only when an administrator approves a request (``witness_requests``), and the
approval is a ``witness`` record on the log (``leaf_index``).
``witness_aggregates`` is a cache of the aggregate of each checkpoint's
cosignatures; it is rebuilt whenever its ``signer_count`` differs from the
number of stored cosignatures.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from voting.app.extensions import db


class LogWitness(db.Model):  # type: ignore[name-defined,misc]
    """A witness registered with a log, with its verified proof of possession."""

    __tablename__ = "witnesses"
    __table_args__ = (
        sa.UniqueConstraint("log_id", "position", name="uq_witnesses_position"),
        sa.UniqueConstraint("log_id", "name", name="uq_witnesses_name"),
        sa.UniqueConstraint("log_id", "public_key", name="uq_witnesses_public_key"),
    )

    id: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    log_id: so.Mapped[int] = so.mapped_column(
        sa.Integer, sa.ForeignKey("logs.id", ondelete="CASCADE")
    )
    position: so.Mapped[int] = so.mapped_column(sa.Integer)
    """Index in the roster = bit in the aggregate's bitmap."""
    name: so.Mapped[str] = so.mapped_column(sa.String(256))
    public_key: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(48))
    proof_of_possession: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(96))
    registered_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))
    cosigner_key: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary(32), nullable=True)
    """Ed25519 key that signs the witness's submissions (None: registered before approvals)."""
    leaf_index: so.Mapped[int | None] = so.mapped_column(sa.Integer, nullable=True)
    """Index of the ``witness`` record that approved it on the log."""


class WitnessRequest(db.Model):  # type: ignore[name-defined,misc]
    """A pending registration: it reaches the roster only when an administrator approves it.

    Names are not reserved by a request: several requests may name the same
    witness; the approval decides, and the others are dropped.
    """

    __tablename__ = "witness_requests"

    id: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    log_id: so.Mapped[int] = so.mapped_column(
        sa.Integer, sa.ForeignKey("logs.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(256))
    public_key: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(48))
    proof_of_possession: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(96))
    cosigner_key: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(32))
    requested_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))


class WitnessCosignature(db.Model):  # type: ignore[name-defined,misc]
    """One witness's verified BLS cosignature of one signed checkpoint."""

    __tablename__ = "witness_cosignatures"
    __table_args__ = (
        sa.UniqueConstraint("checkpoint_id", "witness_id", name="uq_witness_cosignatures_once"),
    )

    id: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    checkpoint_id: so.Mapped[int] = so.mapped_column(
        sa.Integer, sa.ForeignKey("log_checkpoints.id", ondelete="CASCADE")
    )
    witness_id: so.Mapped[int] = so.mapped_column(
        sa.Integer, sa.ForeignKey("witnesses.id", ondelete="CASCADE"), index=True
    )
    signature: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(96))
    received_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))


class WitnessAggregate(db.Model):  # type: ignore[name-defined,misc]
    """Cached aggregate of a checkpoint's cosignatures (bitmap and BLS signature)."""

    __tablename__ = "witness_aggregates"

    checkpoint_id: so.Mapped[int] = so.mapped_column(
        sa.Integer, sa.ForeignKey("log_checkpoints.id", ondelete="CASCADE"), primary_key=True
    )
    signer_count: so.Mapped[int] = so.mapped_column(sa.Integer)
    bitmap: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    signature: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(96))
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))


class LogCosigner(db.Model):  # type: ignore[name-defined,misc]
    """A C2SP ``cosignature/v1`` witness the log pushes ``add-checkpoint`` to.

    An administrator adds it from the witness's published vkey and URL; the
    addition is a ``cosigner`` record on the log (``leaf_index``).
    ``cosigned_size`` is the size the witness last cosigned as far as the log
    knows (the ``old`` of its next push; a 409 corrects it).
    """

    __tablename__ = "log_cosigners"
    __table_args__ = (
        sa.UniqueConstraint("log_id", "name", name="uq_log_cosigners_name"),
        sa.UniqueConstraint("log_id", "public_key", name="uq_log_cosigners_public_key"),
    )

    id: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    log_id: so.Mapped[int] = so.mapped_column(
        sa.Integer, sa.ForeignKey("logs.id", ondelete="CASCADE")
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(256))
    public_key: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(32))
    url: so.Mapped[str] = so.mapped_column(sa.String(2048))
    """The witness's submission prefix: the log POSTs to ``<url>/add-checkpoint``."""
    leaf_index: so.Mapped[int] = so.mapped_column(sa.Integer)
    added_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))
    cosigned_size: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    """Why the last push got no cosignature (None after a success)."""
    last_push_at: so.Mapped[dt.datetime | None] = so.mapped_column(
        sa.DateTime(timezone=True), nullable=True
    )


class CosignerSignature(db.Model):  # type: ignore[name-defined,misc]
    """One C2SP witness's verified ``cosignature/v1`` of one signed checkpoint."""

    __tablename__ = "cosigner_signatures"
    __table_args__ = (
        sa.UniqueConstraint("checkpoint_id", "cosigner_id", name="uq_cosigner_signatures_once"),
    )

    id: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    checkpoint_id: so.Mapped[int] = so.mapped_column(
        sa.Integer, sa.ForeignKey("log_checkpoints.id", ondelete="CASCADE"), index=True
    )
    cosigner_id: so.Mapped[int] = so.mapped_column(
        sa.Integer, sa.ForeignKey("log_cosigners.id", ondelete="CASCADE"), index=True
    )
    timestamp: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    signature: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(64))
    received_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))
