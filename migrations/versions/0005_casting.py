"""casting: election parameters (trustees, key, manifest, schedule) and cast ballots

Revision ID: 0005_casting
Revises: 0004_officials
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_casting"
down_revision = "0004_officials"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "elections",
        sa.Column("vote_day_id", sa.String(length=64), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("trustees", sa.JSON(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=True),
        sa.Column("manifest_hash", sa.String(length=64), nullable=True),
        sa.Column("manifest_index", sa.BigInteger(), nullable=True),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["vote_day_id"], ["vote_days.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("vote_day_id"),
    )
    op.create_table(
        "cast_ballots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_day_id", sa.String(length=64), nullable=False),
        sa.Column("credential", sa.String(length=64), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["vote_day_id"], ["vote_days.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vote_day_id", "leaf_index", name="uq_cast_ballots_leaf"),
    )
    op.create_index("ix_cast_ballots_credential", "cast_ballots", ["vote_day_id", "credential"])


def downgrade() -> None:
    op.drop_index("ix_cast_ballots_credential", table_name="cast_ballots")
    op.drop_table("cast_ballots")
    op.drop_table("elections")
