"""tally: clerks' keys and channel counts, decryption progress and results

Revision ID: 0006_tally
Revises: 0005_casting
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_tally"
down_revision = "0005_casting"
branch_labels = None
depends_on = None


def _vote_day_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["vote_day_id"], ["vote_days.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "tally_units",
        sa.Column("vote_day_id", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("ballots", sa.Integer(), nullable=False),
        sa.Column("totals_index", sa.BigInteger(), nullable=False),
        sa.Column("counts_index", sa.BigInteger(), nullable=True),
        _vote_day_fk(),
        sa.PrimaryKeyConstraint("vote_day_id", "unit"),
    )
    op.create_table(
        "decryption_shares",
        sa.Column("vote_day_id", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("trustee_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("trustee", sa.String(length=64), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        _vote_day_fk(),
        sa.PrimaryKeyConstraint("vote_day_id", "unit", "trustee_index"),
    )
    op.create_table(
        "clerk_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_day_id", sa.String(length=64), nullable=False),
        sa.Column("clerk", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        _vote_day_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_clerk_keys_clerk_unit", "clerk_keys", ["vote_day_id", "clerk", "unit"])
    op.create_table(
        "channel_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_day_id", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("clerk", sa.String(length=64), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("replaces", sa.BigInteger(), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        _vote_day_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vote_day_id", "leaf_index", name="uq_channel_counts_leaf"),
    )
    op.create_index("ix_channel_counts_unit", "channel_counts", ["vote_day_id", "unit", "channel"])
    op.create_table(
        "result_records",
        sa.Column("vote_day_id", sa.String(length=64), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("part", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        _vote_day_fk(),
        sa.PrimaryKeyConstraint("vote_day_id", "question", "part"),
    )


def downgrade() -> None:
    op.drop_table("result_records")
    op.drop_index("ix_channel_counts_unit", table_name="channel_counts")
    op.drop_table("channel_counts")
    op.drop_index("ix_clerk_keys_clerk_unit", table_name="clerk_keys")
    op.drop_table("clerk_keys")
    op.drop_table("decryption_shares")
    op.drop_table("tally_units")
