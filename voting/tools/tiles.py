"""Reading a log published as C2SP tlog-tiles, from a URL or a directory (docs/log.md, "Tiles").

For the parties' tools (verifier, witness follower): no Flask, no database.
The tiles may come from anywhere (a CDN, a mirror, a copied folder); nothing
they say is believed until checked against the checkpoint, whose signature is
checked with the log key *the user gives*:

1. ``checkpoint`` must carry a valid signature by that key (:class:`CheckpointRefused`);
2. the rightmost tile of every level must hash to the checkpoint's root
   (:class:`RootMismatch`: a checkpoint of another tree, or tampered edge tiles);
3. every full tile must hash to its entry in the tile one level up
   (:class:`TileMismatch`);
4. every entry must hash to its leaf hash in the level-0 tile
   (:class:`EntryMismatch`);
5. a tile or bundle that is missing is :class:`TileMissing` (a directory or
   a server that stops short); one that is too long or malformed is
   :class:`TileMalformed`.

:meth:`TiledLog.entries` yields ``(index, entry bytes)`` in order with
O(log n) memory: one tile per level is kept at a time. :meth:`TiledLog.consistency_proof`
computes an RFC 9162 consistency proof from the tiles, for a witness that
follows the log.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Protocol

from crypto import merkle
from crypto.errors import InvalidEncoding
from crypto.errors import InvalidSignature
from crypto.note import Checkpoint
from crypto.note import VerifierKey
from crypto.note import verify_checkpoint
from crypto.tiles import HEIGHT
from crypto.tiles import MAX_ENTRY_BYTES
from crypto.tiles import WIDTH
from crypto.tiles import MalformedTile
from crypto.tiles import Tile
from crypto.tiles import decode_entry_bundle
from crypto.tiles import edge_tiles
from crypto.tiles import root_from_edge_tiles
from crypto.tiles import split_hashes
from crypto.tiles import tile_root

__all__ = [
    "CheckpointRefused",
    "EntryMismatch",
    "RootMismatch",
    "TileError",
    "TileMalformed",
    "TileMismatch",
    "TileMissing",
    "TiledLog",
    "open_source",
    "open_tiled_log",
]

MAX_CHECKPOINT_BYTES = 1 << 20
MAX_BUNDLE_BYTES = WIDTH * (2 + MAX_ENTRY_BYTES)


class TileError(Exception):
    """The tiles do not make the log the checkpoint signs."""


class TileMissing(TileError):
    """A file the checkpoint's size requires is not there (or could not be fetched)."""


class TileMalformed(TileError):
    """A file has the wrong length or format."""


class CheckpointRefused(TileError):
    """The checkpoint is malformed or not signed by the log key you gave."""


class RootMismatch(TileError):
    """The tiles make another tree than the checkpoint's (its root differs)."""


class TileMismatch(TileError):
    """A full hash tile does not hash to its entry in the tile above."""


class EntryMismatch(TileError):
    """An entry of a bundle does not hash to its leaf hash in the level-0 tile."""


class TileSource(Protocol):
    """Where the files are: ``fetch("tile/0/000", limit)`` returns at most ``limit`` bytes."""

    def fetch(self, path: str, limit: int) -> bytes: ...

    def __str__(self) -> str: ...


@dataclass(frozen=True)
class DirectorySource:
    root: Path

    def fetch(self, path: str, limit: int) -> bytes:
        try:
            with open(self.root / path, "rb") as fh:
                data = fh.read(limit + 1)
        except FileNotFoundError as exc:
            raise TileMissing(f"{self.root / path} is missing") from exc
        except OSError as exc:
            raise TileMissing(f"cannot read {self.root / path}: {exc.strerror}") from exc
        return _limited(data, limit, path)

    def __str__(self) -> str:
        return str(self.root)


