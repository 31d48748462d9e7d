"""Trust roots come from outside the record (issue 13 parts 3-4, issue 14 item 3).

Each test names the attacker and what they can do. Through the application
factory, the public HTTP API and crafted records.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from flask import Flask

from crypto.note import NoteSigner
from crypto.note import add_signatures
from crypto.note import parse_note
from crypto.witness import AggregateCosignature
from crypto.witness import WitnessSecretKey
from crypto.witness import prove_possession
from crypto.witness import sign_checkpoint
from crypto.witness import witness_verifier_key
from tests.conftest import _config
from tests.voting.conftest import rehearsed  # noqa: F401  (the rehearsed record fixture)
from tests.voting.record_tamper import Keys
from tests.voting.record_tamper import Record
from tests.voting.record_tamper import run_verifier
from voting.app import create_app
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.log.keys import LogKeyMismatch
from voting.log.keys import LogKeyMissing
from voting.log.keys import load_log_signing
from voting.rehearsal.rehearse import RehearsalSummary

LOG = "2026-11-29-roots"


# --- the log key is pinned ----------------------------------------------------------


def _signed_log(app: Flask) -> str:
    """A log with one signed checkpoint; returns the key ID (hex) that signed it."""
    signing = log_signing(app)
    origin = signing.origin_for(LOG)
    bulletin.create_log(db.session, LOG, origin=origin)
    bulletin.append(db.session, LOG, {"type": "test", "n": 1})
    bulletin.issue_checkpoint(db.session, LOG, signing, interval=dt.timedelta(0))
    return signing.verifier_key(origin).key_id.hex()


def _database_url(app: Flask) -> str:
    return str(app.config["SQLALCHEMY_DATABASE_URI"])


def test_a_server_started_with_another_log_key_refuses_to_start(app: Flask, tmp_path: Path) -> None:
    """Attacker: an operator (or a mistake) starting a server with another key file.

    Capability: start the web app on the real database with a key of its
    choosing, then sign checkpoints the published key cannot verify (a split
    view the witnesses would have to notice). Before the change the app
    started and served the second key's ``/key``.
    """
    signed_by = _signed_log(app)
    other_folder = tmp_path / "other-instance"
    other = load_log_signing(other_folder / "log-signing.key", create=True)
    other_id = other.verifier_key(other.origin_for(LOG)).key_id.hex()
    with pytest.raises(LogKeyMismatch) as refused:
        create_app(_config(_database_url(app), other_folder))
    message = str(refused.value)
    assert signed_by in message and other_id in message  # both key IDs named


def test_a_server_without_its_key_file_neither_starts_nor_makes_a_new_key(
    app: Flask, tmp_path: Path
) -> None:
    """Attacker: an operator starting the server from another instance folder.

    Capability: the key file is absent there; before the change the server
    silently created a fresh key and signed with it.
    """
    signed_by = _signed_log(app)
    folder = tmp_path / "empty-instance"
    with pytest.raises(LogKeyMissing, match=signed_by):
        create_app(_config(_database_url(app), folder))
    assert not (folder / "log-signing.key").exists()


def test_the_key_path_from_the_environment_is_the_one_used(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attacker: none; a deployment that sets ``URNA_LOG_KEY_PATH`` must get that key.

    Before the change the variable was ignored, and a fresh key was made in
    the instance folder.
    """
    _signed_log(app)
    key_file = Path(app.config["URNA_LOG_KEY_PATH"])
    elsewhere = tmp_path / "secrets" / "urna-log.key"
    elsewhere.parent.mkdir()
    shutil.copy2(key_file, elsewhere)
    monkeypatch.setenv("URNA_LOG_KEY_PATH", str(elsewhere))
    config = _config(_database_url(app), tmp_path / "fresh-instance")
    del config["URNA_LOG_KEY_PATH"]
    started = create_app(config)
    assert started.config["URNA_LOG_KEY_PATH"] == str(elsewhere)
    assert log_signing(started).seed == log_signing(app).seed
    started_db = started.extensions["sqlalchemy"]
    with started.app_context():
        started_db.engines[None].dispose()


def test_the_same_key_starts_and_init_key_creates_only_on_an_empty_database(
    app: Flask, tmp_path: Path
) -> None:
    """The honest paths: the right key starts; ``flask log init-key`` creates a missing key
    on a database without checkpoints and refuses once checkpoints exist."""
    fresh = tmp_path / "first-instance"
    first = create_app(_config(_database_url(app), fresh))
    with first.app_context():  # the command runs in the innermost app context
        result = first.test_cli_runner().invoke(args=["log", "init-key"])
    assert result.exit_code == 0, result.output
    assert "created" in result.output and (fresh / "log-signing.key").exists()
    _signed_log(app)
    create_app(_config(_database_url(app), Path(app.config["URNA_LOG_KEY_PATH"]).parent))
    other = tmp_path / "second-instance"
    (other / "log-signing.key").parent.mkdir()
    shutil.copy2(fresh / "log-signing.key", other / "log-signing.key")
    with pytest.raises(LogKeyMismatch):
        create_app(_config(_database_url(app), other))


