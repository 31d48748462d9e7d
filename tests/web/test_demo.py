"""The README's run command: ``flask --app app demo`` opens a vote day a newcomer can vote in."""

import json
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from crypto.credentials import derive_credential
from voting.app.extensions import db
from voting.app.record_files import record_folder
from voting.models.votedays import VoteDay
from voting.rehearsal.demo_returncodes import demo_cards
from voting.rehearsal.demo_returncodes import serve_demo_authorities
from voting.rehearsal.demo_vote import DEMO_VOTE_DAY
from voting.rehearsal.demo_vote import demo_folder
from voting.services.credentials import unit_of_credential
from voting.services.record_store import stored_record
from voting.tools.client import VotingClient
from voting.tools.client.return_codes import cast_with_codes
from voting.tools.client.return_codes import confirm

CODE_LINK = re.compile(r"^  (\S+)  .*/vote/2026-06-14-ch#code=(\S+)$", re.MULTILINE)


def test_demo_command_opens_the_vote_day_and_prints_codes(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert db.session.get_one(VoteDay, DEMO_VOTE_DAY).status == "open"
    printed = CODE_LINK.findall(result.output)
    assert len(printed) == 6
    assert all(code == linked for code, linked in printed)
    units = {unit_of_credential(db.session, DEMO_VOTE_DAY, _key(code)).ref for code, _ in printed}
    assert units == {"quarter:10230", "quarter:20230", "municipality:219"}
    folder = demo_folder(app)
    shares = json.loads((folder / "trustee-key-shares.json").read_text())
    assert len(shares["key_shares"]) == 3 and shares["threshold"] == 2
    for name in ("trustee-key-shares.json", "voting-codes.json"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600

    again = runner.invoke(args=["demo", "--no-serve"])  # idempotent: the same codes again
    assert again.exit_code == 0, again.output
    assert CODE_LINK.findall(again.output) == printed


def test_demo_refuses_a_database_that_is_not_sqlite(app: Flask, runner: FlaskCliRunner) -> None:
    app.config.update(
        TESTING=False, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://x@192.0.2.1/real"
    )
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code != 0
    assert "only on the default SQLite database" in result.output
    tally = runner.invoke(args=["demo", "tally"])  # nor tallies a real database's vote day
    assert tally.exit_code != 0 and "only on the default SQLite database" in tally.output
    assert not Path(demo_folder(app)).exists()


def _key(code: str) -> str:
    return derive_credential(code, DEMO_VOTE_DAY).public_key.hex()


def test_demo_command_serves_the_site(
    app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flask ignores app.run() under the flask command: the demo must really serve."""
    served: list[tuple[str, int, Flask]] = []
    monkeypatch.setattr(
        "voting.cli.demo.run_simple",
        lambda host, port, wsgi, **_: served.append((host, port, wsgi)),
    )
    result = runner.invoke(args=["demo", "--port", "5099"])
    assert result.exit_code == 0, result.output
    assert served == [("127.0.0.1", 5099, app)]
    assert "http://127.0.0.1:5099/vote/2026-06-14-ch#code=" in result.output


VERIFY_LINE = re.compile(r"^  (python -m voting\.verify .*)$", re.MULTILINE)


def test_demo_tally_publishes_a_record_the_printed_verifier_command_accepts(
    app: Flask, runner: FlaskCliRunner, live_server: str
) -> None:
    """The demo walks to the end: a vote, ``demo tally`` (the demo trustees' threshold
    decryption, publication, the demo witnesses' cosignatures), and the verifier command the
    demo prints, run as a user runs it, exits 0 with both witnesses of the roster counted."""
    opened = runner.invoke(args=["demo", "--no-serve"])
    assert opened.exit_code == 0, opened.output
    assert re.search(
        r"Officials — log in at .*/officials/ as demo-official, password \S{12,}", opened.output
    )
    assert "/observe/2026-06-14-ch/" in opened.output
    code = CODE_LINK.findall(opened.output)[0][0]
    card = demo_cards(demo_folder(app))[code]
    running = serve_demo_authorities(demo_folder(app), DEMO_VOTE_DAY)
    try:  # return codes: the codes shown are the card's; confirmed, the ballot counts
        client = VotingClient(live_server)
        coded = cast_with_codes(client, DEMO_VOTE_DAY, code, {"bike-paths": ["yes"]})
        assert coded.codes["bike-paths"] == card["choice_codes"]["bike-paths"]["0"]
        assert confirm(client, DEMO_VOTE_DAY, code, card["bck"]) == card["vcc"]
        other = CODE_LINK.findall(opened.output)[1][0]  # cast, never confirmed: not counted
        cast_with_codes(client, DEMO_VOTE_DAY, other, {"bike-paths": ["no"]})
    finally:
        running.stop()

    tallied = runner.invoke(args=["demo", "tally"])
    assert tallied.exit_code == 0, tallied.output
    assert db.session.get_one(VoteDay, DEMO_VOTE_DAY).status == "published"
    assert "2 demo witnesses cosigned the final checkpoint" in tallied.output
    command = shlex.split(VERIFY_LINE.findall(tallied.output)[0])
    assert command[3:5] == ["record.zip", "--log-key"]
    stored = stored_record(record_folder(app), DEMO_VOTE_DAY)
    argv = [sys.executable, *command[1:3], str(stored.path(record_folder(app))), *command[4:]]
    verified = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "2 of the 2 witnesses in your roster cosigned" in verified.stdout
    assert "--return-code-authorities" in command
    # figures a person reads, not accepted=False
    assert re.search(
        r"bike-paths: rejected: 100\.0 % yes \(yes 1, no 0, blank 0, invalid 0\); "
        r"cantons 1 yes to \S+ no",
        verified.stdout,
    ), verified.stdout
    assert "accepted=" not in verified.stdout and "leading=" not in verified.stdout

    again = runner.invoke(args=["demo", "--no-serve"])  # a closed day: no "open a link" codes
    assert again.exit_code == 0, again.output
    assert "is published" in again.output
    assert CODE_LINK.findall(again.output) == [] and "open a link" not in again.output
