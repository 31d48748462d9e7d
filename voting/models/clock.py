"""One clock: the database's.

Every time that decides something or is logged — a vote day opening or
closing, "has the closing time passed?", the time a checkpoint is signed, a
lifecycle record's ``at`` — is read from the database server, never from the
web node that happens to serve the request. Two nodes whose clocks disagree
then still agree on what time it is (docs/lifecycle.md, "One clock").

- PostgreSQL: ``clock_timestamp()``, the server's clock when the expression
  is evaluated. (``now()`` is the start of the transaction, which may be
  older than the moment a lock was obtained.)
- SQLite: ``strftime('%Y-%m-%d %H:%M:%f', 'now')``, UTC with milliseconds.
  SQLite runs inside the node's process, so its "database clock" is the
  machine's own clock (the C library's, not Python's ``datetime``): a
  single-machine deployment has one clock anyway.

The expression is folded into a query the caller already sends where a round
trip counts (casting, the log's append lock), or read with :func:`database_now`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from voting.models.session_types import DbSession

__all__ = ["database_now", "from_db", "now_sql"]

_NOW_SQL = {
    "postgresql": "clock_timestamp()",
    # SQLAlchemy's own text form of a DateTime on SQLite (six fraction digits),
    # so that the value compares and parses like every stored timestamp.
    "sqlite": "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')",
}


def now_sql(dialect: str) -> str:
    """The SQL expression of the database's current time for ``dialect``."""
    try:
        return _NOW_SQL[dialect]
    except KeyError:
        raise ValueError(f"no database clock is known for the {dialect} dialect") from None


def from_db(value: Any) -> dt.datetime:
    """A value of :func:`now_sql` as read back: an aware UTC datetime."""
    if isinstance(value, str):  # SQLite: text in UTC
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"the database clock returned {value!r}, not a time")
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def database_now(session: DbSession) -> dt.datetime:
    """The database's current time, in the session's transaction (one query)."""
    from voting.models.sql import run

    dialect = session.get_bind().dialect.name
    row = run(session, f"SELECT {now_sql(dialect)}").one()
    return from_db(row[0])
