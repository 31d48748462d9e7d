"""Rate limits shared by every worker: counters in the database.

A fixed-window counter per key (``login-user:alice``, ``login-ip:<keyed hash>``).
:func:`hit` reserves one attempt with a single atomic upsert *before* the
expensive or sensitive work (a password check), so concurrent requests in
several gunicorn workers can never together exceed the limit. A successful
login gives its attempt back (:func:`release`) or clears the key
(:func:`clear`). Other rate limits (code entry, casting) can reuse this module
with their own key prefix. An attempt can also be counted in the caller's own
transaction (:func:`count`, or :func:`upsert_many` for several keys in one
statement): casting counts a batch's attempts under the log's lock, with its
ballots, and purges the counters of credentials whose window is over
(:func:`purge_if_due`), so that the table stays bounded.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from voting.errors import TooManyAttempts
from voting.models import sql
from voting.models.officials import RateCounter
from voting.models.session_types import DbSession
from voting.models.sql import Params


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``attempts`` hits per key in a window of ``window`` seconds."""

    attempts: int
    window: int


RETENTION = 60 * 60
"""A counter is deleted an hour after its window began (no limit's window is longer)."""
PURGE_EVERY = 60
"""Each process purges expired counters at most once a minute, on its next hit."""
_last_purge = 0


def hit(session: DbSession, key: str, limit: Limit, *, what: str, now: int | None = None) -> int:
    """Count one attempt under ``key`` and commit; return the count in the window.

    At most once a minute per process, expired counters are purged first
    (:func:`purge_expired`): a client's hashed address or a credential stays
    in the table for :data:`RETENTION` seconds at most, whether or not anyone
    logs in.

    Raises:
        TooManyAttempts: the attempt is over the limit (it is still counted).
    """
    now = int(time.time()) if now is None else now
    purge_if_due(session, now=now)
    count, window_start = _upsert(session, key, limit, now, own_transaction=True)
    session.commit()
    _check(count, window_start, limit, what, now)
    return count


def purge_if_due(
    session: DbSession, *, now: int | None = None, windows: Mapping[str, int] | None = None
) -> int:
    """Purge expired counters (:func:`purge_expired`) if this process has not for a minute.

    ``windows`` maps a key prefix to its limit's window: counters under that
    prefix are deleted as soon as their window is over (an upsert would
    restart them anyway), not after :data:`RETENTION`. Casting passes the
    per-credential window, so that the table holds at most the credentials
    that cast within one window, not one row per voter (docs/performance.md).
    Commits when it purges; returns how many counters it deleted.
    """
    global _last_purge
    now = int(time.time()) if now is None else now
    if 0 <= now - _last_purge < PURGE_EVERY:
        return 0
    _last_purge = now
    deleted = 0
    for prefix, window in sorted((windows or {}).items()):
        deleted += purge(session, older_than=window, now=now, prefix=prefix)
    return deleted + purge_expired(session, now=now)


def count(session: DbSession, key: str, limit: Limit, *, what: str, now: int | None = None) -> int:
    """Count one attempt under ``key`` in the caller's transaction (no commit).

    The counter's row stays locked until the caller's transaction ends, so
    concurrent attempts under the same key wait for it: use it only where that
    lock is the row's alone (:func:`counts_in_transaction`). If the caller
    rolls back, the attempt is not counted: count it again with :func:`hit`.

    Raises:
        TooManyAttempts: the attempt is over the limit (counted in the transaction).
    """
    now = int(time.time()) if now is None else now
    count, window_start = _upsert(session, key, limit, now, own_transaction=False)
    _check(count, window_start, limit, what, now)
    return count


def counts_in_transaction(session: DbSession) -> bool:
    """Whether :func:`count` can hold a counter in a long transaction: on PostgreSQL.

    PostgreSQL locks the counter's row only. SQLite's write lock is the whole
    database's: there every attempt is counted and committed on its own (:func:`hit`).
    """
    return bool(session.get_bind().dialect.name == "postgresql")


def check(count: int, window_start: int, limit: Limit, *, what: str, now: int) -> None:
    """Refuse an attempt whose upsert (:data:`UPSERT`, run by the caller) returned ``count``.

    Raises:
        TooManyAttempts: ``count`` is over the limit.
    """
    _check(count, window_start, limit, what, now)


def upsert_params(key: str, limit: Limit, now: int) -> tuple[Any, ...]:
    """The parameters of :data:`UPSERT` counting one attempt under ``key`` at ``now``."""
    expired_before = now - limit.window
    return (key, now, expired_before, expired_before, now)


def upsert_many(
    counts: Sequence[tuple[str, Limit, int, int]], *, arrays: bool = False
) -> list[tuple[str, Params]]:
    """Statements counting ``times`` attempts under each ``(key, limit, now, times)``.

    Keys must be distinct; one statement per distinct window. Each returns
    ``(key, count, window_start)`` per key of its own, as :data:`UPSERT` run
    ``times`` times would leave the counter: the i-th of n attempts saw
    ``count - (n - 1 - i)``. A batch of casts counts its ballots' attempts
    with them (voting/services/casting.py), one statement for the batch.
    With ``arrays`` (PostgreSQL), the rows are three array parameters: one
    statement text whatever the number of keys, prepared once.
    """
    by_window: dict[int, list[tuple[str, int, int]]] = {}
    for key, limit, now, times in counts:
        by_window.setdefault(limit.window, []).append((key, now, times))
    statements: list[tuple[str, Params]] = []
    for window, rows in sorted(by_window.items()):
        if arrays:
            columns = tuple(list(column) for column in zip(*rows, strict=True))
            statements.append((_UPSERT_ARRAYS, (*columns, window, window)))
            continue
        values = ", ".join(["(?, ?, ?)"] * len(rows))
        params: list[Any] = [value for row in rows for value in row]
        statements.append((_UPSERT_MANY.format(values=values), (*params, window, window)))
    return statements


