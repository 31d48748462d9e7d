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
