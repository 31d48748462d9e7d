"""officials: accounts, roles and their jurisdictions

Also the login sessions, the rate-limit counters and the public credential
list of each vote day (registrar).

Revision ID: 0004_officials
Revises: 0003_witnesses
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_officials"
down_revision = "0003_witnesses"
branch_labels = None
depends_on = None

_ROLES = "role IN ('administrator', 'registrar', 'returning_officer', 'clerk', 'trustee')"
_SCOPED = "role IN ('returning_officer', 'clerk')"


def upgrade() -> None:
    op.create_table(
        "officials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["official_id"], ["officials.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"], ondelete="RESTRICT"),
        sa.CheckConstraint(_ROLES, name="ck_role_grants_role"),
        sa.CheckConstraint(
            f"({_SCOPED} AND jurisdiction_id IS NOT NULL) "
            f"OR (NOT {_SCOPED} AND jurisdiction_id IS NULL)",
            name="ck_role_grants_scope",
        ),
    )
    op.create_index("ix_role_grants_official_id", "role_grants", ["official_id"])
    op.create_index("ix_role_grants_jurisdiction_id", "role_grants", ["jurisdiction_id"])
    op.create_index(
        "uq_role_grants_scoped",
        "role_grants",
        ["official_id", "role", "jurisdiction_id"],
        unique=True,
        sqlite_where=sa.text("jurisdiction_id IS NOT NULL"),
        postgresql_where=sa.text("jurisdiction_id IS NOT NULL"),
    )
    op.create_index(
        "uq_role_grants_global",
        "role_grants",
        ["official_id", "role"],
        unique=True,
        sqlite_where=sa.text("jurisdiction_id IS NULL"),
        postgresql_where=sa.text("jurisdiction_id IS NULL"),
    )
    op.create_table(
        "official_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["official_id"], ["officials.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_official_sessions_official_id", "official_sessions", ["official_id"])
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_rate_counters_window_start", "rate_counters", ["window_start"])
    op.create_table(
        "credentials",
        sa.Column("vote_day_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("vote_day_id", "public_key"),
        sa.ForeignKeyConstraint(["vote_day_id"], ["vote_days.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"], ondelete="RESTRICT"),
        sa.CheckConstraint("length(public_key) = 64", name="ck_credentials_public_key"),
    )
    op.create_index("ix_credentials_unit", "credentials", ["vote_day_id", "jurisdiction_id"])


def downgrade() -> None:
    op.drop_index("ix_credentials_unit", table_name="credentials")
    op.drop_table("credentials")
    op.drop_index("ix_rate_counters_window_start", table_name="rate_counters")
    op.drop_table("rate_counters")
    op.drop_index("ix_official_sessions_official_id", table_name="official_sessions")
    op.drop_table("official_sessions")
    op.drop_index("uq_role_grants_global", table_name="role_grants")
    op.drop_index("uq_role_grants_scoped", table_name="role_grants")
    op.drop_index("ix_role_grants_jurisdiction_id", table_name="role_grants")
    op.drop_index("ix_role_grants_official_id", table_name="role_grants")
    op.drop_table("role_grants")
    op.drop_table("officials")
