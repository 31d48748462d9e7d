"""Fixtures of the production tests: the reference vote day with prepared ballots."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from crypto.credentials import derive_credential
from tests.production._server import Gunicorn
from voting.rehearsal.load_vote_day import PreparedVoteDay
from voting.rehearsal.load_vote_day import make_ballot
from voting.rehearsal.load_vote_day import prepare


@dataclass(frozen=True)
class Voters:
    """An open reference vote day and one prepared ballot per voter."""

    day: PreparedVoteDay
    ballots: list[bytes]
    credentials: dict[str, int]
    """hex public credential → voter number"""

    @property
    def vote_day(self) -> str:
        return self.day.vote_day

    def ballot(self, voter: int) -> bytes:
        return self.ballots[voter]

    def fresh_ballot(self, voter: int) -> bytes:
        """Another ballot of the same voter (new randomness)."""
        return make_ballot((self.day.election, self.day.questions, self.day.codes[voter]))


def prepare_voters(app: Flask, count: int) -> Voters:
    day = prepare(app, count, migrate=False)  # the app fixture's database is migrated
    ballots = [make_ballot((day.election, day.questions, code)) for code in day.codes]
    credentials = {
        derive_credential(code, day.vote_day).public_key.hex(): n
        for n, code in enumerate(day.codes)
    }
    return Voters(day, ballots, credentials)


@pytest.fixture()
def gunicorn(app: Flask, tmp_path: Path) -> Iterator[Gunicorn]:
    """gunicorn with 4 workers on the test's database (not yet started)."""
    server = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=4)
    try:
        yield server
    finally:
        server.stop()
