"""return codes: the vote day's option, the voters' keys, the lookup table, the ballots' state

docs/return-codes.md. ``vote_days.return_codes`` names the return-code
authorities (null: the vote day has no return codes). The three tables hold
what the registrar hands the server (each voter's X_c and V_{j,c}; the
shuffled lookup table) and each cast ballot's return-code state (the leaves of
its codes and confirmation records; the tally counts only confirmed ballots).

Revision ID: 0012_return_codes
Revises: 0011_leaf_storage_external
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_return_codes"
down_revision = "0011_leaf_storage_external"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("vote_days", sa.Column("return_codes", sa.JSON(), nullable=True))
    op.create_table(
        "return_code_voters",
        sa.Column("vote_day_id", sa.String(64), nullable=False),
        sa.Column("credential", sa.String(64), nullable=False),
        sa.Column("voter_key", sa.String(64), nullable=False),
        sa.Column("authority_keys", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["vote_day_id"], ["vote_days.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("vote_day_id", "credential"),
    )
    op.create_table(
        "return_code_entries",
        sa.Column("vote_day_id", sa.String(64), nullable=False),
        sa.Column("lookup", sa.String(64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("sealed", sa.String(256), nullable=False),
        sa.ForeignKeyConstraint(["vote_day_id"], ["vote_days.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("vote_day_id", "lookup"),
        sa.UniqueConstraint("vote_day_id", "position", name="uq_return_code_entries_position"),
    )
    op.create_table(
        "return_code_ballots",
        sa.Column("vote_day_id", sa.String(64), nullable=False),
        sa.Column("credential", sa.String(64), nullable=False),
        sa.Column("ballot_index", sa.BigInteger(), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("codes_index", sa.BigInteger(), nullable=True),
        sa.Column("confirmation_tries", sa.Integer(), nullable=False),
        sa.Column("confirmed_index", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["vote_day_id"], ["vote_days.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("vote_day_id", "credential"),
        sa.UniqueConstraint("vote_day_id", "ballot_index", name="uq_return_code_ballots_leaf"),
    )


def downgrade() -> None:
    op.drop_table("return_code_ballots")
    op.drop_table("return_code_entries")
    op.drop_table("return_code_voters")
    op.drop_column("vote_days", "return_codes")
