"""Public voting credentials: the Ed25519 public keys of a vote day, by home unit.

DESIGN.md section 4. The registrar derives them offline from the voting codes
(docs/credentials.md); the server stores only the public keys, never a code.
The list is frozen once the vote day opens (the services enforce it).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from voting.app.extensions import db


class Credential(db.Model):  # type: ignore[name-defined,misc]
    """One voter's public credential, registered in a leaf unit."""

    __tablename__ = "credentials"
    __table_args__ = (
        sa.Index("ix_credentials_unit", "vote_day_id", "jurisdiction_id"),
        sa.CheckConstraint("length(public_key) = 64", name="ck_credentials_public_key"),
    )

    vote_day_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("vote_days.id", ondelete="CASCADE"), primary_key=True
    )
    public_key: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    """Lowercase hex of the 32-byte Ed25519 public key (as ballots carry it)."""
    jurisdiction_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("jurisdictions.id", ondelete="RESTRICT")
    )
