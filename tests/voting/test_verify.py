"""The independent verifier on a rehearsed record: valid, receipts, unusable input, reports."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from crypto import merkle
from crypto.note import Checkpoint
from crypto.note import NoteSigner
from crypto.note import sign_checkpoint
from crypto.receipt import Receipt
from crypto.receipt import tracking_code
from tests.voting.record_tamper import Keys
from tests.voting.record_tamper import Record
from tests.voting.record_tamper import messages
from tests.voting.record_tamper import run_verifier
from voting.rehearsal.rehearse import RehearsalSummary
from voting.tools.verify import Options
from voting.tools.verify import verify_record
from voting.tools.verify.report import CHECKS

Rehearsed = tuple[RehearsalSummary, Keys]


def test_rehearsed_record_is_valid(rehearsed: Rehearsed) -> None:
    summary, _ = rehearsed
    code, report = run_verifier(summary.record)
    assert code == 0, report["failed"]
    assert report["valid"] is True
    statuses = {c["check"]: c["status"] for c in report["checks"]}
    skipped = sorted(name for name, status in statuses.items() if status == "skipped")
    # a vote day without return codes skips their check (docs/return-codes.md)
    assert skipped == sorted(({"receipt"} & set(statuses)) | {"return-codes"}), skipped
    facts = report["facts"]
    assert facts["witnesses_cosigned"] == 1
    assert facts["ballots"]["cast"] == summary.ballots_cast == 24
    assert facts["ballots"]["audited"] == summary.audits > 0
    assert summary.refused_second > 0  # refused second ballots never reach the log


def test_parallel_jobs_give_the_same_report(rehearsed: Rehearsed) -> None:
    record = rehearsed[0].record
    one = verify_record(record, Options(jobs=1)).to_json()
    two = verify_record(record, Options(jobs=2)).to_json()
    for report in (one, two):
        for timing in ("ballot_seconds", "ballot_cpu_seconds"):
            assert report["facts"].pop(timing) >= 0
    assert one == two


def test_zip_record_is_read_like_a_directory(rehearsed: Rehearsed, tmp_path: Path) -> None:
    archive = tmp_path / "record.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for item in rehearsed[0].record.iterdir():
            zf.write(item, f"record/{item.name}")
    code, report = run_verifier(archive)
    assert code == 0, report["failed"]


def test_readable_report_names_every_check(
    rehearsed: Rehearsed, capsys: pytest.CaptureFixture[str]
) -> None:
    from voting.tools.verify.__main__ import main

    assert main([str(rehearsed[0].record), "--jobs", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "The record is VALID." in out
    for name in CHECKS.keys() - {"receipt"}:
        assert name in out


def _receipt_file(tmp_path: Path, receipt: dict[str, object]) -> Path:
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt))
    return path


def test_receipt_of_a_cast_ballot_is_found(rehearsed: Rehearsed, tmp_path: Path) -> None:
    receipt = rehearsed[0].receipts[0]
    code, report = run_verifier(
        rehearsed[0].record, "--receipt", str(_receipt_file(tmp_path, receipt))
    )
    assert code == 0, report["failed"]
    assert report["facts"]["receipt"]["index"] == receipt["index"]


def test_receipt_with_an_older_checkpoint_is_checked_for_consistency(
    rehearsed: Rehearsed, tmp_path: Path
) -> None:
    summary, keys = rehearsed
    entries = (summary.record / "entries.jsonl").read_bytes()[:-1].split(b"\n")
    hashes = [merkle.leaf_hash(e) for e in entries]
    index = summary.receipts[1]["index"]
    size = index + 3
    note = sign_checkpoint(
        Checkpoint(keys.origin, size, merkle.root_hash(hashes[:size])),
        NoteSigner(keys.origin, keys.log_seed),
    )
    receipt = Receipt(
        summary.vote_day,
        index,
        hashes[index],
        note,
        tuple(merkle.inclusion_proof(hashes[:size], index)),
    )
    code, report = run_verifier(
        summary.record, "--receipt", str(_receipt_file(tmp_path, receipt.to_json()))
    )
    assert code == 0, report["failed"]


def test_foreign_receipt_is_not_found(rehearsed: Rehearsed, tmp_path: Path) -> None:
    receipt = dict(rehearsed[0].receipts[0])
    other = bytes(32 * [7])
    receipt["leaf_hash"], receipt["tracking_code"] = other.hex(), tracking_code(other)
    code, report = run_verifier(
        rehearsed[0].record, "--receipt", str(_receipt_file(tmp_path, receipt))
    )
    assert code == 1
    assert report["failed"] == ["receipt"]
    assert "not in this record" in messages(report, "receipt")


def test_receipt_from_a_forked_log_fails(rehearsed: Rehearsed, tmp_path: Path) -> None:
    summary, keys = rehearsed
    entries = (summary.record / "entries.jsonl").read_bytes()[:-1].split(b"\n")
    hashes = [merkle.leaf_hash(e) for e in entries]
    index = summary.receipts[0]["index"]
    forked = [*hashes[: index + 1], merkle.leaf_hash(b'{"type":"ballot"}')]
    note = sign_checkpoint(
        Checkpoint(keys.origin, len(forked), merkle.root_hash(forked)),
        NoteSigner(keys.origin, keys.log_seed),
    )
    receipt = Receipt(
        summary.vote_day, index, hashes[index], note, tuple(merkle.inclusion_proof(forked, index))
    )
    code, report = run_verifier(
        summary.record, "--receipt", str(_receipt_file(tmp_path, receipt.to_json()))
    )
    assert code == 1
    assert report["failed"] == ["receipt"]


@pytest.mark.parametrize(
    "damage",
    ["missing-entries", "bad-meta", "bad-witnesses", "bad-key", "no-newline", "bad-checkpoint"],
)
def test_unusable_record_exits_2(record_copy: Record, damage: str) -> None:
    path = record_copy.path
    if damage == "missing-entries":
        (path / "entries.jsonl").unlink()
    elif damage == "bad-meta":
        (path / "record.json").write_text("{not json")
    elif damage == "bad-witnesses":
        (path / "witnesses.json").write_text("[1, 2]")
    elif damage == "bad-key":
        (path / "log-key.txt").write_text("not a key\n")
    elif damage == "no-newline":
        (path / "entries.jsonl").write_bytes((path / "entries.jsonl").read_bytes()[:-1])
    elif damage == "bad-checkpoint":
        (path / "checkpoint.txt").write_text("no checkpoint here")
    code, report = run_verifier(path)
    assert (code, report) == (2, {})


def test_missing_path_and_unreadable_receipt_exit_2(record_copy: Record, tmp_path: Path) -> None:
    assert run_verifier(tmp_path / "nothing")[0] == 2
    bad = tmp_path / "receipt.json"
    bad.write_text("{}")
    assert run_verifier(record_copy.path, "--receipt", str(bad))[0] == 2


def test_pinned_log_key(rehearsed: Rehearsed) -> None:
    summary, keys = rehearsed
    from crypto.note import NoteSigner

    real = str(NoteSigner(keys.origin, keys.log_seed).verifier)
    assert run_verifier(summary.record, "--log-key", real)[0] == 0
    other = str(NoteSigner(keys.origin, bytes(32)).verifier)
    code, report = run_verifier(summary.record, "--log-key", other)
    assert code == 1 and report["failed"] == ["checkpoint-signature"]


def test_progress_bar_on_stderr(rehearsed: Rehearsed, capsys: pytest.CaptureFixture[str]) -> None:
    from voting.tools.verify.__main__ import main

    assert main([str(rehearsed[0].record), "--jobs", "2", "--progress", "--json"]) == 0
    captured = capsys.readouterr()
    assert "ballots  [" in captured.err and "27/27" in captured.err
    assert json.loads(captured.out)["valid"] is True
