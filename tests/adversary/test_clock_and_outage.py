"""One clock: a skewed web node or an operator cannot open or close a vote day early.

Issue 15 found that with one node's clock 120 s ahead, that node closed the
vote day 60 s early, the close record carried the skewed time, the other
node then refused ballots, and the verifier said VALID. The database's clock
now decides every transition (voting/models/clock.py), the server refuses to
open or close before the scheduled times, the schedule is in the manifest,
and the verifier checks the logged times against it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.clocks import shift_database_clock
from tests.clocks import skew_node_clock
from tests.fixtures_casting import OpenVoteDay
from tests.fixtures_casting import blank_ballot
from tests.voting.record_tamper import Record
from tests.voting.record_tamper import failures
from tests.voting.record_tamper import messages
from tests.voting.record_tamper import run_verifier
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.models.clock import database_now
from voting.models.elections import Election
from voting.models.votedays import VoteDay
from voting.services import casting
from voting.services.lifecycle import TooEarly
from voting.services.lifecycle import TransitionRefused
from voting.services.lifecycle import close_vote_day
from voting.services.lifecycle import open_vote_day
from voting.services.lifecycle import schedule
from voting.services.record_export import export_record

Prepare = Callable[..., OpenVoteDay]


def _scheduled(
    app: Flask,
    prepare_vote_day: Prepare,
    *,
    opens_in: dt.timedelta | None = None,
    closes_in: dt.timedelta | None = None,
    open_it: bool = True,
) -> tuple[OpenVoteDay, dt.datetime]:
    """A vote day scheduled relative to the database's clock; returns it and that clock's now."""
    prepared = prepare_vote_day(open_it=False)
    now = database_now(db.session)
    schedule(
        db.session,
        prepared.vote_day,
        opens_at=None if opens_in is None else now + opens_in,
        closes_at=None if closes_in is None else now + closes_in,
    )
    if open_it:
        open_vote_day(db.session, prepared.vote_day, signing=log_signing(app))
    return prepared, now


def _status(vote_day: str) -> str:
    db.session.expire_all()
    return db.session.get_one(VoteDay, vote_day).status


def test_a_node_whose_clock_is_ahead_cannot_close_the_vote_day_early(
    app: Flask, runner: Any, prepare_vote_day: Prepare, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attacker: a web node whose clock runs 120 s ahead (bad NTP, or an attacker who
    steers its time source). Capability: it runs the scheduler and serves casts.
    It must not close a vote day scheduled to close in 60 s (by the database's clock).
    """
    opened, _ = _scheduled(app, prepare_vote_day, closes_in=dt.timedelta(seconds=60))
    skew_node_clock(monkeypatch, 120)
    result = runner.invoke(args=["schedule", "run"])
    assert result.exit_code == 0, result.output
    assert "closed" not in result.output
    assert _status(opened.vote_day) == "open"
    # the skewed node still accepts ballots: the closing time has not come
    accepted = casting.cast_ballot(
        db.session, opened.vote_day, blank_ballot(opened), signing=log_signing(app)
    )
    assert accepted.receipt.index > 0
    assert _status(opened.vote_day) == "open"


