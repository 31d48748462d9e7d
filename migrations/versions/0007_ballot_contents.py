"""ballot contents: one row per ciphertext and unsigned ballot on the log (issue 13)

A ballot whose content is already on the log (as a ballot or as an audit) is
refused by a lookup in this table under the log lock. The upgrade fills it
from the ``ballot`` and ``spoiled`` records already logged; a content that is
already there twice (logged before this check existed) keeps its first leaf,
and the verifier reports the pair.

Revision ID: 0007_ballot_contents
Revises: 0006_tally
Create Date: 2026-12-03
"""

import json

import sqlalchemy as sa
from alembic import op

from crypto.ballot import content_keys

revision = "0007_ballot_contents"
down_revision = "0006_tally"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ballot_contents",
        sa.Column("vote_day_id", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["vote_day_id"], ["vote_days.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("vote_day_id", "digest"),
    )
    op.create_index("ix_ballot_contents_leaf", "ballot_contents", ["vote_day_id", "leaf_index"])
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    """Index the ballots and audits already on every vote day's log (leaf order)."""
    rows = connection.execute(
        sa.text(
            "SELECT l.name, f.idx, f.data FROM log_leaves f JOIN logs l ON l.id = f.log_id"
            " JOIN vote_days v ON v.id = l.name ORDER BY l.name, f.idx"
        )
    )
    seen: set[tuple[str, str]] = set()
    batch: list[dict[str, object]] = []
    for name, index, data in rows:
        try:
            record = json.loads(bytes(data))
        except ValueError:
            continue
        kind = record.get("type") if isinstance(record, dict) else None
        if kind not in ("ballot", "spoiled") or not isinstance(record.get("ballot"), dict):
            continue
        try:
            keys = content_keys(record["ballot"])
        except ValueError:
            continue  # a malformed ballot on the log: the verifier reports it
        for digest in keys:
            if (name, digest) not in seen:
                seen.add((name, digest))
                batch.append({"v": name, "d": digest, "i": int(index), "k": kind})
    if batch:
        connection.execute(
            sa.text(
                "INSERT INTO ballot_contents (vote_day_id, digest, leaf_index, kind)"
                " VALUES (:v, :d, :i, :k)"
            ),
            batch,
        )


def downgrade() -> None:
    op.drop_index("ix_ballot_contents_leaf", table_name="ballot_contents")
    op.drop_table("ballot_contents")
