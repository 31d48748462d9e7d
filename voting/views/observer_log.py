"""The log explorer (public): checkpoints with their witnesses, entries, proofs.

Pages over the same facts the JSON API serves (``/api/logs/<name>/...``,
docs/api.md): each page links its JSON twin so that anyone can check the
figures with their own tools (RFC 9162 proofs, C2SP signed notes).
"""

from __future__ import annotations

import json

from flask import Blueprint
from flask import render_template
from flask import request
from flask.typing import ResponseReturnValue

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import InvalidRequest
from voting.errors import NotFound
from voting.log import bulletin
from voting.log import explorer as log_explorer
from voting.views.observer import public_vote_day

bp = Blueprint("observer_log", __name__, url_prefix="/observe/<vote_day>/log")

ENTRIES_PER_PAGE = 50


def _number(name: str, default: int | None = None) -> int | None:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise InvalidRequest(f"{name} must be a non-negative whole number, got {text!r}")
    return int(text)


def _latest(name: str) -> log_explorer.CheckpointView | None:
    """The latest checkpoint, signing one first if the log has grown (as the API does)."""
    bulletin.latest_checkpoint_note(db.session, name, signing=log_signing())
    found = log_explorer.checkpoints(db.session, name, limit=1)
    return found[0] if found else None


@bp.get("/")
def overview(vote_day: str) -> ResponseReturnValue:
    day = public_vote_day(vote_day)
    size = bulletin.log_size(db.session, day.id)
    start = _number("start", 0) or 0
    start = min(start, max(size - 1, 0))
    end = min(size, start + ENTRIES_PER_PAGE)
    return render_template(
        "observer/log.html",
        day=day,
        size=size,
        latest=_latest(day.id),
        witnesses=log_explorer.witness_roster(db.session, day.id),
        entries=log_explorer.entry_summaries(db.session, day.id, start, end),
        start=start,
        end=end,
        page=ENTRIES_PER_PAGE,
    )


@bp.get("/checkpoints")
def checkpoints(vote_day: str) -> ResponseReturnValue:
    day = public_vote_day(vote_day)
    below = _number("below")
    found = log_explorer.checkpoints(db.session, day.id, below=below)
    more = (
        bool(found)
        and found[-1].size > 0
        and bool(log_explorer.checkpoints(db.session, day.id, below=found[-1].size, limit=1))
    )
    return render_template("observer/checkpoints.html", day=day, checkpoints=found, more=more)


@bp.get("/checkpoints/<int:size>")
def checkpoint(vote_day: str, size: int) -> ResponseReturnValue:
    day = public_vote_day(vote_day)
    return render_template(
        "observer/checkpoint.html",
        day=day,
        checkpoint=log_explorer.checkpoint_at(db.session, day.id, size),
    )


@bp.get("/entries/<int:index>")
def entry(vote_day: str, index: int) -> ResponseReturnValue:
    day = public_vote_day(vote_day)
    found = bulletin.get_entry(db.session, day.id, index)
    latest = _latest(day.id)
    proof = None
    if latest is not None and latest.size > index:
        proof = [h.hex() for h in bulletin.inclusion_proof(db.session, day.id, index, latest.size)]
    return render_template(
        "observer/entry.html",
        day=day,
        entry=found,
        pretty=json.dumps(found.record, indent=2, ensure_ascii=False, sort_keys=True),
        kind=found.record.get("type", "?"),
        latest=latest,
        proof=proof,
    )


@bp.get("/consistency")
def consistency(vote_day: str) -> ResponseReturnValue:
    day = public_vote_day(vote_day)
    latest = _latest(day.id)
    if latest is None:
        raise NotFound(f"log {day.id!r} has no checkpoint yet")
    old = _number("old")
    new = _number("new", latest.size)
    proof = None
    roots = None
    if old is not None and new is not None:
        proof = [h.hex() for h in bulletin.consistency_proof(db.session, day.id, old, new)]
        roots = (
            bulletin.root_at(db.session, day.id, old).hex(),
            bulletin.root_at(db.session, day.id, new).hex(),
        )
    return render_template(
        "observer/consistency.html",
        day=day,
        latest=latest,
        old=old,
        new=new,
        proof=proof,
        roots=roots,
    )
