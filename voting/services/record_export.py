"""Writing a vote day's election record: the log, its final cosigned checkpoint, keys.

The record (docs/record.md, "The record directory") is everything an
observer needs to re-check a vote day with ``python -m voting.verify``: every
log entry in leaf order with its exact bytes, the final checkpoint with the
witnesses' aggregate cosignature, the witness roster with the proofs of
possession, and the log's verifier key. It is written as a directory, or as
a zip file when the path ends in ``.zip``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from typing import Any

from crypto.note import parse_checkpoint
from crypto.note import parse_note
from crypto.witness import AggregateCosignature
from voting.errors import Conflict
from voting.errors import InvalidRequest
from voting.log import bulletin
from voting.log import cosigners
from voting.log import witnesses
from voting.log.keys import LogSigning
from voting.log.tiles import CHECKPOINT as TILES_CHECKPOINT
from voting.log.tiles import tile_files
from voting.models.session_types import DbSession
from voting.services.lifecycle import get_vote_day

__all__ = ["ExportedRecord", "export_record"]

FORMAT = "urna-record/1"
META, ENTRIES, CHECKPOINT, LOG_KEY, WITNESSES = (
    "record.json",
    "entries.jsonl",
    "checkpoint.txt",
    "log-key.txt",
    "witnesses.json",
)


@dataclass(frozen=True)
class ExportedRecord:
    """What was written."""

    path: Path
    entries: int
    witnesses_cosigned: int
    status: str


def export_record(
    session: DbSession,
    vote_day_id: str,
    path: str | Path,
    *,
    signing: LogSigning,
    now: dt.datetime | None = None,
    tiles: bool = False,
) -> ExportedRecord:
    """Write the record of ``vote_day_id`` to ``path`` (a new directory, or ``*.zip``).

    A checkpoint covering every entry is signed first if the latest does not.
    With ``tiles``, the entries are written as C2SP tlog-tiles (``checkpoint``
    and ``tile/``, docs/log.md "Tiles") instead of ``entries.jsonl``; such a
    record is a directory.

    Raises:
        VoteDayNotFound: no such vote day.
        Conflict: ``path`` exists (and is not an empty directory).
        InvalidRequest: the vote day has no log yet.
    """
    vote_day = get_vote_day(session, vote_day_id)
    path = Path(path)
    if tiles and path.suffix.lower() == ".zip":
        raise InvalidRequest("a record with tiles is a directory: give a path without .zip")
    if path.exists() and not (path.is_dir() and not any(path.iterdir())):
        raise Conflict(f"{path} exists: choose a new directory or zip file name")
    try:
        origin = bulletin.log_origin(session, vote_day_id)
    except bulletin.LogNotFound as exc:
        raise InvalidRequest(f"vote day {vote_day_id!r} has no log yet") from exc
    bulletin.issue_checkpoint(session, vote_day_id, signing, interval=dt.timedelta(0), now=now)
    note = witnesses.cosigned_note(
        session, vote_day_id, bulletin.get_checkpoint(session, vote_day_id).note
    )
    size = parse_checkpoint(parse_note(note).text).size
    roster = _roster(session, vote_day_id)
    meta = {
        "format": FORMAT,
        "vote_day": vote_day_id,
        "status": vote_day.status,
        "log": {"name": vote_day_id, "origin": origin, "size": size},
        "exported_at": (now or dt.datetime.now(dt.UTC)).isoformat(),
    }
    files = {
        CHECKPOINT: note.encode(),
        LOG_KEY: (str(signing.verifier_key(origin)) + "\n").encode(),
        WITNESSES: _json(roster),
    }
    with _writer(path) as write:
        if tiles:
            for name, data in tile_files(session, vote_day_id, 0, size):
                write(name, iter([data]))
            write(TILES_CHECKPOINT, iter([note.encode()]))
            digests = {}
        else:
            digests = {ENTRIES: write(ENTRIES, _entries(session, vote_day_id, size))}
        for name, data in files.items():
            write(name, iter([data]))
        meta["sha256"] = digests | {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}
        write(META, iter([_json(meta)]))
    cosigned = _cosigners(note, roster)
    return ExportedRecord(path, size, cosigned, vote_day.status)


def _roster(session: DbSession, vote_day_id: str) -> dict[str, Any]:
    log = witnesses.get_log(session, vote_day_id)
    return {
        "roster": witnesses.roster_name(log),
        "witnesses": [
            {
                "name": w.name,
                "public_key": w.public_key.hex(),
                "proof_of_possession": w.proof_of_possession.hex(),
            }
            for w in witnesses.list_witnesses(session, log)
        ],
        "cosigners": [
            {"name": c.name, "vkey": cosigners.cosigner_key(c).vkey(), "url": c.url}
            for c in cosigners.list_cosigners(session, log)
        ],
    }


def _cosigners(note: str, roster: dict[str, Any]) -> int:
    """BLS witnesses in the aggregate line plus the C2SP witnesses' lines (as stored)."""
    listed = {c["name"] for c in roster["cosigners"]}
    count = 0
    for sig in parse_note(note).signatures:
        if sig.name == roster["roster"]:
            count += len(AggregateCosignature.from_payload(sig.signature).signers)
        elif sig.name in listed:
            count += 1
    return count


def _entries(session: DbSession, vote_day_id: str, size: int) -> Iterator[bytes]:
    for start in range(0, size, bulletin.MAX_PAGE):
        end = min(size, start + bulletin.MAX_PAGE)
        for entry in bulletin.get_entries(session, vote_day_id, start, end):
            if b"\n" in entry.data:  # canonical JSON escapes newlines; never expected
                raise bulletin.LogCorrupted(f"entry {entry.index} contains a raw newline")
            yield entry.data + b"\n"


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


@contextmanager
def _writer(path: Path) -> Iterator[Any]:
    """``write(name, chunks) -> sha256 hex`` into a directory or a zip, all or nothing."""
    if path.suffix.lower() == ".zip":
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:

                def write_zip(name: str, chunks: Iterator[bytes]) -> str:
                    with archive.open(name, "w") as fh:
                        return _copy(chunks, fh)

                yield write_zip
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return
    path.mkdir(parents=True, exist_ok=True)

    def write_file(name: str, chunks: Iterator[bytes]) -> str:
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        with open(path / name, "wb") as fh:
            return _copy(chunks, fh)

    yield write_file


def _copy(chunks: Iterator[bytes], fh: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
        fh.write(chunk)
    return digest.hexdigest()
