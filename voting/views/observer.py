"""Observers' pages (public): vote days, results per tier, downloads, how to verify.

Everything shown here comes from the log (DESIGN.md section 5): the results
are the logged ``result`` records once published (computed from the logged
counts while tallied, :mod:`voting.services.results`), the record download
is the log itself, built once at publication (:mod:`voting.services.record_store`), and the
``sd-t-17-02`` download is :mod:`voting.services.bfs_export`. The log
explorer is :mod:`voting.views.observer_log`.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import render_template
from flask import request
from flask import send_file
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from voting.app.extensions import db
from voting.app.i18n import current_language
from voting.app.log_signing import log_signing
from voting.app.record_files import record_folder
from voting.errors import NotFound
from voting.log import bulletin
from voting.models.votedays import VoteDay
from voting.rules.publication import minimum_of
from voting.services import results as results_service
from voting.services.bfs_export import bfs_document
from voting.services.record_store import StoredRecord
from voting.services.record_store import stored_record
from voting.services.results_csv import results_csv as results_to_csv
from voting.services.tally import counted_with
from voting.services.tally_log import TallyRefused
from voting.services.tally_log import read_manifest
from voting.services.votedays import get_vote_day
from voting.views.observer_results import merged_notes
from voting.views.observer_results import question_view

bp = Blueprint("observer", __name__, url_prefix="/observe")

RECORD_MAX_AGE = 300
"""Seconds a cache may keep ``record.zip`` before asking again (a 304 while unchanged)."""
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
    """The language of question texts: the page's own (``?lang=``, the language cookie, the
    browser's preference, English: :func:`voting.app.i18n.select_language`), so that the
    texts and the switcher agree."""
    return current_language()


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
    merged = counted_with(db.session, day.id)
    notes = merged_notes(manifest, merged, lang)
    figures = served.get("return_codes")  # only confirmed ballots count (docs/return-codes.md)
    by_unit = figures["unconfirmed_by_unit"] if figures else None
    views = [
        question_view(
            manifest, result, stored.get(result["question"]), lang, position, notes, by_unit
        )
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
        minimum=minimum_of(manifest.record) if merged else None,
        return_codes=figures,
    )


@bp.get("/<vote_day>/results-sd-t-17-02.json")
def bfs_download(vote_day: str) -> ResponseReturnValue:
    day = public_vote_day(vote_day)
    response = jsonify(bfs_document(db.session, day.id))
    response.headers["Content-Disposition"] = f'attachment; filename="{day.id}-sd-t-17-02.json"'
    return response


@bp.get("/<vote_day>/results.csv")
def results_csv(vote_day: str) -> ResponseReturnValue:
    """The results per question, unit and answer (:mod:`voting.services.results_csv`)."""
    day = public_vote_day(vote_day)
    response = Response(
        results_to_csv(results_service.results(db.session, day.id)),
        mimetype="text/csv",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{day.id}-results.csv"'
    return response


@bp.get("/<vote_day>/record.zip")
def record_download(vote_day: str) -> ResponseReturnValue:
    """The election record as ``python -m voting.verify`` reads it (a zip, docs/record.md).

    The file built at publication (:mod:`voting.services.record_store`), sent
    as it is: no request builds a record. It may be replaced once when late
    witness cosignatures arrive, so caches revalidate it (``ETag``, 304);
    ``record-<sha256>.zip`` names one version for good.
    """
    day = public_vote_day(vote_day)
    stored = stored_record(record_folder(), day.id)
    return _send_record(stored, f"public, max-age={RECORD_MAX_AGE}")


@bp.get("/<vote_day>/record-<sha256>.zip")
def record_version(vote_day: str, sha256: str) -> ResponseReturnValue:
    """One built version of the record, by the SHA-256 of its bytes: immutable."""
    day = public_vote_day(vote_day)
    stored = stored_record(record_folder(), day.id)
    if sha256 != stored.sha256:
        raise NotFound(
            f"no record of {day.id!r} with SHA-256 {sha256[:80]!r}: the current one is "
            f"record-{stored.sha256}.zip"
        )
    return _send_record(stored, "public, max-age=31536000, immutable")


def _send_record(stored: StoredRecord, cache_control: str) -> Response:
    response = send_file(
        stored.path(record_folder()),
        mimetype="application/zip",
        etag=stored.sha256,
        conditional=True,
        max_age=None,
    )
    response.headers["Cache-Control"] = cache_control
    response.headers["Content-Disposition"] = f'attachment; filename="{stored.vote_day}-record.zip"'
    response.headers["Link"] = (
        f'</observe/{stored.vote_day}/record-{stored.sha256}.zip>; rel="canonical"'
    )
    return response


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
    try:  # the key this server signs the log with: the one to compare with others' copies
        log_key = str(log_signing().verifier_key(bulletin.log_origin(db.session, example)))
    except bulletin.LogNotFound:
        log_key = None
    return render_template("observer/verify.html", example=example, log_key=log_key)
