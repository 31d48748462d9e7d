"""Clerks' channel counts (postal, polling station) and the live dashboard of an open vote day.

A clerk signs the counts offline with ``python -m voting.clerk sign`` (the
key never reaches the server) and uploads the signed file here, or with
``python -m voting.clerk upload``; the service checks the signature and the
counting rules and logs a ``channel-counts`` record (docs/record.md).
"""

from __future__ import annotations

import json

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.errors import VotingError
from voting.services import channels
from voting.services import turnout
from voting.services.charts import column_chart
from voting.services.json_input import parse_json
from voting.services.votedays import get_vote_day
from voting.views import official_forms as forms
from voting.views._auth import official_required
from voting.views._official_common import OFFICERS
from voting.views._official_common import Refusal
from voting.views._official_common import refusal
from voting.views._official_common import signed_in
from voting.views._official_common import vote_day_unit
from voting.views.outcome_words import percent_text

bp = Blueprint("official_counts", __name__, url_prefix="/officials/vote-days/<vote_day>")

COUNTS_UPLOAD_MAX = 4 * 1024 * 1024
LIVE_REFRESH_SECONDS = 30


def _counts_page(
    vote_day: str,
    *,
    key_form: forms.ClerkKeyForm | None = None,
    upload_form: forms.UploadForm | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    day = get_vote_day(db.session, vote_day)
    in_force = channels.current_channel_counts(db.session, day.id) if _has_log(day.status) else []
    return render_template(
        "officials/channel_counts.html",
        day=day,
        key_form=key_form or forms.ClerkKeyForm(formdata=None),
        upload_form=upload_form or forms.UploadForm(formdata=None),
        counts=in_force,
        error=error,
        official=signed_in(),
    ), status


def _has_log(status: str) -> bool:
    return status not in ("draft",)


@bp.get("/channel-counts")
@official_required("clerk")
def channel_counts(vote_day: str) -> ResponseReturnValue:
    return _counts_page(vote_day)


@bp.post("/channel-counts")
@official_required("clerk")
def upload_counts(vote_day: str) -> ResponseReturnValue:
    request.max_content_length = COUNTS_UPLOAD_MAX
    form = forms.UploadForm()
    if not form.validate_on_submit():
        error = Refusal(_("Nothing was logged: choose the signed file."))
        return _counts_page(vote_day, upload_form=form, error=error, status=400)
    try:
        data = parse_json(form.upload.data.read(), max_bytes=COUNTS_UPLOAD_MAX)
        index = channels.submit_channel_counts(
            db.session, vote_day, signed_in(), data, signing=log_signing()
        )
    except (UnicodeDecodeError, json.JSONDecodeError):
        error = Refusal(_("Nothing was logged: the file is not JSON."))
        return _counts_page(vote_day, error=error, status=400)
    except VotingError as exc:
        return _counts_page(vote_day, error=refusal(exc), status=exc.status)
    flash(_("Counts logged as entry %(index)s.", index=index))
    return redirect(url_for(".channel_counts", vote_day=vote_day), code=303)


@bp.post("/clerk-key")
@official_required("clerk")
def register_key(vote_day: str) -> ResponseReturnValue:
    form = forms.ClerkKeyForm()
    if not form.validate_on_submit():
        error = Refusal(_("Nothing was logged: check the unit and the key."))
        return _counts_page(vote_day, key_form=form, error=error, status=400)
    try:
        index = channels.register_clerk_key(
            db.session,
            vote_day,
            signed_in(),
            (form.unit.data or "").strip(),
            (form.public_key.data or "").strip(),
            signing=log_signing(),
        )
    except VotingError as exc:
        return _counts_page(vote_day, key_form=form, error=refusal(exc), status=exc.status)
    flash(_("Key registered as entry %(index)s.", index=index))
    return redirect(url_for(".channel_counts", vote_day=vote_day), code=303)


@bp.get("/live")
@official_required(OFFICERS, jurisdiction_from=vote_day_unit)
def live(vote_day: str) -> ResponseReturnValue:
    figures = turnout.live_figures(db.session, vote_day)
    points = [(hour.strftime("%H:00"), count) for hour, count in figures.per_hour[-24:]]
    chart = column_chart(
        points,
        chart_id="ballots-per-hour",
        title=_("Ballots per hour, %(vote_day)s", vote_day=vote_day),
        description=_(
            "Ballots cast in each hour (UTC) of the last 24 hours with ballots: %(hours)s",
            hours=", ".join(f"{label} {count}" for label, count in points) or _("none yet"),
        ),
    )
    return render_template(
        "officials/live.html",
        figures=figures,
        chart=Markup(chart),  # noqa: S704 (charts.py escapes every text it draws)
        refresh=LIVE_REFRESH_SECONDS,
        percent=percent_text,
        number=format_decimal,
    )
