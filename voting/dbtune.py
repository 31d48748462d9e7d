"""Connection settings for SQLite: write-ahead log, busy timeout, full synchronous.

Applied to every SQLite connection any engine opens (the app's, Alembic's,
the benchmarks'). PostgreSQL needs nothing: its commits are durable and its
row locks serialize the log's appends.

- ``journal_mode=WAL``: readers never block the single writer, and a commit
  appends to the WAL instead of rewriting pages.
- ``synchronous=FULL``: every commit is fsynced to the WAL before COMMIT
  returns, so a receipt's leaf survives a process crash *and* a power loss
  (``NORMAL`` would survive only process crashes). See docs/log.md for the
  measured cost.
- ``busy_timeout``: a writer waits up to 30 s for the write lock instead of
  failing at once with "database is locked".
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa

SQLITE_BUSY_TIMEOUT_MS = 30_000


@sa.event.listens_for(sa.engine.Engine, "connect")
def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()
