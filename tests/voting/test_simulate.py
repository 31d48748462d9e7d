"""``flask --app app simulate``: the rehearsal command end to end (tiny), and its summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
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


def test_simulate_prepares_and_casts_in_bounded_batches(
    runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ballots are prepared and cast a batch at a time, never all at once."""
    from voting.rehearsal import rehearse

    batches: list[int] = []
    cast_batch = rehearse._cast_batch

    def remember(summary: Any, url: str, casting: Any, plan: list[Any], preparing: Any) -> None:
        batches.append(len(plan))
        cast_batch(summary, url, casting, plan, preparing)

    monkeypatch.setattr(rehearse, "CAST_BATCH", 3)
    monkeypatch.setattr(rehearse, "_cast_batch", remember)
    record = tmp_path / "record"
    args = ["simulate", "--voters", "7", "--record", str(record), "--seed", "b"]
    result = runner.invoke(args=[*args, "--witnesses", "0"])
    assert result.exit_code == 0, result.output
    assert batches == [3, 3, 1]
    assert "7 voters cast 7 ballots" in result.output
