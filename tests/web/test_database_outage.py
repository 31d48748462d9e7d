"""Failing well: a database outage answers 503 with Retry-After and stores nothing.

Issue 15 found a bare 500: the error handler's own ``db.session.rollback()``
raised on the dead connection, and nothing told the citizen whether the
ballot was stored. On PostgreSQL the outage is real: the request's backend
is terminated (``pg_terminate_backend``) from another connection after the
ballot is verified and before it is logged. SQLite has no server to lose, so
the same moment is injected: the log's write fails with the error SQLite
gives for a lost file, and the rollback fails as on a dead connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask

from tests.fixtures_casting import OpenVoteDay
from tests.fixtures_casting import blank_ballot
from voting.app.extensions import db
from voting.log import _tree
from voting.log import bulletin
from voting.models import sql
from voting.models.elections import CastBallot
from voting.services import casting

Prepare = Callable[..., OpenVoteDay]


def _stored(vote_day: str) -> tuple[int, int]:
    """The log's size and the number of cast-ballot rows, read afresh."""
    db.session.rollback()
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(CastBallot))
    size = bulletin.log_size(db.session, vote_day)
    db.session.rollback()
    return size, int(rows or 0)


def _cut_the_database_after_verifying(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the ballot is verified (no lock held yet), the database goes away."""
    verify = casting._verify
    dead = {"rollback": False}

    def verify_then_cut(*args: Any) -> None:
        verify(*args)
        if db.engine.dialect.name == "postgresql":
            pid = sql.run(db.session, "SELECT pg_backend_pid()").one()[0]
            killer = sa.create_engine(db.engine.url, poolclass=sa.NullPool)
            with killer.connect() as connection:
                connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            killer.dispose()
        else:
            dead["rollback"] = True

            def disk_gone(*_args: Any, **_kwargs: Any) -> Any:
                raise sqlite3.OperationalError("disk I/O error")

            monkeypatch.setattr(_tree, "run_many", disk_gone)

    real_rollback = so.Session.rollback

    def rollback(self: so.Session) -> None:
        if dead["rollback"]:
            raise sqlite3.OperationalError("disk I/O error")  # as on a dead connection
        real_rollback(self)

    monkeypatch.setattr(casting, "_verify", verify_then_cut)
    monkeypatch.setattr(so.Session, "rollback", rollback)


def test_a_database_lost_mid_cast_answers_503_and_stores_nothing(
    app: Flask, prepare_vote_day: Prepare, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = prepare_vote_day()
    url = f"/api/vote-days/{opened.vote_day}/ballots"
    ballot = blank_ballot(opened)
    before = _stored(opened.vote_day)
    with monkeypatch.context() as patch:
        _cut_the_database_after_verifying(app, patch)
        response = app.test_client().post(url, json=ballot)
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "5"
    body = response.get_json()
    assert body["error"] == "database_unavailable"
    assert body["stored"] is False and body["retry_after"] == 5
    assert "NOT cast" in body["message"]
    assert _stored(opened.vote_day) == before  # no leaf, no cast-ballot row
    # the database is back (a new connection): the same ballot is cast once
    again = app.test_client().post(url, json=ballot)
    assert again.status_code == 201, again.get_data(as_text=True)
    size, rows = _stored(opened.vote_day)
    assert rows == before[1] + 1 and size > before[0]


def test_a_commit_cut_off_says_the_ballot_may_have_been_stored(
    app: Flask, prepare_vote_day: Prepare, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection breaks with the COMMIT on its way: the server cannot know."""
    opened = prepare_vote_day()
    ballot = blank_ballot(opened)
    real_commit = so.Session.commit

    def commit_lost(self: so.Session) -> None:
        if self.info.get("urna_test_cut"):
            raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))
        real_commit(self)

    verify = casting._verify

    def verify_then_arm(*args: Any) -> None:
        verify(*args)
        db.session().info["urna_test_cut"] = True

    monkeypatch.setattr(so.Session, "commit", commit_lost)
    monkeypatch.setattr(casting, "_verify", verify_then_arm)
    response = app.test_client().post(f"/api/vote-days/{opened.vote_day}/ballots", json=ballot)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = response.get_json()
    assert body["stored"] is None
    assert "may or may not have been stored" in body["message"]


def test_a_page_answers_the_error_page_with_503_in_the_citizens_language(
    app: Flask, prepare_vote_day: Prepare, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = prepare_vote_day()

    def unreachable(*_args: Any, **_kwargs: Any) -> Any:
        raise sa.exc.OperationalError("SELECT", {}, Exception("connection refused"))

    def dead_rollback(self: so.Session) -> None:
        raise sa.exc.OperationalError("ROLLBACK", {}, Exception("connection refused"))

    db.session.remove()
    monkeypatch.setattr(so.Session, "execute", unreachable)
    monkeypatch.setattr(so.Session, "get", unreachable)
    monkeypatch.setattr(so.Session, "rollback", dead_rollback)
    response = app.test_client().get(f"/vote/{opened.vote_day}?lang=de")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Fehler 503" in page or "503" in page
    assert "NICHT" in page  # "Ihre Stimme wurde NICHT abgegeben"
