"""witnesses: the roster of registered witnesses and their cosignatures

Revision ID: 0003_witnesses
Revises: 0002_jurisdictions
Create Date: 2026-11-22
"""

revision = "0003_witnesses"
down_revision = "0002_jurisdictions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
