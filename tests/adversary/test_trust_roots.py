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
from flask.testing import FlaskClient

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
from tests.witness_helpers import LocalWitness
from tests.witness_helpers import register_and_approve
from voting.app import create_app
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.log import witnesses
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


def test_the_same_key_starts_and_init_key_creates_only_on_an_empty_database(
    app: Flask, tmp_path: Path
) -> None:
    """The honest paths: the right key starts; ``flask log init-key`` creates a missing key
    on a database without checkpoints and refuses once checkpoints exist."""
    fresh = tmp_path / "first-instance"
    first = create_app(_config(_database_url(app), fresh))
    with first.app_context():  # the command runs in the innermost app context
        result = first.test_cli_runner().invoke(args=["log", "init-key"])
        db.engine.dispose()  # this app's pool (PostgreSQL) does not outlive the test
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
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Attacker: a log operator who chose the record's roster; the observer gave no roster.

    The record then proves nothing about independent witnesses: the report
    must not say "ok" for them (before the change it printed ``[ok  ] witnesses``).
    """
    from voting.tools.verify.__main__ import main

    record = rehearsed[0].record
    code, report = run_verifier(record)
    assert code == 0  # nothing in the record is wrong; it is just not independently checked
    assert _status(report, "witnesses") == "unpinned"
    assert _status(report, "checkpoint-signature") == "unpinned"
    main([str(record), "--jobs", "1", "--no-progress"])
    lines = [line for line in capsys.readouterr().out.splitlines() if " witnesses " in line]
    assert lines and all("[ok" not in line for line in lines)
    assert "not independently checked" in lines[0]


def test_a_roster_member_without_an_approval_record_fails_even_without_a_roster(
    rehearsed: Rehearsed,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Attacker: the operator adding its witness to the record's roster behind the log's back.

    Capability: write ``witnesses.json`` and re-sign the checkpoint. Every
    roster member must have an administrator's ``witness`` record on the
    log; before the change the verifier did not look (VALID).
    """
    record = _cosigned_only_by_a_sock_puppet(rehearsed, tmp_path)
    code, report = run_verifier(record)
    assert code == 1
    assert report["failed"] == ["witnesses"]
    checks = {c["check"]: c for c in report["checks"]}
    messages = [f["message"] for f in checks["witnesses"]["failures"]]
    assert any("no official approved it" in m for m in messages), messages


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


# --- witnesses join the roster only through an official ------------------------------

WITNESS_LOG = "2026-11-29-witnessed"
WITNESS_API = f"/api/logs/{WITNESS_LOG}"


@pytest.fixture()
def witnessed_log(app: Flask) -> str:
    signing = log_signing(app)
    bulletin.create_log(db.session, WITNESS_LOG, origin=signing.origin_for(WITNESS_LOG))
    bulletin.append_many(db.session, WITNESS_LOG, [{"type": "test", "n": i} for i in range(3)])
    bulletin.issue_checkpoint(db.session, WITNESS_LOG, signing, interval=dt.timedelta(0))
    return WITNESS_LOG


def test_a_strangers_witness_does_not_reach_the_roster_without_approval(
    client: FlaskClient, witnessed_log: str
) -> None:
    """Attacker: a stranger on the internet (or the operator posing as an "independent NGO").

    Capability: POST a well-formed registration with a key it holds, then
    cosign. Before the change the witness was on the roster at once (201)
    and its cosignature went into the served checkpoint.
    """
    stranger = LocalWitness.make("independent-ngo.example/witness", 0x33)
    size = bulletin.log_size(db.session, WITNESS_LOG)
    answer = client.post(f"{WITNESS_API}/witnesses", json=stranger.request(WITNESS_LOG))
    assert answer.status_code == 202 and answer.get_json()["status"] == "pending"
    assert client.get(f"{WITNESS_API}/witnesses").get_json()["witnesses"] == []
    assert bulletin.log_size(db.session, WITNESS_LOG) == size  # a request is not a log record
    note = client.get(f"{WITNESS_API}/checkpoint").get_data(as_text=True)
    cosign = client.post(f"{WITNESS_API}/cosignatures", json=stranger.submission(WITNESS_LOG, note))
    assert cosign.status_code == 404
    assert "/witnesses " not in client.get(f"{WITNESS_API}/checkpoint").get_data(as_text=True)


