"""Driver-level SQL for the hot paths: every cast ballot, every log append and proof.

SQLAlchemy's statement building, execution events and result objects cost
about as much CPU as the queries themselves on these paths (measured: a
one-row SELECT on PostgreSQL through ``Connection.exec_driver_sql`` takes
about twice the CPU of the same statement on the driver's cursor). So the
few statements run on every ballot go to the driver's cursor directly, inside
the session's transaction (:meth:`Session.connection` begins it; the session
commits or rolls it back as usual).

Statements use ``?`` placeholders, turned into ``%s`` for drivers of the
"format" family (psycopg). Values are always passed as parameters, never
interpolated. :func:`run_many` sends several statements in one round trip on
PostgreSQL (psycopg's pipeline mode); on SQLite, which has no round trips, it
runs them one after the other.

Errors are the driver's own (``psycopg.Error``, ``sqlite3.Error``), not
SQLAlchemy's wrappers: a caller that wants to catch one here catches those.
Reads take one row of parameters; a list of rows is for writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from voting.models.session_types import DbSession

Params = tuple[Any, ...] | list[tuple[Any, ...]]
"""One row of parameters, or a list of rows (run as ``executemany``)."""


class Rows:
    """The rows a statement returned (none for a write)."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)

    def first(self) -> tuple[Any, ...] | None:
        """The first row, or None."""
        return self._rows[0] if self._rows else None

    def one_or_none(self) -> tuple[Any, ...] | None:
        """The only row, or None; more than one is a programming error."""
        if len(self._rows) > 1:
            raise LookupError(f"expected at most one row, got {len(self._rows)}")
        return self.first()

    def one(self) -> tuple[Any, ...]:
        """The only row; none or more than one is a programming error."""
        if len(self._rows) != 1:
            raise LookupError(f"expected exactly one row, got {len(self._rows)}")
        return self._rows[0]


def run(session: DbSession, sql: str, params: Params = ()) -> Rows:
    """Execute one statement in the session's transaction and fetch its rows."""
    raw, format_style = _driver_connection(session)
    cursor = raw.cursor()
    try:
        _execute(cursor, _adapt(sql, format_style), params)
        return Rows(cursor.fetchall() if cursor.description is not None else [])
    finally:
        cursor.close()


