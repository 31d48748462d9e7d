"""``flask --app app simulate``: the rehearsal command end to end (tiny), and its summary."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskCliRunner

from tests.voting.record_tamper import Keys
from tests.voting.record_tamper import run_verifier
from voting.rehearsal.rehearse import RehearsalSummary


def test_simulate_command_writes_a_valid_zip_record(runner: FlaskCliRunner, tmp_path: Path) -> None:
    record = tmp_path / "rehearsal.zip"
    result = runner.invoke(
        args=[
            "simulate",
            "--voters",
            "4",
            "--record",
            str(record),
            "--seed",
            "t",
            "--witnesses",
            "0",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "(published): 4 voters cast 4 ballots" in result.output
    assert f"python -m voting.verify {record}" in result.output
    code, report = run_verifier(record, "--witnesses", "0")
    assert code == 0, report["failed"]
    again = runner.invoke(args=["simulate", "--voters", "1", "--record", str(record)])
    assert again.exit_code != 0 and "exists" in again.output


def test_rehearsal_plays_every_part(rehearsed: tuple[RehearsalSummary, Keys]) -> None:
    summary, _ = rehearsed
    assert summary.status == "published"
    assert summary.ballots_cast == summary.voters == 24
    assert summary.audits == 3 and summary.refused_second == 3
    # 24 voters in 10 units: counted in groups of at least 10 ballots where the
    # cantons allow (the minimum publication size, docs/record.md)
    assert summary.units == 4
    assert summary.witnesses_cosigned == 1
    entries = (summary.record / "entries.jsonl").read_text().splitlines()
    kinds = [line.split('"type":"', 1)[1].split('"', 1)[0] for line in entries]
    shares = [line for line in entries if '"type":"decryption-shares"' in line]
    assert not any('"trustee":"carol"' in line for line in shares)  # carol was absent
    assert {"alice", "bob"} == {
        t for t in ("alice", "bob") if any(f'"trustee":"{t}"' in s for s in shares)
    }
    assert kinds.count("channel-counts") == 2  # the postal counts and their correction
    assert kinds.count("spoiled") == 3 and kinds.count("ballot") == 24
