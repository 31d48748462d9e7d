"""Casting service edge cases: races with closing, and the schedule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask

from tests.clocks import shift_database_clock
from tests.fixtures_casting import OpenVoteDay
from tests.fixtures_casting import blank_ballot
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.models.clock import database_now
from voting.models.elections import CastBallot
from voting.models.log import Log
from voting.models.log import LogCheckpoint
from voting.models.votedays import VoteDay
from voting.services import casting
from voting.services.lifecycle import TransitionRefused
from voting.services.lifecycle import apply_schedule
from voting.services.lifecycle import close_vote_day
from voting.services.lifecycle import get_vote_day
from voting.services.lifecycle import open_vote_day
from voting.services.lifecycle import schedule


def test_close_during_verification_refuses_the_ballot(
    app: Flask,
    prepare_vote_day: Callable[..., OpenVoteDay],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened = prepare_vote_day()
    ballot = blank_ballot(opened)
    original = casting._verify

    def verify_then_close(*args: Any) -> None:
        original(*args)
        close_vote_day(db.session, opened.vote_day, signing=log_signing(app))

    monkeypatch.setattr(casting, "_verify", verify_then_close)
    size = bulletin.log_size(db.session, opened.vote_day)
    with pytest.raises(casting.VoteDayNotOpen, match="closed while"):
        casting.cast_ballot(db.session, opened.vote_day, ballot, signing=log_signing(app))
    # Only the close record was added: no ballot after the close.
    assert bulletin.log_size(db.session, opened.vote_day) == size + 1
    last = bulletin.get_entry(db.session, opened.vote_day, size)
    assert last.record["type"] == "close"


def _open_until(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], closes_at: dt.datetime
) -> OpenVoteDay:
    """A vote day scheduled to close at ``closes_at``, opened now."""
    prepared = prepare_vote_day(open_it=False)
    schedule(db.session, prepared.vote_day, opens_at=None, closes_at=closes_at)
    open_vote_day(db.session, prepared.vote_day, signing=log_signing(app))
    return prepared


def test_scheduled_close_applies_at_casting(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], monkeypatch: pytest.MonkeyPatch
) -> None:
    in_an_hour = database_now(db.session) + dt.timedelta(hours=1)
    opened = _open_until(app, prepare_vote_day, in_an_hour)
    shift_database_clock(monkeypatch, 2 * 3600)  # the database's clock passes the closing time
    with pytest.raises(casting.VoteDayNotOpen):
        casting.cast_ballot(
            db.session, opened.vote_day, blank_ballot(opened), signing=log_signing(app)
        )
    assert db.session.get_one(VoteDay, opened.vote_day).status == "closed"


def test_two_casts_past_the_closing_time_log_one_close(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two workers both find the closing time passed; the other one closes first,
    # between this request's read of the status and its taking of the log lock.
    in_an_hour = database_now(db.session) + dt.timedelta(hours=1)
    opened = _open_until(app, prepare_vote_day, in_an_hour)
    shift_database_clock(monkeypatch, 2 * 3600)
    ballot = blank_ballot(opened)
    real_close = casting.close_vote_day

    def closed_meanwhile(session: Any, vote_day_id: str, **kwargs: Any) -> None:
        stale = get_vote_day(session, vote_day_id)  # this request's (soon stale) view: open
        assert stale.status == "open"
        with so.Session(db.engine) as other:
            real_close(other, vote_day_id, signing=log_signing(app))
        real_close(session, vote_day_id, **kwargs)

    monkeypatch.setattr(casting, "close_vote_day", closed_meanwhile)
    with pytest.raises(casting.VoteDayNotOpen):
        casting.cast_ballot(db.session, opened.vote_day, ballot, signing=log_signing(app))
    db.session.rollback()
    size = bulletin.log_size(db.session, opened.vote_day)
    records = bulletin.get_entries(db.session, opened.vote_day, 0, size)
    assert [e.record["type"] for e in records].count("close") == 1
    assert records[-1].record["type"] == "close"


def test_a_transition_made_meanwhile_is_refused_under_the_lock(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    opened = prepare_vote_day()
    stale = get_vote_day(db.session, opened.vote_day)  # held: the session's view stays
    assert stale.status == "open"
    with so.Session(db.engine) as other:
        close_vote_day(other, opened.vote_day, signing=log_signing(app))
    with so.Session(db.engine) as other:
        size = bulletin.log_size(other, opened.vote_day)
    # _expect passes on the stale status; the read under the log lock refuses
    with pytest.raises(TransitionRefused, match="another request moved it on"):
        close_vote_day(db.session, opened.vote_day, signing=log_signing(app))
    assert bulletin.log_size(db.session, opened.vote_day) == size


def test_apply_schedule_opens_and_closes(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    opened_with: list[str] = []
    prepared = prepare_vote_day(open_it=False)
    now = dt.datetime.now(dt.UTC)
    schedule(
        db.session,
        prepared.vote_day,
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(hours=1),
    )

    def open_with(session: Any, vote_day_id: str) -> None:
        opened_with.append(vote_day_id)
        db.session.get_one(VoteDay, vote_day_id).status = "open"
        db.session.commit()

    done = apply_schedule(db.session, now=now, open_vote_day_with=open_with)
    assert done == [f"opened {prepared.vote_day}"]
    later = now + dt.timedelta(hours=2)
    done = apply_schedule(db.session, now=later, open_vote_day_with=open_with)
    assert done == [f"closed {prepared.vote_day}"]
    assert db.session.get_one(VoteDay, prepared.vote_day).status == "closed"


def test_schedule_refuses_naive_or_inverted_times(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    from voting.errors import InvalidRequest

    prepared = prepare_vote_day(open_it=False)
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(InvalidRequest, match="time zone"):
        schedule(db.session, prepared.vote_day, opens_at=dt.datetime(2026, 1, 1), closes_at=None)
    with pytest.raises(InvalidRequest, match="close after"):
        schedule(db.session, prepared.vote_day, opens_at=now, closes_at=now)


def test_schedule_run_command_opens_and_closes(
    app: Flask, runner: Any, prepare_vote_day: Callable[..., OpenVoteDay]
) -> None:
    prepared = prepare_vote_day(open_it=False)
    now = dt.datetime.now(dt.UTC)
    schedule(
        db.session,
        prepared.vote_day,
        opens_at=now - dt.timedelta(minutes=5),
        closes_at=now + dt.timedelta(hours=1),
    )
    result = runner.invoke(args=["schedule", "run"])
    assert result.exit_code == 0, result.output
    assert f"opened {prepared.vote_day}" in result.output
    db.session.expire_all()
    assert db.session.get_one(VoteDay, prepared.vote_day).status == "open"
    types = [
        e.record["type"]
        for e in bulletin.get_entries(
            db.session, prepared.vote_day, 0, bulletin.log_size(db.session, prepared.vote_day)
        )
    ]
    assert types[-2:] == ["manifest", "open"]
    again = runner.invoke(args=["schedule", "run"])
    assert again.exit_code == 0 and again.output == ""


def test_a_cast_costs_few_round_trips_to_the_database(
    app: Flask,
    prepare_vote_day: Callable[..., OpenVoteDay],
    tmp_path: Path,
) -> None:
    """Every round trip is time a worker waits (docs/performance.md): count them."""
    opened = prepare_vote_day()
    ballots = [blank_ballot(opened, n) for n in range(2)]
    url = f"/api/vote-days/{opened.vote_day}/ballots"
    client = app.test_client()
    connections: list[Any] = []
    statements: list[str] = []

    def remember(dbapi_connection: Any, _record: Any) -> None:
        connections.append(dbapi_connection)

    sa.event.listen(db.engine, "connect", remember)
    db.session.remove()
    db.engine.dispose()  # every connection from now on is one of ours
    assert client.post(url, json=ballots[0]).status_code == 201  # warms the caches
    checkpoints = _checkpoints(opened.vote_day)
    db.session.remove()  # the test's own reads are not counted
    trace = tmp_path / "libpq.trace"
    with trace.open("w") as handle:
        for connection in connections:  # libpq's protocol trace, or SQLite's statements
            if db.engine.dialect.name == "postgresql":
                connection.pgconn.trace(handle.fileno())
            else:
                connection.set_trace_callback(statements.append)
        try:
            assert client.post(url, json=ballots[1]).status_code == 201
        finally:
            for connection in connections:
                if db.engine.dialect.name == "postgresql":
                    connection.pgconn.untrace()
                else:
                    connection.set_trace_callback(None)
    sa.event.remove(db.engine, "connect", remember)
    extra = 2 if _checkpoints(opened.vote_day) > checkpoints else 0  # a checkpoint fell due
    if db.engine.dialect.name == "postgresql":
        # ping; BEGIN; rate counter; vote day and credential; lock, still open? and
        # content already on the log?; leaf, subtree hashes, log row, cast ballot and
        # content rows; COMMIT
        round_trips = trace.read_text().count("ReadyForQuery")
        assert round_trips <= 7 + extra, trace.read_text()
    else:  # SQLite: no round trips, but one write lock and few statements
        assert sum(s.startswith("BEGIN IMMEDIATE") for s in statements) == 1
        nodes = sum(s.startswith("INSERT INTO log_nodes") for s in statements)
        # one content row per ciphertext and one for the ballot, in one executemany
        contents = sum(s.startswith("INSERT INTO ballot_contents") for s in statements)
        assert contents == 1 + sum(len(a["ciphertexts"]) for a in ballots[1]["answers"])
        # the counter in a transaction of its own (pings included), then the cast
        rows = len(statements) - nodes - contents
        assert rows <= 13 + extra, "\n".join(s[:70] for s in statements)


def _checkpoints(vote_day: str) -> int:
    db.session.rollback()
    log = db.session.execute(sa.select(Log.id).where(Log.name == vote_day)).scalar_one()
    return db.session.execute(
        sa.select(sa.func.count()).select_from(LogCheckpoint).where(LogCheckpoint.log_id == log)
    ).scalar_one()


@pytest.mark.parametrize("policy", ["first-counts", "last-counts"])
@pytest.mark.parametrize("size", [1, 2, 3, 5000])
def test_counted_ballots_come_in_pages_of_bounded_size(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], policy: str, size: int
) -> None:
    """Keyset pages give exactly the ballots the re-vote policy counts, whatever the page size."""
    opened = prepare_vote_day(open_it=False)
    credentials = ["a" * 64, "b" * 64, "c" * 64]
    # a: leaves 10, 13, 17; b: 11; c: 12, 16 (re-votes interleaved in log order)
    cast = [(0, 10), (1, 11), (2, 12), (0, 13), (2, 16), (0, 17)]
    for who, index in cast:
        db.session.add(
            CastBallot(
                vote_day_id=opened.vote_day,
                credential=credentials[who],
                leaf_index=index,
                leaf_hash="00" * 32,
                cast_at=dt.datetime(2026, 6, 14, tzinfo=dt.UTC),
            )
        )
    db.session.commit()
    pages = list(casting.counted_ballot_pages(db.session, opened.vote_day, policy, size=size))
    assert all(1 <= len(page) <= size for page in pages)
    expected = [10, 11, 12] if policy == "first-counts" else [11, 16, 17]
    assert [i for page in pages for i in page] == expected
    assert casting.counted_ballots(db.session, opened.vote_day, policy) == expected
