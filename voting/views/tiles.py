"""The published tiles of every log under ``/logs/<name>/`` (docs/log.md, "Tiles").

For small installations: the files that ``flask log tiles`` writes to
``URNA_TILES_FOLDER`` are served as they are, without the database. A large
installation serves the same folder from a file server, an object store or a
CDN instead. Full tiles and entry bundles are immutable (cached for a year);
a partial tile is immutable too but is replaced by a wider one as the log
grows (an hour); the checkpoint changes about once a second (a few seconds).
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import request
from flask.typing import ResponseReturnValue

from crypto.tiles import MalformedTile
from crypto.tiles import parse_tile_path
from voting.errors import InvalidRequest
from voting.errors import NotFound

bp = Blueprint("tiles", __name__, url_prefix="/logs/<name>")

FULL = "public, max-age=31536000, immutable"
PARTIAL = "public, max-age=3600"
CHECKPOINT = "public, max-age=2, must-revalidate"
_LOG_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _file(name: str, path: str, content_type: str, cache: str) -> ResponseReturnValue:
    if not _LOG_NAME.fullmatch(name) or ".." in name:
        raise InvalidRequest(f"{name!r} is not a log name")
    found = Path(current_app.config["URNA_TILES_FOLDER"]) / name / path
    if not found.is_file():
        raise NotFound(f"log {name!r} has published no {path}")
    response = Response(found.read_bytes(), content_type=content_type)  # at most a few MB
    response.headers["Cache-Control"] = cache
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/checkpoint")
def checkpoint(name: str) -> ResponseReturnValue:
    return _file(name, "checkpoint", "text/plain; charset=utf-8", CHECKPOINT)


@bp.get("/tile/<path:rest>")
def tile(name: str, rest: str) -> ResponseReturnValue:
    try:
        parsed, _ = parse_tile_path(f"tile/{rest}")
    except MalformedTile as exc:
        raise InvalidRequest(str(exc)) from exc
    return _file(name, f"tile/{rest}", "application/octet-stream", FULL if parsed.full else PARTIAL)
