"""tiers and rules: jurisdictions, vote days and questions

Revision ID: 0002_jurisdictions
Revises: 0001_log
Create Date: 2026-11-22
"""

revision = "0002_jurisdictions"
down_revision = "0001_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
