"""The published election record, built once and kept as immutable files (docs/record.md).

Building a record reads every log entry: O(record). So it is never done for
an anonymous request. :func:`build_record` writes the record of a
*published* vote day (whose log no longer grows) as a zip into
``<folder>/<vote day>/record-<sha256>.zip`` and points ``current.json`` at
it; the web application serves that file as it is (:func:`stored_record`
reads only the pointer). It runs at publication and again from the
scheduler, which rebuilds only when the final checkpoint has gathered new
witness cosignatures (a cheap comparison of the cosigned note).

A file, once written, never changes: a rebuild writes a new file with a new
name, then replaces the pointer atomically (``os.replace``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
import zipfile
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from voting.errors import NotFound
from voting.log import bulletin
from voting.log import witnesses
from voting.log.keys import LogSigning
from voting.models.session_types import DbSession
from voting.models.votedays import VoteDay
from voting.services.lifecycle import get_vote_day
from voting.services.record_export import CHECKPOINT
from voting.services.record_export import export_record

__all__ = [
    "RecordNotPublished",
    "StoredRecord",
    "build_record",
    "refresh_records",
    "stored_record",
]

POINTER = "current.json"


class RecordNotPublished(NotFound):
    """The vote day's record is not (yet) built: it is built when the results are published."""

    code = "record_not_published"


@dataclass(frozen=True)
class StoredRecord:
    """One built record file and what it holds."""

    vote_day: str
    file: str
    """The zip's file name, ``record-<sha256>.zip``, in the vote day's folder."""
    sha256: str
    """Of the zip's bytes: the HTTP entity tag."""
    size: int
    entries: int
    checkpoint_sha256: str
    """Of the cosigned checkpoint note inside: unchanged note, no rebuild."""
    witnesses_cosigned: int
    built_at: str

    def path(self, folder: Path) -> Path:
        return folder / self.vote_day / self.file


def stored_record(folder: Path, vote_day_id: str) -> StoredRecord:
    """The current built record of ``vote_day_id`` (reads only the small pointer file).

    Raises:
        RecordNotPublished: none is built (the vote day is not published, or
            the build has not run yet).
    """
    pointer = folder / vote_day_id / POINTER
    try:
        stored = StoredRecord(**json.loads(pointer.read_text()))
    except FileNotFoundError:
        raise RecordNotPublished(
            f"the record of {vote_day_id!r} is built when its results are published; until "
            f"then follow its log at /api/logs/{vote_day_id}/ or /observe/{vote_day_id}/log/",
            vote_day=vote_day_id,
        ) from None
    if not stored.path(folder).is_file():
        raise RecordNotPublished(
            f"the record file of {vote_day_id!r} is missing: an official runs "
            f"'flask record build {vote_day_id}'",
            vote_day=vote_day_id,
        )
    return stored


def build_record(
    session: DbSession,
    vote_day_id: str,
    folder: Path,
    *,
    signing: LogSigning,
    now: dt.datetime | None = None,
) -> StoredRecord:
    """Build the record of a published vote day, unless the stored one is still current.

    The stored record is current when it holds the log's latest checkpoint
    with the same witness cosignatures as now.

    Raises:
        VoteDayNotFound: no such vote day.
        RecordNotPublished: the vote day is not published (its log still grows).
    """
    vote_day = get_vote_day(session, vote_day_id)
    if vote_day.status != "published":
        raise RecordNotPublished(
            f"vote day {vote_day_id!r} is {vote_day.status}: its record is built once it is "
            "published",
            vote_day=vote_day_id,
        )
    try:
        current: StoredRecord | None = stored_record(folder, vote_day_id)
    except RecordNotPublished:
        current = None
    if current is not None and current.checkpoint_sha256 == _latest_note_sha256(
        session, vote_day_id
    ):
        return current
    return _write(session, vote_day_id, folder, signing=signing, now=now)


def refresh_records(
    session: DbSession, folder: Path, *, signing: LogSigning, now: dt.datetime | None = None
) -> list[str]:
    """(Re)build the record of every published vote day whose stored one is not current.

    Returns one line per record written.
    """
    done = []
    published = session.scalars(sa.select(VoteDay.id).where(VoteDay.status == "published"))
    for vote_day_id in list(published):
        try:
            before = stored_record(folder, vote_day_id).sha256
        except RecordNotPublished:
            before = None
        try:
            stored = build_record(session, vote_day_id, folder, signing=signing, now=now)
        except OSError as exc:  # a full disk must not stop the scheduler's other work
            session.rollback()
            done.append(f"could not build the record of {vote_day_id}: {exc}")
            continue
        if stored.sha256 != before:
            done.append(
                f"built the record of {vote_day_id}: {stored.entries} entries, "
                f"{stored.witnesses_cosigned} witnesses cosigned"
            )
    return done


def _latest_note_sha256(session: DbSession, vote_day_id: str) -> str | None:
    try:
        checkpoint = bulletin.get_checkpoint(session, vote_day_id)
    except NotFound:
        return None
    if checkpoint.size != bulletin.log_size(session, vote_day_id):
        return None  # the record would sign a new checkpoint first
    note = witnesses.cosigned_note(session, vote_day_id, checkpoint.note)
    return hashlib.sha256(note.encode()).hexdigest()


def _write(
    session: DbSession,
    vote_day_id: str,
    folder: Path,
    *,
    signing: LogSigning,
    now: dt.datetime | None,
) -> StoredRecord:
    home = folder / vote_day_id
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / f".build-{uuid.uuid4().hex}.zip"
    try:
        exported = export_record(session, vote_day_id, tmp, signing=signing, now=now)
        digest = _file_sha256(tmp)
        with zipfile.ZipFile(tmp) as archive:
            note_sha = hashlib.sha256(archive.read(CHECKPOINT)).hexdigest()
        stored = StoredRecord(
            vote_day=vote_day_id,
            file=f"record-{digest}.zip",
            sha256=digest,
            size=tmp.stat().st_size,
            entries=exported.entries,
            checkpoint_sha256=note_sha,
            witnesses_cosigned=exported.witnesses_cosigned,
            built_at=(now or dt.datetime.now(dt.UTC)).isoformat(),
        )
        os.replace(tmp, stored.path(folder))
    finally:
        tmp.unlink(missing_ok=True)
    pointer_tmp = home / f".{POINTER}.{uuid.uuid4().hex}"
    pointer_tmp.write_text(json.dumps(asdict(stored), indent=2) + "\n")
    os.replace(pointer_tmp, home / POINTER)
    for old in home.glob("record-*.zip"):
        if old.name != stored.file:
            old.unlink(missing_ok=True)  # a download in progress keeps its open file (POSIX)
    return stored


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
