"""C2SP cosignature/v1 witnesses: the log pushes add-checkpoint and keeps their cosignatures

Revision ID: 0010_c2sp_cosigners
Revises: 0009_publication_minimum
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_c2sp_cosigners"
down_revision = "0009_publication_minimum"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_cosigners",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "log_id", sa.Integer(), sa.ForeignKey("logs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("leaf_index", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cosigned_size", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_push_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("log_id", "name", name="uq_log_cosigners_name"),
        sa.UniqueConstraint("log_id", "public_key", name="uq_log_cosigners_public_key"),
    )
    op.create_table(
        "cosigner_signatures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "checkpoint_id",
            sa.Integer(),
            sa.ForeignKey("log_checkpoints.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "cosigner_id",
            sa.Integer(),
            sa.ForeignKey("log_cosigners.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.LargeBinary(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("checkpoint_id", "cosigner_id", name="uq_cosigner_signatures_once"),
    )
    op.create_index(
        "ix_cosigner_signatures_checkpoint_id", "cosigner_signatures", ["checkpoint_id"]
    )
    op.create_index("ix_cosigner_signatures_cosigner_id", "cosigner_signatures", ["cosigner_id"])


def downgrade() -> None:
    op.drop_index("ix_cosigner_signatures_cosigner_id", table_name="cosigner_signatures")
    op.drop_index("ix_cosigner_signatures_checkpoint_id", table_name="cosigner_signatures")
    op.drop_table("cosigner_signatures")
    op.drop_table("log_cosigners")
