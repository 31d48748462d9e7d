"""crypto.tiles: C2SP tlog-tiles paths, entry bundles, and the tree from tiles."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from crypto import merkle
from crypto.tiles import WIDTH
from crypto.tiles import MalformedTile
from crypto.tiles import Tile
from crypto.tiles import decode_entry_bundle
from crypto.tiles import edge_tiles
from crypto.tiles import encode_entry_bundle
from crypto.tiles import index_path
from crypto.tiles import parse_tile_path
from crypto.tiles import root_from_edge_tiles
from crypto.tiles import tile_root
from crypto.tiles import tiles_to_publish


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """The hashes stored at heights 0, 8, 16, ...: what each tile level holds."""
    levels = [leaves]
    while len(levels[-1]) >= WIDTH:
        below = levels[-1]
        levels.append(
            [tile_root(below[i : i + WIDTH]) for i in range(0, len(below) - WIDTH + 1, WIDTH)]
        )
    return levels


@pytest.mark.parametrize(
    ("index", "width", "path"),
    [
        (0, WIDTH, "000"),
        (1234067, WIDTH, "x001/x234/067"),  # the spec's example
        (1000, WIDTH, "x001/000"),
        (5, 7, "005.p/7"),
        (1234067, 255, "x001/x234/067.p/255"),
    ],
)
def test_index_paths_as_the_spec_writes_them(index: int, width: int, path: str) -> None:
    assert index_path(index, width) == path
    tile = Tile(3, index, width)
    assert parse_tile_path(tile.path) == (tile, False)
    assert tile.path == f"tile/3/{path}"
    assert parse_tile_path(f"tile/entries/{path}") == (Tile(0, index, width), True)


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/0001",
        "tile/0/1",
        "tile/0/x000/001",
        "tile/0/000.p/256",
        "tile/0/000.p/0",
        "tile/0/000.p/07",
        "tile/64/000",
        "tile/00/000",
        "tile/0/../etc",
        "tile/entries/x1/000",
        "tile/0/000/",
        "checkpoint",
    ],
)
def test_non_canonical_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(MalformedTile):
        parse_tile_path(path)


def test_entry_bundles_round_trip_and_refuse_bad_lengths() -> None:
    entries = [b"", b"a", bytes(300), b"x" * 65535]
    tile = Tile(0, 0, len(entries))
    data = encode_entry_bundle(entries)
    assert data[:2] == b"\x00\x00" and data[2:4] == b"\x00\x01"
    assert decode_entry_bundle(data, tile) == entries
    with pytest.raises(MalformedTile, match="65535 bytes"):
        encode_entry_bundle([bytes(65536)])
    with pytest.raises(MalformedTile, match="3 entries, not 4"):
        decode_entry_bundle(encode_entry_bundle(entries[:3]), tile)
    with pytest.raises(MalformedTile, match="more than 4"):
        decode_entry_bundle(data + b"\x00\x00", tile)
    with pytest.raises(MalformedTile, match="ends inside entry"):
        decode_entry_bundle(data[:-1], tile)
    with pytest.raises(MalformedTile, match="length"):
        decode_entry_bundle(data + b"\x00", Tile(0, 0, 5))


@pytest.mark.parametrize(
    "size", [0, 1, 2, 7, 255, 256, 257, 511, 512, 1000, 65535, 65536, 65537, 70000]
)
def test_root_from_edge_tiles_is_the_merkle_root(size: int) -> None:
    leaves = _leaves(size)
    levels = _levels(leaves)
    edge = [levels[t.level][t.first : t.first + t.width] for t in edge_tiles(size)]
    assert root_from_edge_tiles(size, edge) == merkle.root_hash(leaves)
    if edge:
        edge[-1] = [hashlib.sha256(b"x").digest(), *edge[-1][1:]]
        assert root_from_edge_tiles(size, edge) != merkle.root_hash(leaves)


def test_tiles_to_publish_cover_every_tile_once_and_only_new_content() -> None:
    steps = [0, 1, 5, 255, 256, 300, 300, 65536, 65800]
    published: dict[str, int] = {}
    for old, new in itertools.pairwise(steps):
        for tile in tiles_to_publish(old, new):
            assert tile.path not in published, f"{tile.path} written twice"
            published[tile.path] = new
    final = steps[-1]
    expected = set()
    for level in range(3):
        count = final >> (8 * level)
        expected |= {Tile(level, i, WIDTH).path for i in range(count // WIDTH)}
        if count % WIDTH:
            expected.add(Tile(level, count // WIDTH, count % WIDTH).path)
    assert expected <= set(published)
    assert list(tiles_to_publish(300, 300)) == []
    with pytest.raises(ValueError):
        list(tiles_to_publish(5, 4))
