"""Officials, their role grants, their login sessions, and rate-limit counters.

docs/security.md describes the roles. A returning officer and a clerk hold
their role *for a jurisdiction* (and so for every unit below it); the other
roles are global. Passwords are stored only as argon2id hashes (the PHC
string of libsodium's ``crypto_pwhash_str``). A login session is a row whose
key is the SHA-256 of a random token kept in the signed session cookie, so
logging out or disabling an account ends the session on the server.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from voting.app.extensions import db
from voting.models.jurisdictions import Jurisdiction

ROLES = ("administrator", "registrar", "returning_officer", "clerk", "trustee")
JURISDICTION_ROLES = frozenset({"returning_officer", "clerk"})
"""Roles held for a jurisdiction; the others are global and carry none."""

_SCOPED = "role IN ('returning_officer', 'clerk')"


class Official(db.Model):  # type: ignore[name-defined,misc]
    """An official's account."""

    __tablename__ = "officials"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    """argon2id PHC string (``$argon2id$v=19$m=...,t=...,p=1$salt$hash``)."""
    display_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    active: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=True)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))

    grants: so.Mapped[list[RoleGrant]] = so.relationship(
        back_populates="official", cascade="all, delete-orphan", order_by="RoleGrant.id"
    )

    def __repr__(self) -> str:  # never shows the hash
        return f"<Official {self.username}>"


class RoleGrant(db.Model):  # type: ignore[name-defined,misc]
    """One role held by an official, for a jurisdiction when the role needs one."""

    __tablename__ = "role_grants"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('administrator', 'registrar', 'returning_officer', 'clerk', 'trustee')",
            name="ck_role_grants_role",
        ),
        sa.CheckConstraint(
            f"({_SCOPED} AND jurisdiction_id IS NOT NULL) "
            f"OR (NOT {_SCOPED} AND jurisdiction_id IS NULL)",
            name="ck_role_grants_scope",
        ),
        sa.Index(
            "uq_role_grants_scoped",
            "official_id",
            "role",
            "jurisdiction_id",
            unique=True,
            sqlite_where=sa.text("jurisdiction_id IS NOT NULL"),
            postgresql_where=sa.text("jurisdiction_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_role_grants_global",
            "official_id",
            "role",
            unique=True,
            sqlite_where=sa.text("jurisdiction_id IS NULL"),
            postgresql_where=sa.text("jurisdiction_id IS NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    official_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("officials.id", ondelete="CASCADE"), index=True
    )
    role: so.Mapped[str] = so.mapped_column(sa.String(24))
    jurisdiction_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("jurisdictions.id", ondelete="RESTRICT"), index=True
    )
    granted_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))

    official: so.Mapped[Official] = so.relationship(back_populates="grants")
    jurisdiction: so.Mapped[Jurisdiction | None] = so.relationship()

    def describe(self) -> str:
        """``returning_officer for canton:ZH`` or ``registrar``."""
        if self.jurisdiction is None:
            return self.role
        return f"{self.role} for {self.jurisdiction.ref}"


class OfficialSession(db.Model):  # type: ignore[name-defined,misc]
    """A logged-in session; the cookie holds the token, the row its SHA-256."""

    __tablename__ = "official_sessions"

    id: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    """Lowercase hex SHA-256 of the session token."""
    official_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("officials.id", ondelete="CASCADE"), index=True
    )
    created_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))
    expires_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))

    official: so.Mapped[Official] = so.relationship()


class RateCounter(db.Model):  # type: ignore[name-defined,misc]
    """Attempts under one key (``login-user:alice``, ``login-ip:<keyed hash>``) in a window.

    Times are Unix seconds so that the atomic upsert compares integers on every
    database.
    """

    __tablename__ = "rate_counters"

    key: so.Mapped[str] = so.mapped_column(sa.String(160), primary_key=True)
    window_start: so.Mapped[int] = so.mapped_column(sa.BigInteger, index=True)
    count: so.Mapped[int] = so.mapped_column(sa.Integer)
