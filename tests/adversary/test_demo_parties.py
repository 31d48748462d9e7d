"""Attacks on the officials' irreversible steps and on the demo's trustees (threat model:
"Officials' lifecycle steps", "The demo's trustees and witnesses").

- A forged or stray form (a double click, a cross-site POST that somehow carries the token,
  a script) without the ticked confirmation closes, tallies or publishes nothing.
- The demo-trustees button exists only in the demo: on any other instance it is a 404, and
  nobody but the vote day's officers may press it.
- The demo's trustees go through the real decryption path: a key share altered in the demo
  folder gives shares whose proofs fail, and the server logs nothing of them.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.official_actions import OfficialActions
from voting.app.extensions import db
from voting.log import bulletin
from voting.models.tally import DecryptionShareRow
from voting.models.votedays import VoteDay
from voting.rehearsal.demo_vote import DEMO_VOTE_DAY
from voting.rehearsal.demo_vote import demo_folder

LIFECYCLE = f"/officials/vote-days/{DEMO_VOTE_DAY}/lifecycle"
OFFICER = "returning_officer:nation:CH"


def status() -> str:
    db.session.expire_all()
    return db.session.get_one(VoteDay, DEMO_VOTE_DAY).status


@pytest.fixture()
def demo(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output


def test_an_irreversible_step_without_its_ticked_box_changes_nothing(
    demo: None, official_actions: OfficialActions
) -> None:
    official_actions.log_in_as(OFFICER)
    size = bulletin.log_size(db.session, DEMO_VOTE_DAY)
    for data in ({}, {"confirm": ""}):
        refused = official_actions.post(f"{LIFECYCLE}/close", data)
        assert refused.status_code == 400 and b"tick the box to confirm" in refused.data
    assert status() == "open" and bulletin.log_size(db.session, DEMO_VOTE_DAY) == size
    closed = official_actions.post(f"{LIFECYCLE}/close", {"confirm": "y"})
    assert closed.status_code == 303 and status() == "closed"
    assert official_actions.post(f"{LIFECYCLE}/tally").status_code == 400
    assert bulletin.log_size(db.session, DEMO_VOTE_DAY) == size + 1  # only the close record


def test_the_demo_trustees_answer_only_in_the_demo_and_only_to_its_officers(
    app: Flask, demo: None, official_actions: OfficialActions
) -> None:
    official_actions.log_in_as(OFFICER)
    official_actions.post(f"{LIFECYCLE}/close", {"confirm": "y"})
    official_actions.post(f"{LIFECYCLE}/tally", {"confirm": "y"})
    official_actions.log_out()
    official_actions.log_in_as("clerk:nation:CH", "registrar", username="clara")
    assert official_actions.post(f"{LIFECYCLE}/demo-trustees").status_code == 403
    official_actions.log_out()
    official_actions.log_in("alice")
    app.config["URNA_DEMO"] = False  # a production instance, even with a demo folder lying about
    assert official_actions.post(f"{LIFECYCLE}/demo-trustees").status_code == 404
    assert _shares() == 0 and status() == "closed"
    app.config["URNA_DEMO"] = True
    assert official_actions.post(f"{LIFECYCLE}/demo-trustees").status_code == 303
    assert status() == "tallied"


def test_an_altered_demo_key_share_is_refused_and_nothing_of_it_is_logged(
    app: Flask, demo: None, official_actions: OfficialActions
) -> None:
    official_actions.log_in_as(OFFICER)
    official_actions.post(f"{LIFECYCLE}/close", {"confirm": "y"})
    official_actions.post(f"{LIFECYCLE}/tally", {"confirm": "y"})
    path = demo_folder(app) / "trustee-key-shares.json"
    honest = path.read_text(encoding="utf-8")
    saved = json.loads(honest)
    first, second = saved["key_shares"][0], saved["key_shares"][1]
    first["secret"] = second["secret"]  # alice decrypts with bob's share, signs as alice
    path.write_text(json.dumps(saved), encoding="utf-8")
    size = bulletin.log_size(db.session, DEMO_VOTE_DAY)
    refused = official_actions.post(f"{LIFECYCLE}/demo-trustees")
    assert refused.status_code == 400 and b"alice" in refused.data
    assert _shares() == 0 and bulletin.log_size(db.session, DEMO_VOTE_DAY) == size
    path.write_text(honest, encoding="utf-8")
    assert official_actions.post(f"{LIFECYCLE}/demo-trustees").status_code == 303
    assert status() == "tallied"


def _shares() -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(DecryptionShareRow)) or 0)
