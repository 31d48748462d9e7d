"""Adding and removing a vote day's questions (while it is draft, key-ceremony or credentials).

A returning officer adds questions only in the jurisdictions it acts for (a
returning officer of ``canton:ZH`` adds cantonal and municipal questions in
Zurich, not federal ones); an administrator everywhere. The services
(:mod:`voting.services.questions`) validate the question and refuse once the
vote day is open.
"""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from voting.app.extensions import db
from voting.errors import InvalidQuestion
from voting.errors import VotingError
from voting.services import officials
from voting.services import questions
from voting.services.jurisdictions import get_unit
from voting.services.votedays import get_vote_day
from voting.views import official_forms as forms
from voting.views._auth import official_required
from voting.views._official_common import OFFICERS
from voting.views._official_common import Refusal
from voting.views._official_common import refusal
from voting.views._official_common import signed_in

DEFAULT_RULES = {"referendum": "popular-majority"}
"""A referendum without a chosen rule; initiatives and consultations have the service's default."""

bp = Blueprint(
    "official_questions", __name__, url_prefix="/officials/vote-days/<vote_day>/questions"
)


def _check_scope(jurisdiction: str) -> None:
    """The official must act for the question's jurisdiction (raises RoleRequired)."""
    officials.require(signed_in(), OFFICERS, get_unit(db.session, jurisdiction.strip()))


def _options(form: forms.QuestionForm) -> list[dict[str, object]] | None:
    if form.kind.data != "consultation":
        return None
    options = []
    for number, line in enumerate((form.options.data or "").splitlines(), start=1):
        if not line.strip():
            continue
        option_id, colon, text = line.partition(":")
        if not colon or not text.strip():
            raise InvalidQuestion(f"option line {number}: write it as id: text")
        options.append(
            {"id": option_id.strip(), "texts": {form.options_language.data: text.strip()}}
        )
    return options


def _draft(form: forms.QuestionForm) -> questions.QuestionDraft:
    return questions.QuestionDraft(
        key=(form.key.data or "").strip(),
        jurisdiction=(form.jurisdiction.data or "").strip(),
        kind=form.kind.data or "",
        titles=forms.texts_of(form.titles),
        rule=form.rule.data or DEFAULT_RULES.get(form.kind.data or ""),
        explanations=forms.texts_of(form.explanations),
        options=_options(form),
        max_selections=form.max_selections.data if form.kind.data == "consultation" else None,
        recommendation=(form.recommendation.data or "").strip() or None,
        turnout_quorum=(form.turnout_quorum.data or "").strip() or None,
        approval_quorum=(form.approval_quorum.data or "").strip() or None,
    )


@bp.route("/new", methods=["GET", "POST"])
@official_required(OFFICERS)
def new_question(vote_day: str) -> ResponseReturnValue:
    day = get_vote_day(db.session, vote_day)
    form = forms.QuestionForm()
    error: Refusal | None = None
    status = 200
    if form.validate_on_submit():
        try:
            _check_scope(form.jurisdiction.data or "")
            question = questions.add_question(db.session, day.id, _draft(form))
        except VotingError as exc:
            error, status = refusal(exc), exc.status
        else:
            flash(_("Question %(key)s added.", key=question.key))
            return redirect(url_for("officials.vote_day", vote_day=day.id), code=303)
    elif request.method == "POST":
        error, status = Refusal(_("Please correct the fields marked below.")), 400
    return render_template("officials/question.html", day=day, form=form, error=error), status


@bp.route("/new-counter-proposal", methods=["GET", "POST"])
@official_required(OFFICERS)
def new_counter_proposal(vote_day: str) -> ResponseReturnValue:
    day = get_vote_day(db.session, vote_day)
    form = forms.CounterProposalForm()
    error: Refusal | None = None
    status = 200
    if form.validate_on_submit():
        unit = (form.jurisdiction.data or "").strip()

        def draft(key: str | None, kind: str, titles: dict[str, str]) -> questions.QuestionDraft:
            return questions.QuestionDraft(
                key=(key or "").strip(), jurisdiction=unit, kind=kind, titles=titles
            )

        try:
            _check_scope(unit)
            added = questions.add_counter_proposal(
                db.session,
                day.id,
                initiative=draft(
                    form.initiative_key.data, "initiative", forms.texts_of(form.initiative_titles)
                ),
                counter=draft(
                    form.counter_key.data, "counter-proposal", forms.texts_of(form.counter_titles)
                ),
                tiebreak=draft(
                    form.tiebreak_key.data, "tie-break", forms.texts_of(form.tiebreak_titles)
                ),
            )
        except VotingError as exc:
            error, status = refusal(exc), exc.status
        else:
            flash(_("Questions %(keys)s added.", keys=", ".join(q.key for q in added)))
            return redirect(url_for("officials.vote_day", vote_day=day.id), code=303)
    elif request.method == "POST":
        error, status = Refusal(_("Please correct the fields marked below.")), 400
    return render_template(
        "officials/counter_proposal.html", day=day, form=form, error=error
    ), status


@bp.post("/<key>/delete")
@official_required(OFFICERS)
def delete_question(vote_day: str, key: str) -> ResponseReturnValue:
    forms.ActionForm()  # the CSRF check already ran for this POST
    question = questions.get_question(db.session, vote_day, key)
    _check_scope(question.jurisdiction.ref)
    questions.delete_question(db.session, vote_day, key)
    flash(_("Question %(key)s removed.", key=key))
    return redirect(url_for("officials.vote_day", vote_day=vote_day), code=303)
