"""Where the verifier's entries come from: the entry-source seam.

The verifier never holds the log's entries: it asks an :class:`EntrySource`
for them, in leaf order, as many times as it needs (twice: once to index,
once to verify the ballots), possibly starting in the middle when it resumes.
Two sources read the layout of docs/record.md today:

- :class:`DirectorySource`: ``entries.jsonl`` in a record directory;
- :class:`ZipSource`: ``entries.jsonl`` inside a record zip file (no size
  cap: zip64 archives and members of any size are streamed).

A third one (the log's C2SP tlog-tiles, from a URL or a directory of tiles)
plugs in by implementing the same two members; nothing else in the verifier
knows where bytes come from. A source only turns files into bytes: it checks
no hash and no signature (the Merkle tree over what it yields is checked
against the signed checkpoint, so a lying source is caught).

No entry may be longer than :data:`MAX_ENTRY_BYTES`: a hostile record cannot
make the verifier buffer an unbounded line; such a record is unusable.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from typing import Protocol
from typing import runtime_checkable

__all__ = [
    "MAX_ENTRY_BYTES",
    "DirectorySource",
    "EntrySource",
    "EntryTooLarge",
    "ZipSource",
]

MAX_ENTRY_BYTES = 64 << 20
"""The longest entry read (64 MiB): far above a ballot (≈10 KB) or a credential list part."""
_READ = 1 << 20


class EntryTooLarge(Exception):
    """An entry is longer than :data:`MAX_ENTRY_BYTES` (or the source is not line-framed)."""


@runtime_checkable
class EntrySource(Protocol):
    """The log's entries in leaf order: the seam between the verifier and the record's storage.

    ``entries(start, offset)`` yields ``(index, data)`` for leaves ``start``,
    ``start + 1``, … to the end, ``data`` being the exact bytes that were
    hashed. ``offset`` is a hint for resuming: the byte position of leaf
    ``start`` in ``entries.jsonl`` (the sum of ``len(data) + 1`` over the
    leaves before it), which the verifier tracks; a source that addresses
    leaves by index (tiles) ignores it. Each call starts a fresh pass.
    """

    description: str

    def entries(self, start: int = 0, offset: int = 0) -> Iterator[tuple[int, bytes]]: ...


def _lines(stream: IO[bytes], index: int, name: str) -> Iterator[tuple[int, bytes]]:
    """Split a stream on newlines without ever holding more than one entry and one read."""
    pending = bytearray()
    while True:
        block = stream.read(_READ)
        if not block:
            break
        start = 0
        while (end := block.find(b"\n", start)) >= 0:
            if pending:
                pending += block[start:end]
                line = bytes(pending)
                pending.clear()
            else:
                line = block[start:end]
            _bound(len(line), index, name)
            yield index, line
            index += 1
            start = end + 1
        pending += block[start:]
        _bound(len(pending), index, name)
    if pending:
        raise EntryTooLarge(f"{name} must end with a newline (one entry per line)")


def _bound(length: int, index: int, name: str) -> None:
    if length > MAX_ENTRY_BYTES:
        raise EntryTooLarge(
            f"entry {index} of {name} is longer than {MAX_ENTRY_BYTES} bytes: "
            "no log entry is that long"
        )


class DirectorySource:
    """``entries.jsonl`` of a record directory, read front to back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = str(path)

    def entries(self, start: int = 0, offset: int = 0) -> Iterator[tuple[int, bytes]]:
        with open(self.path, "rb") as stream:
            stream.seek(offset)
            yield from _lines(stream, start, self.description)


class ZipSource:
    """A member of a record zip file, decompressed as it is read (zip64 included)."""

    def __init__(self, archive: Path, member: str) -> None:
        self.archive, self.member = archive, member
        self.description = f"{archive}:{member}"

    def entries(self, start: int = 0, offset: int = 0) -> Iterator[tuple[int, bytes]]:
        with zipfile.ZipFile(self.archive) as archive, archive.open(self.member) as stream:
            if offset:
                stream.seek(offset)  # decompresses up to there: a zip has no index inside
            yield from _lines(stream, start, self.description)