def test_a_pending_name_cannot_be_squatted(
    app: Flask, client: FlaskClient, witnessed_log: str
) -> None:
    """Attacker: a stranger who registers a real witness's name first.

    Capability: POST a request under ``bern.ch/witness`` before Bern does.
    Before the change names were first come, first served: Bern's own
    registration was refused (409). Now a pending request reserves nothing;
    the administrator approves Bern's, and the squatter's request is dropped.
    """
    squatter = LocalWitness.make("bern.ch/witness", 0x44)
    bern = LocalWitness.make("bern.ch/witness", 0x45)
    first = client.post(f"{WITNESS_API}/witnesses", json=squatter.request(WITNESS_LOG))
    assert first.status_code == 202
    approved = register_and_approve(app, client, db.session, WITNESS_LOG, bern)
    assert approved.public_key == bern.bls.public_key().data
    listed = client.get(f"{WITNESS_API}/witnesses").get_json()["witnesses"]
    assert [(w["name"], w["public_key"]) for w in listed] == [
        ("bern.ch/witness", bern.bls.public_key().hex())
    ]
    log = witnesses.get_log(db.session, WITNESS_LOG)
    assert witnesses.pending_requests(db.session, log) == []  # the squatter's is gone


def test_unauthenticated_cosignatures_never_reach_a_pairing(
    app: Flask, client: FlaskClient, witnessed_log: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attacker: a stranger burning the server's CPU (issue 14 item 3).

    Capability: send cosignature submissions and registrations as fast as
    it can. Each BLS pairing costs ~0.8 s of pure Python; before the change
    every submission naming a registered witness (and every registration)
    ran one. Now the Ed25519 signature (~0.1 ms), the size and the roster
    are checked first; registrations run no pairing until an official
    approves.
    """
    bern = LocalWitness.make("bern.ch/witness", 0x45)
    register_and_approve(app, client, db.session, WITNESS_LOG, bern)
    bulletin.issue_checkpoint(db.session, WITNESS_LOG, log_signing(app), interval=dt.timedelta(0))
    note = client.get(f"{WITNESS_API}/checkpoint").get_data(as_text=True)
    pairings: list[str] = []

    def no_pairing(*args: object) -> None:
        pairings.append("called")
        raise AssertionError("a BLS pairing ran for an unauthenticated request")

    monkeypatch.setattr(witnesses, "verify_checkpoint_cosignature", no_pairing)
    monkeypatch.setattr(witnesses, "verify_possession", no_pairing)
    stranger = LocalWitness.make("stranger.example/witness", 0x46)
    good = bern.submission(WITNESS_LOG, note)
    junk = [
        stranger.submission(WITNESS_LOG, note),  # not on the roster
        {**good, "auth": None},  # unsigned
        {**good, "auth": stranger.submission(WITNESS_LOG, note)["auth"]},  # signed by another key
        {**good, "signature": "11" * 96},  # the signature is not the one authenticated
        {**good, "checkpoint": note + "x" * 9000},  # too big
    ]
    for body in junk:
        answer = client.post(f"{WITNESS_API}/cosignatures", json=body)
        assert 400 <= answer.status_code < 500, answer.get_json()
    bogus = stranger.request(WITNESS_LOG, proof_of_possession="22" * 96)
    bogus["signature"] = LocalWitness(
        stranger.name, stranger.bls, stranger.ed25519, bytes.fromhex("22" * 96)
    ).request(WITNESS_LOG)["signature"]
    assert client.post(f"{WITNESS_API}/witnesses", json=bogus).status_code == 202
    assert pairings == []
    monkeypatch.undo()  # the genuine witness's submission is verified (one pairing)
    assert client.post(f"{WITNESS_API}/cosignatures", json=good).status_code == 201