def run_many(session: DbSession, statements: Sequence[tuple[str, Params]]) -> list[Rows]:
    """Execute statements in order, in one round trip where the driver can (psycopg).

    Each statement still runs after the one before it (a read after a lock
    sees what the lock protects). An error in any statement is raised; the
    transaction is then failed and must be rolled back, as after any error.
    """
    raw, format_style = _driver_connection(session)
    if len(statements) < 2 or not _has_pipeline(raw):
        return [run(session, sql, params) for sql, params in statements]
    cursors = [raw.cursor() for _ in statements]
    try:
        with raw.pipeline():
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                # Not executemany, which would open a pipeline of its own (one
                # more round trip): rows are sent as multi-row INSERTs.
                prepare = _prepare(sql)
                for one_sql, row in _statements(sql, params):
                    cursor.execute(_adapt(one_sql, format_style), row, prepare=prepare)
        return [Rows(c.fetchall() if c.description is not None else []) for c in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def _prepare(sql: str) -> bool:
    """Whether psycopg prepares ``sql`` at once (a write) or never (a read).

    A batch's writes have one plan whatever the data: preparing them on first
    use saves each of a process's connections (each leads some batches)
    parsing and planning them again. A read is planned afresh every time: a
    prepared statement's generic plan, chosen while a vote day's tables were
    young, would scan them whole once they have grown (measured: the server's
    CPU per append tripled when the lookups under the lock were prepared).
    """
    return sql.startswith(("INSERT ", "UPDATE "))


def _statements(sql: str, params: Params) -> Iterator[tuple[str, Any]]:
    """The statements that run ``sql`` over ``params``, for pipeline mode (PostgreSQL).

    A list of rows for a plain ``INSERT ... VALUES (?, ...)`` becomes one
    ``INSERT ... SELECT ... FROM unnest(?, ...)`` with an array parameter per
    column: the server parses, plans and executes one statement, not one per
    row (a batch of ballots writes hundreds of content rows), and its text is
    the same whatever the number of rows, so the driver converts it once and
    the server prepares it once. Any other statement runs once per row.
    """
    if not isinstance(params, list):
        yield sql, params
        return
    columns = [list(column) for column in zip(*params, strict=True)] if len(params) > 1 else []
    types = tuple(_array_type(column) for column in columns)
    unnest = _unnest_form(sql, types) if columns and None not in types else None
    if unnest is None:
        for row in params:
            yield sql, row
        return
    yield unnest, tuple(columns)


_ARRAY_TYPES = {str: "text[]", int: "int8[]", bytes: "bytea[]", bool: "bool[]"}


def _array_type(column: list[Any]) -> str | None:
    """The SQL array type of a column of values, by their Python type (None if mixed).

    The driver sends a list of strings as an array of unknown type, which
    ``unnest`` cannot take: the statement casts each array.
    """
    kinds = {type(value) for value in column if value is not None}
    if len(kinds) != 1:  # mixed, or NULLs only (whose column type is unknown here)
        return None
    return _ARRAY_TYPES.get(kinds.pop())


@lru_cache(maxsize=256)
def _unnest_form(sql: str, types: tuple[str | None, ...]) -> str | None:
    """``INSERT INTO t (a, b, c) VALUES (?, ?, f())`` as
    ``INSERT INTO t (a, b, c) SELECT u.c0, u.c1, f() FROM unnest(?, ?) AS u (c0, c1)``,
    or None for any other statement."""
    head, _, values = sql.rpartition(" VALUES ")
    if not head.startswith("INSERT ") or not values.startswith("(") or "'" in values:
        return None
    items: list[str] = []
    depth, current = 0, ""
    for position, char in enumerate(values):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            if position != len(values) - 1:
                return None  # a second row, or something after the first
            break
        if depth == 1 and char == ",":
            items.append(current.strip())
            current = ""
        elif depth > 1 or char != "(":
            current += char
    items.append(current.strip())
    selected: list[str] = []
    arrays: list[str] = []
    for item in items:
        if item == "?":
            selected.append(f"u.c{len(arrays)}")
            arrays.append(f"c{len(arrays)}")
        elif "?" in item:
            return None
        else:
            selected.append(item)
    if len(arrays) != len(types):
        return None
    # %b: arrays go in binary form (the text form escapes every element with a regex)
    marks = ", ".join(f"%b::{kind}" for kind in types)
    # Only the caller's own statement text is rearranged; values stay parameters.
    columns = ", ".join(arrays)
    return f"{head} SELECT {', '.join(selected)} FROM unnest({marks}) AS u ({columns})"  # noqa: S608


def _driver_connection(session: DbSession) -> tuple[Any, bool]:
    """The driver's connection under the session's, and whether it wants ``%s``.

    ``session.connection()`` begins the session's transaction if needed and
    checks a connection out of the pool.
    """
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    return raw, connection.dialect.paramstyle != "qmark"


def _has_pipeline(raw: Any) -> bool:
    """psycopg 3 with a libpq that supports pipeline mode (14 and later)."""
    return hasattr(raw, "pipeline") and _libpq_has_pipeline()


@lru_cache(maxsize=1)
def _libpq_has_pipeline() -> bool:
    from psycopg import Pipeline

    return bool(Pipeline.is_supported())


def _execute(cursor: Any, sql: str, params: Params) -> None:
    if isinstance(params, list):
        if len(params) == 1:
            cursor.execute(sql, params[0])  # one row: cheaper than executemany
        else:
            cursor.executemany(sql, params)
    else:
        cursor.execute(sql, params)


@lru_cache(maxsize=256)
def _adapt_format(sql: str) -> str:
    return sql.replace("?", "%s")


def _adapt(sql: str, format_style: bool) -> str:
    return _adapt_format(sql) if format_style else sql


def unique_violation(exc: BaseException, table: str) -> bool:
    """Whether ``exc`` is the driver's error for a duplicate key of ``table``'s unique index.

    psycopg names the table (``diag.table_name``); SQLite's message does
    (``UNIQUE constraint failed: table.column``). The error may be wrapped by
    SQLAlchemy (its ``orig``) when the statement went through it.
    """
    exc = getattr(exc, "orig", None) or exc
    if isinstance(exc, sqlite3.IntegrityError):
        return str(exc).startswith(f"UNIQUE constraint failed: {table}.")
    module = type(exc).__module__
    if not module.startswith("psycopg"):
        return False
    from psycopg.errors import UniqueViolation

    return isinstance(exc, UniqueViolation) and exc.diag.table_name == table


def timestamp_to_db(session: DbSession, value: Any) -> Any:
    """A timezone-aware timestamp as SQLAlchemy would bind it (``DateTime(timezone=True)``)."""
    return _timestamp_processors(session.get_bind().dialect)[0](value)


def timestamp_from_db(session: DbSession, value: Any) -> Any:
    """A timestamp read by driver-level SQL, as SQLAlchemy would have returned it."""
    return _timestamp_processors(session.get_bind().dialect)[1](value)


@lru_cache(maxsize=8)
def _timestamp_processors(dialect: sa.Dialect) -> tuple[Any, Any]:
    """SQLAlchemy's own conversions of a ``DateTime(timezone=True)`` for this dialect."""
    column_type = sa.DateTime(timezone=True).dialect_impl(dialect)
    to_db = column_type.bind_processor(dialect) or (lambda value: value)
    from_db = column_type.result_processor(dialect, None) or (lambda value: value)
    return to_db, from_db
