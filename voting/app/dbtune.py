"""Connection settings for SQLite: write-ahead log, busy timeout, synchronous level.

Applied to every SQLite connection any engine opens (the app's, Alembic's,
the benchmarks'). PostgreSQL needs nothing here: its commits are fsynced
(``synchronous_commit = on``) and its row locks serialize the log's appends.

- ``journal_mode=WAL``: readers never block the single writer, and a commit
  appends to the WAL instead of rewriting pages.
- ``synchronous``: ``NORMAL`` by default. In WAL mode a committed transaction
  is in the WAL file before COMMIT returns, so it survives any crash of the
  application (a killed worker, ``kill -9``); only an operating-system crash
  or power loss can lose the last commits (the database stays intact). Set
  the deployment variable ``URNA_SQLITE_SYNCHRONOUS=FULL`` to fsync every
  commit and survive power loss too, at the cost measured in docs/log.md.
- ``busy_timeout``: a writer waits up to 30 s for the write lock instead of
  failing at once with "database is locked".
- ``wal_autocheckpoint``: the WAL is copied back into the database every
  10,000 pages (40 MB with 4 KB pages) instead of 1,000, so a page that many
  commits change (the log's leaf-hash index takes random inserts) is written
  back once, not once per commit.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import sqlalchemy as sa

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000
SYNCHRONOUS_LEVELS = ("NORMAL", "FULL", "EXTRA")


def sqlite_synchronous() -> str:
    """The configured level (``URNA_SQLITE_SYNCHRONOUS``, default ``NORMAL``)."""
    level = os.environ.get("URNA_SQLITE_SYNCHRONOUS", "NORMAL").upper()
    if level not in SYNCHRONOUS_LEVELS:
        raise ValueError(f"URNA_SQLITE_SYNCHRONOUS must be one of {', '.join(SYNCHRONOUS_LEVELS)}")
    return level


@sa.event.listens_for(sa.engine.Engine, "connect")
def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={sqlite_synchronous()}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
    finally:
        cursor.close()
