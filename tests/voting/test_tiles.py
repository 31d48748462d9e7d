"""voting.log.tiles publishes a log as tlog-tiles; voting.tools.tiles reads them back."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask.testing import FlaskCliRunner

from crypto.note import VerifierKey
from crypto.tiles import WIDTH
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.log import bulletin
from voting.log.tiles import TileConflict
from voting.log.tiles import publish_tiles
from voting.tools.tiles import DirectorySource
from voting.tools.tiles import open_tiled_log

NAME = "2026-12-06-ch"
OTHER = "2026-12-07-ch"


def _grow(name: str, start: int, end: int) -> None:
    records = [{"type": "ballot", "n": i, "pad": "é" * (i % 50)} for i in range(start, end)]
    bulletin.append_many(db.session, name, records)
    bulletin.issue_checkpoint(db.session, name, log_signing(), interval=dt.timedelta(0))


@pytest.fixture()
def log_key(app: Flask) -> VerifierKey:
    signing = log_signing(app)
    bulletin.create_log(db.session, NAME, origin=signing.origin_for(NAME))
    return signing.verifier_key(signing.origin_for(NAME))


def _expected(start: int, end: int) -> list[bytes]:
    return [
        bulletin.encode_record({"type": "ballot", "n": i, "pad": "é" * (i % 50)})
        for i in range(start, end)
    ]


def test_a_growing_log_is_published_once_and_read_back(
    log_key: VerifierKey, tmp_path: Path
) -> None:
    folder = tmp_path / "tiles"
    sizes = [0, 7, 256, 300, 300, 513, 700]
    bulletin.issue_checkpoint(db.session, NAME, log_signing(), interval=dt.timedelta(0))  # size 0
    previous = 0
    mtimes: dict[Path, int] = {}
    for size in sizes:
        if size > previous:
            _grow(NAME, previous, size)
        done = publish_tiles(db.session, NAME, folder)
        assert (done.old_size, done.size) == (previous, size)
        for path, mtime in mtimes.items():  # a file once written is never rewritten
            assert path.stat().st_mtime_ns == mtime, path
        mtimes = {
            p: p.stat().st_mtime_ns for p in (folder / NAME / "tile").rglob("*") if p.is_file()
        }
        log = open_tiled_log(folder / NAME, log_key)
        assert log.size == size
        assert [e for _, e in log.entries()] == _expected(0, size)
        previous = size
    assert (folder / NAME / "tile/0/000").stat().st_size == WIDTH * 32
    assert (folder / NAME / "tile/0/002.p/188").stat().st_size == 188 * 32
    assert (folder / NAME / "tile/1/000.p/2").stat().st_size == 64
    log = open_tiled_log(folder / NAME, log_key)
    assert [i for i, _ in log.entries(start=600)] == list(range(600, 700))
    fetched: list[str] = []
    source = DirectorySource(folder / NAME)
    source_fetch = source.fetch

    class Counting:
        def fetch(self, path: str, limit: int) -> bytes:
            fetched.append(path)
            return source_fetch(path, limit)

    follower = open_tiled_log(Counting(), log_key)  # type: ignore[arg-type]
    fetched.clear()
    assert list(follower.entries(start=700)) == []  # a follower whose log did not grow
    assert fetched == []
    assert [i for i, _ in follower.entries(start=699)] == [699]
    assert fetched == ["tile/entries/002.p/188"]  # its hash tile is an edge tile, read at open
    for old in (0, 1, 7, 256, 300, 513, 699, 700):
        assert log.consistency_proof(old) == bulletin.consistency_proof(db.session, NAME, old, 700)


def test_publishing_refuses_a_folder_holding_another_tree(
    log_key: VerifierKey, tmp_path: Path
) -> None:
    signing = log_signing()
    bulletin.create_log(db.session, OTHER, origin=signing.origin_for(OTHER))
    _grow(NAME, 0, 5)
    _grow(OTHER, 0, 5)
    publish_tiles(db.session, OTHER, tmp_path)
    (tmp_path / OTHER).rename(tmp_path / NAME)
    with pytest.raises(TileConflict, match="not of log"):
        publish_tiles(db.session, NAME, tmp_path)


def test_a_tile_is_never_overwritten(log_key: VerifierKey, tmp_path: Path) -> None:
    _grow(NAME, 0, 3)
    publish_tiles(db.session, NAME, tmp_path)
    (tmp_path / NAME / "checkpoint").unlink()  # the publisher starts over from size 0
    (tmp_path / NAME / "tile/entries/000.p/3").write_bytes(b"\x00\x01x" * 3)
    with pytest.raises(TileConflict, match="never rewritten"):
        publish_tiles(db.session, NAME, tmp_path)


@pytest.fixture()
def static_server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A plain static file server (Python's http.server) over a folder."""
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[method-assign,assignment]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_tiles_read_from_a_static_file_server(
    log_key: VerifierKey, static_server: tuple[Path, str]
) -> None:
    root, url = static_server
    _grow(NAME, 0, 600)
    publish_tiles(db.session, NAME, root)
    log = open_tiled_log(f"{url}/{NAME}", log_key)
    assert [e for _, e in log.entries()] == _expected(0, 600)


