"""``flask --app app record export``: the record of a vote day, as a directory or a zip."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from crypto.merkle import leaf_hash
from tests.fixtures_casting import OpenVoteDay
from tests.voting.record_tamper import run_verifier
from voting.app.extensions import db
from voting.log import bulletin
from voting.tools.verify.record import UnusableRecord
from voting.tools.verify.record import load_record


def test_export_directory_holds_the_log_byte_for_byte(
    app: Flask, runner: FlaskCliRunner, prepare_vote_day: Callable[..., OpenVoteDay], tmp_path: Path
) -> None:
    opened = prepare_vote_day()
    target = tmp_path / "record"
    result = runner.invoke(args=["record", "export", opened.vote_day, str(target)])
    assert result.exit_code == 0, result.output
    assert "python -m voting.verify" in result.output
    lines = (target / "entries.jsonl").read_bytes().split(b"\n")
    size = bulletin.log_size(db.session, opened.vote_day)
    assert lines[-1] == b"" and len(lines) == size + 1
    stored = bulletin.get_entries(db.session, opened.vote_day, 0, size)
    assert [leaf_hash(line) for line in lines[:-1]] == [e.leaf_hash for e in stored]
    meta = json.loads((target / "record.json").read_text())
    assert meta["format"] == "urna-record/1"
    assert (meta["vote_day"], meta["status"], meta["log"]["size"]) == (
        opened.vote_day,
        "open",
        size,
    )
    assert (target / "checkpoint.txt").read_text().startswith(f"{meta['log']['origin']}\n{size}\n")
    code, report = run_verifier(target, "--witnesses", "0")
    assert code == 0, report["failed"]
    statuses = {c["check"]: c["status"] for c in report["checks"]}
    assert statuses["ballots"] == "passed" and statuses["encrypted-totals"] == "skipped"


def test_export_zip_and_refusals(
    runner: FlaskCliRunner, prepare_vote_day: Callable[..., OpenVoteDay], tmp_path: Path
) -> None:
    opened = prepare_vote_day()
    target = tmp_path / "record.zip"
    result = runner.invoke(args=["record", "export", opened.vote_day, str(target)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["entries.jsonl", "checkpoint.txt", "log-key.txt", "witnesses.json", "record.json"]
        )
    assert run_verifier(target, "--witnesses", "0")[0] == 0
    assert run_verifier(target)[0] == 1  # a witness is required by default: there is none
    again = runner.invoke(args=["record", "export", opened.vote_day, str(target)])
    assert again.exit_code != 0 and "exists" in again.output
    unknown = runner.invoke(args=["record", "export", "no-such-day", str(tmp_path / "x")])
    assert unknown.exit_code != 0 and "no-such-day" in unknown.output


def test_export_as_tiles_and_verify_from_tiles(
    runner: FlaskCliRunner, prepare_vote_day: Callable[..., OpenVoteDay], tmp_path: Path
) -> None:
    opened = prepare_vote_day()
    target = tmp_path / "record"
    result = runner.invoke(args=["record", "export", "--tiles", opened.vote_day, str(target)])
    assert result.exit_code == 0, result.output
    assert not (target / "entries.jsonl").exists()
    assert (target / "tile/entries").is_dir()
    assert (target / "checkpoint").read_text() == (target / "checkpoint.txt").read_text()
    code, report = run_verifier(target, "--witnesses", "0")
    assert code == 0, report["failed"]
    assert report["facts"]["entries"] == bulletin.log_size(db.session, opened.vote_day)

    # a record with entries.jsonl, its entries read from the log's tiles elsewhere
    plain = tmp_path / "plain"
    assert runner.invoke(args=["record", "export", opened.vote_day, str(plain)]).exit_code == 0
    (plain / "entries.jsonl").unlink()
    code, report = run_verifier(plain, "--witnesses", "0", "--tiles", str(target))
    assert code == 0, report["failed"]

    # tiles that stop short, or tampered, leave the record unusable (exit 2), named
    bundle = next((target / "tile/entries").glob("*.p/*"))
    data = bytearray(bundle.read_bytes())
    data[-2] ^= 1
    bundle.write_bytes(bytes(data))
    assert run_verifier(target, "--witnesses", "0")[0] == 2
    with pytest.raises(UnusableRecord, match="EntryMismatch: entry"):
        list(load_record(target).entries.entries())  # the entries are read as a stream
    bundle.unlink()
    assert run_verifier(target, "--witnesses", "0")[0] == 2
    with pytest.raises(UnusableRecord, match="TileMissing"):
        list(load_record(target).entries.entries())
    zipped = runner.invoke(args=["record", "export", "--tiles", opened.vote_day, "x.zip"])
    assert zipped.exit_code != 0 and "directory" in zipped.output
