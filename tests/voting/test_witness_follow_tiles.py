"""``python -m voting.witness follow --tiles``: a witness follows the log from its tiles.

The checkpoint and consistency proofs come from the published tile folder
(what a CDN would serve); the cosignature goes to the log's API (the Flask
test client). A tampered tile makes the witness refuse, never cosign.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy.orm as so
from flask import Flask
from flask.testing import FlaskClient

from crypto.note import parse_checkpoint
from crypto.note import parse_note
from tests.voting.test_witness_end_to_end import FlaskTransport
from tests.witness_helpers import administrator
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.log import witnesses
from voting.log.tiles import publish_tiles
from voting.services import witness_roster
from voting.tools.witness.__main__ import main
from voting.tools.witness.state import WitnessDirectory

NAME = "2026-12-27-tiles"
BASE = f"http://urna.test/api/logs/{NAME}"


def test_a_witness_follows_the_tiles_and_refuses_tampered_ones(
    app: Flask,
    client: FlaskClient,
    db_session: so.Session,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signing = log_signing(app)
    bulletin.create_log(db_session, NAME, origin=signing.origin_for(NAME))
    log_key = str(signing.verifier_key(signing.origin_for(NAME)))
    transport = FlaskTransport(client)
    state, folder = str(tmp_path / "witness"), tmp_path / "tiles"
    assert main(["init", "--state", state, "--name", "bern.test/witness"]) == 0
    assert main(["register", "--state", state, "--log", BASE], transport=transport) == 0
    pending = witnesses.pending_requests(db_session, witnesses.get_log(db_session, NAME))
    witness_roster.approve(
        db_session, NAME, pending[0].id, administrator(db_session), signing=signing
    )
    follow = ["follow", "--state", state, "--log", BASE, "--log-key", log_key, "--once"]
    follow += ["--tiles", str(folder / NAME)]

    def grow(start: int, count: int) -> int:
        records = [{"type": "test", "n": start + i} for i in range(count)]
        bulletin.append_many(db_session, NAME, records)
        stored = bulletin.issue_checkpoint(db_session, NAME, signing, interval=dt.timedelta(0))
        publish_tiles(db_session, NAME, folder)
        return stored.size

    def cosigned_size() -> int:
        last = WitnessDirectory(state).load()[signing.origin_for(NAME)]
        return last.size if last.submitted else -1

    first = grow(0, 300)
    assert main(follow, transport=transport) == 0
    assert cosigned_size() == first

    second = grow(300, 500)  # the proof first -> second is computed from the tiles
    hashes = folder / NAME / "tile/0/001"  # now full: the proof reads it
    good = hashes.read_bytes()
    hashes.write_bytes(bytes([good[0] ^ 1]) + good[1:])
    assert main(follow, transport=transport) == 1  # refused (to be retried), nothing cosigned
    assert "TileMismatch: tile/0/001" in capsys.readouterr().err
    assert cosigned_size() == first
    hashes.write_bytes(good)  # the mirror is repaired
    assert main(follow, transport=transport) == 0
    assert cosigned_size() == second
    note = (folder / NAME / "checkpoint").read_text()
    assert parse_checkpoint(parse_note(note).text).size == second
