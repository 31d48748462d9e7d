"""append path: the per-ballot rows lose their foreign keys and the content rows' leaf index

Every ballot writes a leaf, about one subtree hash, a cast-ballot row and
seven content rows (benchmarks/group_commit_bench.py). On PostgreSQL each
row's foreign key ran a trigger that looked up and share-locked its vote day
or log row: about 3 µs of the server's CPU per content row and more per
leaf, some 35 µs per append, all of it under the log's lock. These rows are
written only by the log's appends (voting/log/bulletin.py,
voting/services/casting.py), in the transaction that holds the lock of the
log row it just read, after reading the vote day's status; no code deletes
a vote day or a log, so there is nothing for the cascade to do. The content
rows' ``(vote_day_id, leaf_index)`` index served one lookup (whether a
receipt's entry is an audit), which now reads the entry's type from the log.

SQLite does not enforce foreign keys here (the ``foreign_keys`` pragma is
off), but its tables are rebuilt without the clauses all the same, so that
the schema is the models' on both databases.

Revision ID: 0012_append_rows_unchecked
Revises: 0011_leaf_storage_external
Create Date: 2026-12-03
"""

from alembic import op

revision = "0012_append_rows_unchecked"
down_revision = "0011_leaf_storage_external"
branch_labels = None
depends_on = None

_KEYS = [
    ("log_leaves_log_id_fkey", "log_leaves", "logs", "log_id", "id"),
    ("log_nodes_log_id_fkey", "log_nodes", "logs", "log_id", "id"),
    ("cast_ballots_vote_day_id_fkey", "cast_ballots", "vote_days", "vote_day_id", "id"),
    ("ballot_contents_vote_day_id_fkey", "ballot_contents", "vote_days", "vote_day_id", "id"),
]


# SQLite's foreign keys are unnamed: a batch rebuild names them by this
# convention to drop them (Alembic's documented way).
_SQLITE_NAMES = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}
_WITHOUT_ROWID = {"log_leaves", "log_nodes"}


def upgrade() -> None:
    op.drop_index("ix_ballot_contents_leaf", table_name="ballot_contents")
    if op.get_bind().dialect.name != "sqlite":
        for name, table, *_ in _KEYS:
            op.drop_constraint(name, table, type_="foreignkey")
        return
    for name, table, *_ in _KEYS:
        with op.batch_alter_table(
            table,
            recreate="always",
            naming_convention=_SQLITE_NAMES,
            table_kwargs={"sqlite_with_rowid": table not in _WITHOUT_ROWID},
        ) as batch:
            batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, table, referred, column, referred_column in _KEYS:
        if sqlite:
            with op.batch_alter_table(
                table,
                recreate="always",
                table_kwargs={"sqlite_with_rowid": table not in _WITHOUT_ROWID},
            ) as batch:
                batch.create_foreign_key(
                    name, referred, [column], [referred_column], ondelete="CASCADE"
                )
        else:
            op.create_foreign_key(
                name, table, referred, [column], [referred_column], ondelete="CASCADE"
            )
    op.create_index(
        "ix_ballot_contents_leaf", "ballot_contents", ["vote_day_id", "leaf_index"], unique=False
    )
