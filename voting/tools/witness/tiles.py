"""Following a log from its C2SP tlog-tiles (``follow --tiles URL|DIR``, docs/log.md "Tiles").

The witness reads the checkpoint and computes the consistency proof from the
tiles, which any static file server, mirror or CDN may serve, and sends its
cosignature to the log's API as usual. The tiles are checked against the
checkpoint with the pinned log key (:mod:`voting.tools.tiles`); the witness
then checks the proof against the size and root it cosigned last, exactly as
with a proof from the log's API, so a tampered mirror can make a witness
refuse but never cosign another tree.
"""

from __future__ import annotations

from crypto.note import VerifierKey
from voting.tools.tiles import TiledLog
from voting.tools.tiles import TileError
from voting.tools.tiles import open_tiled_log
from voting.tools.witness.follow import FollowError
from voting.tools.witness.follow import LogClient
from voting.tools.witness.follow import Transport


class TiledLogClient(LogClient):
    """A :class:`LogClient` that reads the log from tiles and writes to the log's API."""

    def __init__(self, base_url: str, transport: Transport, tiles: str, log_key: VerifierKey):
        super().__init__(base_url, transport)
        self.tiles = tiles
        self.log_key = log_key
        self._log: TiledLog | None = None

    def checkpoint(self) -> str:
        try:
            self._log = open_tiled_log(self.tiles, self.log_key)
        except TileError as exc:
            raise FollowError(f"the tiles at {self.tiles}: {type(exc).__name__}: {exc}") from exc
        return self._log.note

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        if self._log is None or self._log.size != new:
            raise FollowError(f"no checkpoint of size {new} was read from {self.tiles}")
        try:
            return self._log.consistency_proof(old)
        except (TileError, ValueError) as exc:
            raise FollowError(f"the tiles at {self.tiles}: {type(exc).__name__}: {exc}") from exc
