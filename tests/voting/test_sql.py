"""Driver-level SQL of the hot paths (voting/models/sql.py), on the suite's database."""

from __future__ import annotations

import sqlite3
import threading
import time

import psycopg
import pytest
import sqlalchemy.orm as so
from flask import Flask

from voting.app.extensions import db
from voting.log import bulletin
from voting.models import sql

COUNT = "SELECT count(*) FROM rate_counters WHERE key LIKE ?"
INSERT = "INSERT INTO rate_counters (key, window_start, count) VALUES (?, ?, ?)"
DUPLICATE = (sqlite3.IntegrityError, psycopg.IntegrityError)
"""What the drivers raise for a duplicate key (driver-level SQL is not wrapped)."""


def _count(session: so.Session, prefix: str) -> int:
    return int(sql.run(session, COUNT, (prefix + "%",)).one()[0])


def test_run_returns_rows_and_writes_return_none(db_session: so.Session) -> None:
    assert sql.run(db_session, INSERT, ("sql-a", 1, 2)).first() is None
    row = sql.run(db_session, "SELECT key, count FROM rate_counters WHERE key = ?", ("sql-a",))
    assert row.one() == ("sql-a", 2)
    assert sql.run(db_session, COUNT, ("nothing%",)).one() == (0,)


def test_rows_refuse_the_wrong_number_of_rows(db_session: so.Session) -> None:
    sql.run(db_session, INSERT, [("sql-b1", 1, 1), ("sql-b2", 1, 1)])  # executemany
    rows = sql.run(db_session, "SELECT key FROM rate_counters WHERE key LIKE ?", ("sql-b%",))
    assert sorted(rows) == [("sql-b1",), ("sql-b2",)]
    with pytest.raises(LookupError, match="at most one row, got 2"):
        rows.one_or_none()
    with pytest.raises(LookupError, match="exactly one row, got 0"):
        sql.run(db_session, COUNT.replace("count(*)", "key"), ("none%",)).one()


def test_values_are_parameters_never_sql(db_session: so.Session) -> None:
    hostile = "x'); DELETE FROM rate_counters; --"
    sql.run(db_session, INSERT, ("sql-keep", 1, 1))
    sql.run(db_session, INSERT, (hostile, 1, 1))
    assert _count(db_session, "sql-keep") == 1
    assert sql.run(db_session, "SELECT key FROM rate_counters WHERE key = ?", (hostile,)).one()


def test_run_many_runs_in_order_and_returns_each_statements_rows(db_session: so.Session) -> None:
    results = sql.run_many(
        db_session,
        [
            (INSERT, ("sql-c1", 1, 1)),
            (COUNT, ("sql-c%",)),
            (INSERT, [("sql-c2", 1, 1), ("sql-c3", 1, 1)]),
            (COUNT, ("sql-c%",)),
        ],
    )
    assert [r.first() for r in results] == [None, (1,), None, (3,)]
    db_session.commit()
    assert _count(db_session, "sql-c") == 3


def test_a_failing_statement_in_a_batch_is_raised_and_rolls_back_all(
    db_session: so.Session,
) -> None:
    db_session.commit()
    with pytest.raises(DUPLICATE):
        sql.run_many(
            db_session,
            [(INSERT, ("sql-d1", 1, 1)), (INSERT, ("sql-d1", 1, 1)), (INSERT, ("sql-d2", 1, 1))],
        )
    db_session.rollback()
    assert _count(db_session, "sql-d") == 0


def test_locked_log_reads_the_callers_query_under_the_lock(db_session: so.Session) -> None:
    bulletin.create_log(db_session, "sql-log")
    bulletin.append(db_session, "sql-log", {"type": "note", "n": 1})
    size_query = ("SELECT size FROM logs WHERE name = ?", ("sql-log",))
    with bulletin.locked_log(db_session, "sql-log", read_with=size_query) as log:
        assert log.read_with is not None and log.read_with.one() == (1,)
        log.append({"type": "note", "n": 2})
        log.write_with(INSERT, ("sql-with-log", 1, 1))
    assert bulletin.log_size(db_session, "sql-log") == 2
    assert _count(db_session, "sql-with-log") == 1


def test_write_with_is_rolled_back_with_the_appends(db_session: so.Session) -> None:
    bulletin.create_log(db_session, "sql-log2")
    with pytest.raises(RuntimeError, match="refused"):
        with bulletin.locked_log(db_session, "sql-log2") as log:
            log.append({"type": "note"})
            log.write_with(INSERT, ("sql-e", 1, 1))
            raise RuntimeError("refused after the checks")
    assert bulletin.log_size(db_session, "sql-log2") == 0
    assert _count(db_session, "sql-e") == 0


