"""Return codes of a vote day (DESIGN.md section 8, docs/return-codes.md): what the server keeps.

The registrar hands the server, before opening, each voter's public X_c with
the authorities' per-voter keys V_{j,c} (:class:`ReturnCodeVoter`, logged at
opening) and the shuffled lookup table (:class:`ReturnCodeEntry`, committed at
opening as a Merkle tree whose root is logged; the tree's subtree hashes are
kept in :class:`ReturnCodeLookupNode`). A cast ballot's return-code
exchange and its confirmation are log records; :class:`ReturnCodeBallot` only
indexes them so that the server answers in O(1) and the tally finds the
confirmed ballots.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from voting.app.extensions import db


class ReturnCodeVoter(db.Model):  # type: ignore[name-defined,misc]
    """One voter's return-code keys: X_c and, per authority j in manifest order, V_{j,c}."""

    __tablename__ = "return_code_voters"

    vote_day_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("vote_days.id", ondelete="CASCADE"), primary_key=True
    )
    credential: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    voter_key: so.Mapped[str] = so.mapped_column(sa.String(64))
    """X_c = x_c·G (hex)"""
    authority_keys: so.Mapped[list[str]] = so.mapped_column(sa.JSON)
    """V_{j,c} = k_{j,c}·G (hex), one per authority in the manifest's order"""


class ReturnCodeEntry(db.Model):  # type: ignore[name-defined,misc]
    """One entry of the lookup table: H(rc-lookup, LRC) → the short code sealed under LRC.

    ``position`` is the entry's leaf index in the committed lookup tree.
    """

    __tablename__ = "return_code_entries"
    __table_args__ = (
        sa.UniqueConstraint("vote_day_id", "position", name="uq_return_code_entries_position"),
    )

    vote_day_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("vote_days.id", ondelete="CASCADE"), primary_key=True
    )
    lookup: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    position: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    sealed: so.Mapped[str] = so.mapped_column(sa.String(256))
    """the SecretBox of the short code (hex)"""


class ReturnCodeLookupNode(db.Model):  # type: ignore[name-defined,misc]
    """A perfect subtree of the committed lookup tree (level >= 1), stored at opening.

    The node ``(level, idx)`` is MTH of the entries at positions
    ``[idx * 2**level, (idx + 1) * 2**level)``; the leaves (level 0) are the
    entries themselves. A confirmation's inclusion proof is folded from
    O(log n) of them (docs/return-codes.md, "Lookup table").
    """

    __tablename__ = "return_code_lookup_nodes"

    vote_day_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("vote_days.id", ondelete="CASCADE"), primary_key=True
    )
    level: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    idx: so.Mapped[int] = so.mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    hash: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(32))


class ReturnCodeBallot(db.Model):  # type: ignore[name-defined,misc]
    """A cast ballot's return-code state: its codes' record, then its confirmation."""

    __tablename__ = "return_code_ballots"
    __table_args__ = (
        sa.UniqueConstraint("vote_day_id", "ballot_index", name="uq_return_code_ballots_leaf"),
    )

    vote_day_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("vote_days.id", ondelete="CASCADE"), primary_key=True
    )
    credential: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    ballot_index: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    """the leaf of the credential's (first and only) ballot"""
    request: so.Mapped[str] = so.mapped_column(sa.Text)
    """the partial choice codes with their proof, as the device sent them (canonical JSON)"""
    codes_index: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    """the leaf of the ``return-codes`` record (the authorities' answers), once logged"""
    confirmation_tries: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    confirmed_index: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    """the leaf of the ``confirmation`` record, once the ballot is confirmed"""