# --- the verifier counts only the witnesses the observer trusts --------------------

Rehearsed = tuple[RehearsalSummary, Keys]


def _status(report: dict[str, object], check: str) -> str:
    checks = report["checks"]
    assert isinstance(checks, list)
    return str(next(c["status"] for c in checks if c["check"] == check))


def _real_roster_file(keys: Keys, path: Path) -> Path:
    lines = ["# the witnesses I trust, keys obtained from them"]
    for i, raw in enumerate(keys.witness_secrets, start=1):
        public = WitnessSecretKey.from_bytes(raw).public_key()
        lines.append(witness_verifier_key(f"rehearsal-witness-{i}", public))
    path.write_text("\n".join(lines) + "\n")
    return path


def _cosigned_only_by_a_sock_puppet(made: Rehearsed, tmp_path: Path) -> Path:
    """The record as a log operator showing a split view would ship it.

    It registers its own "independent NGO" witness (a key it holds, with a
    valid proof of possession), re-signs the final checkpoint and has only
    that witness cosign it.
    """
    summary, keys = made
    record = Record(summary.record, tmp_path / "record")
    puppet = WitnessSecretKey.generate(rng=lambda n: b"\x5a" * n)
    roster = json.loads((record.path / "witnesses.json").read_text())
    position = len(roster["witnesses"])
    roster["witnesses"].append(
        {
            "name": "independent-ngo.example/witness",
            "public_key": puppet.public_key().hex(),
            "proof_of_possession": prove_possession(puppet).hex(),
        }
    )
    (record.path / "witnesses.json").write_text(json.dumps(roster))
    final = (record.path / "checkpoint.txt").read_text()
    text = parse_note(final).text
    note = NoteSigner(keys.origin, keys.log_seed).sign(text)
    aggregate = AggregateCosignature((position,), sign_checkpoint(puppet, text))
    (record.path / "checkpoint.txt").write_text(
        add_signatures(text + "\n" + note.line(), [aggregate.line(keys.roster_name)])
    )
    return record.path


def test_a_sock_puppet_witness_fails_the_observers_roster(
    rehearsed: Rehearsed,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Attacker: a log operator showing a split view, with a witness of its own.

    Capability: it signs checkpoints with the real log key, writes the
    record's roster and registers a witness whose key it holds. Before the
    change the verifier counted cosignatures against that roster: VALID.
    """
    record = _cosigned_only_by_a_sock_puppet(rehearsed, tmp_path)
    roster = _real_roster_file(rehearsed[1], tmp_path / "roster.txt")
    code, report = run_verifier(record, "--roster", str(roster))
    assert code == 1
    assert report["failed"] == ["witnesses"]
    message = next(c for c in report["checks"] if c["check"] == "witnesses")["failures"][0]
    assert "0 of the 1 witnesses in your roster" in message["message"]
    assert "independent-ngo.example/witness" in message["message"]


def test_without_a_roster_the_witness_check_is_not_ok(
    rehearsed: Rehearsed,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Attacker: the same operator; the observer gave no roster.

    The record then proves nothing about witnesses: the report must not say
    "ok" for them (before the change it printed ``[ok  ] witnesses``).
    """
    from voting.tools.verify.__main__ import main

    record = _cosigned_only_by_a_sock_puppet(rehearsed, tmp_path)
    code, report = run_verifier(record)
    assert _status(report, "witnesses") == "unpinned"
    assert code == 0  # nothing in the record is wrong; it is just not independently checked
    main([str(record), "--jobs", "1", "--no-progress"])
    lines = [line for line in capsys.readouterr().out.splitlines() if " witnesses " in line]
    assert lines and all("[ok" not in line for line in lines)
    assert "not independently checked" in lines[0]


def test_the_real_witnesses_pass_with_the_observers_roster(
    rehearsed: Rehearsed,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The honest record with the observer's roster and log key: the checks pass."""
    summary, keys = rehearsed
    roster = _real_roster_file(keys, tmp_path / "roster.txt")
    log_key = (summary.record / "log-key.txt").read_text().strip()
    code, report = run_verifier(summary.record, "--roster", str(roster), "--log-key", log_key)
    assert code == 0, report["failed"]
    assert _status(report, "witnesses") == "passed"
    assert _status(report, "checkpoint-signature") == "passed"
    assert report["facts"]["witnesses_cosigned"] == len(keys.witness_secrets)


def test_a_malformed_roster_file_is_unusable_input(
    rehearsed: Rehearsed,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A roster line with a copying mistake is refused, naming the line (exit 2)."""
    roster = _real_roster_file(rehearsed[1], tmp_path / "roster.txt")
    lines = roster.read_text().splitlines()
    name, key_id, material = lines[1].split("+", 2)
    lines[1] = f"{name}x+{key_id}+{material}"
    roster.write_text("\n".join(lines) + "\n")
    code, _ = run_verifier(rehearsed[0].record, "--roster", str(roster))
    assert code == 2
