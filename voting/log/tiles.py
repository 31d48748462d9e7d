"""Publishing a log as C2SP tlog-tiles: static, immutable files (docs/log.md, "Tiles").

The tiles are written from committed leaves, never inside an append: a
publishing step (``flask log tiles``) reads the latest stored checkpoint,
writes the hash tiles and entry bundles that the growth since the last
published checkpoint added (:func:`crypto.tiles.tiles_to_publish`), then
replaces ``checkpoint``. A full tile is written once and never changed; a
tile path that exists with other bytes stops the step (:class:`TileConflict`).
Files are written aside, fsynced and renamed into place, so a reader (or a
CDN) never sees half a file, and the checkpoint is replaced only once every
tile it covers is durable.

One directory per log: ``<folder>/<log name>/checkpoint`` and
``<folder>/<log name>/tile/...``. Two publishers of one directory are
serialised by a lock file, so the checkpoint never goes back.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from crypto.errors import InvalidEncoding
from crypto.note import parse_checkpoint
from crypto.note import parse_note
from crypto.tiles import HEIGHT
from crypto.tiles import MalformedTile
from crypto.tiles import Tile
from crypto.tiles import encode_entry_bundle
from crypto.tiles import tiles_to_publish
from voting.errors import Conflict
from voting.errors import InvalidRequest
from voting.log import _tree as tree
from voting.log import bulletin
from voting.log import witnesses
from voting.log._tree import LogCorrupted
from voting.models.log import Log
from voting.models.log import LogCheckpoint
from voting.models.log import LogLeaf
from voting.models.log import LogNode
from voting.models.session_types import DbSession

__all__ = [
    "CHECKPOINT",
    "PublishedTiles",
    "TileConflict",
    "logs_with_checkpoints",
    "publish_tiles",
    "tile_files",
]

CHECKPOINT = "checkpoint"
_LOCK = ".publish.lock"


class TileConflict(Conflict):
    """The tile directory holds other bytes at a path, or a checkpoint of another tree."""

    code = "tile_conflict"


@dataclass(frozen=True)
class PublishedTiles:
    """What one publishing step did."""

    log: str
    directory: Path
    old_size: int
    size: int
    files_written: int


def tile_files(
    session: DbSession, name: str, old_size: int, new_size: int
) -> Iterator[tuple[str, bytes]]:
    """``(path, bytes)`` of every tile and entry bundle new between the two sizes.

    Hashes are read from the stored leaves and subtree hashes (one range
    query per tile).

    Raises:
        InvalidRequest: the sizes do not fit the log.
        MalformedTile: an entry is longer than an entry bundle allows (65,535 bytes).
        LogCorrupted: a stored leaf or subtree hash is missing.
    """
    state = tree.read_log(session, name)
    if not 0 <= old_size <= new_size <= state.size:
        raise InvalidRequest(f"tiles from size {old_size} to {new_size} do not fit log {name!r}")
    for tile in tiles_to_publish(old_size, new_size):
        if tile.level == 0:
            rows = _leaves(session, state.id, tile)
            yield tile.path, b"".join(row[1] for row in rows)
            try:
                yield tile.entries_path, encode_entry_bundle([row[2] for row in rows])
            except MalformedTile as exc:
                raise MalformedTile(f"log {name!r}, tile {tile.entries_path}: {exc}") from exc
        else:
            yield tile.path, b"".join(row[1] for row in _nodes(session, state.id, tile))


def _leaves(session: DbSession, log_id: int, tile: Tile) -> list[sa.Row]:
    stmt = (
        sa.select(LogLeaf.idx, LogLeaf.leaf_hash, LogLeaf.data)
        .where(LogLeaf.log_id == log_id, LogLeaf.idx >= tile.first)
        .where(LogLeaf.idx < tile.first + tile.width)
        .order_by(LogLeaf.idx)
    )
    return _complete(list(session.execute(stmt)), tile)


def _nodes(session: DbSession, log_id: int, tile: Tile) -> list[sa.Row]:
    stmt = (
        sa.select(LogNode.idx, LogNode.hash)
        .where(LogNode.log_id == log_id, LogNode.level == HEIGHT * tile.level)
        .where(LogNode.idx >= tile.first, LogNode.idx < tile.first + tile.width)
        .order_by(LogNode.idx)
    )
    return _complete(list(session.execute(stmt)), tile)


def _complete(rows: list[sa.Row], tile: Tile) -> list[sa.Row]:
    if [row[0] for row in rows] != list(range(tile.first, tile.first + tile.width)):
        raise LogCorrupted(
            f"stored hashes of {tile.path} are missing ({len(rows)} of {tile.width})"
        )
    return rows


def publish_tiles(session: DbSession, name: str, folder: str | Path) -> PublishedTiles:
    """Bring ``<folder>/<name>/`` up to the log's latest checkpoint.

    Writes the tiles the growth added, then the checkpoint (with the
    witnesses' cosignatures gathered so far). Idempotent: run it as often as
    you like, from any number of processes.

    Raises:
        NotFound: the log has no checkpoint yet.
        TileConflict: the directory holds a checkpoint this log never signed
            at its size (another log's or another database's tiles), or a
            tile with other bytes.
        LogCorrupted, MalformedTile: see :func:`tile_files`.
    """
    directory = Path(folder) / name
    directory.mkdir(parents=True, exist_ok=True)
    with _publish_lock(directory):
        stored = bulletin.get_checkpoint(session, name)
        old_size = _published_size(session, name, directory, stored.size)
        written = 0
        for path, data in tile_files(session, name, old_size, stored.size):
            written += _write_once(directory / path, data)
        note = witnesses.cosigned_note(session, name, stored.note)
        _write(directory / CHECKPOINT, note.encode())
        session.rollback()  # end the read transaction: nothing was written to the database
    return PublishedTiles(name, directory, old_size, stored.size, written + 1)


def logs_with_checkpoints(session: DbSession) -> list[str]:
    """The names of the logs that have a checkpoint (what there is to publish), by name."""
    names = session.scalars(
        sa.select(Log.name)
        .where(sa.exists().where(LogCheckpoint.log_id == Log.id))
        .order_by(Log.name)
    ).all()
    session.rollback()  # end the read transaction
    return list(names)


def _published_size(session: DbSession, name: str, directory: Path, latest: int) -> int:
    """The size of the published checkpoint, checked to be this log's (0 if none)."""
    path = directory / CHECKPOINT
    if not path.exists():
        return 0
    try:
        checkpoint = parse_checkpoint(parse_note(path.read_bytes()).text)
    except (InvalidEncoding, UnicodeDecodeError) as exc:
        raise TileConflict(f"{path} is not a checkpoint: {exc}") from exc
    origin = bulletin.log_origin(session, name)
    if checkpoint.origin != origin or checkpoint.size > latest:
        raise TileConflict(
            f"{path} is a checkpoint of {checkpoint.origin} at size {checkpoint.size}, not of "
            f"log {name!r} ({origin}, {latest} entries checkpointed): publish to another folder"
        )
    if bulletin.root_at(session, name, checkpoint.size) != checkpoint.root_hash:
        raise TileConflict(
            f"{path} holds another tree than log {name!r} at size {checkpoint.size}: "
            "publish to another folder"
        )
    return checkpoint.size


def _write_once(path: Path, data: bytes) -> int:
    """Write an immutable file; 0 if it is there already with these bytes."""
    try:
        existing = path.read_bytes()
    except FileNotFoundError:
        _write(path, data)
        return 1
    if existing != data:
        raise TileConflict(f"{path} exists with other bytes: tiles are never rewritten")
    return 0


def _write(path: Path, data: bytes) -> None:
    """Write aside, fsync, then rename into place (readers see the old or the new file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(aside, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(aside, path)


@contextmanager
def _publish_lock(directory: Path) -> Iterator[None]:
    with open(directory / _LOCK, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
