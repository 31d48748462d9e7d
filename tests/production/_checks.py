"""What must hold of a log after any load or crash (issue 8: no ballot lost or doubled).

Checked from the database through the services and, independently, by
recomputing every hash from the entries' bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from crypto import merkle
from crypto.note import verify_checkpoint
from crypto.receipt import Receipt
from voting.log import bulletin
from voting.log.audit import audit_log
from voting.log.keys import LogSigning
from voting.models.elections import CastBallot
from voting.services.record_export import export_record

ROOT = Path(__file__).resolve().parents[2]


def all_entries(session: so.Session, name: str) -> list[bulletin.Entry]:
    size = bulletin.log_size(session, name)
    entries: list[bulletin.Entry] = []
    for start in range(0, size, bulletin.MAX_PAGE):
        entries += bulletin.get_entries(session, name, start, min(size, start + bulletin.MAX_PAGE))
    return entries


def check_log(
    session: so.Session,
    name: str,
    signing: LogSigning,
    receipts: Iterable[dict[str, Any]],
    credentials: dict[str, int],
) -> list[bulletin.Entry]:
    """Every receipted ballot is on the log once, at its index; nothing is half-stored.

    Args:
        receipts: the receipt JSON of every 201 answer.
        credentials: hex public credential → voter number, of every voter who
            may have cast (each cast one ballot, maybe retried).
    """
    session.rollback()  # a fresh snapshot: the server processes wrote the rows
    entries = all_entries(session, name)
    # (1) every stored hash is recomputed from the leaves' data; checkpoints match.
    report = audit_log(session, name)
    assert report.size == len(entries)
    leaves = [merkle.leaf_hash(e.data) for e in entries]
    assert leaves == [e.leaf_hash for e in entries]
    assert [e.index for e in entries] == list(range(len(entries)))
    # (2) the latest checkpoint is signed by the log key and commits to these entries.
    latest = bulletin.get_checkpoint(session, name)
    key = signing.verifier_key(bulletin.log_origin(session, name))
    checkpoint = verify_checkpoint(latest.note, key)
    assert checkpoint.root_hash == merkle.root_hash(leaves[: checkpoint.size])
    # (3) ballots: each credential once, only registered credentials, index rows match.
    ballots = {e.index: e for e in entries if e.record["type"] == "ballot"}
    owners = Counter(e.record["ballot"]["credential"] for e in ballots.values())
    doubled = {c: n for c, n in owners.items() if n > 1}
    assert doubled == {}, f"credentials with more than one ballot on the log: {doubled}"
    assert set(owners) <= set(credentials)
    rows = session.execute(
        sa.select(CastBallot.leaf_index, CastBallot.leaf_hash, CastBallot.credential).where(
            CastBallot.vote_day_id == name
        )
    ).all()
    stored = {r.leaf_index: (r.leaf_hash, r.credential) for r in rows}
    assert len(stored) == len(rows), "two index rows name the same leaf"
    on_log = {i: (e.leaf_hash.hex(), e.record["ballot"]["credential"]) for i, e in ballots.items()}
    assert stored == on_log, "a ballot is half-stored: index rows and log leaves differ"
    # (4) every receipt names its ballot's leaf, and no index was handed out twice.
    receipts = [Receipt.from_json(r) for r in receipts]
    indexes = Counter(r.index for r in receipts)
    assert all(n == 1 for n in indexes.values()), "an index was given to two receipts"
    for receipt in receipts:
        assert receipt.log == name
        assert receipt.index in ballots, f"receipted ballot {receipt.index} is not on the log"
        assert ballots[receipt.index].leaf_hash == receipt.leaf_hash
    return entries


def verify_record(session: so.Session, name: str, signing: LogSigning, path: Path) -> str:
    """Export the record and run the independent verifier on it; returns its output.

    The log key is given as the voters would have it (not read from the record);
    these tests run no witnesses (``--witnesses 0``).
    """
    export_record(session, name, path, signing=signing, now=dt.datetime.now(dt.UTC))
    key = str(signing.verifier_key(bulletin.log_origin(session, name)))
    command = [sys.executable, "-m", "voting.tools.verify", str(path), "--json", "--no-progress"]
    command += ["--log-key", key, "--witnesses", "0", "--jobs", "2"]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"the verifier refused the record:\n{result.stdout[-3000:]}"
    assert json.loads(result.stdout)["valid"] is True
    return result.stdout
