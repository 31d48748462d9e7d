"""End to end: the witness command registers with, follows and cosigns the real log app.

HTTP goes to the Flask test client through a Transport, so no network is used.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy.orm as so
from flask import Flask
from flask.testing import FlaskClient

from crypto.witness import Roster
from crypto.witness import RosterMember
from crypto.witness import WitnessPublicKey
from crypto.witness import verify_cosigned_checkpoint
from tests.witness_helpers import administrator
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.log import witnesses
from voting.services import witness_roster
from voting.tools.witness.__main__ import main
from voting.tools.witness.follow import HttpResponse

NAME = "2026-11-29-e2e"
BASE = f"http://urna.test/api/logs/{NAME}"


class FlaskTransport:
    """Routes the witness's HTTP requests to the Flask test client."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def _path(self, url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def get(self, url: str) -> HttpResponse:
        r = self.client.get(self._path(url))
        return HttpResponse(r.status_code, r.content_type or "", r.get_data())

    def post(self, url: str, body: bytes, content_type: str) -> HttpResponse:
        r = self.client.post(self._path(url), data=body, content_type=content_type)
        return HttpResponse(r.status_code, r.content_type or "", r.get_data())


def _grow(session: so.Session, app: Flask, start: int, count: int) -> None:
    bulletin.append_many(session, NAME, [{"type": "test", "n": start + i} for i in range(count)])
    bulletin.issue_checkpoint(session, NAME, log_signing(app), interval=dt.timedelta(0))


def test_two_witnesses_follow_the_log_and_the_checkpoint_is_cosigned(
    app: Flask, client: FlaskClient, db_session: so.Session, tmp_path: Path
) -> None:
    signing = log_signing(app)
    bulletin.create_log(db_session, NAME, origin=signing.origin_for(NAME))
    log_key = str(signing.verifier_key(signing.origin_for(NAME)))
    transport = FlaskTransport(client)
    states = [str(tmp_path / "bern"), str(tmp_path / "ngo")]
    admin = administrator(db_session)
    for state, name in zip(states, ["bern.test/witness", "ngo.test/witness"], strict=True):
        assert main(["init", "--state", state, "--name", name]) == 0
        assert main(["register", "--state", state, "--log", BASE], transport=transport) == 0
        pending = witnesses.pending_requests(db_session, witnesses.get_log(db_session, NAME))
        assert [r.name for r in pending] == [name]  # not on the roster until approved
        witness_roster.approve(db_session, NAME, pending[0].id, admin, signing=signing)

    def follow_all() -> None:
        for state in states:
            argv = ["follow", "--state", state, "--log", BASE, "--log-key", log_key, "--once"]
            assert main(argv, transport=transport) == 0

    _grow(db_session, app, 0, 3)
    follow_all()
    _grow(db_session, app, 3, 4)  # the witnesses now need a consistency proof 3 -> 7
    follow_all()

    listed = client.get(f"/api/logs/{NAME}/witnesses").get_json()
    roster = Roster(
        listed["roster"],
        tuple(
            RosterMember(w["name"], WitnessPublicKey.from_hex(w["public_key"]))
            for w in listed["witnesses"]
        ),
    )
    served = client.get(f"/api/logs/{NAME}/checkpoint").get_data(as_text=True)
    result = verify_cosigned_checkpoint(served, log_key, roster, required=2)
    assert result.checkpoint.size == 2 + 7  # two witness records, then seven test entries
    assert [w.name for w in result.witnesses] == ["bern.test/witness", "ngo.test/witness"]
