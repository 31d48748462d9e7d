"""Observers' pages (public): vote days, results per tier, downloads, how to verify.

Everything shown here comes from the log (DESIGN.md section 5): the results
are the logged ``result`` records once published (computed from the logged
counts while tallied, :mod:`voting.services.results`), the record download
is the log itself (:mod:`voting.services.record_export`), and the
``sd-t-17-02`` download is :mod:`voting.services.bfs_export`. The log
explorer is :mod:`voting.views.observer_log`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import render_template
from flask import request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import NotFound
from voting.log import bulletin
from voting.models.jurisdictions import LANGUAGES
from voting.models.votedays import VoteDay
from voting.services import results as results_service
from voting.services.bfs_export import bfs_document
from voting.services.record_export import export_record
from voting.services.tally_log import TallyRefused
from voting.services.tally_log import read_manifest
from voting.services.votedays import get_vote_day
from voting.views.observer_results import question_view

bp = Blueprint("observer", __name__, url_prefix="/observe")

PUBLIC_STATUSES = ("key-ceremony", "credentials", "open", "closed", "tallied", "published")


def public_vote_day(vote_day: str) -> VoteDay:
    """The vote day, if it is public (it has a log: from the key ceremony on).

    Raises:
        NotFound: no such vote day, or still a draft.
    """
    day = get_vote_day(db.session, vote_day)
    if day.status not in PUBLIC_STATUSES:
        raise NotFound(f"vote day {vote_day!r} is not public yet")
    return day


def language() -> str:
    """The language of question texts: ``?lang=``, else the browser's preference, else English."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return str(asked)
    return request.accept_languages.best_match(LANGUAGES) or "en"


@bp.get("/")
def index() -> ResponseReturnValue:
    days = db.session.scalars(
        sa.select(VoteDay)
        .where(VoteDay.status.in_(PUBLIC_STATUSES))
        .order_by(VoteDay.date.desc(), VoteDay.id)
    ).all()
    return render_template("observer/index.html", days=days, lang=language())


@bp.get("/<vote_day>/")
def vote_day(vote_day: str) -> ResponseReturnValue:
    day = public_vote_day(vote_day)
    origin = bulletin.log_origin(db.session, day.id)
    return render_template(
        "observer/vote_day.html",
        day=day,
        lang=language(),
        origin=origin,
        log_key=str(log_signing().verifier_key(origin)),
        size=bulletin.log_size(db.session, day.id),
        has_results=day.status in ("tallied", "published"),
    )


@bp.get("/<vote_day>/results")
def results(vote_day: str) -> ResponseReturnValue:
    day = public_vote_day(vote_day)
    lang = language()
    try:
        served = results_service.results(db.session, day.id)
    except TallyRefused:
        return render_template("observer/results.html", day=day, lang=lang, questions=None)
    manifest = read_manifest(db.session, day.id)
    stored = {q.key: q for q in day.questions}
    views = [
        question_view(manifest, result, stored.get(result["question"]), lang, position)
        for position, result in enumerate(served["questions"], start=1)
    ]
    for view in views:
        view["chart"] = Markup(view["chart"])  # noqa: S704 (charts.py escapes its texts)
        if view["grid"] is not None:
            view["grid"] = Markup(view["grid"])  # noqa: S704
    return render_template(
        "observer/results.html",
        day=day,
        lang=lang,
        questions=views,
        published=served["published"],
    )


@bp.get("/<vote_day>/results-sd-t-17-02.json")
def bfs_download(vote_day: str) -> ResponseReturnValue:
    day = public_vote_day(vote_day)
    response = jsonify(bfs_document(db.session, day.id))
    response.headers["Content-Disposition"] = f'attachment; filename="{day.id}-sd-t-17-02.json"'
    return response


@bp.get("/<vote_day>/record.zip")
def record_download(vote_day: str) -> ResponseReturnValue:
    """The election record as ``python -m voting.verify`` reads it (a zip, docs/record.md)."""
    day = public_vote_day(vote_day)
    with tempfile.TemporaryDirectory(prefix="urna-record-") as folder:
        path = Path(folder) / f"{day.id}.zip"
        export_record(db.session, day.id, path, signing=log_signing())
        handle = path.open("rb")  # still readable after the directory is removed (POSIX)
    return Response(
        _chunks(handle),
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{day.id}-record.zip"',
            "Cache-Control": "no-store",
        },
    )


def _chunks(handle: Any, size: int = 64 * 1024) -> Any:
    with handle:
        while chunk := handle.read(size):
            yield chunk


@bp.get("/verify")
def verify_help() -> ResponseReturnValue:
    days = db.session.scalars(
        sa.select(VoteDay.id)
        .where(VoteDay.status.in_(PUBLIC_STATUSES))
        .order_by(VoteDay.date.desc())
        .limit(1)
    ).all()
    example = request.args.get("vote_day") or (days[0] if days else "2026-06-14-ch")
    if not isinstance(example, str) or len(example) > 64:
        example = "2026-06-14-ch"
    return render_template("observer/verify.html", example=example)
