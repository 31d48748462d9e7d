"""The officials' pages: the dashboard, a vote day's overview, new vote days, jurisdictions.

Every page is behind :func:`voting.views._auth.official_required` and every
form carries a CSRF token. The lifecycle actions (ceremony, opening,
closing, tally, publication) are in :mod:`voting.views.official_lifecycle`,
questions in :mod:`voting.views.official_questions`, channel counts and the
live dashboard in :mod:`voting.views.official_counts`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from voting.app.extensions import db
from voting.app.i18n import current_language
from voting.errors import ImportRejected
from voting.errors import RoleRequired
from voting.errors import VotingError
from voting.models.elections import Election
from voting.models.jurisdictions import LEVELS
from voting.models.jurisdictions import Jurisdiction
from voting.models.votedays import VoteDay
from voting.services import credentials
from voting.services import jurisdictions
from voting.services import progress
from voting.services.jurisdiction_formats import parse_text
from voting.services.votedays import create_vote_day
from voting.services.votedays import get_vote_day
from voting.views import official_forms as forms
from voting.views._auth import official_required
from voting.views._official_common import OFFICERS
from voting.views._official_common import may
from voting.views._official_common import vote_day_unit

bp = Blueprint("officials", __name__, url_prefix="/officials")

JURISDICTION_UPLOAD_MAX = 32 * 1024 * 1024


def next_steps() -> dict[str, str]:
    """Each status's hint, in the page's language."""
    return {
        "draft": _("Add the questions, then start the key ceremony."),
        "key-ceremony": _("The trustees commit and deal their shares; then complete the ceremony."),
        "credentials": _("The registrar uploads the credential lists; then open the vote day."),
        "open": _("Voting is open. Watch the live figures; close when the vote day ends."),
        "closed": _("Clerks enter postal and polling-station counts; then start the tally."),
        "tallied": _("Check the results, then publish them."),
        "published": _("The results are published on the log."),
    }


@bp.get("/")
@official_required(None)
def dashboard() -> ResponseReturnValue:
    days = db.session.scalars(sa.select(VoteDay).order_by(VoteDay.date.desc(), VoteDay.id)).all()
    return render_template(
        "officials/dashboard.html",
        days=days,
        next_steps=next_steps(),
        may_create=may(OFFICERS),
        may_import=may("administrator"),
    )


@bp.route("/new-vote-day", methods=["GET", "POST"])
@official_required(OFFICERS)
def new_vote_day() -> ResponseReturnValue:
    form = forms.VoteDayForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            day = create_vote_day(
                db.session,
                vote_day_id=(form.vote_day_id.data or "").strip(),
                date=form.date.data,  # type: ignore[arg-type]
                titles=forms.texts_of(form.titles),
                revote_policy=form.revote_policy.data or "first-counts",
                min_electronic_ballots=(
                    10
                    if form.min_electronic_ballots.data is None
                    else form.min_electronic_ballots.data
                ),
                return_code_authorities=forms.authorities_of(form.return_code_authorities.data),
            )
        except VotingError as exc:
            error, status = exc.message, exc.status
        else:
            return redirect(url_for(".vote_day", vote_day=day.id), code=303)
    elif request.method == "POST":
        error, status = "Please correct the fields marked below.", 400
    return render_template("officials/new_vote_day.html", form=form, error=error), status


@bp.get("/vote-days/<vote_day>")
@official_required(None)
def vote_day(vote_day: str) -> ResponseReturnValue:
    return render_overview(vote_day)


def render_overview(
    vote_day: str, *, message: str | None = None, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    """The vote day's page, with the outcome of an action (or its refusal) on top."""
    day = get_vote_day(db.session, vote_day)
    election = db.session.get(Election, day.id)
    tally = progress.tally_progress(db.session, day.id)
    context: dict[str, Any] = {
        "day": day,
        "election": election,
        "next_step": next_step(day.status, tally),
        "message": message,
        "error": error,
        "officer": _officer_of(day.id),
        "registrar": may("registrar"),
        "clerk": may("clerk"),
        "ceremony": progress.ceremony_progress(db.session, day.id)
        if day.status == "key-ceremony"
        else None,
        "tally": tally,
        "demo": bool(current_app.config.get("URNA_DEMO")),
        "lang": current_language(),
        "credential_counts": credentials.credential_counts(db.session, day.id),
        "ceremony_form": forms.CeremonyForm(formdata=None, threshold=2),
        "schedule_form": forms.ScheduleForm(formdata=None),
        "action_form": forms.ActionForm(formdata=None),
        "confirm_form": forms.ConfirmForm(formdata=None),
    }
    return render_template("officials/vote_day.html", **context), status


def next_step(status: str, tally: progress.TallyProgress) -> str:
    """The hint that follows the state: within ``closed``, whether the tally has started and how
    far the trustees are."""
    if status == "closed" and tally.started:
        return _(
            "The trustees decrypt the totals (%(done)s of %(units)s units so far); the results "
            "follow when enough of them have shared every unit.",
            done=tally.decrypted_units,
            units=tally.units,
        )
    return next_steps()[status]


def _officer_of(vote_day: str) -> bool:
    """Whether the official may run this vote day's lifecycle (to offer its forms)."""
    if not may(OFFICERS):
        return False
    try:
        scope = vote_day_unit(vote_day)
    except RoleRequired:
        return False
    return may(OFFICERS, scope)


@bp.route("/jurisdictions", methods=["GET", "POST"])
@official_required("administrator")
def import_jurisdictions() -> ResponseReturnValue:
    request.max_content_length = JURISDICTION_UPLOAD_MAX
    form = forms.UploadForm()
    message, error, status = None, None, 200
    if form.validate_on_submit():
        upload = form.upload.data
        try:
            text = upload.read().decode("utf-8-sig")
            records = parse_text(text, name=upload.filename or "upload")
            message = str(jurisdictions.import_records(db.session, records)).capitalize() + "."
        except UnicodeDecodeError:
            error, status = "Nothing imported: the file is not UTF-8 text.", 400
        except ImportRejected as exc:
            error, status = f"Nothing imported: {exc.message}", exc.status
    elif request.method == "POST":
        error, status = "Nothing imported: choose a file.", 400
    counts = dict(
        db.session.execute(
            sa.select(Jurisdiction.level, sa.func.count()).group_by(Jurisdiction.level)
        ).all()
    )
    return render_template(
        "officials/jurisdictions.html",
        form=form,
        message=message,
        error=error,
        counts=[(level, counts[level]) for level in LEVELS if level in counts],
    ), status
