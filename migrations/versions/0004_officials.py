"""officials: accounts, roles and their jurisdictions

Revision ID: 0004_officials
Revises: 0003_witnesses
Create Date: 2026-11-22
"""

revision = "0004_officials"
down_revision = "0003_witnesses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
