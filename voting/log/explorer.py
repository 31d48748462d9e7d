"""What the observers' log explorer shows: checkpoints with their cosigners, entry summaries.

DESIGN.md section 5. Read-only views of the bulletin board (:mod:`voting.log.bulletin`)
and of the witnesses' cosignatures (:mod:`voting.log.witnesses`): the
checkpoints newest first, each with its signed note as served (the log's
signature and the witnesses' aggregate line) and the names of the witnesses
that cosigned it; and a page of entries with their record type.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa

from voting.log import bulletin
from voting.log import cosigners as c2sp
from voting.log import witnesses
from voting.models.log import Log
from voting.models.log import LogCheckpoint
from voting.models.session_types import DbSession
from voting.models.witness import LogWitness
from voting.models.witness import WitnessCosignature

__all__ = [
    "CheckpointView",
    "EntrySummary",
    "checkpoint_at",
    "checkpoints",
    "entry_summaries",
    "witness_roster",
]

CHECKPOINTS_PER_PAGE = 20


@dataclass(frozen=True)
class CheckpointView:
    size: int
    root_hash: str
    created_at: dt.datetime
    note: str
    """The signed note with the witnesses' aggregate cosignature line, if any."""
    cosigners: list[str]


@dataclass(frozen=True)
class EntrySummary:
    index: int
    leaf_hash: str
    type: str
    bytes: int


def _log(session: DbSession, name: str) -> Log:
    return witnesses.get_log(session, name)


def _view(session: DbSession, name: str, row: LogCheckpoint) -> CheckpointView:
    cosigners = session.scalars(
        sa.select(LogWitness.name)
        .join(WitnessCosignature, WitnessCosignature.witness_id == LogWitness.id)
        .where(WitnessCosignature.checkpoint_id == row.id)
        .order_by(LogWitness.position)
    ).all()
    cosigners = [*cosigners, *c2sp.cosigned_by(session, row.id)]
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
    note = witnesses.cosigned_note(session, name, row.note) if cosigners else row.note
    return CheckpointView(row.size, row.root_hash.hex(), created, note, list(cosigners))


def checkpoints(
    session: DbSession, name: str, *, below: int | None = None, limit: int = CHECKPOINTS_PER_PAGE
) -> list[CheckpointView]:
    """The log's checkpoints, newest (largest) first; with ``below``, those smaller than it.

    Raises:
        NotFound: no such log.
    """
    log = _log(session, name)
    query = sa.select(LogCheckpoint).where(LogCheckpoint.log_id == log.id)
    if below is not None:
        query = query.where(LogCheckpoint.size < below)
    rows = session.scalars(query.order_by(LogCheckpoint.size.desc()).limit(limit)).all()
    return [_view(session, name, row) for row in rows]


def checkpoint_at(session: DbSession, name: str, size: int) -> CheckpointView:
    """The checkpoint of ``size``.

    Raises:
        NotFound: no such log or checkpoint.
    """
    log = _log(session, name)
    bulletin.get_checkpoint(session, name, size)  # raises NotFound
    row = session.scalars(
        sa.select(LogCheckpoint).where(LogCheckpoint.log_id == log.id, LogCheckpoint.size == size)
    ).one()
    return _view(session, name, row)


def entry_summaries(session: DbSession, name: str, start: int, end: int) -> list[EntrySummary]:
    """Entries ``[start, end)`` (at most :data:`bulletin.MAX_PAGE`) with their record type."""
    found = bulletin.get_entries(session, name, start, end)
    return [
        EntrySummary(e.index, e.leaf_hash.hex(), _record_type(e.data), len(e.data)) for e in found
    ]


def _record_type(data: bytes) -> str:
    try:
        record = json.loads(data)
    except ValueError:
        return "?"
    kind = record.get("type") if isinstance(record, dict) else None
    return kind if isinstance(kind, str) else "?"


def witness_roster(session: DbSession, name: str) -> list[LogWitness]:
    """The log's registered witnesses, in roster order."""
    return witnesses.list_witnesses(session, _log(session, name))