def test_the_database_clock_closes_at_the_scheduled_time_and_logs_its_time(
    app: Flask, runner: Any, prepare_vote_day: Prepare, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attacker: a web node whose clock runs 120 s *behind*. Capability: it logs the
    close record. The record must carry the database's time, not the node's.
    """
    opened, now = _scheduled(app, prepare_vote_day, closes_in=dt.timedelta(seconds=60))
    skew_node_clock(monkeypatch, -120)
    shift_database_clock(monkeypatch, 3600)  # the database's hour passes
    result = runner.invoke(args=["schedule", "run"])
    assert result.exit_code == 0 and f"closed {opened.vote_day}" in result.output
    size = bulletin.log_size(db.session, opened.vote_day)
    close = bulletin.get_entry(db.session, opened.vote_day, size - 1).record
    assert close["type"] == "close"
    assert dt.datetime.fromisoformat(close["at"]) >= now + dt.timedelta(seconds=3600)


def test_an_operator_cannot_close_before_the_scheduled_time(
    app: Flask, prepare_vote_day: Prepare
) -> None:
    """Attacker: an election officer (or a script with the officers' rights).
    Capability: the close action. Closing before the scheduled time is refused
    and nothing is logged.
    """
    opened, _ = _scheduled(app, prepare_vote_day, closes_in=dt.timedelta(hours=1))
    size = bulletin.log_size(db.session, opened.vote_day)
    with pytest.raises(TooEarly, match="before its scheduled time"):
        close_vote_day(db.session, opened.vote_day, signing=log_signing(app))
    assert bulletin.log_size(db.session, opened.vote_day) == size
    assert _status(opened.vote_day) == "open"


def test_an_operator_cannot_open_before_the_scheduled_time(
    app: Flask, prepare_vote_day: Prepare
) -> None:
    """Attacker: an election officer. Capability: the open action, before the
    published opening time (ballots cast then would be outside the vote day).
    """
    prepared, _ = _scheduled(app, prepare_vote_day, opens_in=dt.timedelta(hours=1), open_it=False)
    size = bulletin.log_size(db.session, prepared.vote_day)
    with pytest.raises(TooEarly, match="before its scheduled time"):
        open_vote_day(db.session, prepared.vote_day, signing=log_signing(app))
    assert bulletin.log_size(db.session, prepared.vote_day) == size
    assert _status(prepared.vote_day) == "credentials"


def test_an_operator_cannot_move_the_closing_time_once_open(
    app: Flask, prepare_vote_day: Prepare
) -> None:
    """Attacker: an election officer. Capability: the schedule form. Moving the
    closing time earlier once the vote day is open (the manifest holds it) is refused.
    """
    opened, now = _scheduled(app, prepare_vote_day, closes_in=dt.timedelta(hours=1))
    with pytest.raises(TransitionRefused, match="cannot change once it has opened"):
        schedule(db.session, opened.vote_day, opens_at=None, closes_at=now)
    db.session.rollback()
    election = db.session.get_one(Election, opened.vote_day)
    assert election.closes_at is not None
    assert election.closes_at.replace(tzinfo=dt.UTC) > now


def _export(app: Flask, prepare_vote_day: Prepare, monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> tuple[Path, OpenVoteDay]:  # fmt: skip
    """An honest record: scheduled for an hour, one ballot, closed when the hour has passed."""
    opened, _ = _scheduled(app, prepare_vote_day, closes_in=dt.timedelta(hours=1))
    casting.cast_ballot(db.session, opened.vote_day, blank_ballot(opened), signing=log_signing(app))
    shift_database_clock(monkeypatch, 2 * 3600)
    close_vote_day(db.session, opened.vote_day, signing=log_signing(app))
    path = tmp_path / "record"
    export_record(db.session, opened.vote_day, path, signing=log_signing(app))
    return path, opened


def test_the_verifier_flags_a_logged_close_before_the_scheduled_time(
    app: Flask, prepare_vote_day: Prepare, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Attacker: a server operator holding the log key (an insider), or a node that
    closed early by its own clock. Capability: it logs a close record dated before
    the manifest's closing time and signs the log. The verifier must fail ``schedule``.
    """
    path, opened = _export(app, prepare_vote_day, monkeypatch, tmp_path)
    code, honest = run_verifier(path, "--witnesses", "0")
    assert "schedule" not in honest["failed"], messages(honest, "schedule")

    record = Record(path, tmp_path / "tampered")
    manifest = record.record(record.indexes("manifest")[0])
    closes_at = dt.datetime.fromisoformat(manifest["schedule"]["closes_at"])
    (index,) = record.indexes("close")
    close = record.record(index)
    close["at"] = (closes_at - dt.timedelta(seconds=60)).isoformat()
    record.set_record(index, close)
    signing = log_signing(app)
    record.reseal(signing.seed, bulletin.log_origin(db.session, opened.vote_day))
    code, report = run_verifier(record.path, "--witnesses", "0")
    assert code == 1
    assert report["failed"] == ["schedule"], report["failed"]
    assert "closed at" in messages(report, "schedule") and "60 s before" in messages(
        report, "schedule"
    )
    assert failures(report, "schedule")[0]["leaves"] == [index]


def test_the_verifier_flags_a_logged_open_before_the_scheduled_time(
    app: Flask, prepare_vote_day: Prepare, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Attacker: an insider with the log key. Capability: it logs an open record
    dated before the manifest's opening time (ballots accepted before the polls
    opened). The verifier must fail ``schedule``.
    """
    prepared, now = _scheduled(
        app, prepare_vote_day, opens_in=dt.timedelta(minutes=5), open_it=False
    )
    shift_database_clock(monkeypatch, 600)
    open_vote_day(db.session, prepared.vote_day, signing=log_signing(app))
    path = tmp_path / "record"
    export_record(db.session, prepared.vote_day, path, signing=log_signing(app))
    record = Record(path, tmp_path / "tampered")
    (index,) = record.indexes("open")
    opened = record.record(index)
    opened["at"] = now.isoformat()  # five minutes before the scheduled opening
    record.set_record(index, opened)
    record.reseal(log_signing(app).seed, bulletin.log_origin(db.session, prepared.vote_day))
    code, report = run_verifier(record.path, "--witnesses", "0")
    assert code == 1
    assert "schedule" in report["failed"]
    assert "opened at" in messages(report, "schedule")


def test_a_node_whose_clock_is_ahead_cannot_starve_the_checkpoints(
    app: Flask, prepare_vote_day: Prepare, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attacker: a web node whose clock runs 120 s ahead. Capability: it signs a
    checkpoint. Stamped with its own time, that checkpoint looked 2 minutes
    young to every other node, which then signed none (issue 15: 318 receipts
    without a covering checkpoint). Stamped with the database's time, the next
    node's append a few seconds later is covered.
    """
    opened = prepare_vote_day()
    signing = log_signing(app)
    with monkeypatch.context() as skewed:
        skew_node_clock(skewed, 120)
        shift_database_clock(skewed, 10)
        casting.cast_ballot(db.session, opened.vote_day, blank_ballot(opened, 0), signing=signing)
    # another node, with a correct clock, ten seconds (of the database's clock) later
    shift_database_clock(monkeypatch, 20)
    casting.cast_ballot(db.session, opened.vote_day, blank_ballot(opened, 1), signing=signing)
    latest = bulletin.get_checkpoint(db.session, opened.vote_day)
    assert latest.size == bulletin.log_size(db.session, opened.vote_day)
