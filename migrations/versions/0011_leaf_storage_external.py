"""log leaves: their data is stored out of line without a compression attempt (PostgreSQL)

A leaf's record is canonical JSON of hex-encoded group elements and proofs
(about 4 KB for the reference ballot): pglz cannot shrink it, but tried on
every append before moving it out of line. ``STORAGE EXTERNAL`` skips the
attempt: measured with benchmarks/group_commit_bench.py, the database's CPU
per append fell from 303 to 239 µs (docs/performance.md). Existing rows are
unchanged; the setting applies to rows written from now on. SQLite has no
such setting: nothing to do there.

Revision ID: 0011_leaf_storage_external
Revises: 0010_c2sp_cosigners
Create Date: 2026-12-03
"""

from alembic import op

revision = "0011_leaf_storage_external"
down_revision = "0010_c2sp_cosigners"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE log_leaves ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE log_leaves ALTER COLUMN data SET STORAGE EXTENDED")
