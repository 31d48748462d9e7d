"""A planted file in the tiles folder cannot stop the scheduler (docs/threat-model.md, tiles).

Attacker: whoever can write ``URNA_TILES_FOLDER`` (a shared or synced folder,
a second deployment publishing to the same place). Capability: plant another
tree's checkpoint in a log's tile directory. Goal: make ``flask schedule
run`` fail, so that a vote day is not closed on time and the other logs'
tiles stop being published; or make the scheduler extend the foreign tree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.clocks import shift_database_clock
from tests.fixtures_casting import OpenVoteDay
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.log.tiles import publish_tiles
from voting.models.clock import database_now
from voting.models.votedays import VoteDay
from voting.services.lifecycle import open_vote_day
from voting.services.lifecycle import schedule
from voting.tools.tiles import open_tiled_log

OTHER = "2026-12-21-ch"


def test_a_planted_checkpoint_neither_stops_the_close_nor_the_other_logs_tiles(
    app: Flask,
    runner: FlaskCliRunner,
    prepare_vote_day: Callable[..., OpenVoteDay],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    signing = log_signing(app)
    prepared = prepare_vote_day(open_it=False)
    vote_day = prepared.vote_day
    schedule(
        db.session,
        vote_day,
        opens_at=None,
        closes_at=database_now(db.session) + dt.timedelta(seconds=60),
    )
    open_vote_day(db.session, vote_day, signing=signing)
    bulletin.create_log(db.session, OTHER, origin=signing.origin_for(OTHER))
    bulletin.append_many(db.session, OTHER, [{"type": "ballot", "n": i} for i in range(9)])
    bulletin.issue_checkpoint(db.session, OTHER, signing, interval=dt.timedelta(0))
    # The attacker's plant: the other log's tree, published as the vote day's.
    elsewhere = tmp_path / "elsewhere"
    publish_tiles(db.session, OTHER, elsewhere)
    folder = Path(app.config["URNA_TILES_FOLDER"])
    planted = (elsewhere / OTHER / "checkpoint").read_bytes()
    (folder / vote_day).mkdir(parents=True)
    (folder / vote_day / "checkpoint").write_bytes(planted)

    shift_database_clock(monkeypatch, 3600)  # the closing time has come
    result = runner.invoke(args=["schedule", "run"])

    assert f"closed {vote_day}" in result.output  # the pass ran first, untouched
    db.session.expire_all()
    assert db.session.get_one(VoteDay, vote_day).status == "closed"
    assert f"tiles of log {vote_day!r} refused" in result.output
    assert result.exit_code == 1  # a run from cron reports it
    assert (folder / vote_day / "checkpoint").read_bytes() == planted  # never extended
    assert not (folder / vote_day / "tile").exists()
    key = signing.verifier_key(signing.origin_for(OTHER))
    assert sum(1 for _ in open_tiled_log(folder / OTHER, key).entries()) == 9
