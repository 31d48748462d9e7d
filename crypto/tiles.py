"""C2SP tlog-tiles: tile coordinates, their paths, entry bundles and the tree from tiles.

A log of ``size`` leaves is published as static files (https://c2sp.org/tlog-tiles):

- ``checkpoint``: the signed checkpoint note (:mod:`crypto.note`);
- ``tile/<L>/<N>[.p/<W>]``: a *hash tile*, the concatenated hashes of the
  perfect subtrees of height ``8·L`` with indexes ``256·N`` to ``256·N + W - 1``
  (level 0 holds the leaf hashes). ``W`` is 256 for a full tile; the rightmost
  tile of a level is *partial* (``.p/<W>``, ``1 <= W < 256``) while the tree
  has fewer hashes at that height;
- ``tile/entries/<N>[.p/<W>]``: an *entry bundle*, the data of leaves
  ``256·N`` to ``256·N + W - 1``, each prefixed by its length as a big-endian
  uint16 (so an entry is at most 65,535 bytes).

``N`` is written as zero-padded three-digit path elements, all but the last
prefixed with ``x`` (1234067 is ``x001/x234/067``). A tile of a given path has
one content forever: a full tile never changes, and a partial tile of width
``W`` is the first ``W`` hashes of its full tile.

The tree is authenticated top down: the rightmost tile of every level, taken
together, determines the root (:func:`root_from_edge_tiles`), and a full tile
at level ``L`` is the 256 leaves of the subtree whose hash is entry ``N mod 256``
of tile ``N // 256`` at level ``L + 1`` (:func:`tile_root`).

Pure: no I/O. May import the standard library and :mod:`crypto`.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass

from crypto.errors import InvalidEncoding
from crypto.merkle import EMPTY_ROOT
from crypto.merkle import HASH_SIZE
from crypto.merkle import fold_subtrees
from crypto.merkle import node_hash

__all__ = [
    "HEIGHT",
    "MAX_ENTRY_BYTES",
    "WIDTH",
    "MalformedTile",
    "Tile",
    "decode_entry_bundle",
    "edge_tiles",
    "encode_entry_bundle",
    "index_path",
    "parse_tile_path",
    "root_from_edge_tiles",
    "split_hashes",
    "tile_root",
    "tiles_to_publish",
]

HEIGHT = 8
WIDTH = 1 << HEIGHT
MAX_ENTRY_BYTES = 0xFFFF
MAX_LEVEL = 63


class MalformedTile(InvalidEncoding):
    """A tile or entry bundle whose bytes or path do not have the format of tlog-tiles."""


@dataclass(frozen=True, order=True)
class Tile:
    """The tile ``(level, index)`` of ``width`` hashes (``width`` 256: a full tile)."""

    level: int
    index: int
    width: int

    def __post_init__(self) -> None:
        if not 0 <= self.level <= MAX_LEVEL or self.index < 0 or not 1 <= self.width <= WIDTH:
            raise MalformedTile(
                f"no tile has level {self.level}, index {self.index}, width {self.width}"
            )

    @property
    def full(self) -> bool:
        return self.width == WIDTH

    @property
    def path(self) -> str:
        """``tile/<L>/<N>[.p/<W>]``."""
        return f"tile/{self.level}/{index_path(self.index, self.width)}"

    @property
    def entries_path(self) -> str:
        """``tile/entries/<N>[.p/<W>]`` (level-0 tiles only)."""
        if self.level:
            raise MalformedTile("only level-0 tiles have entry bundles")
        return f"tile/entries/{index_path(self.index, self.width)}"

    @property
    def first(self) -> int:
        """The index (at height ``8·level``) of the tile's first hash."""
        return self.index * WIDTH


def index_path(index: int, width: int = WIDTH) -> str:
    """``N`` as path elements (``x001/x234/067``), with ``.p/<W>`` for a partial tile."""
    if index < 0:
        raise MalformedTile(f"a tile index is not negative, got {index}")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    path = "/".join(reversed(groups))
    return path if width == WIDTH else f"{path}.p/{width}"


_TILE_PATH = re.compile(
    r"tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?"
)


def parse_tile_path(path: str) -> tuple[Tile, bool]:
    """``(tile, is entry bundle)`` of a canonical tile path; :class:`MalformedTile` otherwise."""
    match = _TILE_PATH.fullmatch(path)
    if match is None:
        raise MalformedTile(f"{path!r} is not a tile path tile/<L>/<N>[.p/<W>]")
    level_text, index_text, width_text = match.groups()
    index = int(index_text.replace("x", "").replace("/", ""))
    width = WIDTH if width_text is None else int(width_text)
    entries = level_text == "entries"
    tile = Tile(0 if entries else int(level_text), index, width)
    if (tile.entries_path if entries else tile.path) != path:  # e.g. 0001, or .p/256
        raise MalformedTile(f"{path!r} is not the canonical path of its tile")
    return tile, entries