# As UPSERT, for several keys at once: ``excluded`` is the row proposed for a
# key (its window_start is the attempt's time, its count the attempts).
_UPSERT_MANY = (
    "INSERT INTO rate_counters (key, window_start, count) VALUES {values}"
    " ON CONFLICT (key) DO UPDATE SET"
    " count = CASE WHEN rate_counters.window_start <= excluded.window_start - ?"
    " THEN excluded.count ELSE rate_counters.count + excluded.count END,"
    " window_start = CASE WHEN rate_counters.window_start <= excluded.window_start - ?"
    " THEN excluded.window_start ELSE rate_counters.window_start END"
    " RETURNING key, count, window_start"
)
# The same from arrays (PostgreSQL: %b sends each in binary form).
_UPSERT_ARRAYS = _UPSERT_MANY.replace(
    " VALUES {values}",
    " SELECT * FROM unnest(%b::text[], %b::int8[], %b::int4[]) AS u (key, window_start, count)",
)


def _check(count: int, window_start: int, limit: Limit, what: str, now: int) -> None:
    if count > limit.attempts:
        wait = max(1, window_start + limit.window - now)
        minutes = -(-wait // 60)
        raise TooManyAttempts(
            f"too many {what}; try again in {minutes} minute{'s' if minutes != 1 else ''}",
            retry_after=wait,
        )


def release(session: DbSession, key: str) -> None:
    """Give back one attempt (a success that should not count) and commit."""
    table = RateCounter.__table__
    session.execute(
        sa.update(table)
        .where(table.c.key == key, table.c.count > 0)
        .values(count=table.c.count - 1)
    )
    session.commit()


def clear(session: DbSession, key: str) -> None:
    """Forget every attempt under ``key`` and commit."""
    session.execute(sa.delete(RateCounter).where(RateCounter.key == key))
    session.commit()


def purge(session: DbSession, *, older_than: int, now: int | None = None, prefix: str = "") -> int:
    """Delete counters (of keys starting with ``prefix``) whose window started more than
    ``older_than`` seconds ago, and commit."""
    now = int(time.time()) if now is None else now
    expired = RateCounter.window_start <= now - older_than
    if prefix:  # a range of keys, not LIKE (whose _ and % would be wildcards)
        expired &= RateCounter.key >= prefix
        expired &= RateCounter.key < prefix[:-1] + chr(ord(prefix[-1]) + 1)
    result = session.execute(sa.delete(RateCounter).where(expired))
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_expired(session: DbSession, *, now: int | None = None) -> int:
    """Delete every counter older than :data:`RETENTION` and commit; return how many.

    Run opportunistically by :func:`hit` and by ``flask --app app schedule run``.
    """
    return purge(session, older_than=RETENTION, now=now)


# One statement, run by the driver (voting/models/sql.py; casting runs it on
# every ballot: building it with SQLAlchemy's dialect-specific insert cost more
# than the query). It is the
# same SQL on SQLite (3.35+) and PostgreSQL; both SET expressions see the row's
# old values (SQL semantics). Values are always parameters.
UPSERT = (
    "INSERT INTO rate_counters (key, window_start, count) VALUES (?, ?, 1)"
    " ON CONFLICT (key) DO UPDATE SET"
    " count = CASE WHEN rate_counters.window_start <= ? THEN 1"
    " ELSE rate_counters.count + 1 END,"
    " window_start = CASE WHEN rate_counters.window_start <= ? THEN ?"
    " ELSE rate_counters.window_start END"
    " RETURNING count, window_start"
)


def _upsert(
    session: DbSession, key: str, limit: Limit, now: int, *, own_transaction: bool
) -> tuple[int, int]:
    connection = _connection(session) if own_transaction else session.connection()
    dialect = connection.dialect.name
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - the two supported
        raise NotImplementedError(f"rate limits need SQLite or PostgreSQL, not {dialect}")
    row = sql.run(
        session, UPSERT, upsert_params(key, limit, now)
    ).one()  # on the connection chosen above
    return int(row[0]), int(row[1])


def _connection(session: DbSession) -> sa.Connection:
    """The session's connection; on PostgreSQL in autocommit when no transaction is open.

    The upsert is one atomic statement, so a transaction around it only costs
    two round trips (BEGIN, COMMIT) on every cast. SQLAlchemy puts the
    connection back to the default isolation level when the session releases
    it (at the commit in :func:`hit`), so the caller's next transaction is a
    real one again.
    """
    inner = session.registry() if isinstance(session, so.scoped_session) else session
    if inner.in_transaction() or inner.get_bind().dialect.name != "postgresql":
        return session.connection()
    return session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
