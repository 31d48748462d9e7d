"""tiers and rules: jurisdictions, vote days and questions

Revision ID: 0002_jurisdictions
Revises: 0001_log
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_jurisdictions"
down_revision = "0001_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jurisdictions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("electorate", sa.Integer(), nullable=True),
        sa.Column("vote_weight", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("level", "code", name="uq_jurisdictions_level_code"),
        sa.CheckConstraint(
            "electorate IS NULL OR electorate >= 0", name="ck_jurisdictions_electorate"
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["jurisdictions.id"], ondelete="RESTRICT"),
    )
    op.create_index("ix_jurisdictions_parent_id", "jurisdictions", ["parent_id"])
    op.create_table(
        "vote_days",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revote_policy", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_day_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("rule", sa.String(length=24), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("min_selections", sa.Integer(), nullable=False),
        sa.Column("max_selections", sa.Integer(), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("explanations", sa.JSON(), nullable=False),
        sa.Column("recommendation", sa.String(length=64), nullable=True),
        sa.Column("turnout_quorum", sa.String(length=16), nullable=True),
        sa.Column("approval_quorum", sa.String(length=16), nullable=True),
        sa.Column("group_key", sa.String(length=64), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vote_day_id", "key", name="uq_questions_vote_day_key"),
        sa.CheckConstraint(
            "min_selections >= 0 AND max_selections >= min_selections",
            name="ck_questions_selections",
        ),
        sa.ForeignKeyConstraint(["vote_day_id"], ["vote_days.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdictions.id"], ondelete="RESTRICT"),
    )
    op.create_index("ix_questions_vote_day_id", "questions", ["vote_day_id"])
    op.create_index("ix_questions_jurisdiction_id", "questions", ["jurisdiction_id"])


def downgrade() -> None:
    op.drop_index("ix_questions_jurisdiction_id", table_name="questions")
    op.drop_index("ix_questions_vote_day_id", table_name="questions")
    op.drop_table("questions")
    op.drop_table("vote_days")
    op.drop_index("ix_jurisdictions_parent_id", table_name="jurisdictions")
    op.drop_table("jurisdictions")
