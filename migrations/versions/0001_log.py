"""bulletin board: logs, leaves, stored subtree hashes and checkpoints

Revision ID: 0001_log
Revises:
Create Date: 2026-11-22
"""

revision = "0001_log"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
