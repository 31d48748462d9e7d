"""return codes: the committed lookup tree's subtree hashes, stored once at opening

A confirmation carries its lookup entry's inclusion proof against the root
logged at opening. It was rebuilt from every entry for every confirmation
(O(voters x choices) hashes each time); the hashes of the tree's perfect
subtrees (level >= 1; the leaves are the entries) are now written once, in the
opening's transaction, and a proof is folded from O(log n) of them
(docs/return-codes.md, "Lookup table"). Vote days whose table is already
stored get their tree here (a vote day not yet open gets it again at opening).

Revision ID: 0014_return_code_lookup_tree
Revises: 0013_return_codes
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from crypto import merkle

revision = "0014_return_code_lookup_tree"
down_revision = "0013_return_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    nodes = op.create_table(
        "return_code_lookup_nodes",
        sa.Column("vote_day_id", sa.String(64), nullable=False),
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.ForeignKeyConstraint(["vote_day_id"], ["vote_days.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("vote_day_id", "level", "idx"),
    )
    _backfill(op.get_bind(), nodes)


def _backfill(connection: sa.Connection, nodes: sa.Table) -> None:
    entries = sa.table(
        "return_code_entries",
        sa.column("vote_day_id", sa.String),
        sa.column("lookup", sa.String),
        sa.column("sealed", sa.String),
        sa.column("position", sa.BigInteger),
    )
    days = connection.scalars(sa.select(entries.c.vote_day_id).distinct()).all()
    for day in days:
        rows = connection.execute(
            sa.select(entries.c.lookup, entries.c.sealed)
            .where(entries.c.vote_day_id == day)
            .order_by(entries.c.position)
        )
        level = [merkle.leaf_hash(bytes.fromhex(a) + bytes.fromhex(b)) for a, b in rows]
        height = 0
        while len(level) > 1:
            level = [merkle.node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            height += 1
            values = [{"vote_day_id": day, "level": height, "idx": i, "hash": h}
                      for i, h in enumerate(level)]  # fmt: skip
            for start in range(0, len(values), 5000):
                connection.execute(sa.insert(nodes), values[start : start + 5000])


def downgrade() -> None:
    op.drop_table("return_code_lookup_nodes")