@dataclass(frozen=True)
class HttpSource:
    base: str
    timeout: float = 30.0

    def fetch(self, path: str, limit: int) -> bytes:
        url = f"{self.base.rstrip('/')}/{path}"
        request = urllib.request.Request(url, headers={"User-Agent": "urna-tiles/1"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                data = response.read(limit + 1)
        except urllib.error.HTTPError as exc:
            raise TileMissing(f"GET {url} answered {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise TileMissing(f"GET {url} failed: {exc}") from exc
        return _limited(data, limit, path)

    def __str__(self) -> str:
        return self.base


def _limited(data: bytes, limit: int, path: str) -> bytes:
    if len(data) > limit:
        raise TileMalformed(f"{path} is longer than {limit} bytes")
    return data


def open_source(location: str | Path) -> TileSource:
    """A URL (``http://``, ``https://``) or a directory holding ``checkpoint`` and ``tile/``."""
    text = str(location)
    if text.startswith(("http://", "https://")):
        return HttpSource(text)
    return DirectorySource(Path(text))


def open_tiled_log(location: str | Path | TileSource, key: VerifierKey) -> TiledLog:
    """Fetch and verify the checkpoint, and check the edge tiles against its root.

    Raises:
        CheckpointRefused, RootMismatch, TileMissing, TileMalformed.
    """
    source = location if not isinstance(location, str | Path) else open_source(location)
    raw = source.fetch("checkpoint", MAX_CHECKPOINT_BYTES)
    try:
        note = raw.decode("utf-8")
        checkpoint = verify_checkpoint(note, key)
    except (UnicodeDecodeError, InvalidEncoding, InvalidSignature) as exc:
        raise CheckpointRefused(f"the checkpoint of {source} is refused: {exc}") from exc
    log = TiledLog(source, checkpoint, note)
    log.check_root()
    return log


@dataclass
class TiledLog:
    """A log read from tiles, at the size of its verified checkpoint."""

    source: TileSource
    checkpoint: Checkpoint
    note: str
    _edge: dict[int, list[bytes]] = field(default_factory=dict)
    _verified: dict[int, tuple[int, list[bytes]]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.checkpoint.size

    def check_root(self) -> None:
        """The rightmost tile of every level must make the checkpoint's root."""
        tiles = edge_tiles(self.size)
        hashes = [self._fetch_hashes(tile) for tile in tiles]
        if root_from_edge_tiles(self.size, hashes) != self.checkpoint.root_hash:
            raise RootMismatch(
                f"the tiles of {self.source} make another tree than the checkpoint of size "
                f"{self.size} (its root differs): a checkpoint of another tree, or tampered tiles"
            )
        self._edge = {tile.level: h for tile, h in zip(tiles, hashes, strict=True)}

    def _fetch_hashes(self, tile: Tile) -> list[bytes]:
        data = self.source.fetch(tile.path, tile.width * merkle.HASH_SIZE)
        try:
            return split_hashes(data, tile)
        except MalformedTile as exc:
            raise TileMalformed(str(exc)) from exc

    def _tile(self, level: int, index: int) -> Tile:
        count = self.size >> (HEIGHT * level)
        return Tile(level, index, min(WIDTH, count - index * WIDTH))

    def hashes(self, level: int, index: int) -> list[bytes]:
        """The verified hashes of tile ``(level, index)`` at the checkpoint's size."""
        tile = self._tile(level, index)
        if not tile.full:
            return self._edge[level]
        cached = self._verified.get(level)
        if cached is not None and cached[0] == index:
            return cached[1]
        hashes = self._fetch_hashes(tile)
        expected = self.hashes(level + 1, index // WIDTH)[index % WIDTH]
        if tile_root(hashes) != expected:
            raise TileMismatch(
                f"{tile.path} of {self.source} does not hash to its entry in the tile above: "
                "a tampered tile"
            )
        self._verified[level] = (index, hashes)
        return hashes

    def entries(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        """``(index, entry bytes)`` from ``start`` to ``end`` (the checkpoint's size), checked."""
        end = self.size if end is None else end
        if not 0 <= start <= end <= self.size:
            raise ValueError(f"entries {start}..{end} are not within 0..{self.size}")
        if start == end:
            return  # nothing to fetch (a follower whose log did not grow)
        for index in range(start // WIDTH, (end + WIDTH - 1) // WIDTH):
            tile = self._tile(0, index)
            hashes = self.hashes(0, index)
            data = self.source.fetch(tile.entries_path, MAX_BUNDLE_BYTES)
            try:
                bundle = decode_entry_bundle(data, tile)
            except MalformedTile as exc:
                raise TileMalformed(f"{exc} ({self.source})") from exc
            for offset, entry in enumerate(bundle):
                if merkle.leaf_hash(entry) != hashes[offset]:
                    raise EntryMismatch(
                        f"entry {tile.first + offset} in {tile.entries_path} of {self.source} "
                        "does not hash to its leaf hash in the level-0 tile: a tampered entry"
                    )
                if start <= tile.first + offset < end:
                    yield tile.first + offset, entry

    def subtree_hash(self, level: int, index: int) -> bytes:
        """The hash of the perfect subtree of ``2**level`` leaves number ``index``."""
        tile_level, below = divmod(level, HEIGHT)
        first = index << below
        hashes = self.hashes(tile_level, first // WIDTH)
        start = first % WIDTH
        part = hashes[start : start + (1 << below)]
        while len(part) > 1:
            part = [merkle.node_hash(part[i], part[i + 1]) for i in range(0, len(part), 2)]
        return part[0]

    def consistency_proof(self, old_size: int) -> list[bytes]:
        """The RFC 9162 consistency proof from ``old_size`` to the checkpoint's size."""
        if not 0 <= old_size <= self.size:
            raise ValueError(f"old size {old_size} is not within 0..{self.size}")
        proof: list[bytes] = []
        for start, end in merkle.consistency_proof_ranges(old_size, self.size):
            parts = merkle.perfect_subtrees(start, end)
            proof.append(merkle.fold_subtrees([self.subtree_hash(lv, i) for lv, i in parts]))
        return proof
