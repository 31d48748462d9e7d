"""Reading an election record: a directory or a zip with the layout of docs/record.md.

    record.json     {"format": "urna-record/1", "vote_day", "log": {"name", "origin", "size"}, ...}
    entries.jsonl   the log's entries in leaf order, one per line: the exact canonical
                    JSON bytes that were hashed, then a newline
    checkpoint.txt  the final checkpoint note with the witnesses' aggregate line
    log-key.txt     the log's verifier key (``<origin>+<hex key id>+<base64 key>``)
    witnesses.json  the witness roster: {"roster": name, "witnesses": [{"name",
                    "public_key", "proof_of_possession"}, ...]}

Instead of ``entries.jsonl``, the entries may come from C2SP tlog-tiles: a
record directory exported with ``--tiles`` holds ``checkpoint`` and ``tile/``,
or ``--tiles URL|DIR`` names a log's published tiles (docs/log.md, "Tiles").
The tile reader (:mod:`voting.tools.tiles`) checks them against their own
checkpoint with the log key (the user's ``--log-key``, else the record's) and
yields the first entries up to the record's checkpoint size
(:class:`TiledEntries`); tiles that do not make their checkpoint are an
:class:`UnusableRecord`.

Apart from the tiles, nothing here checks a signature or a hash: this module
only turns files into bytes and strings, and raises :class:`UnusableRecord`
(exit code 2) when a file is missing or cannot be read at all. The entries
are not read here: the record's
:class:`~voting.tools.verify.source.EntrySource` streams them, so a record of
any size can be verified. The four small files are read whole, up to
:data:`MAX_SMALL_FILE` bytes each.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crypto.errors import InvalidEncoding
from crypto.note import VerifierKey
from crypto.note import parse_checkpoint
from crypto.note import parse_note
from voting.tools.tiles import TiledLog
from voting.tools.tiles import TileError
from voting.tools.tiles import open_tiled_log
from voting.tools.verify.source import DirectorySource
from voting.tools.verify.source import EntrySource
from voting.tools.verify.source import ZipSource

__all__ = [
    "CHECKPOINT",
    "ENTRIES",
    "FORMAT",
    "LOG_KEY",
    "MAX_SMALL_FILE",
    "META",
    "WITNESSES",
    "RecordFiles",
    "UnusableRecord",
    "load_record",
]

FORMAT = "urna-record/1"
META = "record.json"
ENTRIES = "entries.jsonl"
CHECKPOINT = "checkpoint.txt"
LOG_KEY = "log-key.txt"
WITNESSES = "witnesses.json"
REQUIRED = (META, ENTRIES, CHECKPOINT, LOG_KEY, WITNESSES)
SMALL = (META, CHECKPOINT, LOG_KEY, WITNESSES)
MAX_SMALL_FILE = 64 << 20
"""record.json, checkpoint.txt, log-key.txt and witnesses.json: a few KB each in practice"""


class UnusableRecord(Exception):
    """The record cannot be read: a missing file, bad JSON or an unknown format."""


@dataclass(frozen=True)
class RecordFiles:
    """The files of a record, read but not yet verified."""

    meta: dict[str, Any]
    entries: EntrySource
    """each leaf's bytes, exactly as hashed (without the line's newline), streamed"""
    checkpoint: str
    log_key: str
    witnesses: dict[str, Any]


def load_record(
    path: str | Path, *, tiles: str | None = None, log_key: str | None = None
) -> RecordFiles:
    """Read a record directory or zip file (the entries from ``tiles`` if given).

    Raises:
        UnusableRecord: the path does not exist, a file is missing or unreadable,
            ``record.json`` or ``witnesses.json`` is not JSON, the format is
            unknown, or the tiles do not make their checkpoint or stop short.
    """
    path = Path(path)
    source: EntrySource | None = None
    if tiles is None and path.is_dir() and not (path / ENTRIES).exists():
        if (path / "tile").is_dir():
            tiles = str(path)  # a record exported as tiles
    required = [name for name in REQUIRED if tiles is None or name != ENTRIES]
    if path.is_dir():
        files = {name: _read_file(path / name) for name in SMALL}
        if tiles is None:
            if not (path / ENTRIES).is_file():
                raise UnusableRecord(f"the record has no {ENTRIES} ({path / ENTRIES})")
            source = DirectorySource(path / ENTRIES)
    elif path.is_file() and zipfile.is_zipfile(path):
        files, member = _read_zip(path, required)
        if member is not None:
            source = ZipSource(path, member)
    elif path.exists():
        raise UnusableRecord(f"{path} is neither a record directory nor a zip file")
    else:
        raise UnusableRecord(f"{path} does not exist")
    meta = _json(files[META], META)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UnusableRecord(f'{META} must be an object with "format": "{FORMAT}"')
    witnesses = _json(files[WITNESSES], WITNESSES)
    if not isinstance(witnesses, dict):
        raise UnusableRecord(f"{WITNESSES} must be a JSON object")
    checkpoint = _text(files[CHECKPOINT], CHECKPOINT)
    record_key = _text(files[LOG_KEY], LOG_KEY).strip()
    if tiles is not None:
        source = _tile_entries(tiles, log_key or record_key, checkpoint)
    if source is None:  # not reached: _read_zip requires entries.jsonl without tiles
        raise UnusableRecord(f"the record {path} has no {ENTRIES}")
    return RecordFiles(
        meta=meta,
        entries=source,
        checkpoint=checkpoint,
        log_key=record_key,
        witnesses=witnesses,
    )


class TiledEntries:
    """The entries of a log's tiles up to the record's checkpoint size: an
    :class:`~voting.tools.verify.source.EntrySource`. Each pass reads the
    tiles again, each entry checked against its leaf hash and every tile
    against the checkpoint by the tile reader; it addresses leaves by index,
    so the verifier's byte offset is ignored."""

    def __init__(self, log: TiledLog, size: int, location: str) -> None:
        self.log = log
        self.size = size
        self.description = f"the tiles at {location}"

    def entries(self, start: int = 0, offset: int = 0) -> Iterator[tuple[int, bytes]]:
        try:
            yield from self.log.entries(start=start, end=self.size)
        except TileError as exc:
            raise UnusableRecord(f"{self.description}: {type(exc).__name__}: {exc}") from exc


