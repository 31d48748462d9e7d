"""tally: clerks' keys and channel counts, decryption progress and results

Revision ID: 0006_tally
Revises: 0005_casting
Create Date: 2026-11-22
"""

revision = "0006_tally"
down_revision = "0005_casting"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
