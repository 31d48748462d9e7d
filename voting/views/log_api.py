"""JSON API of the bulletin board under ``/api/logs/<name>/`` (docs/api.md, "Log").

Read-only endpoints: the latest signed checkpoint (text), the log's verifier
key, entries, inclusion and consistency proofs. Every bad input is a 4xx JSON
error raised as a :class:`voting.errors.VotingError` and rendered in one place.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import jsonify
from flask import request
from flask.typing import ResponseReturnValue

from crypto.encoding import unhex
from crypto.errors import InvalidEncoding
from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import InvalidRequest
from voting.log import bulletin
from voting.log import witnesses

bp = Blueprint("log_api", __name__, url_prefix="/api/logs/<name>")


def _int(text: str | None, what: str) -> int:
    if text is None:
        raise InvalidRequest(f"the query parameter {what!r} is required")
    if not (text.isascii() and text.isdigit()) or len(text) > 20:
        raise InvalidRequest(f"{what} must be a non-negative decimal integer, got {text!r}")
    return int(text)


def _arg(what: str) -> int:
    return _int(request.args.get(what), what)


def _optional_arg(what: str) -> int | None:
    text = request.args.get(what)
    return None if text is None else _int(text, what)


IMMUTABLE = "public, max-age=31536000, immutable"
"""An entry, or a proof between two sizes, never changes: any cache may keep it for good."""


def _answer(body: dict[str, Any], immutable: bool) -> ResponseReturnValue:
    """JSON, cacheable by anyone for good when it names only fixed sizes (no session read)."""
    response = jsonify(body)
    if immutable:
        response.headers["Cache-Control"] = IMMUTABLE
    return response


def _checkpoint_size(name: str) -> int:
    return bulletin.get_checkpoint(db.session, name).size


def _entry_json(entry: bulletin.Entry) -> dict[str, Any]:
    return {"index": entry.index, "leaf_hash": entry.leaf_hash.hex(), "data": entry.data.decode()}


@bp.get("/checkpoint")
def checkpoint(name: str) -> ResponseReturnValue:
    note = bulletin.latest_checkpoint_note(db.session, name, signing=log_signing())
    note = witnesses.cosigned_note(db.session, name, note)  # + the witnesses' aggregate line
    return note, 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/key")
def key(name: str) -> ResponseReturnValue:
    origin = bulletin.log_origin(db.session, name)
    verifier = log_signing().verifier_key(origin)
    return jsonify({"log": name, "origin": origin, "verifier_key": str(verifier)})


@bp.get("/entries")
def entries(name: str) -> ResponseReturnValue:
    start = _arg("start")
    end = _optional_arg("end")
    fixed = end is not None
    if end is None:
        end = max(start, min(start + bulletin.MAX_PAGE, bulletin.log_size(db.session, name)))
    found = bulletin.get_entries(db.session, name, start, end)
    entries = [_entry_json(e) for e in found]
    body = {"log": name, "start": start, "end": end, "entries": entries}
    return _answer(body, fixed and len(entries) == end - start)


@bp.get("/entries/<index>")
def entry(name: str, index: str) -> ResponseReturnValue:
    found = bulletin.get_entry(db.session, name, _int(index, "index"))
    return _answer({"log": name, **_entry_json(found)}, True)


@bp.get("/proof/inclusion")
def inclusion(name: str) -> ResponseReturnValue:
    leaf_text = request.args.get("leaf_hash")
    if leaf_text is not None and "index" in request.args:
        raise InvalidRequest("give either index or leaf_hash, not both")
    size = _optional_arg("size")
    fixed = size is not None
    if leaf_text is None:
        index = _arg("index")
    else:
        try:
            leaf = unhex(leaf_text, 32, what="leaf_hash")
        except InvalidEncoding as exc:
            raise InvalidRequest(str(exc)) from exc
        index = bulletin.find_index(db.session, name, leaf)
    if size is None:
        size = _checkpoint_size(name)
    proof = bulletin.inclusion_proof(db.session, name, index, size)
    entry = bulletin.get_entry(db.session, name, index)
    body = {
        "log": name,
        "index": index,
        "size": size,
        "leaf_hash": entry.leaf_hash.hex(),
        "root_hash": bulletin.root_at(db.session, name, size).hex(),
        "proof": [h.hex() for h in proof],
    }
    return _answer(body, fixed)


@bp.get("/proof/consistency")
def consistency(name: str) -> ResponseReturnValue:
    old = _arg("old")
    new = _optional_arg("new")
    fixed = new is not None
    if new is None:
        new = _checkpoint_size(name)
    proof = bulletin.consistency_proof(db.session, name, old, new)
    body = {
        "log": name,
        "old": old,
        "new": new,
        "old_root_hash": bulletin.root_at(db.session, name, old).hex(),
        "new_root_hash": bulletin.root_at(db.session, name, new).hex(),
        "proof": [h.hex() for h in proof],
    }
    return _answer(body, fixed)
