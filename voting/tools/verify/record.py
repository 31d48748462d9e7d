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
reads the first entries up to the record's checkpoint size; tiles that do
not make their checkpoint are an :class:`UnusableRecord`.

Apart from the tiles, nothing here checks a signature or a hash: this module
only turns files into bytes and strings, and raises :class:`UnusableRecord`
(exit code 2) when a file is missing or cannot be read at all.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crypto.errors import InvalidEncoding
from crypto.note import VerifierKey
from crypto.note import parse_checkpoint
from crypto.note import parse_note
from voting.tools.tiles import TileError
from voting.tools.tiles import open_tiled_log

__all__ = [
    "CHECKPOINT",
    "ENTRIES",
    "FORMAT",
    "LOG_KEY",
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
MAX_FILE_BYTES = 4 << 30


class UnusableRecord(Exception):
    """The record cannot be read: a missing file, bad JSON or an unknown format."""


@dataclass(frozen=True)
class RecordFiles:
    """The files of a record, read but not yet verified."""

    meta: dict[str, Any]
    entries: tuple[bytes, ...]
    """each leaf's bytes, exactly as hashed (without the line's newline)"""
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
    if tiles is None and path.is_dir() and not (path / ENTRIES).exists():
        if (path / "tile").is_dir():
            tiles = str(path)  # a record exported as tiles
    required = [name for name in REQUIRED if tiles is None or name != ENTRIES]
    if path.is_dir():
        files = {name: _read_file(path / name) for name in required}
    elif path.is_file() and zipfile.is_zipfile(path):
        files = _read_zip(path, required)
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
    if tiles is None:
        entries = _split_entries(files[ENTRIES])
    else:
        entries = _tile_entries(tiles, log_key or record_key, checkpoint)
    return RecordFiles(
        meta=meta,
        entries=entries,
        checkpoint=checkpoint,
        log_key=record_key,
        witnesses=witnesses,
    )


def _tile_entries(location: str, key_text: str, checkpoint: str) -> tuple[bytes, ...]:
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
        return tuple(entry for _, entry in log.entries(end=size))
    except TileError as exc:
        raise UnusableRecord(f"the tiles at {location}: {type(exc).__name__}: {exc}") from exc


def _read_file(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UnusableRecord(f"{path} is larger than {MAX_FILE_BYTES} bytes")
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise UnusableRecord(f"the record has no {path.name} ({path})") from exc
    except OSError as exc:
        raise UnusableRecord(f"cannot read {path}: {exc.strerror}") from exc


def _read_zip(path: Path, required: list[str]) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = {Path(n).name: n for n in archive.namelist() if not n.endswith("/")}
            missing = [name for name in required if name not in names]
            if missing:
                raise UnusableRecord(f"the zip file {path} has no {', '.join(missing)}")
            return {name: archive.read(names[name]) for name in required}
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


def _split_entries(data: bytes) -> tuple[bytes, ...]:
    if not data:
        return ()
    if not data.endswith(b"\n"):
        raise UnusableRecord(f"{ENTRIES} must end with a newline (one entry per line)")
    return tuple(data[:-1].split(b"\n"))
