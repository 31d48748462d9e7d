"""witness approval: pending requests, the witness's Ed25519 submission key, its log record

Revision ID: 0008_witness_approval
Revises: 0007_ballot_contents
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_witness_approval"
down_revision = "0007_ballot_contents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("witnesses") as batch:
        batch.add_column(sa.Column("cosigner_key", sa.LargeBinary(32), nullable=True))
        batch.add_column(sa.Column("leaf_index", sa.Integer(), nullable=True))
    op.create_table(
        "witness_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "log_id", sa.Integer(), sa.ForeignKey("logs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("public_key", sa.LargeBinary(48), nullable=False),
        sa.Column("proof_of_possession", sa.LargeBinary(96), nullable=False),
        sa.Column("cosigner_key", sa.LargeBinary(32), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_witness_requests_log_id", "witness_requests", ["log_id"])


def downgrade() -> None:
    op.drop_index("ix_witness_requests_log_id", table_name="witness_requests")
    op.drop_table("witness_requests")
    with op.batch_alter_table("witnesses") as batch:
        batch.drop_column("leaf_index")
        batch.drop_column("cosigner_key")
