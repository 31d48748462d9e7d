"""bulletin board: logs, leaves, stored subtree hashes and checkpoints

Revision ID: 0001_log
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_log"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "logs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("right_edge", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "log_leaves",
        sa.Column(
            "log_id", sa.Integer(), sa.ForeignKey("logs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("hash_prefix", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("log_id", "idx"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_log_leaves_prefix", "log_leaves", ["log_id", "hash_prefix"])
    op.create_table(
        "log_nodes",
        sa.Column(
            "log_id", sa.Integer(), sa.ForeignKey("logs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("log_id", "level", "idx"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "log_checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "log_id", sa.Integer(), sa.ForeignKey("logs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("log_id", "size", name="uq_log_checkpoints_size"),
    )


def downgrade() -> None:
    op.drop_table("log_checkpoints")
    op.drop_table("log_nodes")
    op.drop_index("ix_log_leaves_prefix", table_name="log_leaves")
    op.drop_table("log_leaves")
    op.drop_table("logs")
