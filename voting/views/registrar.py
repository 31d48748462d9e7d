"""The registrar's pages: upload a vote day's public credential list (docs/credentials.md)."""

from __future__ import annotations

import json

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired

from voting.app.extensions import db
from voting.errors import VotingError
from voting.services import credentials
from voting.services.json_input import parse_json
from voting.services.votedays import get_vote_day
from voting.views._auth import official_required
from voting.views._official_common import Refusal
from voting.views._official_common import refusal

bp = Blueprint("registrar", __name__, url_prefix="/officials/vote-days/<vote_day>")

UPLOAD_MAX = 128 * 1024 * 1024
"""A list of about two million keys; the CLI (``credentials upload``) has no limit."""


class UploadForm(FlaskForm):
    credential_list = FileField("Public credential list (JSON)", validators=[FileRequired()])


@bp.route("/credentials", methods=["GET", "POST"])
@official_required("registrar")
def upload(vote_day: str) -> ResponseReturnValue:
    request.max_content_length = current_app.config.get("URNA_CREDENTIAL_UPLOAD_MAX", UPLOAD_MAX)
    day = get_vote_day(db.session, vote_day)
    form = UploadForm()
    message: str | None = None
    error: Refusal | None = None
    status = 200
    if form.validate_on_submit():
        try:
            limit = request.max_content_length or UPLOAD_MAX
            document = parse_json(form.credential_list.data.read(), max_bytes=limit)
            stored = credentials.store_credential_list(db.session, document, vote_day_id=day.id)
            message = _(
                "Credential list stored: %(credentials)s credentials; units: %(units)s.",
                credentials=stored.total,
                units=len(stored.counts),
            )
        except (UnicodeDecodeError, json.JSONDecodeError):
            error, status = Refusal(_("Nothing was stored: the file is not JSON.")), 400
        except VotingError as exc:
            error, status = refusal(exc), exc.status
    elif request.method == "POST":
        error, status = Refusal(_("Nothing was stored: choose a file.")), 400
    counts = credentials.credential_counts(db.session, day.id)
    return render_template(
        "registrar/credentials.html",
        day=day,
        form=form,
        counts=counts,
        message=message,
        error=error,
    ), status
