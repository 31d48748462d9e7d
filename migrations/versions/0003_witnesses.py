"""witnesses: the roster of registered witnesses and their cosignatures

Revision ID: 0003_witnesses
Revises: 0002_jurisdictions
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_witnesses"
down_revision = "0002_jurisdictions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "witnesses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "log_id", sa.Integer(), sa.ForeignKey("logs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("public_key", sa.LargeBinary(48), nullable=False),
        sa.Column("proof_of_possession", sa.LargeBinary(96), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("log_id", "position", name="uq_witnesses_position"),
        sa.UniqueConstraint("log_id", "name", name="uq_witnesses_name"),
        sa.UniqueConstraint("log_id", "public_key", name="uq_witnesses_public_key"),
    )
    op.create_table(
        "witness_cosignatures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "checkpoint_id",
            sa.Integer(),
            sa.ForeignKey("log_checkpoints.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "witness_id",
            sa.Integer(),
            sa.ForeignKey("witnesses.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("signature", sa.LargeBinary(96), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("checkpoint_id", "witness_id", name="uq_witness_cosignatures_once"),
    )
    op.create_index("ix_witness_cosignatures_witness_id", "witness_cosignatures", ["witness_id"])
    op.create_table(
        "witness_aggregates",
        sa.Column(
            "checkpoint_id",
            sa.Integer(),
            sa.ForeignKey("log_checkpoints.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("signer_count", sa.Integer(), nullable=False),
        sa.Column("bitmap", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(96), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("witness_aggregates")
    op.drop_index("ix_witness_cosignatures_witness_id", table_name="witness_cosignatures")
    op.drop_table("witness_cosignatures")
    op.drop_table("witnesses")
