"""The vote-day lifecycle from the officials' pages: each button calls one service.

    draft → key-ceremony → credentials → open → closed → tallied → published

Each action is a POST with a CSRF token, restricted to an administrator or a
returning officer for the vote day's jurisdiction
(:func:`voting.views._official_common.vote_day_unit`). On success the
official is sent back to the vote day's page (303); a refusal is shown on
that page with the service's message and status.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from voting.app.extensions import db
from voting.app.log_signing import log_signing
from voting.app.record_files import build_published_record
from voting.errors import InvalidRequest
from voting.errors import NotFound
from voting.errors import VotingError
from voting.log import bulletin
from voting.services import ceremony
from voting.services import demo_parties
from voting.services import lifecycle
from voting.services import results
from voting.services import tally
from voting.services import trustee_roster
from voting.views import official_forms as forms
from voting.views._auth import official_required
from voting.views._official_common import OFFICERS
from voting.views._official_common import Refusal
from voting.views._official_common import refusal
from voting.views._official_common import vote_day_unit
from voting.views.official_pages import render_overview

bp = Blueprint(
    "official_lifecycle", __name__, url_prefix="/officials/vote-days/<vote_day>/lifecycle"
)


def _act(vote_day: str, form: FlaskForm, action: Callable[[], str]) -> ResponseReturnValue:
    """Run ``action`` if ``form`` validates; back to the vote day's page either way."""
    if not form.validate_on_submit():
        problems = "; ".join(
            f"{getattr(form, k).label.text if hasattr(form, k) else k}: {', '.join(map(str, v))}"
            for k, v in form.errors.items()
        )
        summary = _("Nothing was done: %(problems)s.", problems=problems)
        return render_overview(vote_day, error=Refusal(summary), status=400)
    try:
        message = action()
    except VotingError as exc:
        return render_overview(vote_day, error=refusal(exc), status=exc.status)
    flash(message)
    return redirect(url_for("officials.vote_day", vote_day=vote_day), code=303)


@bp.post("/begin-ceremony")
@official_required(OFFICERS, jurisdiction_from=vote_day_unit)
def begin_ceremony(vote_day: str) -> ResponseReturnValue:
    form = forms.CeremonyForm()

    def begin() -> str:
        names = form.trustee_names()
        trustee_roster.begin_ceremony(
            db.session,
            vote_day,
            trustees=names,
            threshold=int(form.threshold.data or 0),
            signing=log_signing(),
        )
        return _("Key ceremony started with %(n)s trustees.", n=len(names))

    return _act(vote_day, form, begin)


@bp.post("/complete-ceremony")
@official_required(OFFICERS, jurisdiction_from=vote_day_unit)
def complete_ceremony(vote_day: str) -> ResponseReturnValue:
    def complete() -> str:
        ceremony.complete_key_ceremony(db.session, vote_day, signing=log_signing())
        return _("Election key published on the log.")

    return _act(vote_day, forms.ActionForm(), complete)


@bp.post("/schedule")
@official_required(OFFICERS, jurisdiction_from=vote_day_unit)
def schedule(vote_day: str) -> ResponseReturnValue:
    form = forms.ScheduleForm()

    def set_times() -> str:
        opens, closes = form.aware(form.opens_at.data), form.aware(form.closes_at.data)
        lifecycle.schedule(db.session, vote_day, opens_at=opens, closes_at=closes)
        return _("Schedule saved.") if opens or closes else _("Schedule cleared.")

    return _act(vote_day, form, set_times)


@bp.post("/open")
@official_required(OFFICERS, jurisdiction_from=vote_day_unit)
def open_vote_day(vote_day: str) -> ResponseReturnValue:
    def open_now() -> str:
        try:
            digest = lifecycle.open_vote_day(db.session, vote_day, signing=log_signing())
        except bulletin.LogNotFound as exc:
            raise InvalidRequest("the vote day has no log yet: run the key ceremony") from exc
        return _("Vote day opened (manifest %(digest)s…).", digest=digest[:16])

    return _act(vote_day, forms.ActionForm(), open_now)


@bp.post("/close")
@official_required(OFFICERS, jurisdiction_from=vote_day_unit)
def close_vote_day(vote_day: str) -> ResponseReturnValue:
    def close_now() -> str:
        lifecycle.close_vote_day(db.session, vote_day, signing=log_signing())
        return _("Vote day closed: no ballot is accepted any more.")

    return _act(vote_day, forms.ConfirmForm(), close_now)


@bp.post("/tally")
@official_required(OFFICERS, jurisdiction_from=vote_day_unit)
def start_tally(vote_day: str) -> ResponseReturnValue:
    def start() -> str:
        summary = tally.start_tally(db.session, vote_day, signing=log_signing())
        return _(
            "Encrypted totals of %(units)s units (%(ballots)s ballots) logged; the trustees can "
            "now decrypt.",
            units=summary.units,
            ballots=summary.ballots,
        )

    return _act(vote_day, forms.ConfirmForm(), start)


@bp.post("/publish")
@official_required(OFFICERS, jurisdiction_from=vote_day_unit)
def publish(vote_day: str) -> ResponseReturnValue:
    def publish_now() -> str:
        count = results.publish_results(db.session, vote_day, signing=log_signing())
        if current_app.config.get("URNA_DEMO"):  # the demo's witnesses cosign its end
            with contextlib.suppress(demo_parties.DemoSecretsMissing):
                demo_parties.cosign_as_demo_witnesses(
                    db.session, vote_day, demo_folder(), signing=log_signing()
                )
        built = build_published_record(vote_day)
        if built is None:
            return _(
                "Results published (%(count)s result records on the log); the record was not "
                "built (see the server's log).",
                count=count,
            )
        return _(
            "Results published (%(count)s result records on the log); the record is built.",
            count=count,
        )

    return _act(vote_day, forms.ConfirmForm(), publish_now)


@bp.post("/demo-trustees")
@official_required(OFFICERS, jurisdiction_from=vote_day_unit)
def demo_trustees(vote_day: str) -> ResponseReturnValue:
    """Demo only: the demo's trustees decrypt the totals (their shares verified as any)."""
    if not current_app.config.get("URNA_DEMO"):
        raise NotFound("there are no demo trustees: this is not the demo")

    def decrypt() -> str:
        demo_parties.decrypt_as_demo_trustees(
            db.session, vote_day, demo_folder(), signing=log_signing()
        )
        return _("The demo trustees decrypted the totals; check the results, then publish them.")

    return _act(vote_day, forms.ActionForm(), decrypt)


def demo_folder() -> Path:
    """``<instance>/demo``: where the demo keeps its trustees' and witnesses' secrets."""
    return Path(current_app.config["URNA_DEMO_FOLDER"])