def test_a_failing_write_with_leaves_no_leaf(db_session: so.Session) -> None:
    bulletin.create_log(db_session, "sql-log3")
    sql.run(db_session, INSERT, ("sql-f", 1, 1))
    db_session.commit()
    with pytest.raises(DUPLICATE):
        with bulletin.locked_log(db_session, "sql-log3") as log:
            log.append({"type": "note"})
            log.write_with(INSERT, ("sql-f", 1, 1))  # the key exists: the batch fails
    db_session.rollback()
    assert bulletin.log_size(db_session, "sql-log3") == 0
    assert _count(db_session, "sql-f") == 1


def test_on_postgresql_a_batch_is_one_pipeline(
    db_session: so.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = db_session.connection().connection.dbapi_connection
    if db_session.get_bind().dialect.name != "postgresql":
        assert not sql._has_pipeline(raw)  # SQLite runs them one after the other
        return
    entered: list[bool] = []
    pipeline = type(raw).pipeline

    def spy(self: psycopg.Connection) -> object:
        entered.append(True)
        return pipeline(self)

    monkeypatch.setattr(type(raw), "pipeline", spy)
    sql.run_many(db_session, [(INSERT, ("sql-g1", 1, 1)), (INSERT, ("sql-g2", 1, 1))])
    assert entered == [True]
    assert _count(db_session, "sql-g") == 2


def test_read_with_sees_what_the_previous_holder_of_the_lock_committed(
    app: Flask, db_session: so.Session
) -> None:
    # If read_with ran before the lock was granted, it would read count 1.
    bulletin.create_log(db_session, "sql-log4")
    sql.run(db_session, INSERT, ("sql-h", 1, 1))
    db_session.commit()
    waiting, seen = threading.Event(), []

    def next_holder() -> None:
        with app.app_context(), so.Session(db.engine) as other:
            waiting.wait()
            count = ("SELECT count FROM rate_counters WHERE key = ?", ("sql-h",))
            with bulletin.locked_log(other, "sql-log4", read_with=count) as log:
                assert log.read_with is not None
                seen.append(log.read_with.one()[0])

    thread = threading.Thread(target=next_holder)
    thread.start()
    with bulletin.locked_log(db_session, "sql-log4") as log:
        log.append({"type": "note"})
        log.write_with("UPDATE rate_counters SET count = 2 WHERE key = ?", ("sql-h",))
        waiting.set()
        time.sleep(0.3)  # the other is now waiting for the lock (ordering, not a timing check)
    thread.join(timeout=60)
    assert seen == [2]


def test_a_list_of_rows_is_written_whole_whatever_the_values(db_session: so.Session) -> None:
    """On PostgreSQL rows go as one INSERT from arrays (:func:`sql._unnest_form`); NULLs,
    quotes and SQL in values, and many rows, arrive as they were sent."""
    rows = [(f"rows-{n}'); DROP TABLE logs; --", n, n * 3) for n in range(2000)]
    sql.run_many(db_session, [(INSERT, rows), (COUNT, ("rows-%",))])
    stored = sql.run(
        db_session,
        "SELECT key, window_start, count FROM rate_counters WHERE key LIKE ?",
        ("rows-%",),
    )
    assert sorted(stored) == sorted(rows)
    columns = ([None, None], [1, "a"], [b"x", None])
    assert [sql._array_type(c) for c in columns] == [None, None, "bytea[]"]  # None: row by row
    assert (
        sql._unnest_form("INSERT INTO t (a) VALUES (?) ON CONFLICT DO NOTHING", ("text[]",)) is None
    )
    assert sql._unnest_form("INSERT INTO t (a, b) VALUES (?, now())", ("text[]",)) == (
        "INSERT INTO t (a, b) SELECT u.c0, now() FROM unnest(%b::text[]) AS u (c0)"
    )


def test_upsert_many_counts_each_attempt_as_upserts_one_by_one_would(
    db_session: so.Session,
) -> None:
    from voting.services import throttle

    limit = throttle.Limit(attempts=5, window=100)
    for key, now in (("many-a", 1000), ("many-b", 1000)):
        sql.run(db_session, throttle.UPSERT, throttle.upsert_params(key, limit, now))
    counts = [("many-a", limit, 1050, 3), ("many-b", limit, 1200, 2), ("many-c", limit, 1200, 1)]
    [(text, params)] = throttle.upsert_many(counts)
    returned = {key: (count, start) for key, count, start in sql.run(db_session, text, params)}
    # a: 1 + 3 in its window; b: its window is over, 2 in a new one; c: new
    assert returned == {"many-a": (4, 1000), "many-b": (2, 1200), "many-c": (1, 1200)}
