"""vote days: the minimum number of electronic ballots a unit's published counts cover

Revision ID: 0009_publication_minimum
Revises: 0008_witness_approval
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_publication_minimum"
down_revision = "0008_witness_approval"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vote_days") as batch:
        batch.add_column(
            sa.Column("min_electronic_ballots", sa.Integer(), nullable=False, server_default="10")
        )


def downgrade() -> None:
    with op.batch_alter_table("vote_days") as batch:
        batch.drop_column("min_electronic_ballots")