def test_the_app_serves_the_tiles_with_cache_headers(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, log_key: VerifierKey
) -> None:
    _grow(NAME, 0, 260)
    result = runner.invoke(args=["log", "tiles"])
    assert result.exit_code == 0, result.output
    assert f"log '{NAME}': published size 260" in result.output
    base = f"/logs/{NAME}"
    checkpoint = client.get(f"{base}/checkpoint")
    assert checkpoint.status_code == 200
    assert checkpoint.get_data() == bulletin.get_checkpoint(db.session, NAME).note.encode()
    assert "max-age=2" in checkpoint.headers["Cache-Control"]
    full = client.get(f"{base}/tile/0/000")
    assert full.status_code == 200 and len(full.get_data()) == WIDTH * 32
    assert full.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert full.content_type == "application/octet-stream"
    partial_tile = client.get(f"{base}/tile/entries/001.p/4")
    assert partial_tile.status_code == 200
    assert "immutable" not in partial_tile.headers["Cache-Control"]
    assert client.get(f"{base}/tile/0/002").status_code == 404
    assert client.get(f"{base}/tile/0/0001").status_code == 400
    assert client.get(f"{base}/tile/..%2f..%2fsecret_key").status_code in (400, 404)
    assert client.get("/logs/nope/checkpoint").status_code == 404


def test_records_that_come_in_parts_fit_an_entry_bundle() -> None:
    from crypto.tiles import MAX_ENTRY_BYTES
    from voting.services.credentials import KEYS_PER_RECORD
    from voting.services.results import UNITS_PER_RECORD
    from voting.services.results import _unit_chunks

    credentials = {
        "type": "credentials",
        "unit": "ch-" + "x" * 60,
        "part": 10_000,
        "parts": 10_000,
        "keys": ["f" * 64] * KEYS_PER_RECORD,
    }
    assert len(bulletin.encode_record(credentials)) < MAX_ENTRY_BYTES

    def unit(i: int, options: int) -> dict[str, object]:
        figures = {f"option-{k}": 10**9 + k for k in range(options)}
        return {"unit": f"ch-{i:05d}", "name": "Gemeinde " * 3, "figures": figures}

    for options in (2, 40):
        units = [unit(i, options) for i in range(2000)]
        chunks = _unit_chunks(units)
        assert [u for chunk in chunks for u in chunk] == units
        for chunk in chunks:
            assert 0 < len(chunk) <= UNITS_PER_RECORD
            record = {"type": "result", "vote_day": "x" * 64, "question": "q" * 64, "units": chunk}
            record["outcome"] = {"accepted": True, "detail": "y" * 2000}
            assert len(bulletin.encode_record(record)) < MAX_ENTRY_BYTES
    assert _unit_chunks([]) == []