def _tile_entries(location: str, key_text: str, checkpoint: str) -> TiledEntries:
    """The first entries of the tiles at ``location``, as many as the record's checkpoint covers."""
    try:
        key = VerifierKey.parse(key_text)
        size = parse_checkpoint(parse_note(checkpoint).text).size
    except InvalidEncoding as exc:
        raise UnusableRecord(f"cannot read tiles without a log key and checkpoint: {exc}") from exc
    try:
        log = open_tiled_log(location, key)
        if log.size < size:
            raise UnusableRecord(
                f"the tiles at {location} stop at {log.size} entries; "
                f"the record's checkpoint has {size}"
            )
        return TiledEntries(log, size, location)
    except TileError as exc:
        raise UnusableRecord(f"the tiles at {location}: {type(exc).__name__}: {exc}") from exc


def _read_file(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_SMALL_FILE:
            raise UnusableRecord(f"{path} is larger than {MAX_SMALL_FILE} bytes")
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise UnusableRecord(f"the record has no {path.name} ({path})") from exc
    except OSError as exc:
        raise UnusableRecord(f"cannot read {path}: {exc.strerror}") from exc


def _read_zip(path: Path, required: list[str]) -> tuple[dict[str, bytes], str | None]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = {Path(n).name: n for n in archive.namelist() if not n.endswith("/")}
            missing = [name for name in required if name not in names]
            if missing:
                raise UnusableRecord(f"the zip file {path} has no {', '.join(missing)}")
            for name in SMALL:
                if archive.getinfo(names[name]).file_size > MAX_SMALL_FILE:
                    raise UnusableRecord(f"{name} in {path} is larger than {MAX_SMALL_FILE} bytes")
            return {name: archive.read(names[name]) for name in SMALL}, names.get(ENTRIES)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnusableRecord(f"cannot read the zip file {path}: {exc}") from exc


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnusableRecord(f"{name} is not valid JSON: {exc}") from exc


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnusableRecord(f"{name} is not UTF-8 text") from exc
