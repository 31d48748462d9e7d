"""A mirror, a CDN or a server that serves tampered tlog-tiles is caught by the tile reader.

The attacker controls every byte of the tile folder an observer fetches (a
CDN or a mirror is not trusted), but not the log key the observer pinned.
Each case names the reader's error (voting/tools/tiles.py).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from flask import Flask

from crypto.note import Checkpoint
from crypto.note import NoteSigner
from crypto.note import VerifierKey
from crypto.note import sign_checkpoint
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.log.tiles import publish_tiles
from voting.tools.tiles import CheckpointRefused
from voting.tools.tiles import EntryMismatch
from voting.tools.tiles import RootMismatch
from voting.tools.tiles import TileMalformed
from voting.tools.tiles import TileMismatch
from voting.tools.tiles import TileMissing
from voting.tools.tiles import open_tiled_log

NAME, OTHER = "2026-12-13-ch", "2026-12-14-ch"
SIZE = 600  # level 0: two full tiles and 000.p/88 ... 002.p/88; level 1: 000.p/2


@pytest.fixture()
def published(app: Flask, tmp_path: Path) -> tuple[Path, VerifierKey]:
    signing = log_signing(app)
    for name in (NAME, OTHER):
        bulletin.create_log(db.session, name, origin=signing.origin_for(name))
        records = [{"type": "ballot", "n": i, "log": name} for i in range(SIZE)]
        bulletin.append_many(db.session, name, records)
        bulletin.issue_checkpoint(db.session, name, signing, interval=dt.timedelta(0))
        publish_tiles(db.session, name, tmp_path)
    return tmp_path / NAME, signing.verifier_key(signing.origin_for(NAME))


def _read_all(folder: Path, key: VerifierKey) -> int:
    return sum(1 for _ in open_tiled_log(folder, key).entries())


def test_the_untampered_folder_reads(published: tuple[Path, VerifierKey]) -> None:
    folder, key = published
    assert _read_all(folder, key) == SIZE


def test_a_tampered_full_hash_tile(published: tuple[Path, VerifierKey]) -> None:
    folder, key = published
    tile = folder / "tile/0/001"
    data = bytearray(tile.read_bytes())
    data[40] ^= 1
    tile.write_bytes(bytes(data))
    with pytest.raises(TileMismatch, match="tile/0/001"):
        _read_all(folder, key)


def test_an_edge_tile_that_makes_another_root(published: tuple[Path, VerifierKey]) -> None:
    folder, key = published
    tile = folder / "tile/1/000.p/2"
    tile.write_bytes(tile.read_bytes()[32:] + tile.read_bytes()[:32])  # swapped subtrees
    with pytest.raises(RootMismatch, match="another tree"):
        open_tiled_log(folder, key)


def test_a_tampered_entry_bundle(published: tuple[Path, VerifierKey]) -> None:
    folder, key = published
    bundle = folder / "tile/entries/001"
    data = bundle.read_bytes()
    assert b'"n":300,' in data
    bundle.write_bytes(data.replace(b'"n":300,', b'"n":399,'))  # same length
    with pytest.raises(EntryMismatch, match="entry 300 "):
        _read_all(folder, key)


def test_an_entry_bundle_and_its_leaf_hashes_rewritten_together(
    published: tuple[Path, VerifierKey],
) -> None:
    folder, key = published
    # The attacker swaps two entries and their leaf hashes: the level-0 tile
    # still matches the bundle, but no longer hashes to its entry in level 1.
    bundle = folder / "tile/entries/000"
    data = bundle.read_bytes()
    a, b = b'{"log":"2026-12-13-ch","n":0,', b'{"log":"2026-12-13-ch","n":1,'
    bundle.write_bytes(data.replace(a, b"@").replace(b, a).replace(b"@", b))
    tile = folder / "tile/0/000"
    hashes = tile.read_bytes()
    tile.write_bytes(hashes[32:64] + hashes[:32] + hashes[64:])
    with pytest.raises(TileMismatch, match="tile/0/000"):
        _read_all(folder, key)


def test_a_signed_checkpoint_of_another_tree(
    published: tuple[Path, VerifierKey], app: Flask
) -> None:
    folder, key = published
    # Validly signed with the log key, same origin and size, another root: the
    # tiles served beside it cannot make it (a forked view, caught here).
    origin = key.name
    forged = Checkpoint(origin, SIZE, bytes(32))
    (folder / "checkpoint").write_text(sign_checkpoint(forged, log_signing(app).signer(origin)))
    with pytest.raises(RootMismatch, match="another tree"):
        open_tiled_log(folder, key)


def test_another_logs_checkpoint_or_another_key(
    published: tuple[Path, VerifierKey], tmp_path: Path
) -> None:
    folder, key = published
    shutil.copy(tmp_path / OTHER / "checkpoint", folder / "checkpoint")
    with pytest.raises(CheckpointRefused, match="refused"):
        open_tiled_log(folder, key)
    stranger = NoteSigner(key.name, bytes(range(1, 33)))
    forged = sign_checkpoint(Checkpoint(key.name, SIZE, bytes(32)), stranger)
    (folder / "checkpoint").write_text(forged)
    with pytest.raises(CheckpointRefused, match="no signature by"):
        open_tiled_log(folder, key)


@pytest.mark.parametrize("missing", ["tile/entries/002.p/88", "tile/0/001", "tile/1/000.p/2"])
def test_a_folder_that_stops_short(published: tuple[Path, VerifierKey], missing: str) -> None:
    folder, key = published
    (folder / missing).unlink()
    with pytest.raises(TileMissing, match=missing.replace(".", r"\.")):
        _read_all(folder, key)


def test_an_overlong_tile(published: tuple[Path, VerifierKey]) -> None:
    folder, key = published
    with open(folder / "tile/0/000", "ab") as fh:
        fh.write(bytes(32))
    with pytest.raises(TileMalformed, match="longer than 8192 bytes"):
        _read_all(folder, key)
