"""``flask schedule run`` publishes the logs' tiles: no second process is needed (docs/log.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.cli import schedule as schedule_cli
from voting.log import bulletin
from voting.tools.tiles import open_tiled_log

NAME = "2026-12-20-ch"


def _grow(name: str, start: int, end: int) -> None:
    bulletin.append_many(db.session, name, [{"type": "ballot", "n": i} for i in range(start, end)])
    bulletin.issue_checkpoint(db.session, name, log_signing(), interval=dt.timedelta(0))


@pytest.fixture()
def folder(app: Flask) -> Path:
    signing = log_signing(app)
    bulletin.create_log(db.session, NAME, origin=signing.origin_for(NAME))
    return Path(app.config["URNA_TILES_FOLDER"]) / NAME


def _entries(app: Flask, folder: Path) -> int:
    signing = log_signing(app)
    key = signing.verifier_key(signing.origin_for(NAME))
    return sum(1 for _ in open_tiled_log(folder, key).entries())


def test_each_pass_publishes_the_new_tiles(
    app: Flask, runner: FlaskCliRunner, folder: Path
) -> None:
    _grow(NAME, 0, 300)
    result = runner.invoke(args=["schedule", "run"])
    assert result.exit_code == 0, result.output
    assert f"published the tiles of log '{NAME}' up to size 300" in result.output
    assert _entries(app, folder) == 300
    again = runner.invoke(args=["schedule", "run"])  # nothing new: nothing said
    assert again.exit_code == 0 and "published" not in again.output


def test_no_tiles_leaves_them_to_flask_log_tiles(runner: FlaskCliRunner, folder: Path) -> None:
    _grow(NAME, 0, 5)
    result = runner.invoke(args=["schedule", "run", "--no-tiles"])
    assert result.exit_code == 0, result.output
    assert not folder.exists()


def test_tiles_every_needs_every(runner: FlaskCliRunner, folder: Path) -> None:
    result = runner.invoke(args=["schedule", "run", "--tiles-every", "1"])
    assert result.exit_code == 2 and "--tiles-every needs --every" in result.output
    assert not folder.exists()


class _Stop(Exception):
    pass


def test_tiles_every_publishes_between_the_passes(
    app: Flask, runner: FlaskCliRunner, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --every 60 --tiles-every 1, tiles grown after a pass are out a second later."""
    passes: list[int] = []
    monkeypatch.setattr(schedule_cli, "apply_once", lambda: passes.append(1) or [])
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 1:
            _grow(NAME, 0, 40)  # ballots arrive after the first pass
        else:
            raise _Stop

    monkeypatch.setattr(schedule_cli.time, "sleep", sleep)
    result = runner.invoke(args=["schedule", "run", "--every", "60", "--tiles-every", "1"])
    assert isinstance(result.exception, _Stop), result.output
    assert sleeps == [1.0, 1.0] and passes == [1]  # one pass, tiles published twice
    assert f"published the tiles of log '{NAME}' up to size 40" in result.output
    assert _entries(app, folder) == 40
