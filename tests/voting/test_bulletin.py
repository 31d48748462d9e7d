"""voting.log.bulletin: appends, O(log n) reads, checkpoints, receipts, the key file."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskCliRunner

from crypto import merkle
from crypto.note import VerifierKey
from crypto.note import verify_checkpoint
from crypto.receipt import verify_receipt
from voting.app.extensions import db
from voting.errors import Conflict
from voting.errors import InvalidRequest
from voting.errors import NotFound
from voting.log import _tree as _log_tree
from voting.log import bulletin
from voting.log.audit import audit_log
from voting.log.keys import LogKeyError
from voting.log.keys import LogKeyMissing
from voting.log.keys import LogSigning
from voting.log.keys import load_log_signing
from voting.models.log import LogLeaf
from voting.models.log import LogNode

NAME = "2026-03-08-ch"
T0 = dt.datetime(2026, 3, 8, 9, 0, tzinfo=dt.UTC)
SIGNING = LogSigning(bytes(range(32)))


def _ballots(n: int, start: int = 0) -> list[dict]:
    return [{"type": "ballot", "n": i} for i in range(start, start + n)]


@pytest.fixture()
def log(db_session: so.Session) -> str:
    bulletin.create_log(db_session, NAME, origin=SIGNING.origin_for(NAME), now=T0)
    return NAME


def _leaf_hashes(session: so.Session, size: int) -> list[bytes]:
    hashes: list[bytes] = []
    for start in range(0, size, bulletin.MAX_PAGE):
        end = min(size, start + bulletin.MAX_PAGE)
        hashes += [e.leaf_hash for e in bulletin.get_entries(session, NAME, start, end)]
    return hashes


# --- creating and appending -------------------------------------------------------


def test_create_log_validates_name_and_refuses_duplicates(db_session: so.Session, log: str) -> None:
    with pytest.raises(Conflict, match="already exists"):
        bulletin.create_log(db_session, log)
    for bad in ("", "UPPER", "with space", "-leading", "a" * 65, "a/b"):
        with pytest.raises(InvalidRequest, match="slug"):
            bulletin.create_log(db_session, bad)
    with pytest.raises(bulletin.LogNotFound, match="no log named"):
        bulletin.append(db_session, "unknown", {"type": "x"})


def test_appends_get_consecutive_indexes(db_session: so.Session, log: str) -> None:
    first = bulletin.append(db_session, log, {"type": "open", "at": "09:00"})
    assert first.index == 0
    assert first.leaf_hash == merkle.leaf_hash(b'{"at":"09:00","type":"open"}')
    batch = bulletin.append_many(db_session, log, _ballots(5))
    assert [a.index for a in batch] == [1, 2, 3, 4, 5]
    assert bulletin.log_size(db_session, log) == 6
    entry = bulletin.get_entry(db_session, log, 3)
    assert entry.record == {"type": "ballot", "n": 2}
    assert entry.data == b'{"n":2,"type":"ballot"}'
    assert bulletin.find_index(db_session, log, batch[2].leaf_hash) == 3


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"n": 1}, "string 'type'"),
        ({"type": ""}, "must not be empty"),
        ({"type": 5}, "string 'type'"),
        (["type", "x"], "JSON object"),
        ({"type": "x", "share": 0.5}, "floating-point"),
        ({"type": "x", "blob": "a" * (bulletin.MAX_RECORD_BYTES + 1)}, "at most"),
    ],
)
def test_invalid_records_are_refused(
    db_session: so.Session, log: str, record: object, message: str
) -> None:
    with pytest.raises(bulletin.InvalidRecord, match=message):
        bulletin.append(db_session, log, record)  # type: ignore[arg-type]
    assert bulletin.log_size(db_session, log) == 0


def test_locked_log_shares_the_callers_transaction(db_session: so.Session, log: str) -> None:
    bulletin.append_many(db_session, log, _ballots(3))

    class Refused(Exception):
        pass

    with pytest.raises(Refused), bulletin.locked_log(db_session, log) as locked:
        assert locked.size == 3
        locked.append({"type": "ballot", "n": 99})
        locked.flush()
        assert bulletin.log_size(db_session, log) == 4  # visible inside
        raise Refused
    assert bulletin.log_size(db_session, log) == 3  # rolled back with the caller
    assert len(_leaf_hashes(db_session, 3)) == 3
    with bulletin.locked_log(db_session, log, commit=False) as locked:
        locked.append_many(_ballots(2))
    db_session.commit()
    assert bulletin.log_size(db_session, log) == 5
    audit_log(db_session, log)


# --- reads ------------------------------------------------------------------------


def test_roots_and_proofs_match_the_in_memory_tree(db_session: so.Session, log: str) -> None:
    for size in (1, 2, 3, 5, 8, 13, 21, 34, 55):
        bulletin.append_many(db_session, log, _ballots(size - bulletin.log_size(db_session, log)))
    leaves = _leaf_hashes(db_session, 55)
    for size in range(0, 56):
        assert bulletin.root_at(db_session, log, size) == merkle.root_hash(leaves[:size])
        for index in range(0, size, 3):
            proof = bulletin.inclusion_proof(db_session, log, index, size)
            assert proof == merkle.inclusion_proof(leaves[:size], index)
        for old in range(0, size + 1, 4):
            proof = bulletin.consistency_proof(db_session, log, old, size)
            assert proof == merkle.consistency_proof(leaves[:size], old)
    report = audit_log(db_session, log)
    assert (report.size, report.nodes) == (55, 55 - (55).bit_count())


def test_bad_ranges_are_refused(db_session: so.Session, log: str) -> None:
    bulletin.append_many(db_session, log, _ballots(10))
    with pytest.raises(InvalidRequest, match="beyond the log's size 10"):
        bulletin.root_at(db_session, log, 11)
    with pytest.raises(InvalidRequest, match="non-negative"):
        bulletin.inclusion_proof(db_session, log, -1, 5)
    with pytest.raises(InvalidRequest, match="not below size"):
        bulletin.inclusion_proof(db_session, log, 5, 5)
    with pytest.raises(InvalidRequest, match="larger than new size"):
        bulletin.consistency_proof(db_session, log, 6, 5)
    with pytest.raises(InvalidRequest, match="beyond"):
        bulletin.get_entries(db_session, log, 0, 11)
    with pytest.raises(InvalidRequest, match="start <= end"):
        bulletin.get_entries(db_session, log, 6, 5)
    with pytest.raises(NotFound, match="no entry 10"):
        bulletin.get_entry(db_session, log, 10)
    with pytest.raises(NotFound, match="no entry with leaf hash"):
        bulletin.find_index(db_session, log, b"\x00" * 32)


def test_proofs_read_a_logarithmic_number_of_rows(
    db_session: so.Session, log: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bulletin.append_many(db_session, log, _ballots(3000))
    statements: list[str] = []
    keys_read: list[int] = []
    engine = db_session.get_bind()
    fetch = _log_tree.fetch_hashes

    def spy(session: so.Session, log_id: int, keys: list[tuple[int, int]]) -> dict:
        keys_read.append(len(keys))
        return fetch(session, log_id, keys)

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    monkeypatch.setattr(_log_tree, "fetch_hashes", spy)
    sa.event.listen(engine, "after_cursor_execute", count)
    try:
        proof = bulletin.inclusion_proof(db_session, log, 1234, 2999)
        bulletin.consistency_proof(db_session, log, 1001, 2999)
        root = bulletin.root_at(db_session, log, 2999)
    finally:
        sa.event.remove(engine, "after_cursor_execute", count)
    # one log-row read and at most two hash queries per call, each for
    # O(log n) subtree hashes (2 log2(n) + 2 = 25 here at most)
    assert len(statements) <= 9
    assert len(keys_read) == 3 and max(keys_read) <= 25
    leaves = _leaf_hashes(db_session, 2999)
    merkle.verify_inclusion(leaves[1234], 1234, 2999, proof, root)


# --- checkpoints ------------------------------------------------------------------


def test_checkpoints_are_batched_and_monotonic(db_session: so.Session, log: str) -> None:
    bulletin.append_many(db_session, log, _ballots(3))
    first = bulletin.issue_checkpoint(db_session, log, SIGNING, now=T0)
    assert first.size == 3
    bulletin.append_many(db_session, log, _ballots(2))
    # younger than the interval: the same checkpoint comes back
    again = bulletin.issue_checkpoint(db_session, log, SIGNING, now=T0 + dt.timedelta(seconds=0.5))
    assert again.note == first.note
    note = bulletin.latest_checkpoint_note(
        db_session, log, signing=SIGNING, now=T0 + dt.timedelta(seconds=0.9)
    )
    assert note == first.note
    # after the interval: a new one, of the whole tree
    later = T0 + dt.timedelta(seconds=1)
    note = bulletin.latest_checkpoint_note(db_session, log, signing=SIGNING, now=later)
    key = SIGNING.verifier_key(SIGNING.origin_for(log))
    checkpoint = verify_checkpoint(note, key)
    assert checkpoint.size == 5
    assert checkpoint.root_hash == bulletin.root_at(db_session, log, 5)
    # nothing new: no new checkpoint, however late
    same = bulletin.issue_checkpoint(db_session, log, SIGNING, now=later + dt.timedelta(hours=1))
    assert same.note == note
    old = bulletin.get_checkpoint(db_session, log, 3)
    proof = bulletin.consistency_proof(db_session, log, 3, 5)
    merkle.verify_consistency(3, 5, proof, old.root_hash, checkpoint.root_hash)
    audit_log(db_session, log)


def test_append_with_signing_checkpoints_opportunistically(
    db_session: so.Session, log: str
) -> None:
    bulletin.append(db_session, log, {"type": "open"}, signing=SIGNING)
    assert bulletin.get_checkpoint(db_session, log).size == 1
    bulletin.append(db_session, log, {"type": "ballot"}, signing=SIGNING)
    assert bulletin.get_checkpoint(db_session, log).size == 1  # within the interval
    with pytest.raises(NotFound, match="no checkpoint at 2"):
        bulletin.get_checkpoint(db_session, log, 2)


def test_first_checkpoint_of_an_empty_log(db_session: so.Session, log: str) -> None:
    with pytest.raises(NotFound, match="has no checkpoint"):
        bulletin.latest_checkpoint_note(db_session, log)
    note = bulletin.latest_checkpoint_note(db_session, log, signing=SIGNING, now=T0)
    checkpoint = verify_checkpoint(note, SIGNING.verifier_key(SIGNING.origin_for(log)))
    assert (checkpoint.size, checkpoint.root_hash) == (0, merkle.EMPTY_ROOT)


def test_receipts_verify_against_later_checkpoints(db_session: so.Session, log: str) -> None:
    key = SIGNING.verifier_key(SIGNING.origin_for(log))
    appended = bulletin.append_many(db_session, log, _ballots(7))
    early = bulletin.receipt_for(db_session, log, 6)
    assert early.checkpoint is None
    bulletin.issue_checkpoint(db_session, log, SIGNING, now=T0)
    receipt = bulletin.receipt_for(db_session, log, 6).to_json()
    assert receipt["leaf_hash"] == appended[6].leaf_hash.hex()
    bulletin.append_many(db_session, log, _ballots(9))
    final = bulletin.issue_checkpoint(db_session, log, SIGNING, now=T0 + dt.timedelta(seconds=2))
    proof = bulletin.consistency_proof(db_session, log, 7, final.size)
    assert verify_receipt(receipt, final.note, key, consistency_proof=proof).size == 16
    late_proof = bulletin.inclusion_proof(db_session, log, 6, 16)
    verify_receipt(early, final.note, key, inclusion_proof=late_proof)


def test_log_row_tampering_is_caught_by_the_audit(db_session: so.Session, log: str) -> None:
    bulletin.append_many(db_session, log, _ballots(9))
    db_session.execute(
        sa.update(LogNode).where(LogNode.level == 2, LogNode.idx == 1).values(hash=b"\x00" * 32)
    )
    db_session.commit()
    with pytest.raises(bulletin.LogCorrupted, match=r"level 2, index 1"):
        audit_log(db_session, log)


# --- the key file -------------------------------------------------------------------


@pytest.fixture()
def key_path(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "keys" / "log.key"


def test_key_file_is_created_private_and_reused(key_path: Path) -> None:
    with pytest.raises(LogKeyMissing, match="init-key"):  # never created unless asked to
        load_log_signing(key_path)
    assert not key_path.exists()
    first = load_log_signing(key_path, create=True)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert load_log_signing(key_path).seed == first.seed
    assert first.seed.hex() not in repr(first)
    assert list(key_path.parent.iterdir()) == [key_path]


def test_key_file_problems_are_refused(key_path: Path) -> None:
    load_log_signing(key_path, create=True)
    os.chmod(key_path, 0o644)
    with pytest.raises(LogKeyError, match="group or others"):
        load_log_signing(key_path)
    os.chmod(key_path, 0o600)
    key_path.write_text("not a key\n")
    with pytest.raises(LogKeyError, match="64 lowercase hex digits"):
        load_log_signing(key_path)
    with pytest.raises(LogKeyError, match="must contain"):
        load_log_signing(key_path, "urna.example/log")


# --- flask log ... ------------------------------------------------------------------


def test_log_commands(runner: FlaskCliRunner, db_session: so.Session) -> None:
    bulletin.create_log(db_session, NAME)
    bulletin.append_many(db_session, NAME, _ballots(5))
    key = runner.invoke(args=["log", "key", NAME])
    assert key.exit_code == 0 and key.output.startswith(f"urna.local/log/{NAME}+")
    note = runner.invoke(args=["log", "checkpoint", NAME])
    assert note.exit_code == 0
    assert verify_checkpoint(note.output, VerifierKey.parse(key.output.strip())).size == 5
    audit = runner.invoke(args=["log", "audit", NAME])
    assert audit.exit_code == 0 and "5 entries" in audit.output
    db_session.execute(sa.update(LogLeaf).where(LogLeaf.idx == 2).values(data=b'{"type":"x"}'))
    db_session.commit()
    audit = runner.invoke(args=["log", "audit", NAME])
    assert audit.exit_code == 1 and "leaf 2's hash is not the hash of its data" in audit.output


def test_migration_matches_the_models(app: Flask) -> None:
    tables = {"logs", "log_leaves", "log_nodes", "log_checkpoints"}
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert [d for d in differences if _table_of(d) in tables] == []


def _table_of(difference: object) -> str | None:
    if isinstance(difference, list):  # modify_* operations come as lists
        difference = difference[0]
    for item in difference:  # type: ignore[attr-defined]
        if isinstance(item, sa.Table):
            return item.name
        if isinstance(item, sa.Index | sa.UniqueConstraint | sa.ForeignKeyConstraint):
            return item.table.name
    name = difference[2]  # type: ignore[index]
    return name if isinstance(name, str) else None