def split_hashes(data: bytes, tile: Tile) -> list[bytes]:
    """The hashes of a hash tile's bytes, which must be exactly ``32·W`` long."""
    if len(data) != tile.width * HASH_SIZE:
        raise MalformedTile(
            f"{tile.path} must be {tile.width * HASH_SIZE} bytes ({tile.width} hashes), "
            f"got {len(data)}"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """The entries, each prefixed by its big-endian uint16 length."""
    if not 1 <= len(entries) <= WIDTH:
        raise MalformedTile(f"an entry bundle holds 1 to {WIDTH} entries, not {len(entries)}")
    parts: list[bytes] = []
    for entry in entries:
        if len(entry) > MAX_ENTRY_BYTES:
            raise MalformedTile(
                f"an entry of {len(entry)} bytes does not fit an entry bundle "
                f"(at most {MAX_ENTRY_BYTES} bytes)"
            )
        parts += [struct.pack(">H", len(entry)), entry]
    return b"".join(parts)


def decode_entry_bundle(data: bytes, tile: Tile) -> list[bytes]:
    """The ``W`` entries of an entry bundle; :class:`MalformedTile` if it has more or fewer."""
    entries: list[bytes] = []
    at = 0
    while at < len(data):
        if len(entries) == tile.width:
            raise MalformedTile(f"{tile.entries_path} has more than {tile.width} entries")
        if at + 2 > len(data):
            raise MalformedTile(f"{tile.entries_path} ends inside an entry's length")
        (length,) = struct.unpack_from(">H", data, at)
        if at + 2 + length > len(data):
            raise MalformedTile(f"{tile.entries_path} ends inside entry {len(entries)}")
        entries.append(data[at + 2 : at + 2 + length])
        at += 2 + length
    if len(entries) != tile.width:
        raise MalformedTile(f"{tile.entries_path} has {len(entries)} entries, not {tile.width}")
    return entries


def _hashes_at(size: int, level: int) -> int:
    """How many complete subtrees of height ``8·level`` a tree of ``size`` leaves has."""
    return size >> (HEIGHT * level)


def tiles_to_publish(old_size: int, new_size: int) -> Iterator[Tile]:
    """The tiles whose content is new when a tree grows from ``old_size`` to ``new_size``.

    Level by level from 0: every full tile completed by the growth and the new
    partial tile at ``new_size`` (which tiles of ``old_size`` already hold, with
    the same path, is not repeated). Entry bundles follow the level-0 tiles.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"a tree grows: old size {old_size} > new size {new_size}")
    level = 0
    while (new := _hashes_at(new_size, level)) > 0:
        old = _hashes_at(old_size, level)
        if new > old:
            for index in range(old // WIDTH, (new - 1) // WIDTH + 1):
                yield Tile(level, index, min(WIDTH, new - index * WIDTH))
        level += 1


def edge_tiles(size: int) -> list[Tile]:
    """The rightmost tile of every level that has a partial tile at ``size`` (top level first)."""
    found: list[Tile] = []
    level = 0
    while (count := _hashes_at(size, level)) > 0:
        if count % WIDTH:
            found.append(Tile(level, count // WIDTH, count % WIDTH))
        level += 1
    return found[::-1]


def _perfect_root(hashes: Sequence[bytes]) -> bytes:
    """MTH of a power-of-two number of hashes."""
    level = list(hashes)
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def tile_root(hashes: Sequence[bytes]) -> bytes:
    """The hash of the subtree whose leaves are a full tile's 256 hashes."""
    if len(hashes) != WIDTH:
        raise MalformedTile(f"a full tile has {WIDTH} hashes, not {len(hashes)}")
    return _perfect_root(hashes)


def root_from_edge_tiles(size: int, edge: Sequence[Sequence[bytes]]) -> bytes:
    """The root of a tree of ``size`` leaves from the hashes of its :func:`edge_tiles`.

    Each partial tile of width ``W`` contributes one perfect subtree per binary
    digit of ``W`` (largest first); together, top level first, they are the
    perfect subtrees that make up the tree (RFC 9162 2.1.1).
    """
    tiles = edge_tiles(size)
    if len(edge) != len(tiles):
        raise MalformedTile(f"a tree of {size} leaves has {len(tiles)} edge tiles, not {len(edge)}")
    if size == 0:
        return EMPTY_ROOT
    subtrees: list[bytes] = []
    for tile, hashes in zip(tiles, edge, strict=True):
        if len(hashes) != tile.width:
            raise MalformedTile(f"{tile.path} must hold {tile.width} hashes, not {len(hashes)}")
        start = 0
        for bit in reversed(range(HEIGHT)):
            if tile.width >> bit & 1:
                subtrees.append(_perfect_root(hashes[start : start + (1 << bit)]))
                start += 1 << bit
    return fold_subtrees(subtrees)
