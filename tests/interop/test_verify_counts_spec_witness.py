"""``python -m voting.verify`` counts the spec-written witness's cosignature on a real record.

A vote day's log (ceremony and credentials, no ballots) is listed with the
C2SP witness written from the spec (tests/interop/c2sp_witness.py, behind a
real HTTP server); the log pushes, the record is exported as the server
publishes it, and the stand-alone verifier's witness check counts the
cosignature only with the witness's vkey in the observer's ``--roster``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from tests.fixtures_casting import OpenVoteDay
from tests.interop.c2sp_witness import SpecWitness
from tests.interop.spec_server import WitnessServer
from tests.voting.record_tamper import run_verifier
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.log import cosigners
from voting.services.record_export import export_record


def _check(report: dict[str, object], name: str) -> dict[str, object]:
    checks = report["checks"]
    assert isinstance(checks, list)
    return next(c for c in checks if c["check"] == name)


def test_the_verifier_counts_the_spec_witness_only_when_pinned(
    app: Flask, prepare_vote_day: Callable[..., OpenVoteDay], tmp_path: Path
) -> None:
    prepared = prepare_vote_day(open_it=False)
    day = prepared.vote_day
    signing = log_signing(app)
    log_vkey = str(signing.verifier_key(bulletin.log_origin(db.session, day)))
    witness = SpecWitness("witness.example/w1", b"\x07" * 32, log_vkey)
    stranger = SpecWitness("other.example/w9", b"\x09" * 32, log_vkey)
    with WitnessServer(witness).running() as server:
        cosigners.add_cosigner(
            db.session, day, witness.vkey(), server.url, approved_by="admin", signing=signing
        )
        bulletin.issue_checkpoint(db.session, day, signing, interval=dt.timedelta(0))
        [outcome] = cosigners.push(db.session, day, timeout=5)
        assert outcome.cosigned, outcome.error
    record = tmp_path / "record"
    exported = export_record(db.session, day, record, signing=signing)
    assert exported.witnesses_cosigned == 1
    assert "— witness.example/w1 " in (record / "checkpoint.txt").read_text()

    mine = tmp_path / "roster.txt"
    mine.write_text(f"# from witness.example's own page\n{witness.vkey()}\n")
    _, report = run_verifier(record, "--roster", str(mine), "--log-key", log_vkey)
    check = _check(report, "witnesses")
    assert check["status"] == "passed", check
    assert "1 of the 1 witnesses in your roster" in str(check["detail"])
    assert "cosignature/v1: witness.example/w1" in str(check["detail"])
    facts = report["facts"]
    assert isinstance(facts, dict)
    assert facts["witnesses_counted"] == {"bls": [], "cosignature/v1": ["witness.example/w1"]}

    theirs = tmp_path / "stranger.txt"
    theirs.write_text(stranger.vkey() + "\n")
    _, report = run_verifier(record, "--roster", str(theirs), "--log-key", log_vkey)
    check = _check(report, "witnesses")
    assert check["status"] == "failed"
    assert "0 of the 1 witnesses in your roster" in str(check["failures"])
    assert "witness.example/w1, not in your roster" in str(check["failures"])
